-- migput: a batch of whole sessions arrives on a migration target, each
-- all or nothing (sess-migrate copy/import/sync; src/sess-migrate/dump.h
-- documents the call). One call puts a whole batch: what is per batch
-- (the ACL check, TIME, the done marks' read and write, their counts, the
-- upkeep set) is done once, and each session costs only its own checks.
-- The sessions' data is not an argument: the caller writes each key it
-- has to a staged key (PREFIX:{ID}:arriving:SUFFIX, by RESTORE or
-- HSET/RPUSH, with the session's expiry) in the same MULTI as this call,
-- and this script decides, for each session, whether it is put: a
-- session it does not put has its staged keys deleted here; one it puts
-- has them left (made to persist if it has no expiry, its fence removed)
-- for the plain RENAME staged final that the caller sends after this
-- call, in the same MULTI, for each staged key it wrote. So a session's
-- RENAMEs succeed exactly when it was put, and fail with "ERR no such
-- key" (changing nothing) when it was not; the caller checks that from
-- EXEC's replies. (A plain RENAME costs the server 1-2 us less than the
-- same from Lua.) Any error of this script (its checks, or a command
-- failing) deletes every staged key of the call before it is returned,
-- so no RENAME after it puts anything; and every check (each session's,
-- the task keys' kinds and counts, the ACL's DUMP) is made in a first
-- pass that writes nothing but the drop of staged keys, so a call that
-- fails has changed no session's keys and no task key (Redis keeps a
-- script's writes before its error). The data never passes through Lua
-- (whose garbage collector made big arguments cost more than the
-- RESTOREs), and the transaction keeps it all or nothing.
-- KEYS: the task's done hash, backup hash and upkeep set
-- (PREFIX:migrate:TASK:done|backup|upkeep; on a cluster target those of
-- the sessions' one slot, PREFIX:#{TAG}:migrate:TASK:...: a call's
-- sessions all share that slot, mtask.h), then per session its five
-- keys (meta, events, checkpoints, eventids, history), then per session
-- its five staged keys in the same order (so each half is one range:
-- one EXISTS covers a batch).
-- An id twice in one call shares its staged keys: when the first is
-- put, the second (done) leaves the keys the first renames; when the
-- first is dropped (its staged keys with it), the second is judged by
-- the staged keys it finds (none: refused), never put without them.
-- ARGV: the conflict mode (skip|replace|newer|fail|sync), then two
-- blocks, so that the done marks of a batch copied whole are one range
-- of ARGV: n pairs id, 'c' then the chain head of the meta the session
-- sends (its mark when copied: the done marks' HSET; the ids, for the
-- marks' HMGET and the upkeep SADD, are gathered from it in the checks'
-- loop: each argument costs Redis a Lua string, a table entry less); then
-- per session three:
-- the source's updated ms, expire-at ms (0 = none), and six '0'/'1':
-- which staged keys the caller wrote (the same MULTI deleted the staged
-- keys first, so no other is there), then '1' when the meta carries the
-- field moved.
-- The staged keys already have the session's absolute expiry (or, for a
-- session without one, a short TTL that this script removes), so a put
-- that never gets here leaves nothing that outlives its session.
-- Returns {status, detail} per session, in order (a flat list): copied,
-- replaced, skipped, conflict, expired, done (the task already wrote it,
-- detail its mark: a resumed task never writes a session twice), or
-- refused (a staged key the caller wrote is not there: the server refused
-- its RESTORE; nothing of that session was changed). Only copied and
-- replaced leave their staged keys for the RENAMEs. The done hash also
-- counts each mark in a field '#c', '#r', '#s' (ids never start with
-- '#'), so a task's counts are exact.
-- A session copied or replaced is also added to the upkeep set: its index
-- entries and counters are written by the client after (they are the
-- companions PREFIX:#{TAG}:...), which removes it from the set in the same
-- transaction as that upkeep, and a resumed task completes the upkeep of
-- what is left, so a kill between the two loses no index entry and counts
-- none twice.
-- The mark of a copied or replaced session is 'c' or 'r' then the chain
-- head it arrived with, so a rollback can tell a session changed on the
-- target since (migundo keeps it).
-- The task's done mark is written in the same step as the session, so
-- a kill at any instant leaves both or neither. (On a cluster target the
-- task's keys share the sessions' slot, PREFIX:#{TAG}:migrate:TASK:*: mtask.h.)
-- prelude: none
local n = (#ARGV - 1) / 5
if n < 1 or n > 1000 or n ~= math.floor(n) or #KEYS ~= 3 + 10 * n then
  -- (which keys are staged is not known: the caller's RENAMEs then say
  -- whether any put something, an internal error of the caller)
  return redis.error_reply('SESSBADARG migput expects 3 + 10 keys and 1 + 5 arguments per session, for 1 to 1000 sessions')
end
local R, S = 3, 3 + 5 * n -- session i's key j: KEYS[R + 5 * (i - 1) + j], staged KEYS[S + ...]
-- the body: any error it returns or raises deletes every staged key of
-- the call first (the RENAMEs after this call must then put nothing)
local function main()
-- The ACL (as the prelude's acl_refused): refused before the first write.
-- (RENAME is the caller's, a plain command: Redis checks it when queued.)
if redis.acl_check_cmd then
  local k = KEYS[4]
  for _, c in ipairs({{'del', k}, {'hset', k, 'f', 'v'}, {'hincrby', k, 'f', '1'}, {'hdel', k, 'f'},
                      {'persist', k}, {'sadd', k, 'm'}}) do
    if not redis.acl_check_cmd(unpack(c)) then
      return redis.error_reply("NOPERM this user has no permissions to run the '" .. c[1] ..
        "' command (or on its keys or channel)")
    end
  end
end
local mode = ARGV[1]
if not (mode == 'skip' or mode == 'replace' or mode == 'newer' or mode == 'fail' or mode == 'sync') then
  return redis.error_reply('SESSBADARG migput: unknown conflict mode')
end
local sync = mode == 'sync'
-- (Lua costs about 0.5 us an operation and every redis.call 1-2 us more
-- than its command: what is per session here is kept to the few the
-- guarantees need, the rest is done once a batch: the ids, the marks of
-- a batch copied whole and its upkeep entries go to Redis as ranges of
-- ARGV, and a session on a fresh target costs its checks; its RENAMEs
-- are the caller's, plain, after this call)
-- which staged keys a session sent and whether it carries a fence:
-- '011010' -> its count, key numbers and fence, worked out once per
-- pattern (false: not a pattern)
local SENT = {}
local function sent_info(v)
  local f = false
  if string.match(v, '^[01][01][01][01][01][01]$') then
    f = {n = 0, moved = string.byte(v, 6) == 49}
    for j = 1, 5 do
      if string.byte(v, j) == 49 then f.n = f.n + 1; f[f.n] = j end
    end
  end
  SENT[v] = f
  return f
end
local P, Q = 2, 2 * n + 2 -- session i's pair (id, mark): ARGV[P + 2i - 2 ..]; its three: ARGV[Q + 3i - 3 ..]
local byte = string.byte
local ids, ats, info = {}, {}, {}
local total = 0
-- an id twice in one batch: the second finds the first's mark (marked)
local seen, dup = {}, false
for i = 1, n do
  local q, m = Q + 3 * i - 3, P + 2 * i - 2
  local id, v = ARGV[m], ARGV[q + 2]
  local f, at = SENT[v], tonumber(ARGV[q + 1])
  if f == nil then f = sent_info(v) end
  if id == '' or byte(id, 1) == 35 or not tonumber(ARGV[q]) or not at or at < 0 or not f or
     byte(ARGV[m + 1], 1) ~= 99 then
    return redis.error_reply('SESSBADARG migput: bad id, updated, expire-at or staged-key arguments (session ' .. i .. ')')
  end
  if seen[id] then dup = true else seen[id] = true end
  ids[i], ats[i], info[i] = id, at, f
  total = total + f.n
end
local done = {}
if not sync then done = redis.call('HMGET', KEYS[1], unpack(ids)) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- one EXISTS over the whole batch's staged keys, and one over its keys:
-- when every staged key is there and no key is (a fresh target), no
-- session needs its own
local all_staged = redis.call('EXISTS', unpack(KEYS, S + 1, S + 5 * n)) == total
local none_there = redis.call('EXISTS', unpack(KEYS, R + 1, R + 5 * n)) == 0
-- a key's absolute expiry in ms, 0 none: PEXPIRETIME (Redis 7), else
-- now plus PTTL (a batch's script runs some ms: TIME is its start)
local function expiry(key)
  local ok, at = pcall(redis.call, 'PEXPIRETIME', key)
  if not ok then
    at = redis.call('PTTL', key)
    at = at > 0 and (now + at) or 0
  end
  return at > 0 and at or 0
end
-- kinds[i]: the mark session i gets ('c', 'r', 's'; nil none), in
-- session order as the marks are written
-- put[id]: the sent pattern of a session of a batch with an id twice
-- that this call put (its staged keys are the later one's too)
-- gone[id]: a session of the id was dropped, its staged keys with it (a
-- later one of the id must find its own staged keys: all_staged was
-- counted before)
-- puts: the sessions put, {i, any}, written in a second pass: the first
-- only reads and drops staged keys, so that an error of any session's
-- checks (a target meta that is no hash, in newer mode) comes before
-- anything a RENAME does not undo (a replaced session's DEL, its backup)
local out, kinds, marked, put, gone, puts = {}, {}, {}, {}, {}, {}
local no, nc, nr, ns, backup = 0, 0, 0, 0, false
local function drop(i, s, status, detail)
  local p = dup and put[ids[i]]
  if p then
    -- the staged keys an earlier session of the id was put with stay
    -- for its RENAMEs; the rest go
    for j = 1, 5 do
      if byte(p, j) ~= 49 then redis.call('DEL', KEYS[s + j]) end
    end
  else
    redis.call('DEL', KEYS[s + 1], KEYS[s + 2], KEYS[s + 3], KEYS[s + 4], KEYS[s + 5])
    if dup then gone[ids[i]] = true end
  end
  out[no + 1], out[no + 2] = status, detail or ''
  no = no + 2
end
for i = 1, n do
  local r, s = R + 5 * i - 5, S + 5 * i - 5
  local at, f = ats[i], info[i]
  local d = done[i] or (dup and marked[ids[i]])
  if d then
    drop(i, s, 'done', d)
  elseif at > 0 and at <= now then
    drop(i, s, 'expired')
  elseif (not all_staged or (dup and gone[ids[i]])) and
         redis.call('EXISTS', KEYS[s + 1], KEYS[s + 2], KEYS[s + 3], KEYS[s + 4], KEYS[s + 5]) ~= f.n then
    -- a RESTORE the server refused (or a staged key that expired in the
    -- instant since: the session did)
    if at > 0 and at <= now + 1000 then drop(i, s, 'expired') else drop(i, s, 'refused') end
  else
    local any = not none_there and
      redis.call('EXISTS', KEYS[r + 1], KEYS[r + 2], KEYS[r + 3], KEYS[r + 4], KEYS[r + 5]) > 0
    local status = 'copied'
    if any and redis.call('EXISTS', KEYS[r + 1]) == 1 then
      if mode == 'skip' then
        status = nil
      elseif mode == 'fail' then
        status = false
      elseif mode == 'newer' then
        local tu = tonumber(redis.call('HGET', KEYS[r + 1], S_F_UPDATED) or '0') or 0
        status = tu < tonumber(ARGV[Q + 3 * i - 3]) and 'replaced' or nil
      else
        status = 'replaced'
      end
    end
    if status == nil then
      kinds[i], ns = 's', ns + 1
      if dup then marked[ids[i]] = 's' end
      drop(i, s, 'skipped')
    elseif status == false then
      drop(i, s, 'conflict')
    else
      local id = ids[i]
      -- the fence's HDEL (second pass) needs a hash
      if f.moved then redis.call('HGET', KEYS[s + 1], S_F_MOVED) end
      if any and not sync then backup = true end
      puts[#puts + 1] = {i, any}
      if dup then put[id] = ARGV[Q + 3 * i - 1] end
      if not sync then
        if status == 'replaced' then kinds[i], nr = 'r', nr + 1 else kinds[i], nc = 'c', nc + 1 end
        if dup then
          local m = ARGV[P + 2 * i - 1]
          marked[id] = status == 'replaced' and 'r' .. string.sub(m, 2) or m
        end
      end
      out[no + 1], out[no + 2] = status, ''
      no = no + 2
    end
  end
end
-- what the second pass and the marks write must not fail half way: the
-- task's keys of their kinds (a read of each raises WRONGTYPE: no TYPE,
-- which sesskit-acl(7) does not grant), the counts it adds to integers,
-- DUMP allowed (the ACL)
if backup then redis.call('HMGET', KEYS[2], '#') end
if nc + nr > 0 then redis.call('SSCAN', KEYS[3], 0, 'COUNT', 1) end
if nc + nr + ns > 0 then
  local counts = {}
  for _, c in ipairs({{nc, '#c'}, {nr, '#r'}, {ns, '#s'}}) do
    if c[1] > 0 then counts[#counts + 1] = c[2] end
  end
  for _, c in ipairs(redis.call('HMGET', KEYS[1], unpack(counts))) do
    if c and not (c == '0' or (#c < 19 and string.match(c, '^%-?[1-9]%d*$'))) then
      return redis.error_reply("SESSBADARG migput: the task's done hash holds a count that is no integer")
    end
  end
end
if backup and redis.acl_check_cmd and not redis.acl_check_cmd('dump', KEYS[4]) then
  return redis.error_reply("NOPERM this user has no permissions to run the 'dump' command (or on its keys or channel)")
end
for x = 1, #puts do
  local i, any = puts[x][1], puts[x][2]
  local r, s, id, f = R + 5 * i - 5, S + 5 * i - 5, ids[i], info[i]
  -- what was there (a session, or leftovers of an expired one) is
  -- kept in the backup hash so a rollback can put it back (each key
  -- with its own expiry, ID:tN: a session's keys may expire some ms
  -- apart; ID:x, the meta's, is what older backups have)
  if any and not sync then
    for j = 1, 5 do
      local d = redis.call('DUMP', KEYS[r + j])
      if d then redis.call('HSET', KEYS[2], id .. ':' .. j, d, id .. ':t' .. j, expiry(KEYS[r + j])) end
    end
    redis.call('HSET', KEYS[2], id .. ':x', expiry(KEYS[r + 1]))
  end
  if any then redis.call('DEL', KEYS[r + 1], KEYS[r + 2], KEYS[r + 3], KEYS[r + 4], KEYS[r + 5]) end
  -- the staged keys take their places by the caller's RENAMEs after
  -- this call (RENAME keeps their expiry: a session without one has
  -- its staged keys, never the keys that were there, made to persist)
  if ats[i] == 0 then
    for y = 1, f.n do redis.call('PERSIST', KEYS[s + f[y]]) end
  end
  -- a fenced source's sessions carry its fence (field moved): the
  -- fence is that server's state, not the session's, and never travels
  if f.moved then redis.call('HDEL', KEYS[s + 1], S_F_MOVED) end
end
-- the batch's marks, counts and upkeep entries: one command each (a
-- batch copied whole: ranges of ARGV as they came)
if nc == n then
  redis.call('HSET', KEYS[1], unpack(ARGV, P, P + 2 * n - 1))
  redis.call('HINCRBY', KEYS[1], '#c', n)
  redis.call('SADD', KEYS[3], unpack(ids))
  return out
end
if nc + nr + ns > 0 then
  local marks, arrived, nm = {}, {}, 0
  for i = 1, n do
    local k = kinds[i]
    if k then
      local m = ARGV[P + 2 * i - 1]
      if k == 'r' then m = 'r' .. string.sub(m, 2) elseif k == 's' then m = 's' end
      marks[nm + 1], marks[nm + 2] = ids[i], m
      nm = nm + 2
      if k ~= 's' then arrived[#arrived + 1] = ids[i] end
    end
  end
  redis.call('HSET', KEYS[1], unpack(marks))
  if nc > 0 then redis.call('HINCRBY', KEYS[1], '#c', nc) end
  if nr > 0 then redis.call('HINCRBY', KEYS[1], '#r', nr) end
  if ns > 0 then redis.call('HINCRBY', KEYS[1], '#s', ns) end
  if #arrived > 0 then redis.call('SADD', KEYS[3], unpack(arrived)) end
end
return out
end
local ok, res = pcall(main)
if ok and not (type(res) == 'table' and res.err) then return res end
-- an error: no staged key of the call is left for the RENAMEs
redis.call('DEL', unpack(KEYS, S + 1, S + 5 * n))
if ok or type(res) == 'table' then return res end
return redis.error_reply(tostring(res))

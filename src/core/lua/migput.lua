-- migput: a batch of whole sessions arrives on a migration target, each
-- all or nothing (sess-migrate copy/import/sync; src/sess-migrate/dump.h
-- documents the call). One call puts a whole batch: what is per batch
-- (the ACL check, TIME, the done marks' read and write, their counts, the
-- upkeep set) is done once, and each session costs only its own checks
-- and RENAMEs.
-- The sessions' data is not an argument: the caller writes each key it
-- has to a staged key (PREFIX:{ID}:arriving:SUFFIX, by RESTORE or
-- HSET/RPUSH, with the session's expiry) in the same MULTI as this call,
-- and this script puts the staged keys in place or drops them. The data
-- never passes through Lua (whose garbage collector made big arguments
-- cost more than the RESTOREs), and the transaction keeps it all or
-- nothing.
-- KEYS: the task's done hash, backup hash and upkeep set
-- (PREFIX:migrate:TASK:done|backup|upkeep), then per session ten: its
-- meta, events, checkpoints, eventids, history, then the five staged keys
-- in the same order.
-- ARGV: the conflict mode (skip|replace|newer|fail|sync), then per
-- session six: id, the source's updated ms, expire-at ms (0 = none),
-- five '0'/'1' (which staged keys the caller wrote: the same MULTI
-- deleted the staged keys first, so no other is there), '1' when the meta
-- carries the field moved, and the chain head h of the meta it sends ('' none).
-- The staged keys already have the session's absolute expiry (or, for a
-- session without one, a short TTL that this script removes), so a put
-- that never gets here leaves nothing that outlives its session.
-- Returns {status, detail} per session, in order (a flat list): copied,
-- replaced, skipped, conflict, expired, done (the task already wrote it,
-- detail its mark: a resumed task never writes a session twice), or
-- refused (a staged key the caller wrote is not there: the server refused
-- its RESTORE; nothing of that session was changed). The done hash also
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
-- a kill at any instant leaves both or neither. (Task keys live outside the
-- sessions' slots: targets must be one server, not a cluster.)
-- prelude: none
-- The ACL (as the prelude's acl_refused): refused before the first write.
if redis.acl_check_cmd and #KEYS > 3 then
  local k = KEYS[4]
  for _, c in ipairs({{'del', k}, {'hset', k, 'f', 'v'}, {'hincrby', k, 'f', '1'}, {'hdel', k, 'f'},
                      {'rename', k, k}, {'persist', k}, {'sadd', k, 'm'}}) do
    if not redis.acl_check_cmd(unpack(c)) then
      return redis.error_reply("NOPERM this user has no permissions to run the '" .. c[1] ..
        "' command (or on its keys or channel)")
    end
  end
end
local n = (#ARGV - 1) / 6
if n < 1 or n > 1000 or n ~= math.floor(n) or #KEYS ~= 3 + 10 * n then
  return redis.error_reply('SESSBADARG migput expects 3 + 10 keys and 1 + 6 arguments per session, for 1 to 1000 sessions')
end
local mode = ARGV[1]
if not (mode == 'skip' or mode == 'replace' or mode == 'newer' or mode == 'fail' or mode == 'sync') then
  return redis.error_reply('SESSBADARG migput: unknown conflict mode')
end
local ids, upd, ats, nsent = {}, {}, {}, {}
for i = 1, n do
  local a = 1 + (i - 1) * 6
  local sent = ARGV[a + 4]
  ids[i], upd[i], ats[i] = ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  if ids[i] == '' or string.sub(ids[i], 1, 1) == '#' or not upd[i] or not ats[i] or ats[i] < 0 or
     not string.match(sent, '^[01][01][01][01][01]$') then
    return redis.error_reply('SESSBADARG migput: bad id, updated, expire-at or staged-key arguments (session ' .. i .. ')')
  end
  local _, c = string.gsub(sent, '1', '1')
  nsent[i] = c
end
-- (every redis.call costs about 2 us more than its command: the common
-- path makes two EXISTS and one RENAME per key a session has)
local done = {}
if mode ~= 'sync' then done = redis.call('HMGET', KEYS[1], unpack(ids)) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- one EXISTS over the whole batch's staged keys, and one over its keys:
-- when every staged key is there and no key is (a fresh target), no
-- session needs its own
local function count(first)
  local c, i = 0, 1
  while i <= n do
    local ks = {}
    for j = i, math.min(n, i + 99) do
      local k = 3 + (j - 1) * 10 + first
      for m = 0, 4 do ks[#ks + 1] = KEYS[k + m] end
    end
    c = c + redis.call('EXISTS', unpack(ks))
    i = i + 100
  end
  return c
end
local total = 0
for i = 1, n do total = total + nsent[i] end
local all_staged = count(6) == total
local none_there = count(1) == 0
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
local out, marks, counts, arrived, marked = {}, {}, {c = 0, r = 0, s = 0}, {}, {}
local function drop(k, status, detail)
  redis.call('DEL', KEYS[k + 6], KEYS[k + 7], KEYS[k + 8], KEYS[k + 9], KEYS[k + 10])
  out[#out + 1] = status
  out[#out + 1] = detail or ''
end
local function mark(id, m, k, status)
  marks[#marks + 1] = id
  marks[#marks + 1] = m
  marked[id] = m
  local c = string.sub(m, 1, 1)
  counts[c] = counts[c] + 1
  if status == 'skipped' then drop(k, status) end
end
for i = 1, n do
  local k, a = 3 + (i - 1) * 10, 1 + (i - 1) * 6
  local id, at, sent = ids[i], ats[i], ARGV[a + 4]
  if done[i] or marked[id] then
    -- (an id twice in one batch: the second finds the first's mark)
    drop(k, 'done', done[i] or marked[id])
  elseif at > 0 and at <= now then
    drop(k, 'expired')
  elseif not all_staged and redis.call('EXISTS', KEYS[k + 6], KEYS[k + 7], KEYS[k + 8], KEYS[k + 9], KEYS[k + 10]) ~= nsent[i] then
    -- a RESTORE the server refused (or a staged key that expired in the
    -- instant since: the session did)
    if at > 0 and at <= now + 1000 then drop(k, 'expired') else drop(k, 'refused') end
  else
    local any = not none_there and
      redis.call('EXISTS', KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5]) > 0
    local exists = any and redis.call('EXISTS', KEYS[k + 1]) == 1
    local status = 'copied'
    if exists then
      if mode == 'skip' then
        status = nil
        mark(id, 's', k, 'skipped')
      elseif mode == 'fail' then
        status = nil
        drop(k, 'conflict')
      elseif mode == 'newer' then
        local tu = tonumber(redis.call('HGET', KEYS[k + 1], S_F_UPDATED) or '0') or 0
        if tu >= upd[i] then
          status = nil
          mark(id, 's', k, 'skipped')
        else
          status = 'replaced'
        end
      else
        status = 'replaced'
      end
    end
    if status then
      -- what was there (a session, or leftovers of an expired one) is
      -- kept in the backup hash so a rollback can put it back
      -- (each key with its own expiry, ID:tN: a session's keys may expire
      -- some ms apart; ID:x, the meta's, is what older backups have)
      if any and mode ~= 'sync' then
        for j = 1, 5 do
          local d = redis.call('DUMP', KEYS[k + j])
          if d then redis.call('HSET', KEYS[2], id .. ':' .. j, d, id .. ':t' .. j, expiry(KEYS[k + j])) end
        end
        redis.call('HSET', KEYS[2], id .. ':x', expiry(KEYS[k + 1]))
      end
      if any then redis.call('DEL', KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5]) end
      -- the staged keys take their places (RENAME keeps their expiry)
      for j = 1, 5 do
        if string.sub(sent, j, j) == '1' then
          redis.call('RENAME', KEYS[k + 5 + j], KEYS[k + j])
          if at == 0 then redis.call('PERSIST', KEYS[k + j]) end
        end
      end
      -- a fenced source's sessions carry its fence (field moved): the
      -- fence is that server's state, not the session's, and never travels
      if ARGV[a + 5] == '1' then redis.call('HDEL', KEYS[k + 1], S_F_MOVED) end
      if mode ~= 'sync' then
        mark(id, (status == 'replaced' and 'r' or 'c') .. ARGV[a + 6], k, status)
        arrived[#arrived + 1] = id
      end
      out[#out + 1] = status
      out[#out + 1] = ''
    end
  end
end
-- the batch's marks, counts and upkeep entries: one command each
if #marks > 0 then redis.call('HSET', KEYS[1], unpack(marks)) end
for _, m in ipairs({'c', 'r', 's'}) do
  if counts[m] > 0 then redis.call('HINCRBY', KEYS[1], '#' .. m, counts[m]) end
end
if #arrived > 0 then redis.call('SADD', KEYS[3], unpack(arrived)) end
return out

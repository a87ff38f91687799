-- migput: a whole session arrives on a migration target, all or nothing
-- (sess-migrate copy/import/sync; src/core/dump.h documents the call).
-- The session's data is not an argument: the caller writes each key it
-- has to a staged key (PREFIX:{ID}:arriving:SUFFIX, by RESTORE or
-- HSET/RPUSH, with a short TTL) in the same MULTI as this call, and this
-- script puts the staged keys in place or drops them. The data never
-- passes through Lua (whose garbage collector made big arguments cost
-- more than the RESTOREs), and the transaction keeps it all or nothing.
-- KEYS: the session's meta, events, checkpoints, eventids, history, the
-- task's done hash and backup hash (PREFIX:migrate:TASK:done|backup), then
-- the five staged keys in the same order, then the task's upkeep set
-- (PREFIX:migrate:TASK:upkeep).
-- ARGV: id, conflict mode (skip|replace|newer|fail|sync), the source's
-- updated ms, expire-at ms (0 = none), five '0'/'1': which staged keys
-- the caller wrote (the same MULTI deleted the staged keys first, so no
-- other is there), '1' when the meta carries the field moved, and '1' to
-- count the session's events by type in the reply ('0': the caller has
-- their text and counts them itself).
-- The staged keys already have the session's absolute expiry (or, for a
-- session without one, a short TTL that this script removes), so a put
-- that never gets here leaves nothing that outlives its session.
-- Returns {status, detail, type, n, type, n, ...}: copied, replaced,
-- skipped, conflict, expired,
-- done (the task already wrote it, detail its mark: a resumed task never
-- writes a session twice), or refused (a staged key the caller wrote is
-- not there: the server refused its RESTORE; detail the key's number;
-- nothing was changed). The done hash also counts each mark in a field
-- '#c', '#r', '#s' (ids never start with '#'), so a task's counts are exact.
-- A session copied or replaced is also added to the upkeep set: its global
-- index entries and counters are not written yet (they are outside this
-- slot); the client removes it from the set in the same transaction as
-- that upkeep, and a resumed task completes the upkeep of what is left,
-- so a kill between the two loses no index entry and counts none twice.
-- For that upkeep, a copied or replaced session's reply also counts its
-- events by type (the stats' type:* counters), after status and detail.
-- The mark of a copied or replaced session is 'c' or 'r' then the chain
-- head h it arrived with, so a rollback can tell a session changed on the
-- target since (migundo keeps it).
-- The task's done mark is written in the same step as the session, so
-- a kill at any instant leaves both or neither. (On a cluster target the
-- task's keys share the session's slot, PREFIX:#{TAG}:migrate:TASK:*: mtask.h.)
-- prelude: none
-- The ACL (as the prelude's acl_refused): refused before the first write.
if redis.acl_check_cmd then
  local k = KEYS[1]
  for _, c in ipairs({{'del', k}, {'hset', k, 'f', 'v'}, {'hincrby', k, 'f', '1'}, {'hdel', k, 'f'},
                      {'rename', k, k}, {'persist', k}, {'sadd', k, 'm'}}) do
    if not redis.acl_check_cmd(unpack(c)) then
      return redis.error_reply("NOPERM this user has no permissions to run the '" .. c[1] ..
        "' command (or on its keys or channel)")
    end
  end
end
if #KEYS ~= 13 or #ARGV ~= 7 then
  return redis.error_reply('SESSBADARG migput expects 13 keys and 7 arguments')
end
local id, mode, src_updated, at, sent, moved = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
local types = ARGV[7] == '1'
if not (mode == 'skip' or mode == 'replace' or mode == 'newer' or mode == 'fail' or mode == 'sync') then
  return redis.error_reply('SESSBADARG migput: unknown conflict mode')
end
if not src_updated or not at or at < 0 or not string.match(sent, '^[01][01][01][01][01]$') then
  return redis.error_reply('SESSBADARG migput: bad updated, expire-at or staged-key arguments')
end
-- (every redis.call costs about 2 us more than its command: this script
-- runs once per session copied, so it makes as few as it can)
local function drop(status, detail)
  redis.call('DEL', KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12])
  return {status, detail or ''}
end
local done = redis.call('HGET', KEYS[6], id)
if done and mode ~= 'sync' then return drop('done', done) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if at > 0 and at <= now then return drop('expired') end
local _, nsent = string.gsub(sent, '1', '1')
if redis.call('EXISTS', KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12]) ~= nsent then
  -- a RESTORE the server refused (or a staged key that expired in the
  -- instant since: the session did)
  if at > 0 and at <= now + 1000 then return drop('expired') end
  return drop('refused')
end
local any = redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]) > 0
local exists = any and redis.call('EXISTS', KEYS[1]) == 1
local status = 'copied'
if exists then
  if mode == 'skip' then
    redis.call('HSET', KEYS[6], id, 's')
    redis.call('HINCRBY', KEYS[6], '#s', 1)
    return drop('skipped')
  elseif mode == 'fail' then
    return drop('conflict')
  elseif mode == 'newer' then
    local tu = tonumber(redis.call('HGET', KEYS[1], S_F_UPDATED) or '0') or 0
    if tu >= src_updated then
      redis.call('HSET', KEYS[6], id, 's')
      redis.call('HINCRBY', KEYS[6], '#s', 1)
      return drop('skipped')
    end
  end
  status = 'replaced'
end
-- what was there (a session, or leftovers of an expired one) is kept in
-- the backup hash so a rollback can put it back
if any and mode ~= 'sync' then
  -- (and each key's own expiry, ID:xN: a session's keys may expire a few
  -- ms apart, and a rollback puts back each as it was)
  for i = 1, 5 do
    local d = redis.call('DUMP', KEYS[i])
    if d then
      local e = redis.call('PEXPIRETIME', KEYS[i])
      redis.call('HSET', KEYS[7], id .. ':' .. i, d, id .. ':x' .. i, e > 0 and e or 0)
    end
  end
  -- (its absolute expiry as stored: now + PTTL may be 1 ms off it)
  local et = redis.call('PEXPIRETIME', KEYS[1])
  redis.call('HSET', KEYS[7], id .. ':x', et > 0 and et or 0)
end
if any then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]) end
-- the staged keys take their places (RENAME keeps their expiry)
for i = 1, 5 do
  if string.sub(sent, i, i) == '1' then
    redis.call('RENAME', KEYS[7 + i], KEYS[i])
    if at == 0 then redis.call('PERSIST', KEYS[i]) end
  end
end
-- a fenced source's sessions carry its fence (field moved): the fence is
-- that server's state, not the session's, and never travels
if moved == '1' then redis.call('HDEL', KEYS[1], S_F_MOVED) end
if mode ~= 'sync' then
  local mark = status == 'replaced' and 'r' or 'c'
  redis.call('HSET', KEYS[6], id, mark .. (redis.call('HGET', KEYS[1], S_F_CHAIN) or ''))
  redis.call('HINCRBY', KEYS[6], '#' .. mark, 1)
  redis.call('SADD', KEYS[13], id)
end
-- the events by type (a stored event starts {"s":N,"ts":N,"t":"TYPE")
local out, seen = {status, ''}, {}
if types and string.sub(sent, 2, 2) == '1' then
  local evs = redis.call('LRANGE', KEYS[2], 0, -1)
  for i = 1, #evs do
    local t = string.match(evs[i], '^{"s":%d+,"ts":%d+,"t":"([^"\\]+)"')
    if t then
      if not seen[t] then
        out[#out + 1] = t
        out[#out + 1] = 0
        seen[t] = #out
      end
      out[seen[t]] = out[seen[t]] + 1
    end
  end
end
return out

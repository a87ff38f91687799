-- migput: a whole session arrives on a migration target, all or nothing
-- (sess-migrate copy/import/sync; src/core/dump.h documents the call).
-- KEYS: the session's meta, events, checkpoints, eventids, history, then
-- the task's done hash and backup hash (PREFIX:migrate:TASK:done|backup).
-- ARGV: id, conflict mode (skip|replace|newer|fail|sync), the source's
-- updated ms, expire-at ms (0 = none), form ('d': five DUMP payloads,
-- '' for a key that is absent; 's': per key a count then that many items,
-- hash field/value pairs or list entries).
-- Returns {status, previous done mark or ''}: copied, replaced, skipped,
-- conflict, expired, done (the task already wrote it: a resumed task never
-- writes a session twice). The done hash also counts each mark in a field
-- '#c', '#r', '#s' (ids never start with '#'), so a task's counts are exact.
-- The task's done mark is written in the same script as the session, so
-- a kill at any instant leaves both or neither. (Task keys live outside the
-- session's slot: targets must be one server, not a cluster.)
-- prelude: none
local id, mode, src_updated, at, form = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local done = redis.call('HGET', KEYS[6], id)
if done and mode ~= 'sync' then return {'done', done} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if at > 0 and at <= now then return {'expired', ''} end
local exists = redis.call('EXISTS', KEYS[1]) == 1
local status = 'copied'
if exists then
  if mode == 'skip' then
    redis.call('HSET', KEYS[6], id, 's')
    redis.call('HINCRBY', KEYS[6], '#s', 1)
    return {'skipped', ''}
  elseif mode == 'fail' then
    return {'conflict', ''}
  elseif mode == 'newer' then
    local tu = tonumber(redis.call('HGET', KEYS[1], S_F_UPDATED) or '0') or 0
    if tu >= src_updated then
      redis.call('HSET', KEYS[6], id, 's')
      redis.call('HINCRBY', KEYS[6], '#s', 1)
      return {'skipped', ''}
    end
  end
  status = 'replaced'
end
-- what was there (a session, or leftovers of an expired one) is kept in
-- the backup hash so a rollback can put it back
-- (one EXISTS first: on a fresh target there is nothing, and five DUMPs
-- of absent keys would be most of this script's work)
local any = redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]) > 0
if any and mode ~= 'sync' then
  for i = 1, 5 do
    local d = redis.call('DUMP', KEYS[i])
    if d then redis.call('HSET', KEYS[7], id .. ':' .. i, d) end
  end
end
if any and mode ~= 'sync' then
  local pt = redis.call('PTTL', KEYS[1])
  local old = pt > 0 and (now + pt) or 0
  redis.call('HSET', KEYS[7], id .. ':x', old)
end
if any then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]) end
-- the RESTOREs are checked first by the server (payload version and
-- checksum): a refused payload leaves what was there, put back
local function undo(err)
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
  if any and mode ~= 'sync' then
    for i = 1, 5 do
      local d = redis.call('HGET', KEYS[7], id .. ':' .. i)
      if d then redis.call('RESTORE', KEYS[i], 0, d) end
    end
  end
  local msg = tostring(err.err or err)
  -- the server itself refusing (memory, read-only) is not the data's fault
  if string.find(msg, '^OOM') or string.find(msg, '^READONLY') then return redis.error_reply(msg) end
  return redis.error_reply('SESSBADARG ' .. msg)
end
local pos = 6
if form == 'd' then
  -- the expiry goes with the payload (ABSTTL: the absolute time, no drift)
  for i = 1, 5 do
    if ARGV[pos] ~= '' then
      local r
      if at > 0 then
        r = redis.pcall('RESTORE', KEYS[i], at, ARGV[pos], 'REPLACE', 'ABSTTL')
      else
        r = redis.pcall('RESTORE', KEYS[i], 0, ARGV[pos], 'REPLACE')
      end
      if type(r) == 'table' and r.err then return undo(r) end
    end
    pos = pos + 1
  end
else
  for i = 1, 5 do
    local n = tonumber(ARGV[pos])
    pos = pos + 1
    local cmd = (i == 2 or i == 5) and 'RPUSH' or 'HSET'
    local j = 0
    while j < n do
      local k = math.min(n - j, 512)
      if cmd == 'HSET' and k % 2 == 1 then k = k - 1 end
      if k <= 0 then k = n - j end
      redis.call(cmd, KEYS[i], unpack(ARGV, pos + j, pos + j + k - 1))
      j = j + k
    end
    if n > 0 and at > 0 then redis.call('PEXPIREAT', KEYS[i], at) end
    pos = pos + n
  end
end
-- a fenced source's sessions carry its fence (field moved): the fence is
-- that server's state, not the session's, and never travels
redis.call('HDEL', KEYS[1], S_F_MOVED)
if mode ~= 'sync' then
  local mark = status == 'replaced' and 'r' or 'c'
  redis.call('HSET', KEYS[6], id, mark)
  redis.call('HINCRBY', KEYS[6], '#' .. mark, 1)
end
return {status, ''}

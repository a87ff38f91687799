-- emit: ARGV agent-field, type, from, to, event id, body, checkpoint
-- interval, failure snapshots (1/0), session channel, id.
-- body is the stored event's JSON after its opening brace; seq and timestamp
-- are assigned here, so they are contiguous and never reused.
-- returns {seq, duplicate 1/0, now, state, checkpoint number or 0, ttl ms}
-- This is the hot path: every redis.call costs about a microsecond.
local m, e = load_meta('state', 'seq', 'ttl', ARGV[1], 'ref')
if not m then return e end
if m[2] == 'completed' then
  return redis.error_reply('SESSCOMPLETED session is completed; it takes no more events')
end
if not m[5] then
  return redis.error_reply('SESSNOTMEMBER actor is not a member of this session; join it first')
end
if ARGV[5] ~= '' then
  local prev = redis.call('HGET', KEYS[4], ARGV[5])
  if prev then return {tonumber(prev), 1, 0, m[2], 0, 0} end
end
local state = m[2]
if ARGV[3] ~= '' and ARGV[3] ~= state then
  return redis.error_reply('SESSSTATE the transition starts from ' .. ARGV[3] ..
    ' but the session is ' .. state)
end
local now = now_ms()
local seq = tonumber(m[3]) + 1
local ev = '{"s":' .. seq .. ',"ts":' .. now .. ',' .. ARGV[6]
redis.call('RPUSH', KEYS[2], ev)
if ARGV[4] ~= '' then
  state = ARGV[4]
  redis.call('HSET', KEYS[1], 'seq', seq, 'updated', now, 'state', state)
else
  redis.call('HSET', KEYS[1], 'seq', seq, 'updated', now)
end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[4], ARGV[5], seq) end
local ttl = tonumber(m[4]) * 1000
-- restart the TTLs at most once a second (they are whole seconds anyway);
-- a new eventids hash always gets its TTL at once
if now - tonumber(m[6] or 0) >= 1000 then
  expire_all(ttl, now)
elseif ARGV[5] ~= '' then
  redis.call('PEXPIRE', KEYS[4], ttl)
end
local cp = 0
local interval = tonumber(ARGV[7])
if ARGV[8] == '1' and ARGV[2] == 'broke' then
  cp = checkpoint('failure', now, seq)
elseif interval > 0 and seq % interval == 0 then
  cp = checkpoint('auto', now, seq)
end
redis.call('PUBLISH', ARGV[9], ARGV[10] .. '\n' .. ev)
return {seq, 0, now, state, cp, ttl}

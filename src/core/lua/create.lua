-- create: ARGV agent-field, agent, ttl seconds, metadata JSON or ''
-- returns {created ms, ttl ms}
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('SESSEXISTS a session with this id already exists')
end
local now = now_ms()
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'v', '1', 'state', 'working', 'created', now,
  'updated', now, 'seq', 0, 'base', 0, 'ttl', ttl, 'agents', 1,
  'creator', ARGV[2], 'cps', 0, 'lastcp', 0, 'ref', now, ARGV[1], now)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'metadata', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ttl * 1000)
return {now, ttl * 1000}

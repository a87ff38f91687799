-- join: ARGV agent-field; returns {1 if newly joined else 0, agents, now, ttl ms}
local m, e = load_meta('state', 'ttl', ARGV[1], 'agents')
if not m then return e end
if m[2] == 'completed' then
  return redis.error_reply('SESSCOMPLETED session is completed; agents cannot join it')
end
local now = now_ms()
local ttl = tonumber(m[3]) * 1000
if m[4] then return {0, tonumber(m[5]), now, ttl} end
redis.call('HSET', KEYS[1], ARGV[1], now, 'updated', now)
local n = redis.call('HINCRBY', KEYS[1], 'agents', 1)
expire_all(ttl, now)
return {1, n, now, ttl}

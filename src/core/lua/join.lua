-- join: ARGV agent-field; returns {1 if newly joined else 0, agents, now, ttl ms}
local _, e = check_call(4, 1)
if e then return e end
_, e = agent_arg(ARGV[1])
if e then return e end
local m
m, e = load_meta('state', 'ttl', 'agents', ARGV[1])
if not m then return e end
if m[2] == 'completed' then
  return redis.error_reply('SESSCOMPLETED session is completed; agents cannot join it')
end
local now = now_ms()
local ttl = tonumber(m[3]) * 1000
if m[5] then return {0, tonumber(m[4]), now, ttl} end
redis.call('HSET', KEYS[1], ARGV[1], now, 'updated', now)
local n = redis.call('HINCRBY', KEYS[1], 'agents', 1)
expire_all(ttl, now)
return {1, n, now, ttl}

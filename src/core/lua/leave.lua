-- leave: ARGV agent-field, grace seconds; returns {agents left, now, ttl ms}
-- The last agent leaving puts the whole session on the grace TTL.
local _, e = check_call(4, 2)
if e then return e end
_, e = agent_arg(ARGV[1])
if e then return e end
local grace
grace, e = int_arg(ARGV[2], 'grace ttl (seconds)', 1, TTL_MAX)
if not grace then return e end
local m
m, e = load_meta('ttl', 'agents', ARGV[1])
if not m then return e end
if not m[4] then
  return redis.error_reply('SESSNOTMEMBER agent is not a member of this session')
end
local now = now_ms()
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], 'updated', now)
local n = redis.call('HINCRBY', KEYS[1], 'agents', -1)
local ttl = tonumber(m[2]) * 1000
if n <= 0 then ttl = grace * 1000 end
expire_all(ttl, now)
return {n, now, ttl}

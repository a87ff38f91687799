-- leave: ARGV agent-field, grace seconds; returns {agents left, now, ttl ms}
-- The last agent leaving puts the whole session on the grace TTL.
local m, e = load_meta('ttl', ARGV[1])
if not m then return e end
if not m[3] then
  return redis.error_reply('SESSNOTMEMBER agent is not a member of this session')
end
local now = now_ms()
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], 'updated', now)
local n = redis.call('HINCRBY', KEYS[1], 'agents', -1)
local ttl = tonumber(m[2]) * 1000
if n <= 0 then ttl = tonumber(ARGV[2]) * 1000 end
expire_all(ttl, now)
return {n, now, ttl}

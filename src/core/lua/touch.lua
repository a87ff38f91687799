-- touch: ARGV new ttl seconds or 0 to keep it; returns {now, ttl ms}
local m, e = load_meta('ttl')
if not m then return e end
local ttl = tonumber(m[2])
if tonumber(ARGV[1]) > 0 then
  ttl = tonumber(ARGV[1])
  redis.call('HSET', KEYS[1], 'ttl', ttl)
end
local now = now_ms()
expire_all(ttl * 1000, now)
return {now, ttl * 1000}

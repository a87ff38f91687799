-- touch: ARGV new ttl seconds or 0 to keep it; returns {now, ttl ms}
local _, e = check_call(4, 1)
if e then return e end
local ttl
ttl, e = int_arg(ARGV[1], 'ttl (seconds, 0 keeps it)', 0, TTL_MAX)
if not ttl then return e end
local m
-- a new ttl does not read the stored one, so it can repair a damaged one
if ttl == 0 then m, e = load_meta('ttl') else m, e = load_meta() end
if not m then return e end
if ttl == 0 then
  ttl = tonumber(m[2])
else
  redis.call('HSET', KEYS[1], 'ttl', ttl)
end
local now = now_ms()
expire_all(ttl * 1000, now)
return {now, ttl * 1000}

-- touch: ARGV new ttl seconds or 0 to keep it; returns {now, ttl ms}
local id, e = check_call(8, 1)
if not id then return e end
do local refused = acl_refused(nil, 'hset', 'pexpire', 'rpush', 'zadd') if refused then return refused end end
local ttl
ttl, e = int_arg(ARGV[1], 'ttl (seconds, 0 keeps it)', 0, TTL_MAX)
if not ttl then return e end
local m
-- a new ttl does not read the stored one, so it can repair a damaged one
if ttl == 0 then
  m, e = load_meta(S_F_SEQ, S_F_CHAIN, S_F_TTL)
else
  m, e = load_meta(S_F_SEQ, S_F_CHAIN)
end
if not m then return e end
if ttl == 0 then ttl = tonumber(m[4]) end
do local refused = acl_keys_refused('zadd', {KEYS[6]}) if refused then return refused end end
local now = now_ms()
local chain = record(m[3], 'touch', tonumber(m[2]), now, '"ttl":' .. num(ttl))
redis.call('HSET', KEYS[1], S_F_TTL, ttl, S_F_CHAIN, chain)
expire_all(ttl * 1000, now)
redis.call('ZADD', KEYS[6], expiry_of(now, ttl * 1000), id)
return {now, ttl * 1000}

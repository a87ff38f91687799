-- complete: returns {1 if it completed now, 0 if it already was, seq, now}
local _, e = check_call(8, 0)
if e then return e end
do local refused = acl_refused(nil, 'hset', 'rpush', 'hincrby') if refused then return refused end end
local m
m, e = load_meta(S_F_STATE, S_F_SEQ, S_F_CHAIN)
if not m then return e end
do local refused = acl_keys_refused('hincrby', {KEYS[7]}) if refused then return refused end end
local now = now_ms()
local seq = tonumber(m[3])
if m[2] == S_COMPLETED then return {0, seq, now} end
local chain = record(m[4], 'complete', seq, now, '')
redis.call('HSET', KEYS[1], S_F_STATE, S_COMPLETED, S_F_UPDATED, now, S_F_CHAIN, chain)
redis.call('HINCRBY', KEYS[7], S_STAT_COMPLETED, 1)
return {1, seq, now}

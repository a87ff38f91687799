-- complete: returns {1 if it completed now, 0 if it already was, seq, now}
local _, e = check_call(4, 0)
if e then return e end
local m
m, e = load_meta('state', 'seq')
if not m then return e end
local now = now_ms()
if m[2] == 'completed' then return {0, tonumber(m[3]), now} end
redis.call('HSET', KEYS[1], 'state', 'completed', 'updated', now)
return {1, tonumber(m[3]), now}

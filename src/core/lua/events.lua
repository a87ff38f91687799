-- events: ARGV from seq, to seq (0 = last), limit (0 = all)
-- returns {base, last seq, stored events...}
local m, e = load_meta('base', 'seq')
if not m then return e end
local base, last = tonumber(m[2]), tonumber(m[3])
local from = tonumber(ARGV[1])
if from <= base then from = base + 1 end
local to = tonumber(ARGV[2])
if to <= 0 or to > last then to = last end
local limit = tonumber(ARGV[3])
if limit > 0 and to - from + 1 > limit then to = from + limit - 1 end
local out = {base, last}
if from > to then return out end
local items = redis.call('LRANGE', KEYS[2], from - base - 1, to - base - 1)
for i = 1, #items do out[#out + 1] = items[i] end
return out

-- events: KEYS meta, events; ARGV from seq, to seq (0 = last), limit (0 = all)
-- returns {base, last seq, stored events...}
-- flags: no-writes (a Redis Function registered so: FCALL_RO and read-only replicas take it)
local _, e = check_call(2, 3)
if e then return e end
local from, to, limit
from, e = int_arg(ARGV[1], 'from (seq)', 0, SEQ_MAX)
if not from then return e end
to, e = int_arg(ARGV[2], 'to (seq, 0 = the last)', 0, SEQ_MAX)
if not to then return e end
limit, e = int_arg(ARGV[3], 'limit (0 = all)', 0, SEQ_MAX)
if not limit then return e end
local m
-- a read: a fenced (moved) session still answers
m, e = read_meta(false, S_F_BASE, S_F_SEQ)
if not m then return e end
local base, last = tonumber(m[2]), tonumber(m[3])
if from <= base then from = base + 1 end
if to <= 0 or to > last then to = last end
if limit > 0 and to - from + 1 > limit then to = from + limit - 1 end
local out = {base, last}
if from > to then return out end
local items = redis.call('LRANGE', KEYS[2], from - base - 1, to - base - 1)
for i = 1, #items do out[#out + 1] = items[i] end
return out

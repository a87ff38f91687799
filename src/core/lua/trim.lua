-- trim: KEYS meta, events, checkpoints; ARGV max events to keep;
-- returns {events trimmed, new base}
-- Before events go, a checkpoint at or past the new base keeps replay possible.
local _, e = check_call(3, 1)
if e then return e end
local max
max, e = int_arg(ARGV[1], 'max (events to keep)', 0, MAX_EVENTS_MAX)
if not max then return e end
local m
m, e = load_meta('base', 'seq', 'lastcp', 'state', unpack(CP_FIELDS))
if not m then return e end
local base, seq = tonumber(m[2]), tonumber(m[3])
local excess = (seq - base) - max
if max <= 0 or excess <= 0 then return {0, base} end
local newbase = base + excess
if tonumber(m[4] or 0) < newbase then checkpoint('trim', now_ms(), seq) end
redis.call('LTRIM', KEYS[2], excess, -1)
redis.call('HSET', KEYS[1], 'base', newbase)
return {excess, newbase}

-- trim: KEYS meta, events, checkpoints, eventids, history; ARGV max events
-- to keep; returns {events trimmed, new base}
-- Before events go, a checkpoint at or past the new base keeps replay
-- possible (the history, which is small, is kept whole).
local _, e = check_call(5, 1)
if e then return e end
do local refused = acl_refused(nil, 'hset', 'ltrim', 'pexpire', 'rpush') if refused then return refused end end
local max
max, e = int_arg(ARGV[1], 'max (events to keep)', 0, MAX_EVENTS_MAX)
if not max then return e end
local names = {S_F_BASE, S_F_SEQ, S_F_LASTCP, S_F_STATE, unpack(CP_FIELDS)}
local m
m, e = load_meta(unpack(names))
if not m then return e end
local meta = by_name(m, names)
local base, seq = tonumber(meta[S_F_BASE]), tonumber(meta[S_F_SEQ])
local excess = (seq - base) - max
if max <= 0 or excess <= 0 then return {0, base} end
local newbase = base + excess
local now = now_ms()
local chain = meta[S_F_CHAIN]
if tonumber(meta[S_F_LASTCP] or 0) < newbase then
  _, chain = checkpoint('trim', now, seq, meta[S_F_STATE], meta, chain)
end
chain = record(chain, 'trim', seq, now, '"base":' .. num(newbase))
redis.call('LTRIM', KEYS[2], excess, -1)
redis.call('HSET', KEYS[1], S_F_BASE, newbase, S_F_CHAIN, chain)
return {excess, newbase}

-- checkpoint: ARGV reason; returns {checkpoint number, seq, now}
local _, e = check_call(4, 1)
if e then return e end
local reason = ARGV[1]
if #reason < 1 or #reason > REASON_MAX or string.find(reason, '%c') then
  return badarg(string.format('reason must be 1 to %d bytes without control characters, not %s',
    REASON_MAX, shown(reason)))
end
local m
m, e = load_meta('seq', 'state', unpack(CP_FIELDS))
if not m then return e end
local now = now_ms()
local seq = tonumber(m[2])
return {checkpoint(reason, now, seq), seq, now}

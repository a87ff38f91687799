-- checkpoint: ARGV reason; returns {checkpoint number, seq, now}
local _, e = check_call(5, 1)
if e then return e end
do local refused = acl_refused(nil, 'hset', 'pexpire', 'rpush') if refused then return refused end end
local reason = ARGV[1]
if #reason < 1 or #reason > REASON_MAX or string.find(reason, '%c') then
  return badarg(string.format('reason must be 1 to %d bytes without control characters, not %s',
    REASON_MAX, shown(reason)))
end
local names = {S_F_SEQ, S_F_STATE, unpack(CP_FIELDS)}
local m
m, e = load_meta(unpack(names))
if not m then return e end
local meta = by_name(m, names)
local now = now_ms()
local seq = tonumber(meta[S_F_SEQ])
local n = checkpoint(reason, now, seq, meta[S_F_STATE], meta, meta[S_F_CHAIN])
return {n, seq, now}

-- checkpoint: ARGV reason; returns {checkpoint number, seq, now}
local m, e = load_meta('seq')
if not m then return e end
local now = now_ms()
local seq = tonumber(m[2])
return {checkpoint(ARGV[1], now, seq), seq, now}

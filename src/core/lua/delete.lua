-- delete: returns the agents that were members (to clean their indexes)
local _, e = check_call(5, 0)
if e then return e end
local m
m, e = load_meta(S_F_STATE)
if not m then return e end
local agents = members()
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return agents

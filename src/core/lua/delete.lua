-- delete: returns the agents that were members (to clean their indexes)
local _, e = check_call(4, 0)
if e then return e end
local m
m, e = load_meta('state')
if not m then return e end
local h = redis.call('HKEYS', KEYS[1])
local agents = {}
for i = 1, #h do
  if string.sub(h[i], 1, 6) == 'agent:' then agents[#agents + 1] = string.sub(h[i], 7) end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return agents

-- delete: the session's keys, its index entries and a count of it;
-- returns the agents that were members
local id, e = check_call(8, 0)
if not id then return e end
do local refused = acl_refused(nil, 'del', 'zrem', 'hincrby') if refused then return refused end end
local m
m, e = load_meta(S_F_STATE)
if not m then return e end
local agents = members()
do
  local keys = {KEYS[6]}
  for i = 1, #agents do keys[#keys + 1] = agent_key(agents[i]) end
  local refused = acl_keys_refused('zrem', keys) or acl_keys_refused('hincrby', {KEYS[7]})
  if refused then return refused end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('ZREM', KEYS[6], id)
for i = 1, #agents do redis.call('ZREM', agent_key(agents[i]), id) end
redis.call('HINCRBY', KEYS[7], S_STAT_DELETED, 1)
return agents

-- join: ARGV agent-field; returns {1 if newly joined else 0, agents, now, ttl ms}
local id, e = check_call(8, 1)
if not id then return e end
do local refused = acl_refused(nil, 'hset', 'hincrby', 'pexpire', 'rpush', 'zadd') if refused then return refused end end
local agent
agent, e = agent_arg(ARGV[1])
if not agent then return e end
local m
m, e = load_meta(S_F_STATE, S_F_TTL, S_F_AGENTS, S_F_SEQ, S_F_CHAIN, ARGV[1])
if not m then return e end
if m[2] == S_COMPLETED then
  return redis.error_reply('SESSCOMPLETED session is completed; agents cannot join it')
end
do local refused = acl_keys_refused('zadd', {KEYS[6], agent_key(agent), KEYS[8]}) if refused then return refused end end
local now = now_ms()
local ttl = tonumber(m[3]) * 1000
if m[7] then return {0, tonumber(m[4]), now, ttl} end
local chain = record(m[6], 'join', tonumber(m[5]), now, '"a":"' .. agent .. '"')
redis.call('HSET', KEYS[1], ARGV[1], now, S_F_UPDATED, now, S_F_CHAIN, chain)
local n = redis.call('HINCRBY', KEYS[1], S_F_AGENTS, 1)
expire_all(ttl, now)
local at = expiry_of(now, ttl)
redis.call('ZADD', KEYS[6], 'XX', at, id)
redis.call('ZADD', agent_key(agent), at, id)
redis.call('ZADD', KEYS[8], now, agent)
return {1, n, now, ttl}

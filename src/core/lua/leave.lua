-- leave: ARGV agent-field, grace seconds; returns {agents left, now, ttl ms}
-- The last agent leaving puts the whole session on the grace TTL.
local id, e = check_call(8, 2)
if not id then return e end
do local refused = acl_refused(nil, 'hdel', 'hset', 'pexpire', 'rpush', 'zadd', 'zrem') if refused then return refused end end
local agent
agent, e = agent_arg(ARGV[1])
if not agent then return e end
local grace
grace, e = int_arg(ARGV[2], 'grace ttl (seconds)', 1, TTL_MAX)
if not grace then return e end
local m
m, e = load_meta(S_F_TTL, S_F_AGENTS, S_F_SEQ, S_F_CHAIN, ARGV[1])
if not m then return e end
if not m[6] then
  return redis.error_reply('SESSNOTMEMBER agent is not a member of this session')
end
do
  local refused = acl_keys_refused('zadd', {KEYS[6]}) or acl_keys_refused('zrem', {agent_key(agent)})
  if refused then return refused end
end
local now = now_ms()
local n = tonumber(m[3]) - 1
local ttl = tonumber(m[2]) * 1000
if n <= 0 then ttl = grace * 1000 end
local chain = record(m[5], 'leave', tonumber(m[4]), now, '"a":"' .. agent .. '"')
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], S_F_UPDATED, now, S_F_AGENTS, n, S_F_CHAIN, chain)
expire_all(ttl, now)
redis.call('ZADD', KEYS[6], 'XX', expiry_of(now, ttl), id)
redis.call('ZREM', agent_key(agent), id)
return {n, now, ttl}

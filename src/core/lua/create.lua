-- create: KEYS meta, events, checkpoints, eventids, history, then the
-- companions index, stats, agents; ARGV agent-field, agent, ttl seconds,
-- metadata JSON or ''
-- returns {created ms, ttl ms}
local id, e = check_call(8, 4)
if not id then return e end
do local refused = acl_refused(nil, 'del', 'hset', 'pexpire', 'rpush', 'zadd', 'hincrby') if refused then return refused end end
local agent
agent, e = agent_arg(ARGV[1])
if not agent then return e end
if agent ~= ARGV[2] then
  return badarg('agent ' .. shown(ARGV[2]) .. ' does not match its field ' .. shown(ARGV[1]))
end
local ttl
ttl, e = int_arg(ARGV[3], 'ttl (seconds)', 1, TTL_MAX)
if not ttl then return e end
do
  local refused = acl_keys_refused('zadd', {KEYS[6], agent_key(agent), KEYS[8]}) or
    acl_keys_refused('hincrby', {KEYS[7]})
  if refused then return refused end
end
if ARGV[4] ~= '' and not is_object_json(ARGV[4], true) then
  return badarg('metadata must be a JSON object that names each key once in each object, with decimal numbers, or empty, not ' ..
    shown(ARGV[4]))
end
-- a fenced server (sess-migrate sync --cutover) takes no new session: the
-- fence is a companion of the session's slot (one on a standalone server)
local fence = redis.call('GET', COMP .. S_KEY_FENCE)
if fence then
  return redis.error_reply('SESSMOVED ' .. fence)
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('SESSEXISTS a session with this id already exists')
end
-- leftovers of a session that expired (or was trimmed) under this id:
-- a new history starts clean
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
local now = now_ms()
local rest = '"a":"' .. agent .. '","ttl":' .. num(ttl)
if ARGV[4] ~= '' then rest = rest .. ',"m":' .. ARGV[4] end
local chain = record('', 'create', 0, now, rest)
redis.call('HSET', KEYS[1], S_F_VERSION, S_LAYOUT, S_F_STATE, S_WORKING, S_F_CREATED, now,
  S_F_UPDATED, now, S_F_SEQ, 0, S_F_BASE, 0, S_F_TTL, ttl, S_F_AGENTS, 1,
  S_F_CREATOR, agent, S_F_CPS, 0, S_F_LASTCP, 0, S_F_REF, now, S_F_CHAIN, chain, ARGV[1], now)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], S_F_METADATA, ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ttl * 1000)
redis.call('PEXPIRE', KEYS[5], ttl * 1000)
local at = expiry_of(now, ttl * 1000)
redis.call('ZADD', KEYS[6], at, id)
redis.call('ZADD', agent_key(agent), at, id)
redis.call('ZADD', KEYS[8], now, agent)
redis.call('HINCRBY', KEYS[7], S_STAT_SESSIONS, 1)
return {now, ttl * 1000}

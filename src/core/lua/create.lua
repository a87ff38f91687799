-- create: KEYS meta; ARGV agent-field, agent, ttl seconds, metadata JSON or ''
-- returns {created ms, ttl ms}
local _, e = check_call(1, 4)
if e then return e end
local agent
agent, e = agent_arg(ARGV[1])
if not agent then return e end
if agent ~= ARGV[2] then
  return badarg('agent ' .. shown(ARGV[2]) .. ' does not match its field ' .. shown(ARGV[1]))
end
local ttl
ttl, e = int_arg(ARGV[3], 'ttl (seconds)', 1, TTL_MAX)
if not ttl then return e end
if ARGV[4] ~= '' and not is_object_json(ARGV[4]) then
  return badarg('metadata must be a JSON object or empty, not ' .. shown(ARGV[4]))
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('SESSEXISTS a session with this id already exists')
end
local now = now_ms()
redis.call('HSET', KEYS[1], 'v', '1', 'state', 'working', 'created', now,
  'updated', now, 'seq', 0, 'base', 0, 'ttl', ttl, 'agents', 1,
  'creator', ARGV[2], 'cps', 0, 'lastcp', 0, 'ref', now, ARGV[1], now)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'metadata', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ttl * 1000)
return {now, ttl * 1000}

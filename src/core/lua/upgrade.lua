-- upgrade: bring one session of an earlier layout (2 or 1) to this one, in
-- place, with its entries in its companion keys (KEYS 6-8: index, stats,
-- agents); returns {1 if upgraded now, 0 if it already was}.
-- Layout 2 differs only in where the index and agent indexes are: the
-- session's keys stay as they are and its history goes on (the upgrade is
-- no change to the session, so it leaves no record).
-- Layout 1 kept no history: the lifecycle before this point is unknown and
-- is not invented. The session's state now is the upgrade record's
-- snapshot, from which a history can be folded forward, and the chain
-- starts at that record (events before it are kept but not chained).
local id, e = check_call(8, 0)
if not id then return e end
do local refused = acl_refused(nil, 'del', 'hset', 'pexpire', 'rpush', 'zadd') if refused then return refused end end
local v = redis.call('HGET', KEYS[1], S_F_VERSION)
if not v then return redis.error_reply('SESSNOTFOUND session not found') end
if v == S_LAYOUT then return {0} end
if v ~= S_LAYOUT_PREV and v ~= S_LAYOUT_OLD then
  return redis.error_reply('SESSLAYOUT session has layout version ' .. v)
end
-- its entries in the companions: the index and each member's index by
-- its expiry, the registry by the latest join it knows. Read here, before
-- the first write (the upgrade changes neither); written by index_it.
local now0 = now_ms()
-- the keys' own expiry (PEXPIRETIME, Redis 7; before it the clock and
-- PTTL, within a millisecond; a key without a TTL: the far expiry
-- maintenance gives it)
local exp = redis.pcall('PEXPIRETIME', KEYS[1])
if type(exp) ~= 'number' then
  local pt = redis.call('PTTL', KEYS[1])
  exp = pt > 0 and now0 + pt or (pt == -1 and S_NO_EXPIRY or now0)
elseif exp == -1 then
  exp = S_NO_EXPIRY
elseif exp <= 0 then
  exp = now0
end
local joins = {}
do
  local h = redis.call('HGETALL', KEYS[1])
  for i = 1, #h, 2 do
    if string.sub(h[i], 1, S_F_AGENT_PREFIX_LEN) == S_F_AGENT_PREFIX then
      local agent = string.sub(h[i], S_F_AGENT_PREFIX_LEN + 1)
      local at = tonumber(h[i + 1]) or now0
      local was = tonumber(redis.call('ZSCORE', KEYS[8], agent) or -1)
      joins[#joins + 1] = {agent, at, was}
    end
  end
end
local function index_it()
  redis.call('ZADD', KEYS[6], exp, id)
  for i = 1, #joins do
    redis.call('ZADD', agent_key(joins[i][1]), exp, id)
    if joins[i][2] > joins[i][3] then redis.call('ZADD', KEYS[8], joins[i][2], joins[i][1]) end
  end
end
do
  local keys = {KEYS[6], KEYS[8]}
  local ms = members()
  for i = 1, #ms do keys[#keys + 1] = agent_key(ms[i]) end
  local refused = acl_keys_refused('zadd', keys)
  if refused then return refused end
end
if v == S_LAYOUT_PREV then
  index_it()
  redis.call('HSET', KEYS[1], S_F_VERSION, S_LAYOUT)
  return {1}
end
local names = {S_F_STATE, S_F_SEQ, S_F_BASE, S_F_TTL, S_F_AGENTS, S_F_CREATED, S_F_CREATOR,
  S_F_METADATA}
local got = redis.call('HMGET', KEYS[1], unpack(names))
for i = 1, #names do
  e = check_stored(names[i], got[i])
  if e then return e end
end
local meta = {}
for i = 1, #names do meta[names[i]] = got[i] end
-- the metadata is copied into the upgrade record: a key named twice there
-- would read one way in Lua and another in C (prelude: json_problem)
if meta[S_F_METADATA] and not is_object_json(meta[S_F_METADATA], true) then
  return badarg('stored field metadata of ' .. KEYS[1] .. ' names a key twice or holds what is no JSON; the session is damaged')
end
local agents = members()
local seq = tonumber(meta[S_F_SEQ])
local now = now_ms()
local rest = '"from":"' .. v .. '","state":"' .. meta[S_F_STATE] .. '","creator":"' ..
  meta[S_F_CREATOR] .. '","created":' .. num(tonumber(meta[S_F_CREATED])) .. ',"ttl":' ..
  num(tonumber(meta[S_F_TTL])) .. ',"base":' .. num(tonumber(meta[S_F_BASE])) .. ',"agents":' ..
  (#agents > 0 and cjson.encode(agents) or '[]')
if meta[S_F_METADATA] then rest = rest .. ',"m":' .. meta[S_F_METADATA] end
redis.call('DEL', KEYS[5])
local chain = record('', 'upgrade', seq, now, rest)
redis.call('HSET', KEYS[1], S_F_VERSION, S_LAYOUT, S_F_CHAIN, chain)
local pt = redis.call('PTTL', KEYS[1])
if pt > 0 then redis.call('PEXPIRE', KEYS[5], pt) end
index_it()
return {1}

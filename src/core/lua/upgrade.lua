-- upgrade: bring one session of the previous layout (1) to this one, in
-- place; returns {1 if upgraded now, 0 if it already was}.
-- Layout 1 kept no history: the lifecycle before this point is unknown and
-- is not invented. The session's state now is the upgrade record's
-- snapshot, from which a history can be folded forward, and the chain
-- starts at that record (events before it are kept but not chained).
local _, e = check_call(5, 0)
if e then return e end
do local refused = acl_refused(nil, 'del', 'hset', 'pexpire', 'rpush') if refused then return refused end end
local v = redis.call('HGET', KEYS[1], S_F_VERSION)
if not v then return redis.error_reply('SESSNOTFOUND session not found') end
if v == S_LAYOUT then return {0} end
if v ~= S_LAYOUT_PREV then
  return redis.error_reply('SESSLAYOUT session has layout version ' .. v)
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
return {1}

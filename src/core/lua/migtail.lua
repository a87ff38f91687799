-- migtail: the new end of a session arrives on a live-sync target, where
-- an older copy of it is (sess-migrate sync; src/core/msync.h documents
-- the call). Only what the target lacks is sent: the events after its
-- seq and the history records after its last one; the small hashes (meta,
-- checkpoints) whole, the event ids after its seq.
-- KEYS: the session's meta, events, checkpoints, eventids, history.
-- ARGV: the target's chain head h and seq and history length as the
-- caller read them, the source's expire-at ms (0 = none), then five parts,
-- each a count and that many items: meta field/value pairs, new events,
-- new history records, checkpoint pairs, new event id pairs.
-- Returns {'appended', events, records}, {'stale', why} (the target is not
-- where the caller read it, or the new records do not extend its chain to
-- the source's head: the caller copies the session whole instead; nothing
-- was written) or {'expired', ''}.
-- All is checked, the chain recomputed, before the first write.
local _, e = check_call(5, nil)
if e then return e end
do local refused = acl_refused(nil, 'rpush', 'del', 'hset', 'hdel', 'pexpireat', 'persist') if refused then return refused end end
if #ARGV < 9 then return badarg('expects at least 9 arguments, got ' .. #ARGV) end
local th = ARGV[1]
local tseq, thlen, at
tseq, e = int_arg(ARGV[2], 'target seq', 0, SEQ_MAX)
if not tseq then return e end
thlen, e = int_arg(ARGV[3], 'target history length', 0, SEQ_MAX)
if not thlen then return e end
at, e = int_arg(ARGV[4], 'expire-at (ms)', 0, SEQ_MAX)
if not at then return e end
local NAMES = {'meta pairs', 'events', 'history records', 'checkpoint pairs', 'event id pairs'}
local part, pos = {}, 5
for g = 1, 5 do
  local n
  n, e = int_arg(ARGV[pos], 'count of ' .. NAMES[g], 0, #ARGV - pos)
  if not n then return e end
  if (g == 1 or g == 4 or g == 5) and n % 2 == 1 then
    return badarg(NAMES[g] .. ' must come in pairs, got ' .. n .. ' items')
  end
  part[g] = {pos + 1, n}
  pos = pos + 1 + n
end
if pos ~= #ARGV + 1 then
  return badarg(string.format('the parts hold %d arguments, got %d', pos - 1, #ARGV))
end
local meta = {}
for i = part[1][1], part[1][1] + part[1][2] - 1, 2 do meta[ARGV[i]] = ARGV[i + 1] end
if meta[S_F_VERSION] ~= S_LAYOUT then
  return badarg('the source meta has layout ' .. shown(meta[S_F_VERSION]) .. ', not ' .. S_LAYOUT)
end
local sh, sseq = meta[S_F_CHAIN], is_whole(meta[S_F_SEQ], 0, SEQ_MAX)
if not sh or not sseq then return badarg('the source meta lacks its chain head or seq') end
-- (the source may have moved on, or trimmed, between the caller's reads)
if sseq - tseq ~= part[2][2] then
  return {'stale', string.format('%d new events do not lead from seq %d to %d', part[2][2], tseq, sseq)}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if at > 0 and at <= now then return {'expired', ''} end
-- the target must still be where the caller read it
local cur = redis.call('HMGET', KEYS[1], S_F_CHAIN, S_F_SEQ)
if cur[1] ~= th or tonumber(cur[2] or -1) ~= tseq or redis.call('LLEN', KEYS[5]) ~= thlen then
  return {'stale', 'the target changed since it was read'}
end
-- the chain: the target's head extended by the new records, in the order
-- they were made (event N, then the records at N), must be the source's
local c, j, hend = th, part[3][1], part[3][1] + part[3][2]
-- A record's "at", read by its structure (its members in any order, an
-- "at" nested in another member not taken for it); nil when it is no JSON
-- object the C readers read alike (json_problem), or its "at" is no seq
-- as they read it (sess_fold_record_at: the member whose key is the bytes
-- at, its value digits only). cjson also takes "at":1.0, 1e0 and a key
-- "\u0061t": a text with an escape, or a number with a fraction or
-- exponent, is read again with the escapes made plain bytes (__) and
-- every value but a whole number null, and must give the same "at".
local function not_whole(tok)
  if not string.find(tok, '^%-?%d+$') then return 'null' end
end
local function record_at(text)
  if string.sub(text, 1, 1) ~= '{' then return nil end
  local ok, t = pcall(cjson.decode, text)
  if not ok or type(t) ~= 'table' or json_problem(text, t) then return nil end
  local a = t.at
  if type(a) ~= 'number' or a < 0 or a > SEQ_MAX or a ~= math.floor(a) then return nil end
  if string.find(text, '\\', 1, true) or string.find(string.gsub(text, '"[^"]*"', ''), '%d[.eE]') then
    local plain = string.gsub(string.gsub(text, '\\.', '__'), '("[^"]*")([^"]*)',
      function(s, rest) return s .. string.gsub(rest, '[^%s%[%]{}:,]+', not_whole) end)
    ok, t = pcall(cjson.decode, plain)
    if not ok or t.at ~= a then return nil end
  end
  return a
end
local function records_upto(seq)
  while j < hend do
    local a = record_at(ARGV[j])
    if not a then return false end
    if a > seq then return true end
    c = redis.sha1hex(c .. ARGV[j])
    j = j + 1
  end
  return true
end
local ok = records_upto(tseq)
for i = 0, part[2][2] - 1 do
  if not ok then break end
  c = redis.sha1hex(c .. ARGV[part[2][1] + i])
  ok = records_upto(tseq + i + 1)
end
if not ok or j < hend or c ~= sh then
  return {'stale', 'the new records do not extend the target\'s chain to the source\'s head'}
end
-- (unpack takes a few thousand values at most: write in slices)
local function put(cmd, key, p, pairs)
  local first, n = p[1], p[2]
  local k = 0
  while k < n do
    local m = math.min(n - k, 512)
    redis.call(cmd, key, unpack(ARGV, first + k, first + k + m - 1))
    k = k + m
  end
end
put('RPUSH', KEYS[2], part[2])
put('RPUSH', KEYS[5], part[3])
redis.call('DEL', KEYS[1], KEYS[3])
put('HSET', KEYS[1], part[1])
-- the fence is the source server's state, not the session's
redis.call('HDEL', KEYS[1], S_F_MOVED)
put('HSET', KEYS[3], part[4])
put('HSET', KEYS[4], part[5])
for i = 1, 5 do
  if at > 0 then redis.call('PEXPIREAT', KEYS[i], at) else redis.call('PERSIST', KEYS[i]) end
end
return {'appended', part[2][2], part[3][2]}

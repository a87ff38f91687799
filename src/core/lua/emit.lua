-- emit: one or more events into one session, in order, as if each were its
-- own call (the script is atomic), with the fixed costs paid once.
-- ARGV: checkpoint interval, failure snapshots (1/0), session channel, id,
-- then two per event: expected seq ('' = any), body.
-- body is the stored event's JSON after its opening brace: its type (t),
-- actor (a), transition (st: from, to) and event id (eid) say what the
-- event does, so the log holds what was checked and nothing says it twice.
-- seq and timestamp are assigned here, so they are contiguous and never
-- reused. Each stored event extends the hash chain. The call publishes
-- once on the session's channel: the id, then each stored event, each
-- after a newline (a stored event is one line: JSON escapes newlines, and
-- a body with a raw one is refused).
-- returns {now, ttl ms, then four per event: seq, duplicate 1/0, state,
-- checkpoint number or 0}; a refused event's four are its error and three
-- zeros. (Flat: a table per event costs the reply twice as much.)
-- This is the hot path: every redis.call costs about a microsecond, so it
-- works in two passes: the first reads, checks every argument and works
-- out every outcome, stored text and chain link; the second writes them,
-- one call per key (the log, the checkpoints, the history, the meta).
local id, e = check_call(8, nil)
if not id then return e end
local PER = 2
local n = (#ARGV - 4) / PER
if n < 1 or n ~= math.floor(n) then
  return badarg(string.format('expects 4 arguments and then %d per event, got %d', PER, #ARGV))
end
local interval
interval, e = int_arg(ARGV[1], 'checkpoint interval', 0, INTERVAL_MAX)
if not interval then return e end
if ARGV[2] ~= '0' and ARGV[2] ~= '1' then
  return badarg('failure snapshots must be 1 or 0, not ' .. shown(ARGV[2]))
end
local session_base = string.sub(KEYS[1], 1, -(#S_KEY_META + 2))
if ARGV[3] ~= session_base .. ':' .. S_KEY_NOTIFY then
  return badarg('channel must be the session\'s ' .. session_base .. ':' .. S_KEY_NOTIFY ..
    ', not ' .. shown(ARGV[3]))
end
if ARGV[4] ~= id then
  return badarg('session id ' .. shown(ARGV[4]) .. ' is not the keys\' ' .. shown(id))
end

-- One event: its expected seq, and its body, which must decode ('{' ..
-- body) to an object with a type, an actor, an optional transition and
-- event id of the right shapes, without s or ts, on one line. Then
-- '{"s":SEQ,"ts":MS,' .. body is that object with s and ts added (it has
-- a member, t, so the comma is right). A group repeats its actors and
-- types: each is checked once per call. Returns the event's type, actor,
-- from, to ('' without a transition), event id ('' for none).
local actor_ok, type_ok = {}, {}
local i, body -- the event check_event is at, for bad()
-- the bodies as decoded texts, and the object members cjson found in
-- them: text_problem checks them all at once after pass 0
local texts, nmembers = {}, 0
local function bad(what)
  return badarg(string.format('event %d: %s; the body is the stored event after its opening brace, ' ..
    'on one line, without s or ts, not %s', i, what, shown(body)))
end
local function check_event(expect)
  local text = '{' .. body
  local ok, ev = pcall(cjson.decode, text)
  if not ok or type(ev) ~= 'table' then return bad('body is not a JSON object') end
  if string.find(body, '\n', 1, true) then return bad('body has a raw newline') end
  texts[#texts + 1] = text
  nmembers = nmembers + count_members(ev)
  if ev.s ~= nil or ev.ts ~= nil then return bad('body carries s or ts, which the server assigns') end
  local typ, agent, st, eid = ev.t, ev.a, ev.st, ev.eid
  if not (type(typ) == 'string' and type_ok[typ]) then
    if type(typ) ~= 'string' or #typ > TYPE_MAX or not string.find(typ, '^%a[%w_.%-]*$') then
      return bad(string.format('type (t) must be 1 to %d of A-Z a-z (then 0-9 _ - .), not %s',
        TYPE_MAX, shown(typ)))
    end
    type_ok[typ] = true
  end
  if not (type(agent) == 'string' and actor_ok[agent]) then
    if not is_id(agent) then return bad('actor (a) must be a valid agent id, not ' .. shown(agent)) end
    actor_ok[agent] = true
  end
  local from, to = '', ''
  if st ~= nil then
    if type(st) ~= 'table' or not (STATES[st.from] and STATES[st.to]) then
      return bad('transition (st) must have from and to, each working, broken or completed')
    end
    from, to = st.from, st.to
  end
  if eid == nil then
    eid = ''
  elseif not is_id(eid) then
    return bad('event id (eid) must be a valid id, not ' .. shown(eid))
  end
  if expect ~= '' and not is_whole(expect, 0, SEQ_MAX) then
    return badarg(string.format('event %d: expected seq must be empty or a whole number from 0 to %d, not %s',
      i, SEQ_MAX, shown(expect)))
  end
  return nil, typ, agent, from, to, eid
end

-- pass 0: every event checked, and what the reads need (each actor's
-- membership field once, the event ids); evs holds what each event's
-- body said: type, actor, from, to, event id (five values per event)
local evs, fields, field_of, eids = {}, {S_F_STATE, S_F_SEQ, S_F_REF, unpack(CP_FIELDS)}, {}, {}
for k = 1, n do
  local a = 5 + (k - 1) * PER
  local typ, agent, from, to, eid
  i, body = k, ARGV[a + 1]
  e, typ, agent, from, to, eid = check_event(ARGV[a])
  if e then return e end
  local b = (k - 1) * 5
  evs[b + 1], evs[b + 2], evs[b + 3], evs[b + 4], evs[b + 5] = typ, agent, from, to, eid
  if not field_of[agent] then
    fields[#fields + 1] = S_F_AGENT_PREFIX .. agent
    field_of[agent] = #fields
  end
  if eid ~= '' then eids[#eids + 1] = eid end
end
-- what the C readers would read otherwise (a key twice, a number cjson
-- alone takes): one pass over all the bodies; the event it is in is
-- looked for only when there is one
if text_problem(table.concat(texts, "\n"), nmembers) then
  for k = 1, n do
    i, body = k, ARGV[5 + (k - 1) * PER + 1]
    local problem = json_problem(texts[k], cjson.decode(texts[k]))
    if problem then return bad('body ' .. problem) end
  end
end
local m
m, e = load_meta(unpack(fields))
if not m then return e end
local meta = META_BY_NAME
-- ids seen before: stored ones, then the ones stored by this call
local known = {}
if #eids > 0 then
  local got = redis.call('HMGET', KEYS[4], unpack(eids))
  for i = 1, #eids do if got[i] then known[eids[i]] = tonumber(got[i]) end end
end
local state0 = meta[S_F_STATE]
local state, seq = state0, tonumber(meta[S_F_SEQ])
local chain = meta[S_F_CHAIN]
local ttl = tonumber(meta[S_F_TTL])
local snap = ARGV[2] == '1'
local chan = ARGV[3]
do
  local refused = acl_refused(chan, 'rpush', 'hset', 'pexpire', 'publish', 'zadd', 'hincrby') or
    acl_keys_refused('zadd', {KEYS[6]}) or acl_keys_refused('hincrby', {KEYS[7]})
  if refused then return refused end
end
local now = now_ms()
local out = {now, ttl * 1000}
local log, newids, cps, hist, types = {}, {}, {}, {}, {}
local first_cp, last_cp_seq, agents = nil, nil, nil
local prefix, mid = '{"s":', ',"ts":' .. num(now) .. ','
-- pass 1: outcomes, texts and chain links; no writes
for i = 1, n do
  local a, b = 5 + (i - 1) * PER, (i - 1) * 5
  local typ, agent, from, to, eid, expect, body =
    evs[b + 1], evs[b + 2], evs[b + 3], evs[b + 4], evs[b + 5], ARGV[a], ARGV[a + 1]
  local r, o = nil, 2 + (i - 1) * 4
  if state == S_COMPLETED then
    r = redis.error_reply('SESSCOMPLETED session is completed; it takes no more events')
  elseif not m[1 + field_of[agent]] then
    r = redis.error_reply('SESSNOTMEMBER actor is not a member of this session; join it first')
  elseif eid ~= '' and known[eid] then
    out[o + 1], out[o + 2], out[o + 3], out[o + 4] = known[eid], 1, state, 0
    r = true
  elseif expect ~= '' and tonumber(expect) ~= seq then
    r = redis.error_reply('SESSSEQ expected the last seq to be ' .. expect ..
      ' but it is ' .. num(seq))
  elseif from ~= '' and from ~= state then
    r = redis.error_reply('SESSSTATE the transition starts from ' .. from ..
      ' but the session is ' .. state)
  end
  if r then
    if r ~= true then out[o + 1], out[o + 2], out[o + 3], out[o + 4] = r, 0, 0, 0 end
  else
    seq = seq + 1
    local ev = prefix .. num(seq) .. mid .. body
    log[#log + 1] = ev
    if not types[typ] then types[#types + 1] = typ; types[typ] = 0 end
    types[typ] = types[typ] + 1
    chain = redis.sha1hex(chain .. ev)
    if to ~= '' then state = to end
    if eid ~= '' then
      known[eid] = seq
      newids[#newids + 1] = eid
      newids[#newids + 1] = seq
    end
    local cp, reason = 0, nil
    if snap and typ == 'broke' then
      reason = 'failure'
    elseif interval > 0 and seq % interval == 0 then
      reason = 'auto'
    end
    if reason then
      local cbody, rec
      agents = agents or members() -- emits change no membership
      cp, cbody, rec, chain = checkpoint_texts(reason, now, seq, state, meta, chain, agents)
      first_cp = first_cp or cp
      last_cp_seq = seq
      cps[#cps + 1] = cp
      cps[#cps + 1] = cbody
      hist[#hist + 1] = rec
    end
    out[o + 1], out[o + 2], out[o + 3], out[o + 4] = seq, 0, state, cp
  end
end
if #log == 0 then return out end
-- pass 2: the writes
local created_log = redis.call('RPUSH', KEYS[2], unpack(log)) == #log
publish(chan, id .. '\n' .. table.concat(log, '\n'))
local set = {S_F_SEQ, seq, S_F_UPDATED, now, S_F_CHAIN, chain}
if state ~= state0 then
  set[#set + 1] = S_F_STATE
  set[#set + 1] = state
end
if #cps > 0 then
  redis.call('HSET', KEYS[3], unpack(cps))
  redis.call('RPUSH', KEYS[5], unpack(hist))
  set[#set + 1] = S_F_CPS
  set[#set + 1] = meta[S_F_CPS]
  set[#set + 1] = S_F_LASTCP
  set[#set + 1] = last_cp_seq
end
redis.call('HSET', KEYS[1], unpack(set))
if #newids > 0 then redis.call('HSET', KEYS[4], unpack(newids)) end
-- the counters (the companion stats: on a cluster the slot's own); a
-- transition that completes the session counts it, as complete does
redis.call('HINCRBY', KEYS[7], S_STAT_EVENTS, #log)
if state ~= state0 and state == S_COMPLETED then
  redis.call('HINCRBY', KEYS[7], S_STAT_COMPLETED, 1)
end
for t = 1, #types do redis.call('HINCRBY', KEYS[7], S_STAT_TYPE_PREFIX .. types[t], types[types[t]]) end
-- restart the TTLs at most once a second (they are whole seconds anyway);
-- a key this call created always gets its TTL at once: a new log (the
-- first events), a new eventids hash, the checkpoints hash (it may be new)
if now - tonumber(meta[S_F_REF] or 0) >= 1000 then
  expire_all(ttl * 1000, now)
  redis.call('ZADD', KEYS[6], 'XX', expiry_of(now, ttl * 1000), id)
else
  if created_log then redis.call('PEXPIRE', KEYS[2], ttl * 1000) end
  if #newids > 0 then redis.call('PEXPIRE', KEYS[4], ttl * 1000) end
  if first_cp then expire_checkpoints() end
end
return out

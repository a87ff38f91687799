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
local id, e, session_base = check_call(8, nil)
if not id then return e end
-- the hot path's globals in locals (a function library's globals are
-- looked up through a metatable: each use costs)
local sfind, ssub, sformat, tonumber, type = string.find, string.sub, string.format, tonumber, type
local rcall, decode = redis.call, cjson.decode
local PER = 2
local n = (#ARGV - 4) / PER
if n < 1 or n ~= math.floor(n) then
  return badarg(sformat('expects 4 arguments and then %d per event, got %d', PER, #ARGV))
end
local interval
interval, e = int_arg(ARGV[1], 'checkpoint interval', 0, INTERVAL_MAX)
if not interval then return e end
local snap, chan = ARGV[2], ARGV[3]
if snap ~= '0' and snap ~= '1' then
  return badarg('failure snapshots must be 1 or 0, not ' .. shown(snap))
end
snap = snap == '1'
if chan ~= session_base .. ':' .. S_KEY_NOTIFY then
  return badarg('channel must be the session\'s ' .. session_base .. ':' .. S_KEY_NOTIFY ..
    ', not ' .. shown(chan))
end
if ARGV[4] ~= id then
  return badarg('session id ' .. shown(ARGV[4]) .. ' is not the keys\' ' .. shown(id))
end

-- pass 0: every event checked, in order, then what the reads need. Each
-- event: its expected seq, and its body, which must decode ('{' .. body)
-- to an object with a type, an actor, an optional transition and event id
-- of the right shapes, without s or ts, on one line. Then '{"s":SEQ,
-- "ts":MS,' .. body is that object with s and ts added (it has a member,
-- t, so the comma is right). A group repeats its actors and types: one
-- the event before had is not checked again. evs holds, six per event,
-- what its body said: type, actor, from, to ('' without a transition),
-- event id ('' for none), and where the HMGET below gives its actor's
-- membership field (one per actor, the first actor's at 11). No table
-- nor closure is made that a single event does not need: the first text
-- and the first actor are kept in locals.
local evs = {}
local text1, texts, nmembers = nil, nil, 0 -- the decoded texts, for text_problem
local actor1, afields, field_of = nil, nil, nil -- afields: the 2nd actor's field on
local eids -- the event ids, to look up
local last_typ, last_agent = LAST_TYPE, LAST_ACTOR
local i, body, what -- the event refused, its body, and why (bad() below)
for k = 1, n do
  local a = 5 + (k - 1) * PER
  local expect = ARGV[a]
  i, body = k, ARGV[a + 1]
  local text = '{' .. body
  local ok, ev = pcall(decode, text)
  if not ok or type(ev) ~= 'table' then what = 'body is not a JSON object' break end
  if sfind(body, '\n', 1, true) then what = 'body has a raw newline' break end
  if k == 1 then text1 = text
  else
    texts = texts or {text1}
    texts[k] = text
  end
  nmembers = nmembers + count_members(ev)
  if ev.s ~= nil or ev.ts ~= nil then what = 'body carries s or ts, which the server assigns' break end
  local typ, agent, st, eid = ev.t, ev.a, ev.st, ev.eid
  if typ ~= last_typ or type(typ) ~= 'string' then
    if type(typ) ~= 'string' or #typ > TYPE_MAX or not sfind(typ, '^%a[%w_.%-]*$') then
      what = sformat('type (t) must be 1 to %d of A-Z a-z (then 0-9 _ - .), not %s', TYPE_MAX, shown(typ))
      break
    end
    last_typ = typ
  end
  if agent ~= last_agent or type(agent) ~= 'string' then
    if not is_id(agent) then what = 'actor (a) must be a valid agent id, not ' .. shown(agent) break end
    last_agent = agent
  end
  local from, to = '', ''
  if st ~= nil then
    if type(st) ~= 'table' or not (STATES[st.from] and STATES[st.to]) then
      what = 'transition (st) must have from and to, each working, broken or completed'
      break
    end
    from, to = st.from, st.to
  end
  if eid == nil then
    eid = ''
  elseif not is_id(eid) then
    what = 'event id (eid) must be a valid id, not ' .. shown(eid)
    break
  end
  if expect ~= '' and not is_whole(expect, 0, SEQ_MAX) then
    return badarg(sformat('event %d: expected seq must be empty or a whole number from 0 to %d, not %s',
      i, SEQ_MAX, shown(expect)))
  end
  local f = 11
  if k == 1 then
    actor1 = agent
  elseif agent ~= actor1 then
    if not afields then afields, field_of = {S_F_AGENT_PREFIX .. actor1}, {} end
    f = field_of[agent]
    if not f then
      afields[#afields + 1] = S_F_AGENT_PREFIX .. agent
      f = 10 + #afields
      field_of[agent] = f
    end
  end
  if eid ~= '' then
    eids = eids or {}
    eids[#eids + 1] = eid
  end
  local b = (k - 1) * 6
  evs[b + 1], evs[b + 2], evs[b + 3], evs[b + 4], evs[b + 5], evs[b + 6] = typ, agent, from, to, eid, f
end
-- a refused event: its number, what is wrong, and its body
local BAD = 'event %d: %s; the body is the stored event after its opening brace, ' ..
  'on one line, without s or ts, not %s'
if what then return badarg(sformat(BAD, i, what, shown(body))) end
LAST_TYPE, LAST_ACTOR = last_typ, last_agent
-- what the C readers would read otherwise (a key twice, a number cjson
-- alone takes): one pass over all the bodies; the event it is in is
-- looked for only when there is one
if text_problem(texts and table.concat(texts, "\n") or text1, nmembers) then
  for k = 1, n do
    i, body = k, ARGV[5 + (k - 1) * PER + 1]
    local text = texts and texts[k] or text1
    local problem = json_problem(text, decode(text))
    if problem then return badarg(sformat(BAD, i, 'body ' .. problem, shown(body))) end
  end
end
-- the meta fields, in one HMGET after the layout version: state, seq,
-- ref, then what a checkpoint reads (CP_FIELDS), each actor's membership,
-- and the fence (as load_meta reads them: same refusals, same order)
local m
if not afields then
  m = rcall('HMGET', KEYS[1], S_F_VERSION, S_F_STATE, S_F_SEQ, S_F_REF, S_F_CPS, S_F_CREATED,
    S_F_CREATOR, S_F_TTL, S_F_METADATA, S_F_CHAIN, S_F_AGENT_PREFIX .. actor1, S_F_MOVED)
else
  afields[#afields + 1] = S_F_MOVED
  m = rcall('HMGET', KEYS[1], S_F_VERSION, S_F_STATE, S_F_SEQ, S_F_REF, S_F_CPS, S_F_CREATED,
    S_F_CREATOR, S_F_TTL, S_F_METADATA, S_F_CHAIN, unpack(afields))
end
if not m[1] then return redis.error_reply('SESSNOTFOUND session not found') end
if m[1] ~= S_LAYOUT then
  return redis.error_reply('SESSLAYOUT session has layout version ' .. m[1])
end
if m[#m] then return redis.error_reply('SESSMOVED ' .. m[#m]) end
local state0, sq, rf, cpsv, cr, who, tl, md, chain =
  m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10]
-- every field as check_stored wants it, at once: one pattern over the
-- fields that must be digits, an id and hex, each of a length that keeps
-- it in its range (seq and the like below 10^15, the TTL below 10^8 s);
-- whatever this does not pass is checked field by field as load_meta
-- does, which refuses with the same message (or takes it: the fast test
-- is only sufficient)
if not (STATES[state0] and sq and cr and who and tl and chain and #sq < 16 and
    (not rf or #rf < 16) and (not cpsv or #cpsv < 16) and #cr < 16 and #tl < 9 and
    #who <= ID_MAX and (chain == '' or #chain == 40) and
    sfind(sq .. '|' .. (rf or '0') .. '|' .. (cpsv or '0') .. '|' .. cr .. '|' .. tl .. '|' .. who ..
      '|' .. chain, '^%d+|%d+|%d+|%d+|[1-9]%d*|[%w._][%w._@:%-]*|%x*$') and
    (not md or is_object_json(md))) then
  local names = {S_F_STATE, S_F_SEQ, S_F_REF, S_F_CPS, S_F_CREATED, S_F_CREATOR, S_F_TTL,
    S_F_METADATA, S_F_CHAIN}
  for k = 1, #names do
    e = check_stored(names[k], m[k + 1])
    if e then return e end
  end
end
-- ids seen before: stored ones, then the ones stored by this call
local known
if eids then
  known = {}
  local got = rcall('HMGET', KEYS[4], unpack(eids))
  for k = 1, #eids do if got[k] then known[eids[k]] = tonumber(got[k]) end end
end
local state, seq = state0, tonumber(sq)
local ttl = tonumber(tl)
-- the ACL (acl_refused, then acl_keys_refused for the companions): the
-- same checks in the same order, without the argument tables
local acl = redis.acl_check_cmd
if acl then
  local k1, c = KEYS[1], nil
  if not acl('rpush', k1, 'v') then c = 'rpush'
  elseif not acl('hset', k1, 'f', 'v') then c = 'hset'
  elseif not acl('pexpire', k1, '1') then c = 'pexpire'
  else
    local ok, name = publish(chan)
    if not ok then c = name
    elseif not acl('zadd', k1, '1', 'm') then c = 'zadd'
    elseif not acl('hincrby', k1, 'f', '1') then c = 'hincrby'
    elseif not acl('zadd', KEYS[6], '1', 'm') then c = 'zadd'
    elseif not acl('hincrby', KEYS[7], 'f', '1') then c = 'hincrby'
    end
  end
  if c then
    return redis.error_reply("NOPERM this user has no permissions to run the '" .. c ..
      "' command (or on its keys or channel)")
  end
end
local now = now_ms()
local out = {now, ttl * 1000}
local log, nlog = {}, 0
local typ1, ntyp1, types = nil, 0, nil -- the first type stored and its count, then the others
local newids, cps, hist, meta
local first_cp, last_cp_seq, agents = nil, nil, nil
local prefix, mid = '{"s":', ',"ts":' .. num(now) .. ','
-- pass 1: outcomes, texts and chain links; no writes
for i = 1, n do
  local a, b = 5 + (i - 1) * PER, (i - 1) * 6
  local typ, agent, from, to, eid, f, expect, body =
    evs[b + 1], evs[b + 2], evs[b + 3], evs[b + 4], evs[b + 5], evs[b + 6], ARGV[a], ARGV[a + 1]
  local r, o = nil, 2 + (i - 1) * 4
  if state == S_COMPLETED then
    r = redis.error_reply('SESSCOMPLETED session is completed; it takes no more events')
  elseif not m[f] then
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
    nlog = nlog + 1
    log[nlog] = ev
    if typ == typ1 then ntyp1 = ntyp1 + 1
    elseif not typ1 then typ1, ntyp1 = typ, 1
    else
      types = types or {}
      if not types[typ] then types[#types + 1] = typ; types[typ] = 0 end
      types[typ] = types[typ] + 1
    end
    chain = redis.sha1hex(chain .. ev)
    if to ~= '' then state = to end
    if eid ~= '' then
      known[eid] = seq
      newids = newids or {}
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
      -- what checkpoint_texts reads, by name (it advances cps)
      meta = meta or {[S_F_CPS] = cpsv, [S_F_CREATED] = cr, [S_F_CREATOR] = who, [S_F_TTL] = tl,
        [S_F_METADATA] = md}
      cp, cbody, rec, chain = checkpoint_texts(reason, now, seq, state, meta, chain, agents)
      first_cp = first_cp or cp
      last_cp_seq = seq
      cps = cps or {}
      hist = hist or {}
      cps[#cps + 1] = cp
      cps[#cps + 1] = cbody
      hist[#hist + 1] = rec
    end
    out[o + 1], out[o + 2], out[o + 3], out[o + 4] = seq, 0, state, cp
  end
end
if nlog == 0 then return out end
-- pass 2: the writes
local created_log = rcall('RPUSH', KEYS[2], unpack(log)) == nlog
publish(chan, id .. '\n' .. table.concat(log, '\n'))
if state == state0 and not cps then
  rcall('HSET', KEYS[1], S_F_SEQ, seq, S_F_UPDATED, now, S_F_CHAIN, chain)
else
  local set = {S_F_SEQ, seq, S_F_UPDATED, now, S_F_CHAIN, chain}
  if state ~= state0 then
    set[#set + 1] = S_F_STATE
    set[#set + 1] = state
  end
  if cps then
    rcall('HSET', KEYS[3], unpack(cps))
    rcall('RPUSH', KEYS[5], unpack(hist))
    set[#set + 1] = S_F_CPS
    set[#set + 1] = meta[S_F_CPS]
    set[#set + 1] = S_F_LASTCP
    set[#set + 1] = last_cp_seq
  end
  rcall('HSET', KEYS[1], unpack(set))
end
if newids then rcall('HSET', KEYS[4], unpack(newids)) end
-- the counters (the companion stats: on a cluster the slot's own); a
-- transition that completes the session counts it, as complete does
rcall('HINCRBY', KEYS[7], S_STAT_EVENTS, nlog)
if state ~= state0 and state == S_COMPLETED then
  rcall('HINCRBY', KEYS[7], S_STAT_COMPLETED, 1)
end
rcall('HINCRBY', KEYS[7], S_STAT_TYPE_PREFIX .. typ1, ntyp1)
if types then
  for t = 1, #types do rcall('HINCRBY', KEYS[7], S_STAT_TYPE_PREFIX .. types[t], types[types[t]]) end
end
-- restart the TTLs at most once a second (they are whole seconds anyway);
-- a key this call created always gets its TTL at once: a new log (the
-- first events), a new eventids hash, the checkpoints hash (it may be new)
if now - tonumber(rf or 0) >= 1000 then
  expire_all(ttl * 1000, now)
  rcall('ZADD', KEYS[6], 'XX', expiry_of(now, ttl * 1000), id)
else
  if created_log then rcall('PEXPIRE', KEYS[2], ttl * 1000) end
  if newids then rcall('PEXPIRE', KEYS[4], ttl * 1000) end
  if first_cp then expire_checkpoints() end
end
return out

-- emit: one or more events into one session, in order, as if each were its
-- own call (the script is atomic), with the fixed costs paid once.
-- ARGV: checkpoint interval, failure snapshots (1/0), session channel, id,
-- then six per event: agent field, type, from, to, event id, body.
-- body is the stored event's JSON after its opening brace; seq and timestamp
-- are assigned here, so they are contiguous and never reused.
-- returns {now, ttl ms, r1, ..., rn}: ri = {seq, duplicate 1/0, state,
-- checkpoint number or 0}, or an error for an event that was refused.
-- This is the hot path: every redis.call costs about a microsecond, so the
-- reads, the log append and the meta write are one call each per script.
local n = (#ARGV - 4) / 6
local fields = {'state', 'seq', 'ttl', 'ref'}
local eids = {}
for i = 1, n do
  fields[4 + i] = ARGV[i * 6 - 1]
  if ARGV[i * 6 + 3] ~= '' then eids[#eids + 1] = ARGV[i * 6 + 3] end
end
local m, e = load_meta(unpack(fields))
if not m then return e end
-- ids seen before: stored ones, then the ones stored by this call
local known = {}
if #eids > 0 then
  local got = redis.call('HMGET', KEYS[4], unpack(eids))
  for i = 1, #eids do if got[i] then known[eids[i]] = tonumber(got[i]) end end
end
local state, seq = m[2], tonumber(m[3])
local ttl = tonumber(m[4]) * 1000
local interval, snap = tonumber(ARGV[1]), ARGV[2] == '1'
local chan, id = ARGV[3], ARGV[4]
local now = now_ms()
local out = {now, ttl}
local log, newids = {}, {}
for i = 1, n do
  local a = i * 6 - 1
  local typ, from, to, eid = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local r
  if state == 'completed' then
    r = redis.error_reply('SESSCOMPLETED session is completed; it takes no more events')
  elseif not m[5 + i] then
    r = redis.error_reply('SESSNOTMEMBER actor is not a member of this session; join it first')
  elseif eid ~= '' and known[eid] then
    r = {known[eid], 1, state, 0}
  elseif from ~= '' and from ~= state then
    r = redis.error_reply('SESSSTATE the transition starts from ' .. from ..
      ' but the session is ' .. state)
  else
    seq = seq + 1
    local ev = '{"s":' .. seq .. ',"ts":' .. now .. ',' .. ARGV[a + 5]
    log[#log + 1] = ev
    if to ~= '' then state = to end
    if eid ~= '' then
      known[eid] = seq
      newids[#newids + 1] = eid
      newids[#newids + 1] = seq
    end
    local cp = 0
    if snap and typ == 'broke' then
      cp = checkpoint('failure', now, seq, state)
    elseif interval > 0 and seq % interval == 0 then
      cp = checkpoint('auto', now, seq, state)
    end
    redis.call('PUBLISH', chan, id .. '\n' .. ev)
    r = {seq, 0, state, cp}
  end
  out[2 + i] = r
end
if #log == 0 then return out end
redis.call('RPUSH', KEYS[2], unpack(log))
if state ~= m[2] then
  redis.call('HSET', KEYS[1], 'seq', seq, 'updated', now, 'state', state)
else
  redis.call('HSET', KEYS[1], 'seq', seq, 'updated', now)
end
if #newids > 0 then redis.call('HSET', KEYS[4], unpack(newids)) end
-- restart the TTLs at most once a second (they are whole seconds anyway);
-- a new eventids hash always gets its TTL at once
if now - tonumber(m[5] or 0) >= 1000 then
  expire_all(ttl, now)
elseif #newids > 0 then
  redis.call('PEXPIRE', KEYS[4], ttl)
end
return out

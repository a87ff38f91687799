-- prelude.lua: prepended to every session script at build time.
-- Session scripts get KEYS = meta, events, checkpoints, eventids (one slot).
--
-- Every script checks all its arguments, and the meta fields it computes
-- with, before its first write, so a script that refuses a call has changed
-- nothing. A refusal is the error reply 'SESSBADARG <what is wrong>'.

-- The ranges of src/core/limits.h, keys.h and event.h (test_core checks
-- that these agree with them).
local TTL_MAX = 315360000
local SEQ_MAX = 9007199254740991
local REASON_MAX = 64
local INTERVAL_MAX = 100000000
local MAX_EVENTS_MAX = 1000000000
local ID_MAX = 128
local TYPE_MAX = 64

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Every key of a session expires together. 'ref' records when that was
-- last done, so the emit script can skip it within a second.
local function expire_all(ms, now)
  for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ms) end
  redis.call('HSET', KEYS[1], 'ref', now)
end

-- ---- argument checks: each returns nil and an error reply on failure ----

local function badarg(msg)
  return redis.error_reply('SESSBADARG ' .. msg)
end

-- v quoted for a message, at most 40 bytes of it
local function shown(v)
  if not v then return 'nothing' end
  return '"' .. string.sub(tostring(v), 1, 40) .. '"'
end

local function is_whole(v, min, max)
  local n = type(v) == 'string' and string.find(v, '^%-?%d+$') and tonumber(v)
  return n and n >= min and n <= max and n or nil
end

-- The whole number in argument v (decimal digits only: no '1e3', ' 5',
-- '0x10', 'inf'), in [min, max].
local function int_arg(v, what, min, max)
  local n = is_whole(v, min, max)
  if not n then
    return nil, badarg(string.format('%s must be a whole number from %d to %d, not %s',
      what, min, max, shown(v)))
  end
  return n
end

-- A session, agent or event id, as sess_key_check_id allows them.
local function is_id(v)
  return type(v) == 'string' and #v >= 1 and #v <= ID_MAX and
    string.find(v, '^[%w._][%w._@:%-]*$') ~= nil
end

-- The agent of an 'agent:AGENT' meta field name; at starts the message.
local function agent_arg(field, at)
  local a = type(field) == 'string' and string.match(field, '^agent:(.*)$')
  if not is_id(a) then
    return nil, badarg((at or '') .. 'agent field must be agent:AGENT with a valid agent id, not ' ..
      shown(field))
  end
  return a
end

local function is_object_json(v)
  if type(v) ~= 'string' or string.sub(v, 1, 1) ~= '{' then return false end
  local ok, t = pcall(cjson.decode, v)
  return ok and type(t) == 'table'
end

local STATES = {working = true, broken = true, completed = true}
local KEY_SUFFIX = {'meta', 'events', 'checkpoints', 'eventids'}

-- The call's shape: exactly nkeys keys, the session's meta, events, ...
-- keys in that order and all of one session, and nargs arguments (nil: the
-- script counts them). Returns the session id.
local function check_call(nkeys, nargs)
  if #KEYS ~= nkeys then
    return nil, badarg(string.format('expects %d keys (%s), got %d', nkeys,
      table.concat(KEY_SUFFIX, ', ', 1, nkeys), #KEYS))
  end
  local base, id = string.match(KEYS[1], '^([^{}]+:{([^{}]+)})(:meta)$')
  if not base or not is_id(id) then
    return nil, badarg('key 1 must be a session\'s PREFIX:{ID}:meta key, not ' .. shown(KEYS[1]))
  end
  for i = 2, nkeys do
    if KEYS[i] ~= base .. ':' .. KEY_SUFFIX[i] then
      return nil, badarg(string.format('key %d must be %s:%s, not %s', i, base,
        KEY_SUFFIX[i], shown(KEYS[i])))
    end
  end
  if nargs and #ARGV ~= nargs then
    return nil, badarg(string.format('expects %d arguments, got %d', nargs, #ARGV))
  end
  return id
end

-- What each meta field a script computes with must hold. A field without
-- 'required' may be missing (older sessions, or nothing happened yet).
local META = {
  state = {states = true, required = true},
  seq = {0, SEQ_MAX, required = true},
  base = {0, SEQ_MAX, required = true},
  ttl = {1, TTL_MAX, required = true,
    fix = '; \'sessctl touch ID --ttl SECONDS\' resets it'},
  agents = {0, SEQ_MAX, required = true},
  cps = {0, SEQ_MAX},
  lastcp = {0, SEQ_MAX},
  ref = {0, SEQ_MAX},
  created = {0, SEQ_MAX},
  metadata = {json = true},
}

-- (every emit runs this: the message is only built for a refusal)
local function check_stored(name, v)
  local r = META[name]
  local want
  if not r then return nil end
  if not v then -- HMGET gives false for a missing field
    if not r.required then return nil end
    want = 'present'
  elseif r.states then
    if STATES[v] then return nil end
    want = 'working, broken or completed'
  elseif r.json then
    if is_object_json(v) then return nil end
    want = 'a JSON object'
  else
    if is_whole(v, r[1], r[2]) then return nil end
    want = string.format('a whole number from %d to %d', r[1], r[2])
  end
  return badarg(string.format('stored field %s of %s is %s, not %s; the session is damaged%s',
    name, KEYS[1], shown(v), want, r.fix or ''))
end

-- HMGET the meta hash after its layout version; nil + error reply if the
-- session is missing, has a layout this script does not know, or holds a
-- field asked for that it could not compute with (see META).
local function load_meta(...)
  local names = {...}
  local m = redis.call('HMGET', KEYS[1], 'v', ...)
  local got = {}
  if not m[1] then return nil, redis.error_reply('SESSNOTFOUND session not found') end
  if m[1] ~= '1' then
    return nil, redis.error_reply('SESSLAYOUT session has layout version ' .. m[1])
  end
  for i = 1, #names do
    local e = check_stored(names[i], m[i + 1])
    if e then return nil, e end
    got[names[i]] = m[i + 1]
  end
  if got.base and got.seq and tonumber(got.base) > tonumber(got.seq) then
    return nil, badarg(string.format('stored field base of %s (%s) is past its seq (%s); the session is damaged',
      KEYS[1], got.base, got.seq))
  end
  return m
end

-- The meta fields checkpoint() reads: a script that may take a checkpoint
-- loads these with load_meta, so they are checked before its first write.
local CP_FIELDS = {'cps', 'created', 'metadata'}

-- Snapshot the session's state into the checkpoints hash; returns its number.
-- state: the session's state at seq when the caller has not written it yet.
local function checkpoint(reason, now, seq, state)
  local h = redis.call('HGETALL', KEYS[1])
  local meta, agents = {}, {}
  for i = 1, #h, 2 do
    local f = h[i]
    if string.sub(f, 1, 6) == 'agent:' then
      agents[#agents + 1] = string.sub(f, 7)
    else
      meta[f] = h[i + 1]
    end
  end
  table.sort(agents)
  local n = tonumber(meta.cps or 0) + 1
  local cp = { id = n, seq = seq, timestamp = now, reason = reason,
               state = state or meta.state, created = tonumber(meta.created),
               creator = meta.creator }
  local body = cjson.encode(cp)
  local agents_json = '[]'
  if #agents > 0 then agents_json = cjson.encode(agents) end
  body = string.sub(body, 1, -2) .. ',"agents":' .. agents_json
  if meta.metadata then body = body .. ',"metadata":' .. meta.metadata end
  body = body .. '}'
  redis.call('HSET', KEYS[3], n, body)
  redis.call('HSET', KEYS[1], 'cps', n, 'lastcp', seq)
  -- the first checkpoint creates the hash: it expires with the session
  if n == 1 then
    local pt = redis.call('PTTL', KEYS[1])
    if pt > 0 then redis.call('PEXPIRE', KEYS[3], pt) end
  end
  return n
end

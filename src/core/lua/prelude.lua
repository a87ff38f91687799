-- prelude.lua: prepended to every session script at build time.
-- Session scripts get KEYS = meta, events, checkpoints, eventids (one slot).
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

-- HMGET the meta hash after its layout version; nil + error reply if the
-- session is missing or has a layout this script does not know.
local function load_meta(...)
  local m = redis.call('HMGET', KEYS[1], 'v', ...)
  if not m[1] then return nil, redis.error_reply('SESSNOTFOUND session not found') end
  if m[1] ~= '1' then
    return nil, redis.error_reply('SESSLAYOUT session has layout version ' .. m[1])
  end
  return m
end

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

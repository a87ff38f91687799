-- migundo: undo what a migration task did to one session on its target
-- (sess-migrate rollback). The task's mark becomes 'u' and the reply, in
-- the same script; the caller deletes it once the indexes are updated
-- too. A rollback killed in between finds the 'u' mark and gets the same
-- reply again, so it redoes the index upkeep: it resumes exactly.
-- KEYS: the session's five keys, the task's done hash and backup hash.
-- ARGV: id.
-- Returns {status, expire-at ms, creator, state, agent...}: removed (the
-- task created it), restored (the task replaced it: what was there is
-- back), kept (the task skipped it), changed (the session was written on
-- the target since the task put it: its chain head is not the one the
-- mark recorded; nothing is undone and the mark stays, so the backup of
-- what it replaced is kept), gone (nothing to undo: no mark, or the
-- session is no longer on the target; the caller drops the mark). The members
-- and creator are the session's before the undo (removed) or after it
-- (restored), for the index upkeep.
do local refused = acl_refused(nil, 'hdel', 'del', 'restore', 'pexpireat', 'hset') if refused then return refused end end
local id = ARGV[1]
local mark = redis.call('HGET', KEYS[6], id)
if not mark then return {'gone', 0, '', ''} end
if string.sub(mark, 1, 1) == 'u' then return cjson.decode(string.sub(mark, 2)) end
local function info()
  local et = redis.call('PEXPIRETIME', KEYS[1])
  local m = redis.call('HMGET', KEYS[1], S_F_CREATOR, S_F_STATE)
  local out = {et > 0 and et or 0, m[1] or '', m[2] or ''}
  local h = redis.call('HKEYS', KEYS[1])
  for i = 1, #h do
    if string.sub(h[i], 1, S_F_AGENT_PREFIX_LEN) == S_F_AGENT_PREFIX then
      out[#out + 1] = string.sub(h[i], S_F_AGENT_PREFIX_LEN + 1)
    end
  end
  return out
end
local status, out = 'kept', {0, '', ''}
-- (a mark is 'c' or 'r', then the chain head the session arrived with;
-- a mark of an older sesskit has no head, and is undone as before)
local kind, head = string.sub(mark, 1, 1), string.sub(mark, 2)
-- deleted on the target since the task put it (or expired): nothing to
-- undo, and nothing to count; a replaced one's backup is dropped (its
-- session was dealt with on the target: restoring it would undo that)
if (kind == 'c' or kind == 'r') and redis.call('EXISTS', KEYS[1]) == 0 then
  if kind == 'r' then
    redis.call('HDEL', KEYS[7], id .. ':1', id .. ':2', id .. ':3', id .. ':4', id .. ':5', id .. ':x',
      id .. ':t1', id .. ':t2', id .. ':t3', id .. ':t4', id .. ':t5',
      id .. ':x1', id .. ':x2', id .. ':x3', id .. ':x4', id .. ':x5')
  end
  return {'gone', 0, '', ''}
end
if (kind == 'c' or kind == 'r') and head ~= '' then
  local now = redis.call('HGET', KEYS[1], S_F_CHAIN)
  if now and now ~= head then return {'changed', 0, '', ''} end
end
if kind == 'c' then
  out = info()
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
  status = 'removed'
elseif kind == 'r' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
  local at = tonumber(redis.call('HGET', KEYS[7], id .. ':x') or '0') or 0
  for i = 1, 5 do
    local d = redis.call('HGET', KEYS[7], id .. ':' .. i)
    if d then
      -- the key's own expiry, ID:tN (ID:xN in a backup some builds
      -- wrote; in an older sesskit's backup neither: the meta's, ID:x)
      local e = redis.call('HMGET', KEYS[7], id .. ':t' .. i, id .. ':x' .. i)
      local ai = tonumber(e[1] or e[2] or '') or at
      redis.call('RESTORE', KEYS[i], 0, d, 'REPLACE')
      if ai > 0 then redis.call('PEXPIREAT', KEYS[i], ai) end
    end
    redis.call('HDEL', KEYS[7], id .. ':' .. i, id .. ':t' .. i, id .. ':x' .. i)
  end
  redis.call('HDEL', KEYS[7], id .. ':x')
  out = info()
  status = 'restored'
end
table.insert(out, 1, status)
redis.call('HSET', KEYS[6], id, 'u' .. cjson.encode(out))
return out

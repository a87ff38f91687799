-- fence: KEYS meta; ARGV where the data moved, or '' to lift the fence
-- (sess-migrate sync --cutover and unfence; src/core/fence.h).
-- Sets or removes the session's moved field, only on a session that
-- exists: an HSET on a missing one would leave a bogus meta hash behind.
-- Returns 1 if the session exists, 0 if not.
local _, e = check_call(1, 1)
if e then return e end
do local refused = acl_refused(nil, 'hdel', 'hset') if refused then return refused end end
if #ARGV[1] > 512 then
  return badarg('the target description is longer than 512 bytes: ' .. shown(ARGV[1]))
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then
  redis.call('HDEL', KEYS[1], S_F_MOVED)
else
  redis.call('HSET', KEYS[1], S_F_MOVED, ARGV[1])
end
return 1

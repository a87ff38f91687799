#!/usr/bin/env python3
"""emit_diff.py REFDIR FULLDIR NAME=SOCK... - the differential test of the
session scripts (tests/scripts_diff.bats): one long scripted sequence of
script calls (creates, joins, single and multi-event emits, type counters,
checkpoints at the interval and on failure, a completed transition,
leaves, and refusals of every kind) run on several servers, each calling
the scripts its own way, and everything compared with the first:

  ref      today's scripts as they were saved (REFDIR/NAME.lua), EVALSHA
  evalsha  the built scripts (FULLDIR/NAME.lua), EVALSHA
  fcall    the built Functions library (FULLDIR/library.lua), FCALL

Compared after every step: the reply; every key's type, value and expiry
(PEXPIRETIME); the session index's scores. At the end: every message
published (a PSUBSCRIBE * reader per server, in order).

The scripts' clock (redis.call('TIME')) is the one thing changed in the
texts: it reads the hash difftest:clock, which the driver sets to the
same instant on every server before each step, so each stored timestamp,
chain link and reply is exact. Only what Redis's own clock decides (a
key's expiry: PEXPIRE is relative to the server's time; the index score
where it is read back with PEXPIRETIME) is compared within the time the
step took on all servers (the widest so far: a key's expiry may have
been set at an earlier step), plus 2 ms. Prints one line per difference and
exits 1 if there is any; prints the steps run and exits 0 otherwise.
"""
import os
import socket
import sys
import time


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.buf = b''

    def send(self, *args):
        out = [b'*%d\r\n' % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode("utf-8", "surrogateescape")
            out.append(b'$%d\r\n%s\r\n' % (len(a), a))
        self.s.sendall(b''.join(out))

    def _line(self):
        while b'\r\n' not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError('server closed the connection')
            self.buf += d
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def _n(self, n):
        while len(self.buf) < n + 2:
            d = self.s.recv(65536)
            if not d:
                raise EOFError('server closed the connection')
            self.buf += d
        v, self.buf = self.buf[:n], self.buf[n + 2:]
        return v

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b'+':
            return ('status', rest.decode())
        if t == b'-':
            return ('error', rest.decode())
        if t == b':':
            return int(rest)
        if t == b'$':
            n = int(rest)
            return None if n < 0 else self._n(n).decode('utf-8', 'surrogateescape')
        if t == b'*':
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError('bad reply %r' % line)

    def cmd(self, *args):
        self.send(*args)
        return self.read()


CLOCK = "redis.call('HMGET', 'difftest:clock', 's', 'us')"


def clocked(text, what):
    n = text.count("redis.call('TIME')")
    if n == 0:
        sys.exit('%s calls no redis.call(\'TIME\'): the clock cannot be set' % what)
    return text.replace("redis.call('TIME')", CLOCK)


# every key's state: type, value, expiry; the index with scores
DUMP = r"""
local out = {}
local keys = redis.call('KEYS', '*')
table.sort(keys)
for _, k in ipairs(keys) do
  if string.sub(k, 1, 9) ~= 'difftest:' then
    local t = redis.call('TYPE', k).ok
    local v
    if t == 'hash' then
      local h = redis.call('HGETALL', k)
      local f = {}
      for i = 1, #h, 2 do f[#f + 1] = h[i] .. '=' .. h[i + 1] end
      table.sort(f)
      v = table.concat(f, '\n')
    elseif t == 'list' then v = table.concat(redis.call('LRANGE', k, 0, -1), '\n')
    elseif t == 'zset' then v = table.concat(redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'), '\n')
    elseif t == 'set' then
      local s = redis.call('SMEMBERS', k)
      table.sort(s)
      v = table.concat(s, '\n')
    else v = redis.call('GET', k) end
    out[#out + 1] = k
    out[#out + 1] = t
    out[#out + 1] = v
    out[#out + 1] = redis.call('PEXPIRETIME', k)
  end
end
return out
"""

PREFIX = 'sess'


def keys8(sid, tag='all'):
    b = '%s:{%s}:' % (PREFIX, sid)
    c = '%s:#{%s}:' % (PREFIX, tag)
    return [b + 'meta', b + 'events', b + 'checkpoints', b + 'eventids', b + 'history',
            c + 'index', c + 'stats', c + 'agents']


def body(t, a, st=None, eid=None, extra=''):
    s = '"t":"%s","a":"%s"' % (t, a)
    if extra:
        s += ',' + extra
    if st:
        s += ',"st":{"from":"%s","to":"%s"}' % st
    if eid:
        s += ',"eid":"%s"' % eid
    return s + '}'


def emit(sid, *events, interval='5', snaps='1', keys=None, chan=None, ids=None):
    args = [interval, snaps, chan or '%s:{%s}:notify' % (PREFIX, sid), ids or sid]
    for ev in events:
        if isinstance(ev, tuple):
            args += [ev[0], ev[1]]
        else:
            args += ['', ev]
    return ('emit', keys or keys8(sid), args)


def steps():
    """The sequence: (script, keys, args) to run, or ('raw', [command]) to
    send as it is (a damaged field, its repair)."""
    s = []
    add = s.append
    # creates: with metadata, without, refused ones
    add(('create', keys8('s1'), ['agent:a1', 'a1', '600', '{"feature":"auth","n":1}']))
    add(('create', keys8('s2'), ['agent:b1', 'b1', '300', '']))
    add(('create', keys8('s1'), ['agent:a1', 'a1', '600', '']))             # exists
    add(('create', keys8('s3'), ['agent:a1', 'a2', '600', '']))             # agent != field
    add(('create', keys8('s3'), ['agent:a1', 'a1', '0', '']))               # ttl
    add(('create', keys8('s3'), ['agent:a1', 'a1', '600', '{"k":1,"k":2}']))  # duplicate key
    add(('create', keys8('s3'), ['agent:a1', 'a1', '600', '{"k":']))        # bad JSON
    # joins
    add(('join', keys8('s1'), ['agent:a2']))
    add(('join', keys8('s1'), ['agent:a2']))                                # again: 0
    add(('join', keys8('s1'), ['agent:a3']))
    add(('join', keys8('s1'), ['bad field']))
    add(('join', keys8('s2'), ['agent:b2']))
    add(('join', keys8('nosuch'), ['agent:a1']))                            # not found
    # single emits, type counters
    for k in range(1, 5):
        add(emit('s1', body('note', 'a1', extra='"d":{"k":%d}' % k)))
    add(emit('s1', body('modified', 'a2', extra='"c":{"e":"file","i":["x.c"],"o":"edit"}')))  # 5: checkpoint
    add(emit('s1', body('note', 'a3', eid='e1')))
    add(emit('s1', body('note', 'a3', eid='e1')))                           # duplicate id
    add(emit('s1', ('6', body('note', 'a1'))))                              # wrong expected seq
    add(emit('s1', ('6', body('note', 'a1', eid='e2'))))                    # duplicate beats the seq? no: new id
    add(emit('s1', ('7', body('note', 'a2')), ('8', body('review', 'a2'))))
    # multi-event emits, mixed outcomes, a checkpoint inside
    add(emit('s1', body('a', 'a1'), body('b', 'a2'), ('1', body('c', 'a3')),
             body('d', 'a1', eid='e3'), body('e', 'nobody'), body('f', 'a1', eid='e3')))
    add(emit('s1', *[body('bulk', 'a%d' % (k % 3 + 1)) for k in range(12)]))  # crosses two intervals
    add(emit('s1', body('test', 'a1', st=('working', 'broken'))))           # failure snapshot
    add(emit('s1', body('test', 'a1', st=('working', 'broken'))))           # from != state
    add(emit('s1', body('fix', 'a1', st=('broken', 'working'))))
    add(emit('s1', body('broke', 'a2')))                                    # type broke: snapshot
    add(emit('s1', body('broke', 'a2'), interval='0', snaps='0'))           # no snapshot
    add(emit('s1', body('note', 'a1'), interval='3'))
    # refusals of every kind, nothing written
    add(emit('s1', '"t":"note","a":"a1"'))                                  # bad JSON
    add(emit('s1', '"t":"x","a":"a1","t":"y"}'))                            # duplicate key
    add(emit('s1', '"t":"x","a":"a1","d":{"k":1,"k":2}}'))                  # nested duplicate
    add(emit('s1', '"t":"x","a":"a1","d":0x10}'))                           # no JSON number
    add(emit('s1', '"t":"x","a":"a1","d":"\\u0000"}'))                      # NUL
    add(emit('s1', '"t":"x","a":"a1","d":"a\nb"}'))                         # a raw newline
    add(emit('s1', '"t":"x","a":"a1","s":3}'))                              # carries s
    add(emit('s1', '"a":"a1"}'))                                            # no type
    add(emit('s1', '"t":"9x","a":"a1"}'))                                   # bad type
    add(emit('s1', '"t":"x","a":"bad actor"}'))                             # bad actor
    add(emit('s1', '"t":"x","a":"a1","st":{"from":"working","to":"gone"}}'))  # bad state
    add(emit('s1', '"t":"x","a":"a1","eid":"bad id"}'))                     # bad eid
    add(emit('s1', ('x1', body('note', 'a1'))))                             # bad expected seq
    add(emit('s1', body('note', 'a1'), interval='-1'))                      # interval
    add(emit('s1', body('note', 'a1'), snaps='2'))                          # snapshots flag
    add(emit('s1', body('note', 'a1'), chan='sess:{s2}:notify'))            # channel
    add(emit('s1', body('note', 'a1'), ids='s2'))                           # id
    k = keys8('s1')
    add(emit('s1', body('note', 'a1'), keys=k[:6] + ['sess:#{x}:stats', k[7]]))  # wrong companion
    add(emit('s1', body('note', 'a1'), keys=[k[0]] + ['sess:{s2}:events'] + k[2:]))  # another session's key
    add(emit('s1', body('note', 'a1'), keys=k[:7]))                         # 7 keys
    # the keys one by one after a call that took them all (a function
    # library remembers the last keys it took: each must still count)
    for j, wrong in [(1, 'sess:{s1}:event'), (2, 'sess:{s1}:checkpoint'), (3, 'sess:{s2}:eventids'),
                     (4, 'sess:{s1}:hist'), (5, 'sess:#{all}:indexx'), (6, 'sess:#{all}:stat'),
                     (7, 'sess:#{all}:agent')]:
        add(emit('s1', body('note', 'a1'), interval='0'))
        add(emit('s1', body('note', 'a1'), keys=k[:j] + [wrong] + k[j + 1:]))
    add(emit('s1', body('note', 'a1'), interval='0'))
    add(emit('s1', body('note', 'a1'), keys=k + [k[7]]))                    # 9 keys
    add(emit('s1', body('note', 'a1'), keys=['sess:{s1}:meta2'] + k[1:]))   # key 1
    # the bodies' checks (the text scan, the type and actor a group or an
    # earlier call took), refusals and what must pass
    add(emit('s1', '"t":"x","a":"a1","d":{"e":{"f":[{"k":1,"k":2}]}}}'))    # duplicate, deep in an array
    add(emit('s1', '"t":"x","a":"a1","d":{"a":1,"\\u0061":2}}'))           # the same key, escaped
    add(emit('s1', '"t":"x","a":"a1","":1,"":2}'))                           # empty keys twice
    add(emit('s1', '"t":"x","a":"a1","d":"a\\"b:c","e":":","f":"{\\"g\\":1}"}'))  # colons, quotes in strings
    add(emit('s1', '"t":"x","a":"a1","d":[":", "x", {"y" : 1}], "k:1" :  true}'))  # spaces, colon in a key
    add(emit('s1', '"t":"x","a":"a1","d":[1,-0,0.5,1e3,-2E-2,null,false]}'))  # numbers JSON writes
    for bad in ['01', '1e999', '-', '.5', '1.', 'nan', 'inf', '+1']:
        add(emit('s1', '"t":"x","a":"a1","d":[%s]}' % bad))                # numbers it does not
    add(emit('s1', '"t":"x","a":"a1","d":"a\x00b"}'))                        # a raw NUL
    add(emit('s1', '"t":"x","a":"a1","d":"\udcff\udcfe\x01"}'))          # raw bytes, not UTF-8
    add(emit('s1', '"t":"x","a":"a1","d":"\\u0000"}', body('note', 'a1')))  # NUL escape, first of two
    add(emit('s1', body('note', 'a1'), '"t":"x","a":"a1","d":{"k":1,"k":1}}'))  # duplicate, second of two
    add(emit('s1', body('note', 'a1'), '"t":"x","a":"a1"'))                 # bad JSON, second of two
    add(emit('s1', body('note', 'a1'), body('note', 'a1'), '"t":"no te","a":"a1"}'))  # a type after the same twice
    add(emit('s1', body('note', 'a1'), '"t":1,"a":"a1"}'))                  # a type not a string
    add(emit('s1', body('note', 'a1'), '"t":"note","a":"a1:"}'))            # actors that differ
    add(emit('s1', body('note', 'a1'), '"t":"note","a":5}'))                # an actor not a string
    add(emit('s1', body('note', 'a1'), '"t":"note","a":"a1","st":1}'))      # transition not an object
    add(emit('s1', body('x' * 64, 'a1'), body('y' * 65, 'a1')))              # the type's length
    add(emit('s1', body('note', 'a' * 128), body('note', 'a' * 129)))       # the actor's
    add(emit('s1', body('note', 'a1'), ('', body('note', 'a2')), ('-1', body('note', 'a1'))))  # expected seq
    add(emit('s1', '"t":"note","a":"a1","ts":1}'))                          # carries ts
    add(emit('s1', '"t":"note","a":"a1"}\n'))                               # a newline after
    add(emit('s1', '"t":"note","a":"a1"} x'))                               # text after
    add(emit('s1', body('note', 'a1'), body('note', 'a2'), body('note', 'a3'), body('n2', 'a2'),
             body('n3', 'a3'), body('note', 'a1')))                          # three actors, types repeated
    add(emit('s1', body('t1', 'a1'), body('t1', 'stranger'), body('t2', 'a2')))  # a stranger among members
    add(('emit', k, ['5', '1', 'sess:{s1}:notify', 's1', '']))              # odd arguments
    add(emit('s1', body('note', 'stranger')))                               # not a member
    add(emit('nosuch', body('note', 'a1')))                                 # not found
    # damaged meta: each field the emit checks, then repaired
    # (the emit tests them all in one pattern and each length, and looks
    # field by field only when that fails: each part of it must count)
    damaged = [('ttl', 'abc'), ('seq', '-1'), ('state', 'gone'), ('h', 'xyz'),
               ('cps', '1.5'), ('creator', 'bad id'), ('m', '[1]'), ('base', '999999'),
               ('metadata', '[1]'), ('metadata', '{"k":'), ('metadata', 'x'),
               ('seq', '99999999999999999'), ('seq', '9007199254740992'), ('seq', ''),
               ('ref', '99999999999999999'), ('ref', 'x'), ('ref', '-1'),
               ('cps', '99999999999999999'), ('cps', 'x'), ('cps', ''),
               ('created', '99999999999999999'), ('created', '1e3'), ('created', ' 5'),
               ('ttl', '999999999'), ('ttl', '315360001'), ('ttl', '0'), ('ttl', '-5'), ('ttl', '0x10'),
               ('creator', 'c' * 129), ('creator', '-c'), ('creator', ''),
               ('h', 'a' * 39), ('h', 'g' * 40), ('h', 'a' * 41), ('state', '')]
    # and what it must take: the slow test's edge cases
    taken = [('ttl', '0400'), ('ttl', '315360000'), ('created', '-0'), ('cps', '007'),
             ('creator', 'c' * 128), ('h', 'ABCDEF0123' * 4), ('h', ''),
             ('metadata', '{"k":[1,{"j":null}]}'), ('ref', '9007199254740991')]
    for field, bad in damaged + taken:
        add(('raw', ['difftest-save', 'sess:{s1}:meta', field]))
        add(('raw', ['HSET', 'sess:{s1}:meta', field, bad]))
        add(emit('s1', body('note', 'a1')))
        add(('raw', ['difftest-restore', 'sess:{s1}:meta', field]))
    for field in ['state', 'seq', 'created', 'creator', 'ttl', 'h', 'v']:   # missing fields
        add(('raw', ['difftest-save', 'sess:{s1}:meta', field]))
        add(('raw', ['HDEL', 'sess:{s1}:meta', field]))
        add(emit('s1', body('note', 'a1')))
        add(('raw', ['difftest-restore', 'sess:{s1}:meta', field]))
    for (f1, v1), (f2, v2) in [(('ttl', '0'), ('seq', 'x')), (('h', 'x'), ('creator', '%'))]:  # two: the first named
        add(('raw', ['difftest-save', 'sess:{s1}:meta', f1]))
        add(('raw', ['difftest-save', 'sess:{s1}:meta', f2]))
        add(('raw', ['HSET', 'sess:{s1}:meta', f1, v1, f2, v2]))
        add(emit('s1', body('note', 'a1')))
        add(('raw', ['difftest-restore', 'sess:{s1}:meta', f1]))
        add(('raw', ['difftest-restore', 'sess:{s1}:meta', f2]))
    add(('raw', ['HSET', 'sess:{s1}:meta', 'v', '2']))                      # another layout
    add(emit('s1', body('note', 'a1')))
    add(('raw', ['HSET', 'sess:{s1}:meta', 'v', '3']))
    add(('raw', ['HSET', 'sess:{s1}:meta', 'moved', 'elsewhere:6379']))     # fenced
    add(emit('s1', body('note', 'a1')))
    add(('raw', ['HDEL', 'sess:{s1}:meta', 'moved']))
    # the other session; checkpoints by hand; TTL refresh after a second
    add(emit('s2', body('note', 'b1'), body('note', 'b2', eid='x1')))
    add(('checkpoint', keys8('s2')[:5], ['manual']))
    add(('sleep', 1100))
    add(emit('s2', body('note', 'b1')))
    add(emit('s2', ('3', body('note', 'b2')), interval='2'))
    # leaves, a leave of one not there, the grace TTL
    add(('leave', keys8('s2'), ['agent:b2', '60']))
    add(('leave', keys8('s2'), ['agent:b2', '60']))
    add(emit('s2', body('note', 'b2')))                                     # left: not a member
    add(('leave', keys8('s2'), ['agent:b1', '60']))                         # the last: grace
    add(emit('s2', body('note', 'b1')))
    # the completed transition, then every emit refused
    add(emit('s1', body('done', 'a1', st=('working', 'completed')), body('after', 'a1')))
    add(emit('s1', body('note', 'a2')))
    add(emit('s1', body('note', 'a1', eid='e1')))                           # completed beats duplicate
    add(('complete', keys8('s1'), []))
    add(('leave', keys8('s1'), ['agent:a3', '60']))
    add(emit('s1', body('note', 'a3')))
    return s


def load(c, name, how, texts):
    if how == 'fcall':
        r = c.cmd('FUNCTION', 'LOAD', 'REPLACE', texts['library'])
        if isinstance(r, tuple):
            sys.exit('%s: FUNCTION LOAD: %s' % (name, r[1]))
        return r
    shas = {}
    for k, v in texts.items():
        if k != 'library':
            shas[k] = c.cmd('SCRIPT', 'LOAD', v)
            if isinstance(shas[k], tuple):
                sys.exit('%s: SCRIPT LOAD %s: %s' % (name, k, shas[k][1]))
    return shas


def open_sides(refdir, fulldir, names, sides):
    """The scripts NAMES of the reference (REFDIR) and of the build
    (FULLDIR, its library too), clocked; then each side (NAME=SOCKET: a
    server emptied, its scripts loaded as the NAME's first word says,
    ref/evalsha/fcall, a second connection subscribed to every channel).
    Returns the library's name and one dict a side: name, how, c, sub,
    texts (the scripts it runs) and h (what load returned)."""
    ref = {n: clocked(open(os.path.join(refdir, n + '.lua')).read(), 'ref ' + n) for n in names}
    new = {n: clocked(open(os.path.join(fulldir, n + '.lua')).read(), n) for n in names}
    new['library'] = clocked(open(os.path.join(fulldir, 'library.lua')).read(), 'library')
    lib = new['library'].split('\n', 1)[0].split('name=sesskit_')[1].strip()
    run = []
    for name, sock in sides:
        how = name.split('-')[0]
        c, sub = Conn(sock), Conn(sock)
        c.cmd('FLUSHALL')
        c.cmd('SCRIPT', 'FLUSH')
        c.cmd('FUNCTION', 'FLUSH')
        sub.cmd('PSUBSCRIBE', '*')
        texts = ref if how == 'ref' else new
        run.append({'name': name, 'how': how, 'c': c, 'sub': sub, 'texts': texts,
                    'h': load(c, name, how, texts)})
    return lib, run


def main():
    refdir, fulldir = sys.argv[1], sys.argv[2]
    sides = [a.split('=', 1) for a in sys.argv[3:]]
    names = ['create', 'join', 'leave', 'emit', 'checkpoint', 'complete']
    lib, run = open_sides(refdir, fulldir, names, sides)
    for r in run:
        r['saved'] = {}
    diffs = 0

    def differ(what):
        nonlocal diffs
        diffs += 1
        print(what)

    seq = steps()
    tol = 0
    for i, st in enumerate(seq, 1):
        if st[0] == 'sleep':
            time.sleep(st[1] / 1000)
            continue
        t0 = time.time()
        now = int(t0 * 1000)
        replies = []
        for r in run:
            c = r['c']
            c.cmd('HSET', 'difftest:clock', 's', now // 1000, 'us', (now % 1000) * 1000)
            if st[0] == 'raw':
                cmd = st[1]
                if cmd[0] == 'difftest-save':
                    r['saved'][cmd[2]] = c.cmd('HGET', cmd[1], cmd[2])
                    replies.append(None)
                elif cmd[0] == 'difftest-restore':
                    v = r['saved'][cmd[2]]
                    replies.append(c.cmd('HSET', cmd[1], cmd[2], v) if v is not None
                                   else c.cmd('HDEL', cmd[1], cmd[2]))
                else:
                    replies.append(c.cmd(*cmd))
                continue
            script, keys, args = st
            if r['how'] == 'fcall':
                replies.append(c.cmd('FCALL', 'sk%s_%s' % (lib, script), len(keys), *keys, *args))
            else:
                replies.append(c.cmd('EVALSHA', r['h'][script], len(keys), *keys, *args))
        dumps = [r['c'].cmd('EVAL', DUMP, 0) for r in run]
        # an expiry set at any step so far: the widest step's spread
        tol = max(tol, int((time.time() - t0) * 1000) + 2)
        label = 'step %d (%s)' % (i, st[0] if st[0] == 'raw' else st[0] + ' ' + ' '.join(st[2][:4]))
        for r, rep, d in zip(run[1:], replies[1:], dumps[1:]):
            if rep != replies[0]:
                differ('%s: %s replied %r, %s %r' % (label, r['name'], rep, run[0]['name'], replies[0]))
            a, b = dumps[0], d
            ka = {a[j]: a[j + 1:j + 4] for j in range(0, len(a), 4)}
            kb = {b[j]: b[j + 1:j + 4] for j in range(0, len(b), 4)}
            for key in sorted(set(ka) | set(kb)):
                if key not in ka or key not in kb:
                    differ('%s: key %s only on %s' % (label, key, run[0]['name'] if key in ka else r['name']))
                    continue
                (ta, va, ea), (tb, vb, eb) = ka[key], kb[key]
                if ta != tb:
                    differ('%s: %s is a %s on %s, a %s on %s' % (label, key, ta, run[0]['name'], tb, r['name']))
                elif va != vb and not (ta == 'zset' and zclose(va, vb, tol)):
                    differ('%s: %s differs:\n  %s: %r\n  %s: %r' % (label, key, run[0]['name'], va, r['name'], vb))
                if (ea < 0) != (eb < 0) or abs(ea - eb) > tol:
                    differ('%s: %s expires at %d on %s, %d on %s (tolerance %d ms)' %
                           (label, key, ea, run[0]['name'], eb, r['name'], tol))
    # every message published, in order
    msgs = []
    for r in run:
        r['sub'].s.settimeout(0.5)
        got = []
        try:
            while True:
                m = r['sub'].read()
                got.append(tuple(m[2:]))
        except (socket.timeout, BlockingIOError):
            pass
        msgs.append(got)
    if not msgs[0]:
        differ('no message was published on %s' % run[0]['name'])
    for r, m in zip(run[1:], msgs[1:]):
        if m != msgs[0]:
            differ('published messages differ: %s %d, %s %d; first difference: %r vs %r' %
                   (run[0]['name'], len(msgs[0]), r['name'], len(m),
                    next((x for x in zip(msgs[0], m) if x[0] != x[1]), None), None))
    print('%d steps, %d messages, %d differences' % (len(seq), len(msgs[0]), diffs))
    sys.exit(1 if diffs else 0)


def zclose(va, vb, tol):
    """Two ZRANGE WITHSCORES texts equal but for scores within tol."""
    a, b = va.split('\n'), vb.split('\n')
    if len(a) != len(b):
        return False
    for j in range(0, len(a), 2):
        if a[j] != b[j] or abs(float(a[j + 1]) - float(b[j + 1])) > tol:
            return False
    return True


if __name__ == '__main__':
    main()

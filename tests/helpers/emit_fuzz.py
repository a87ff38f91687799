#!/usr/bin/env python3
"""emit_fuzz.py REFDIR FULLDIR SEED CASES NAME=SOCK... - the randomized
differential of the emit script (tests/scripts_diff.bats), beside
emit_diff.py's scripted one, with its machinery (the same servers, clock
and comparison): CASES random cases from SEED, each run on every server
(ref: the saved scripts by EVALSHA; evalsha, fcall: the built ones) and
compared with the first: the reply, the case's keys (type, value, expiry)
and the messages published.

A case: a session (a few ids under a few prefixes, so the keys an earlier
call took come back, beside others), created if it is not there, its meta
hash damaged at random (the fields the emit checks: numbers at and past
each length limit, leading zeros, signs, spaces, NUL, non-UTF-8 bytes, the
'|' the fast test joins them with, empty, missing; a state, creator, chain,
metadata of every wrong shape) and then 1 to 4 random events (types and
actors valid and not, repeated from the last call, expected seqs, event
ids, transitions), sometimes with a wrong key, sometimes after the library
and scripts are reloaded (FUNCTION FLUSH: its remembered keys, type and
actor go). The fast meta test (one pattern) must refuse whatever the ref's
field-by-field test refuses, with the same message. Prints one line per
difference, then 'N cases, M emits stored, K refused, D differences'.
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emit_diff import load, open_sides, zclose  # noqa: E402

DUMP = r"""
local out = {}
for _, k in ipairs(KEYS) do
  local t = redis.call('TYPE', k).ok
  local v = ''
  if t == 'hash' then
    local h = redis.call('HGETALL', k)
    local f = {}
    for i = 1, #h, 2 do f[#f + 1] = h[i] .. '=' .. h[i + 1] end
    table.sort(f)
    v = table.concat(f, '\n')
  elseif t == 'list' then v = table.concat(redis.call('LRANGE', k, 0, -1), '\n')
  elseif t == 'zset' then v = table.concat(redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'), '\n')
  end
  out[#out + 1] = t
  out[#out + 1] = v
  out[#out + 1] = redis.call('PEXPIRETIME', k)
end
return out
"""

PREFIXES = ['sess', 'p2', 'x:y']
IDS = ['s1', 's2', 'a.b', 's_3']
AGENTS = ['a1', 'a2', 'b@c:d-e']


def keys8(prefix, sid, tag='all'):
    b = '%s:{%s}:' % (prefix, sid)
    c = '%s:#{%s}:' % (prefix, tag)
    return [b + 'meta', b + 'events', b + 'checkpoints', b + 'eventids', b + 'history',
            c + 'index', c + 'stats', c + 'agents']


EDGES = {16: ['9007199254740991', '9007199254740992', '9999999999999999', '999999999999999',
              '1000000000000000', '0', '00'],
         9: ['315360001', '999999999', '0', '315360000', '315359999', '99999999', '100000000', '1', '00',
             '01']}


def number(rnd, limit_digits):
    """A whole number's text at and past its limits (the fast test's
    length, the range's ends), or damaged."""
    k = rnd.randrange(18)
    if k >= 14:
        return rnd.choice(EDGES[limit_digits])
    if k < 2:
        return rnd.choice(EDGES[limit_digits][:4])  # past the range or at its end
    if k == 3:
        d = rnd.choice([limit_digits - 2, limit_digits - 1, limit_digits, limit_digits + 1])
        return str(rnd.randrange(1, 10)) + ''.join(rnd.choice('0123456789') for _ in range(d - 1))
    if k == 4:
        return '0' * rnd.randrange(1, 20) + str(rnd.randrange(0, 1000))
    if k == 5:
        return rnd.choice(['-', '+', ' ', '']) + str(rnd.randrange(0, 100)) + rnd.choice(['', ' ', '\x00', '.0'])
    if k == 6:
        return rnd.choice(['', '-0', '1e3', '0x10', 'inf', 'nan', '1.5', '\xff', '\x00', '5\x005', '0|'])
    if k == 7:
        return str(rnd.randrange(0, 100)) + '|' + str(rnd.randrange(0, 100))
    if k == 8:
        return '|' * rnd.randrange(1, 3)
    if k == 9:
        return str(rnd.randrange(0, 10 ** rnd.randrange(1, 18)))
    if k == 10:
        return '-' + str(rnd.randrange(1, 10 ** rnd.randrange(1, 17)))
    if k == 11:
        return rnd.choice(['a', 'ab', 'f' * 40, '%d' % rnd.randrange(10)]) + rnd.choice(['', '|', '|0'])
    return str(rnd.randrange(1, 600))


def ident(rnd):
    k = rnd.randrange(8)
    if k < 3:
        return rnd.choice(['c', '_', '.']) * rnd.choice([128, 129, 129, 130])
    if k == 3:
        return ''
    if k == 4:
        return rnd.choice(['', '', '-c', '@c', ':c', 'c c', 'c|d', '|', 'c\x00', '\xe9t\xe9', 'c\xff', '.c',
                           '_c', 'a@b:c-d', '0', '9|9', 'a|b'])
    return rnd.choice(AGENTS)


def chain(rnd):
    hexd = '0123456789abcdefABCDEF'
    k = rnd.randrange(7)
    if k == 0:
        return ''
    if k == 1:
        return ''.join(rnd.choice(hexd) for _ in range(rnd.choice([39, 40, 41])))
    if k == 2:
        s = list(''.join(rnd.choice(hexd) for _ in range(40)))
        s[rnd.randrange(40)] = rnd.choice('g|\x00 -x\xff')
        return ''.join(s)
    if k == 3:
        return rnd.choice(['x', '|', '0|', 'a' * 20 + '|' + 'b' * 19])
    return ''.join(rnd.choice('0123456789abcdef') for _ in range(40))


def metadata(rnd):
    return rnd.choice(['{}', '{"k":1}', '{"k":[1,{"j":null}]}', '[1]', '{"k":', 'x', '', '{"a":1}x',
                       ' {}', '{"k":"|"}', '{"k":1,"k":2}', '{"k":"\\u0000"}', '1', 'null', '{"\xff":1}'])


FIELDS = {
    'state': lambda r: r.choice(['working', 'broken', 'completed', '', 'Working', 'working ', 'gone',
                                 'working|', '\x00']),
    'seq': lambda r: number(r, 16),
    'ref': lambda r: number(r, 16),
    'cps': lambda r: number(r, 16),
    'created': lambda r: number(r, 16),
    'ttl': lambda r: number(r, 9),
    'creator': ident,
    'h': chain,
    'metadata': metadata,
    'v': lambda r: r.choice(['3', '2', '', '3 ']),
    'moved': lambda r: r.choice(['elsewhere:6379']),
    'lastcp': lambda r: number(r, 16),
    'base': lambda r: number(r, 16),
}
WEIGHTS = [('seq', 6), ('ref', 6), ('cps', 6), ('created', 6), ('ttl', 6), ('creator', 6), ('h', 6),
           ('metadata', 3), ('state', 3), ('v', 1), ('moved', 1), ('lastcp', 1), ('base', 1)]


def typ(rnd):
    if rnd.random() < 0.1:
        return rnd.choice(['x' * 65, '9x', '', 'a|b', 'n\xe9', 'a b'])
    return rnd.choice(['note', 'note', 'broke', 'x' * 64, 'a.b-c_d', 'review'])


def actor(rnd):
    if rnd.random() < 0.1:
        return rnd.choice(['bad actor', 'a' * 129, '', 'a|b'])
    return rnd.choice(AGENTS + AGENTS + ['stranger'])


def event(rnd, last, clean):
    if clean:  # an event that is stored (or a member's duplicate)
        s = '"t":"%s","a":"%s"' % (rnd.choice(['note', 'review']), rnd.choice(AGENTS))
        return s + (',"eid":"e%d"}' % rnd.randrange(9) if rnd.random() < 0.2 else '}')
    k = rnd.randrange(40)
    if k == 0:
        return rnd.choice(['"t":"note","a":"a1"', '"t":"x","a":"a1","t":"y"}', '"t":"x","a":"a1","d":01}',
                           '"t":"x","a":"a1","d":"\\u0000"}', '"t":"x","a":"a1","s":1}',
                           '"t":1,"a":"a1"}', '"t":"note","a":5}', '"t":"note","a":"a1"}\n'])
    t = last[0] if last[0] and rnd.random() < 0.4 else typ(rnd)
    a = last[1] if last[1] and rnd.random() < 0.4 else actor(rnd)
    last[0], last[1] = t, a
    s = '"t":"%s","a":"%s"' % (t, a)
    if rnd.random() < 0.15:
        s += ',"st":{"from":"%s","to":"%s"}' % (rnd.choice(['working', 'broken', 'completed', 'gone']),
                                                rnd.choice(['working', 'broken', 'completed']))
    if rnd.random() < 0.2:
        s += ',"eid":"%s"' % rnd.choice(['e1', 'e2', 'e3', 'e4', 'e5', 'bad id'])
    if rnd.random() < 0.2:
        s += ',"d":{"k":%s,"m":"a|b:c"}' % rnd.choice(['1', '-0', '1e3', '[1,2]', '"x"'])
    return s + '}'


def cases(rnd, n):
    """(what, payload) steps: ('raw', cmd), ('reload', None), ('script', (name, keys, args))."""
    last = [None, None]
    for c in range(n):
        prefix, sid = rnd.choice(PREFIXES), rnd.choice(IDS)
        k = keys8(prefix, sid)
        out = []
        if rnd.random() < 0.03:
            out.append(('reload', None))
        # a fresh session now and then; create refuses one that is there
        if rnd.random() < 0.1:
            out.append(('raw', ['DEL'] + k[:5]))
        out.append(('script', ('create', k, ['agent:a1', 'a1', '600', rnd.choice(['', '{"f":1}'])])))
        out.append(('script', ('join', k, ['agent:a2'])))
        out.append(('script', ('join', k, ['agent:b@c:d-e'])))
        damaged = []
        for _ in range(rnd.choice([0, 0, 1, 1, 1, 1, 1, 2, 3])):
            f = rnd.choices([w[0] for w in WEIGHTS], [w[1] for w in WEIGHTS])[0]
            damaged.append(f)
            if rnd.random() < 0.12:
                out.append(('raw', ['HDEL', k[0], f]))
            else:
                out.append(('raw', ['HSET', k[0], f, FIELDS[f](rnd)]))
        clean = damaged and rnd.random() < 0.7  # the meta's test decides the reply
        args = [rnd.choice(['5', '5', '0', '3', '1']), rnd.choice(['1', '0']), '%s:{%s}:notify' % (prefix, sid), sid]
        for _ in range(rnd.choice([1, 1, 2, 3, 4])):
            expect = ''
            if rnd.random() < 0.15 and not clean:
                expect = rnd.choice(['0', '1', '5', '-1', 'x', '007', ''])
            args += [expect, event(rnd, last, clean)]
        keys = list(k)
        if rnd.random() < 0.05:
            j = rnd.randrange(8)
            keys[j] = keys8(rnd.choice(PREFIXES), rnd.choice(IDS), rnd.choice(['all', 'x']))[j]
        out.append(('script', ('emit', keys, args)))
        # repaired: the next case starts from a sound session (its seq
        # and the rest as the emit left them, or as they were)
        if damaged:
            out.append(('raw', ['DEL'] + k[:5]))
        yield c, k, out


def main():
    refdir, fulldir, seed, ncases = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sides = [a.split('=', 1) for a in sys.argv[5:]]
    names = ['create', 'join', 'emit']
    lib, run = open_sides(refdir, fulldir, names, sides)
    diffs, stored, refused = 0, 0, 0

    def differ(what):
        nonlocal diffs
        diffs += 1
        print(what)

    rnd = random.Random(seed)
    tol, done = 0, 0
    for c, k, steps in cases(rnd, ncases):
        done += 1
        t0 = time.time()
        now = int(t0 * 1000)
        for what, st in steps:
            replies = []
            for r in run:
                cn = r['c']
                cn.cmd('HSET', 'difftest:clock', 's', now // 1000, 'us', (now % 1000) * 1000)
                if what == 'reload':
                    cn.cmd('SCRIPT', 'FLUSH')
                    cn.cmd('FUNCTION', 'FLUSH')
                    r['h'] = load(cn, r['name'], r['how'], r['texts'])
                    replies.append(None)
                elif what == 'raw':
                    replies.append(cn.cmd(*st))
                else:
                    script, keys, args = st
                    if r['how'] == 'fcall':
                        replies.append(cn.cmd('FCALL', 'sk%s_%s' % (lib, script), len(keys), *keys, *args))
                    else:
                        replies.append(cn.cmd('EVALSHA', r['h'][script], len(keys), *keys, *args))
            label = 'case %d (seed %d) %s %r' % (c, seed, what, st)
            for r, rep in zip(run[1:], replies[1:]):
                if rep != replies[0]:
                    differ('%s: %s replied %r, %s %r' % (label, r['name'], rep, run[0]['name'], replies[0]))
            if what == 'script' and st[0] == 'emit':
                if isinstance(replies[0], tuple):
                    refused += 1
                else:
                    stored += 1
        dumps = [r['c'].cmd('EVAL', DUMP, len(k), *k) for r in run]
        tol = max(tol, int((time.time() - t0) * 1000) + 2)
        for r, d in zip(run[1:], dumps[1:]):
            for j, key in enumerate(k):
                (ta, va, ea), (tb, vb, eb) = dumps[0][3 * j:3 * j + 3], d[3 * j:3 * j + 3]
                if ta != tb or (va != vb and not (ta == 'zset' and zclose(va, vb, tol))):
                    differ('case %d (seed %d): %s differs:\n  %s: %s %r\n  %s: %s %r' %
                           (c, seed, key, run[0]['name'], ta, va, r['name'], tb, vb))
                if (ea < 0) != (eb < 0) or abs(ea - eb) > tol:
                    differ('case %d (seed %d): %s expires at %d on %s, %d on %s (tolerance %d ms)' %
                           (c, seed, key, ea, run[0]['name'], eb, r['name'], tol))
        # the messages of this case, up to a mark each server publishes
        msgs = []
        for r in run:
            r['c'].cmd('PUBLISH', 'difftest:mark', str(c))
            got = []
            while True:
                m = r['sub'].read()
                if m[2] == 'difftest:mark':
                    break
                got.append(tuple(m[2:]))
            msgs.append(got)
        for r, m in zip(run[1:], msgs[1:]):
            if m != msgs[0]:
                differ('case %d (seed %d): messages differ: %s %r, %s %r' %
                       (c, seed, run[0]['name'], msgs[0], r['name'], m))
        if diffs > 20:
            break
    print('%d cases, %d emits stored, %d refused, %d differences' % (done, stored, refused, diffs))
    sys.exit(1 if diffs else 0)


if __name__ == '__main__':
    main()

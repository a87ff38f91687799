#!/usr/bin/env python3
"""migput_diff.py BINDIR DATADIR SRC_SOCK DST_SOCK - the scenarios of the
put path's differential test (tests/sess-migrate_putdiff.bats): copy and
import of DATADIR/sessions.jsonl (hostile bytes, a session past the
compact encodings, numeric ids, one without expiry, one expired, one
carrying a fence, an id twice in one batch) onto an empty target and
onto one holding DATADIR/prior.jsonl (other sessions of the same ids),
under each conflict rule, a kill in the middle of a batch then its
resume, and a rollback; then batches mixing sessions copied with skipped
or conflicting ones (a session without expiry over one with an expiry)
and a resume's one batch of sessions done, skipped, expired and copied;
with the binaries of BINDIR. Prints, after each
step, the tool's result lines and the target's whole state: every key
with its type, its absolute expiry (PEXPIRETIME) and its value (a hash's
fields in their stored order while it is compact, sorted once it is a
hash table; a backup hash's payloads RESTOREd and shown the same way).
The input's expiries are fixed instants, the tasks named, so the output
is the same on every run: the test compares it with what main's build
printed (DATADIR/expected.txt). A line longer than 120 characters is
printed as its first 80, then # and the first 16 hex digits of its
SHA-256 (the whole would be over a megabyte). What the tools write from
their own clock is left out (a task's record) or shown as NOW (the
expiry and index score of a session imported without one: the meta's
ttl from the arrival)."""
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile

BIN, DATA, SRC, DST = sys.argv[1:5]


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile('rb')

    def call(self, *args):
        out = [b'*%d\r\n' % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b'$%d\r\n%s\r\n' % (len(a), a))
        self.s.sendall(b''.join(out))
        return self.reply()

    def reply(self):
        line = self.f.readline()[:-2]
        t, v = line[:1], line[1:]
        if t == b'$':
            n = int(v)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if t == b'*':
            n = int(v)
            return None if n < 0 else [self.reply() for _ in range(n)]
        if t == b':':
            return int(v)
        if t == b'-':
            raise RuntimeError(v.decode(errors='replace'))
        return v


def instant(ms):
    """ms as shown: NOW when from the tools' clock; an instant of the
    input when within 5 ms of it (a copy counts a key's expiry from the
    source's clock plus its PTTL, so it may land a millisecond early)."""
    if abs(ms - NOW) < 86400000:
        return 'NOW'
    for at in (4102444800000, 4000000000000):
        if abs(ms - at) <= 5:
            return str(at)
    return str(ms)


def show(conn, key):
    """A key's type and value, in a form that does not depend on the
    server's hash seed."""
    t = conn.call('TYPE', key).decode()
    enc = conn.call('OBJECT', 'ENCODING', key)
    compact = enc in (b'listpack', b'ziplist', b'intset')
    if t == 'hash':
        v = conn.call('HGETALL', key)
        pairs = list(zip(v[0::2], v[1::2]))
        return t, pairs if compact else sorted(pairs)
    if t == 'list':
        return t, conn.call('LRANGE', key, 0, -1)
    if t == 'set':
        return t, sorted(conn.call('SMEMBERS', key))
    if t == 'zset':
        v = conn.call('ZRANGE', key, 0, -1, 'WITHSCORES')
        # (in the order of the scores as shown: one a millisecond off
        # would reorder them)
        return t, sorted((instant(int(float(sc))), m) for m, sc in zip(v[0::2], v[1::2]))
    if t == 'string':
        return t, conn.call('GET', key)
    return t, None


def state(conn):
    lines = []
    for key in sorted(conn.call('KEYS', '*')):
        k = key.decode()
        # a task's record and the list of tasks: the tools' clock
        if k == 'sess:migrate:tasks' or (k.startswith('sess:migrate:') and k.count(':') == 2):
            continue
        t, v = show(conn, key)
        at = conn.call('PEXPIRETIME', key)
        at = instant(at) if at > 0 else str(at)
        if k.endswith(':backup') and t == 'hash':
            shown = []
            for f, x in v:
                name = f.decode()
                if name.rsplit(':', 1)[-1] in ('1', '2', '3', '4', '5'):
                    conn.call('RESTORE', 'putdiff:tmp', 0, x, 'REPLACE')
                    x = show(conn, 'putdiff:tmp')
                    conn.call('DEL', 'putdiff:tmp')
                elif int(x) > 0:
                    x = instant(int(x))
                shown.append((f, x))
            v = shown
        lines.append('%s %s %s %r' % (key, t, at, v))
    return lines


def out(line):
    if len(line) > 120:
        line = '%s #%s' % (line[:80], hashlib.sha256(line.encode()).hexdigest()[:16])
    print(line)


def run(tag, args, env=None):
    e = dict(os.environ, SESSKIT_CONFIG='', HOME='/nonexistent')
    e.update(env or {})
    p = subprocess.run([os.path.join(BIN, 'sess-migrate')] + args, env=e,
                       capture_output=True, text=True)
    out('== %s: exit %d' % (tag, p.returncode))
    for line in p.stdout.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            out('  (not JSON) %r' % line)
            continue
        o.pop('elapsedMs', None)
        if 'error' in o and isinstance(o['error'], dict):
            o['error'].pop('message', None)
        out('  ' + json.dumps(o, sort_keys=True))


def snap(tag):
    out('-- %s' % tag)
    for line in state(dst):
        out('  ' + line)


def put_prior():
    run('prior', ['import', prior, '--to', D, '--task', 'prior'])
    # one without expiry (the import gives one the meta's ttl from now)
    for x in ('meta', 'events', 'checkpoints', 'eventids', 'history'):
        dst.call('PERSIST', 'sess:{noexp}:' + x)


src, dst = Conn(SRC), Conn(DST)
t = dst.call('TIME')
NOW = int(t[0]) * 1000 + int(t[1]) // 1000
S, D = 'unix://' + SRC, 'unix://' + DST
ses, prior = os.path.join(DATA, 'sessions.jsonl'), os.path.join(DATA, 'prior.jsonl')

# onto an empty target: every session in one batch, then in batches of 3
for batch in ('100', '3'):
    dst.call('FLUSHALL')
    run('import, batch ' + batch, ['import', ses, '--to', D, '--task', 'i' + batch, '--batch', batch])
    snap('import, batch ' + batch)
# again onto itself: each session already there (skip), then done (resume)
run('import again, skip', ['import', ses, '--to', D, '--task', 'again'])
snap('import again')
run('resume of the done task', ['resume', 'i3', '--to', D])
snap('resume of the done task')

# onto a target holding other sessions of the same ids, each rule
for rule in ('skip', 'replace', 'newer', 'fail'):
    dst.call('FLUSHALL')
    put_prior()
    run('import --conflict ' + rule, ['import', ses, '--to', D, '--task', rule, '--conflict', rule, '--batch', '4'])
    snap('import --conflict ' + rule)
    if rule in ('replace', 'newer'):
        run('rollback ' + rule, ['rollback', rule, '--to', D])
        snap('rollback ' + rule)

# a kill in the middle of a batch's put (the first: which of the batches
# already sent land before the connection drops is up to the kernel),
# then the resume
dst.call('FLUSHALL')
put_prior()
run('import killed mid-put', ['import', ses, '--to', D, '--task', 'killed', '--conflict', 'replace', '--batch', '4'],
    {'SESSKIT_FAULT_EXIT_MID_PUT': '3'})
snap('import killed mid-put')
run('resume', ['resume', 'killed', '--to', D])
snap('resume')
run('rollback of the resumed task', ['rollback', 'killed', '--to', D])
snap('rollback of the resumed task')

# copy (RESTOREd payloads): the sessions on the source, the prior on the target
src.call('FLUSHALL')
run('source', ['import', ses, '--to', S, '--task', 'src'])
# a session without expiry (the import gives one the meta's ttl from now)
for x in ('meta', 'events', 'checkpoints', 'eventids', 'history'):
    src.call('PERSIST', 'sess:{noexp}:' + x)
for rule in ('skip', 'replace'):
    dst.call('FLUSHALL')
    put_prior()
    run('copy --conflict ' + rule, ['copy', '--all', '--from', S, '--to', D, '--task', 'c' + rule,
                                     '--conflict', rule, '--batch', '5'])
    snap('copy --conflict ' + rule)
dst.call('FLUSHALL')
run('copy killed mid-put', ['copy', '--all', '--from', S, '--to', D, '--task', 'ckill', '--batch', '4'],
    {'SESSKIT_FAULT_EXIT_MID_PUT': '3'})
snap('copy killed mid-put')
run('copy resume', ['resume', 'ckill', '--from', S, '--to', D])
snap('copy resume')
run('copy rollback', ['rollback', 'ckill', '--to', D])
snap('copy rollback')

# a session without expiry (noexp on the source) onto a target whose
# noexp has one, in one batch with sessions copied: skipped (or a
# conflict), the target's keys keep their expiry (only a put session's
# keys are made to persist)
for rule in ('skip', 'fail'):
    dst.call('FLUSHALL')
    run('prior, with expiries', ['import', prior, '--to', D, '--task', 'prior'])
    run('copy --conflict %s, one batch' % rule, ['copy', '--all', '--from', S, '--to', D, '--task', 'one' + rule,
                                                 '--conflict', rule, '--batch', '100'])
    snap('copy --conflict %s, one batch' % rule)
# a batch of every outcome: a task run over the first six lines, then
# resumed over the whole file in one batch: sessions done, skipped,
# expired and copied
dst.call('FLUSHALL')
run('prior, with expiries', ['import', prior, '--to', D, '--task', 'prior'])
part = os.path.join(tempfile.mkdtemp(), 'part.jsonl')
with open(ses) as f:
    lines = f.readlines()
with open(part, 'w') as f:
    f.writelines(lines[:6])
run('import --conflict skip of six lines', ['import', part, '--to', D, '--task', 'mix', '--conflict', 'skip'])
with open(part, 'w') as f:
    f.writelines(lines)
run('resume over the whole file, one batch', ['resume', 'mix', '--to', D, '--batch', '100'])
snap('resume over the whole file, one batch')

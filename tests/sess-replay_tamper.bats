#!/usr/bin/env bats
# sess-replay against tampered and hostile data (issue 17): nothing derived
# from unverified data is shown or exported as verified, stored JSON is
# read by its structure, bad input is refused.

bats_require_minimum_version 1.5.0
setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

rp() { sk sess-replay "$@"; }
# the same, killed after 10 s (a spin is a failure, not a hang)
rpt() { timeout 10 env REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME="$BATS_FILE_TMPDIR" SESSKIT_CONFIG= "$SESSKIT_BUILDDIR/sess-replay" "$@"; }

# rechain ID (helpers/redis.bash): a session's chain head made over.

@test "fork reads an event's id by its structure: an impact holding \"eid\" is no event id" {
	sctl create --agent a1 --id f1 >/dev/null
	sctl emit f1 --actor a1 --type modified --impact '{"eid":"job-7"}' --event-id real-1 >/dev/null
	sctl emit f1 --actor a1 --type modified >/dev/null
	run rp fork f1 --at 2 --id f1b
	assert_success
	# a retry of real-1 on the fork is a duplicate, not appended again
	run sctl emit f1b --actor a1 --type modified --event-id real-1
	assert_success
	assert_equal "$(sctl get f1b | jq -r .seq)" 2
	# a new event with id job-7 is appended, not swallowed
	run sctl emit f1b --actor a1 --type modified --event-id job-7
	assert_success
	assert_equal "$(sctl get f1b | jq -r .seq)" 3
	assert_equal "$(rcli HKEYS 'sess:{f1b}:eventids' | sort | tr '\n' ' ')" "job-7 real-1 "
}

@test "play --actor matches a lifecycle record's own agent, not one inside its metadata" {
	sctl create --agent a1 --id p1 --metadata '{"a":"zed","x":{"a":"zed"}}' >/dev/null
	sctl join p1 zed >/dev/null
	sctl emit p1 --actor a1 --type modified --impact '{"a":"zed"}' >/dev/null
	run rp play p1 --actor zed
	assert_success
	assert_equal "$(jq -rc '[.frame, .kind // .type, .agent // .actor]' <<<"$output" | tr '\n' ' ')" '["lifecycle","join","zed"] '
}

@test "play --speed: out of range is a usage error (64), not a spin" {
	sctl create --agent a1 --id sp1 >/dev/null
	sctl emit sp1 --actor a1 --type modified >/dev/null
	sleep 0.01
	sctl emit sp1 --actor a1 --type modified >/dev/null
	for s in 1e-300 0.0001 1e300 inf nan -1 0 abc; do
		run rpt play sp1 --speed "$s"
		assert_failure 64
		assert_output --partial "--speed"
	done
	run rpt play sp1 --speed 1000
	assert_success
}

@test "play writes bytes that are not UTF-8 as U+FFFD, never raw" {
	sctl create --agent a1 --id u1 >/dev/null
	sctl emit u1 --actor a1 --type modified --change '{"elementType":"file","entityIds":["src/x.ts"],"operation":"modified"}' >/dev/null
	ev=$(rcli --raw LINDEX 'sess:{u1}:events' 0)
	printf '%s' "$ev" | sed 's|src/x.ts|src/\xff\xfe.ts|' > "$BATS_TEST_TMPDIR/bad"
	rcli -x LSET 'sess:{u1}:events' 0 < "$BATS_TEST_TMPDIR/bad" >/dev/null
	rechain u1
	for args in "" "--with-state" "--type modified"; do
		rp play u1 $args > "$BATS_TEST_TMPDIR/out" || true
		python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' < "$BATS_TEST_TMPDIR/out" || fail "play $args printed invalid UTF-8"
		grep -q 'src/��.ts' "$BATS_TEST_TMPDIR/out" || fail "play $args: no U+FFFD in $(cat "$BATS_TEST_TMPDIR/out")"
	done
}

# A session with N events from a1 (one batch).
many() {
	local id=$1 n=$2
	sctl create --agent a1 --id "$id" >/dev/null
	awk -v n="$n" -v id="$id" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"op\":\"emit\",\"id\":\"%s\",\"actor\":\"a1\",\"type\":\"modified\"}\n", id }' | sctl batch >/dev/null
}

# replay_edit ID FIELD PYTHON: block FIELD of replay ID decompressed,
# changed by PYTHON (on `raw`, bytes), compressed again with its SHA-1 made
# again: what an attacker who knows the format can do.
replay_edit() {
	python3 - "$REDIS_SOCK" "$1" "$2" "$3" <<'PY'
import hashlib, socket, subprocess, sys
sock, rid, field, code = sys.argv[1:]
def cli(*a, inp=None):
    return subprocess.run(["redis-cli", "-s", sock] + list(a), input=inp, capture_output=True).stdout
blob = cli("--raw", "HGET", "sess:replay:{%s}" % rid, field)[:-1]
raw = subprocess.run(["zstd", "-dc"], input=blob[24:], capture_output=True).stdout
exec(code)
z = subprocess.run(["zstd", "-19", "-c", "--no-check", "--stream-size=%d" % len(raw)], input=raw, capture_output=True).stdout
cli("-x", "HSET", "sess:replay:{%s}" % rid, field, inp=b"SKB1" + hashlib.sha1(z).digest() + z)
PY
}

@test "S2: a block's snapshot edited (SHA-1 made again): verify --saved finds it, state --proof refuses it" {
	command -v zstd >/dev/null || skip "no zstd command"
	many s2 300
	sctl join s2 a2 >/dev/null
	run rp save s2 --interval 64
	assert_success
	want=$(rp state s2 --at 200 | jq -c '{state, agents: [.agents[].id]}')
	replay_edit s2 b:3 'raw = raw.replace(b"\"state\":\"working\"", b"\"state\":\"broken\"", 1)'
	run rp state s2 --at 200 --saved
	assert_success
	assert_not_equal "$(jq -c '{state, agents: [.agents[].id]}' <<<"$output")" "$want"
	run rp verify s2 --saved
	assert_failure 1
	assert_output --partial '"code":"replay.snapshot_mismatch"'
	run rp state s2 --at 200 --saved --proof
	assert_failure 65
	assert_output --partial "snapshot"
}

@test "a saved replay's meta.blocks lowered: verify, export and play fail (65), never a shorter history" {
	many mb 2500
	rp save mb >/dev/null
	meta=$(rcli --raw HGET 'sess:replay:{mb}' meta)
	rcli HSET 'sess:replay:{mb}' meta "$(jq -c '.blocks = 2 | .blockSeqs = .blockSeqs[:2]' <<<"$meta")" >/dev/null
	run rp verify mb --saved
	assert_failure 1
	assert_output --partial "past the 2"
	run rp export mb --saved -o "$BATS_TEST_TMPDIR/mb.jsonl"
	assert_failure 65
	[ ! -e "$BATS_TEST_TMPDIR/mb.jsonl" ] || fail "a partial export was written"
	run rp play mb --saved
	assert_failure 65
	# only the count lowered: the block seqs disagree
	rcli HSET 'sess:replay:{mb}' meta "$(jq -c '.blocks = 2' <<<"$meta")" >/dev/null
	run rp verify mb --saved
	assert_failure 1
	assert_output --partial '"code":"replay.corrupt_replay"'
}

@test "verify: meta.seq past the log's end, and an event past meta.seq, are findings" {
	many ls 26
	rcli HSET 'sess:{ls}:meta' seq 1000 >/dev/null
	run rp verify ls
	assert_failure 1
	assert_output --partial '"code":"session.log_short"'
	run rp state ls --at 5
	assert_success
	run rp play ls
	assert_failure 65
	run rp export ls
	assert_failure 65
	run rp save ls
	assert_failure 65
	assert_output --partial "seq"
	assert_equal "$(rcli EXISTS 'sess:replay:{ls}')" 0
	many lx 26
	rcli RPUSH 'sess:{lx}:events' "$(rcli --raw LINDEX 'sess:{lx}:events' -1 | sed 's/"s":26,/"s":27,/')" >/dev/null
	run rp verify lx
	assert_failure 1
	assert_output --partial '"code":"session.log_extra"'
	run rp save lx
	assert_failure 65
	run rp export lx
	assert_failure 65
}

@test "state of a tampered live session: refused (65), with or without --proof" {
	many ts 25
	rcli LSET 'sess:{ts}:events' 3 "$(rcli --raw LINDEX 'sess:{ts}:events' 3 | sed 's/"a1"/"a9"/')" >/dev/null
	for args in "--at 5" "--at 5 --proof" "--at 25 --proof" "--at 22"; do
		run rp state ts $args
		assert_failure 65
		assert_output --partial "chain"
	done
	# a record past the last checkpoint: the stored head anchors it
	many tt 25
	rcli LSET 'sess:{tt}:events' 23 "$(rcli --raw LINDEX 'sess:{tt}:events' 23 | sed 's/"a1"/"a9"/')" >/dev/null
	run rp state tt --at 24
	assert_failure 65
	run rp state tt --at 19
	assert_success
}

@test "S3: export of a tampered session fails (65) without an end line; the end line holds the stored head" {
	many ex 30
	run rp export ex -o "$BATS_TEST_TMPDIR/ex.jsonl"
	assert_success
	assert_equal "$(tail -1 "$BATS_TEST_TMPDIR/ex.jsonl" | jq -r .chain)" "$(rcli HGET 'sess:{ex}:meta' h)"
	rcli LSET 'sess:{ex}:events' 4 "$(rcli --raw LINDEX 'sess:{ex}:events' 4 | sed 's/"a1"/"a9"/')" >/dev/null
	rp export ex > "$BATS_TEST_TMPDIR/t.jsonl" 2>"$BATS_TEST_TMPDIR/err" && fail "export of a tampered session exited 0"
	grep -q chain "$BATS_TEST_TMPDIR/err" || fail "no reason: $(cat "$BATS_TEST_TMPDIR/err")"
	run -1 grep -c '"end":true' "$BATS_TEST_TMPDIR/t.jsonl"
	assert_output 0
	# to stdout the lines before were written: the message says so, never "nothing exported"
	[ -s "$BATS_TEST_TMPDIR/t.jsonl" ] || fail "no lines streamed"
	run -1 grep -c 'nothing exported' "$BATS_TEST_TMPDIR/err"
	run -0 grep -c 'incomplete: no end line was written; discard it' "$BATS_TEST_TMPDIR/err"
	run rp import --id ex2 "$BATS_TEST_TMPDIR/t.jsonl"
	assert_failure 65
	run rp export ex -o "$BATS_TEST_TMPDIR/t2.jsonl"
	assert_failure 65
	assert_output --partial "nothing exported"
	run -0 ls "$BATS_TEST_TMPDIR"
	refute_output --partial "t2.jsonl"
	# the head edited to the recomputed chain: the checkpoints after the
	# edit still hold the chain as it was
	rechain ex
	run --separate-stderr rp export ex
	assert_failure 65
	[[ $stderr == *checkpoint* ]] || fail "$stderr"
	[[ $stderr == *"incomplete: no end line was written; discard it"* ]] || fail "$stderr"
}

@test "export -o: a unique temporary file, never a symlink followed, none left after SIGTERM" {
	many eo 30
	echo precious > "$BATS_TEST_TMPDIR/victim"
	ln -s "$BATS_TEST_TMPDIR/victim" "$BATS_TEST_TMPDIR/out.jsonl.tmp"
	run rp export eo -o "$BATS_TEST_TMPDIR/out.jsonl"
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/victim")" precious
	run rp import --id eo2 "$BATS_TEST_TMPDIR/out.jsonl"
	assert_success
	rm "$BATS_TEST_TMPDIR/out.jsonl.tmp"
	# interrupted: the export stops between records, removes its file.
	# SIGTERM lands before it has read a record, whatever the machine's
	# load: the server is stopped (SIGSTOP: its socket still accepts, no
	# command is answered) until the export holds its handler (SigCgt in
	# /proc) and has the signal; a wait for the file to appear, then a
	# kill, lost the race to an export that finished first
	many big 200
	mkdir "$BATS_TEST_TMPDIR/d"
	local srv n cgt
	srv=$(cat "$REDIS_DIR/redis.pid")
	kill -STOP "$srv"
	sk_bg "$BATS_TEST_TMPDIR/o" "$BATS_TEST_TMPDIR/e" sess-replay export big --timeout 600s -o "$BATS_TEST_TMPDIR/d/big.jsonl"
	pid=$!
	for ((n = 0; n < 2000; n++)); do
		cgt=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || cgt=0
		(((16#${cgt:-0} >> 14) & 1)) && break
		sleep 0.01
	done
	kill -TERM "$pid" || true
	kill -CONT "$srv"
	[ "$n" -lt 2000 ] || fail "the export never caught SIGTERM: $(cat "$BATS_TEST_TMPDIR/e")"
	st=0
	wait "$pid" || st=$?
	assert_equal "$st" 143
	run -0 ls -A "$BATS_TEST_TMPDIR/d"
	assert_output ""
}

@test "export -o: SIGTERM after the last record, during the final checks, still leaves no file and exits 143" {
	many late 20
	mkdir "$BATS_TEST_TMPDIR/d"
	# a proxy to the server that holds the export's last read (the log's
	# length, after every record was written) until told: SIGTERM lands
	# in that window, whatever the load
	cat >"$BATS_TEST_TMPDIR/proxy.py" <<'PY'
import os, re, socket, sys, threading, time
os.closerange(3, 65536)
up, portfile, held, go = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
open(portfile + ".tmp", "w").write("%d\n" % ls.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
c, _ = ls.accept()
u = socket.create_connection(("127.0.0.1", up))
def down():
    while True:
        d = u.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
threading.Thread(target=down, daemon=True).start()
seen, held_once = b"", False
while True:
    d = c.recv(65536)
    if not d:
        break
    seen = (seen + d)[-4096:]
    if not held_once and re.search(rb"LLEN\r\n\$\d+\r\n[^\r]*:events\r\n", seen):
        held_once = True
        open(held, "w").close()
        while not os.path.exists(go):
            time.sleep(0.01)
    u.sendall(d)
u.close()
PY
	python3 "$BATS_TEST_TMPDIR/proxy.py" "$REDIS_PORT_T" "$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/held" \
		"$BATS_TEST_TMPDIR/go" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/proxy.err" 3>&- &
	local proxy=$! n
	for ((n = 0; n < 1000; n++)); do
		[ ! -s "$BATS_TEST_TMPDIR/port" ] || break
		sleep 0.01
	done
	REDIS_URL="redis://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")" sk_bg "$BATS_TEST_TMPDIR/o" "$BATS_TEST_TMPDIR/e" \
		sess-replay export late --timeout 600s -o "$BATS_TEST_TMPDIR/d/late.jsonl"
	pid=$!
	for ((n = 0; n < 2000; n++)); do
		[ ! -e "$BATS_TEST_TMPDIR/held" ] || break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -TERM "$pid" || true
	touch "$BATS_TEST_TMPDIR/go"
	st=0
	wait "$pid" || st=$?
	kill "$proxy" 2>/dev/null || true
	wait "$proxy" || true
	[ -e "$BATS_TEST_TMPDIR/held" ] || fail "the proxy never held the export's last read: $(cat "$BATS_TEST_TMPDIR/e" "$BATS_TEST_TMPDIR/proxy.err")"
	assert_equal "$st" 143
	run -0 ls -A "$BATS_TEST_TMPDIR/d"
	assert_output ""
}

@test "one unreadable replay or session: list, stats, verify --all report it, go on, exit non-zero" {
	many g1 5
	many g2 5
	many g3 5
	rp save g1 g2 g3 >/dev/null
	rcli HSET 'sess:replay:{g1}' meta 'not json' >/dev/null
	meta=$(rcli --raw HGET 'sess:replay:{g2}' meta)
	rcli HSET 'sess:replay:{g2}' meta "$(jq -c '.v = 3' <<<"$meta")" >/dev/null
	run rp list
	assert_failure 65
	assert_equal "$(grep '^{' <<<"$output" | jq -r .id)" g3
	assert_output --partial "g1 skipped"
	assert_output --partial "g2 skipped"
	assert_output --partial "2 saved replays could not be read"
	run rp stats
	assert_failure 65
	assert_equal "$(grep '^{' <<<"$output" | jq -c '[.replays, .unreadable]')" '[1,2]'
	run rp verify --all --saved
	assert_failure 1
	assert_equal "$(grep '^{' <<<"$output" | jq -r 'select(.code) | "\(.id) \(.code)"' | sort | tr '\n' ' ')" \
		"g1 replay.corrupt_replay g2 replay.unknown_replay_version "
	assert_equal "$(grep '^{' <<<"$output" | jq -r 'select(.source) | "\(.id) \(.ok)"')" "g3 true"
	# a live session of a layout this sesskit does not know
	rcli HSET 'sess:{g1}:meta' v 9 >/dev/null
	run rp verify --all
	assert_failure 1
	assert_equal "$(grep '^{' <<<"$output" | jq -r 'select(.source) | "\(.id) \(.ok)"' | sort | tr '\n' ' ')" \
		"g1 false g2 true g3 true "
	assert_output --partial '"code":"session.layout","legacyCode":"unknown_layout"'
}

@test "play --with-state of a tampered history: its frames, then exit 65" {
	many pw 25
	run rp play pw --with-state
	assert_success
	rcli LSET 'sess:{pw}:events' 3 "$(rcli --raw LINDEX 'sess:{pw}:events' 3 | sed 's/"a1"/"a9"/')" >/dev/null
	for args in "" "--to 5" "--from 20"; do
		run rp play pw --with-state $args
		assert_failure 65
		assert_output --partial "chain"
	done
}

# refile IN OUT PYTHON: an export with its record lines changed by PYTHON
# (on `recs`, a list of bytes lines), its end line's count and chain made
# again to match: a forged file that folds to its own end line.
refile() {
	python3 - "$1" "$2" "$3" <<'PY'
import hashlib, json, sys
src, dst, code = sys.argv[1:]
lines = open(src, "rb").read().split(b"\n")
lines = [l for l in lines if l]
hdr, rest = lines[0], lines[1:]
recs = [l for l in rest if l.startswith(b'{"s":') or l.startswith(b'{"k":')]
cps = [l for l in rest if l.startswith(b'{"checkpoint":')]
end = json.loads(rest[-1])
exec(code)
h = b""
for r in recs:
    h = hashlib.sha1(h + r).hexdigest().encode()
end["records"] = len(recs)
end["chain"] = h.decode()
out = [hdr] + recs + cps + [json.dumps(end, separators=(",", ":")).encode()]
open(dst, "wb").write(b"\n".join(out) + b"\n")
PY
}

@test "import refuses what sesskit never writes: NUL, bad UTF-8, bad ids, ttl -5, deep nesting, a huge line, a newer format" {
	sctl create --agent a1 --id im >/dev/null
	sctl emit im --actor a1 --type modified --impact '{"x":"y"}' >/dev/null
	sctl emit im --actor a1 --type modified >/dev/null
	rp export im > "$BATS_TEST_TMPDIR/im.jsonl"
	f=$BATS_TEST_TMPDIR/f.jsonl
	# the refile helper itself: an unchanged file imports
	refile "$BATS_TEST_TMPDIR/im.jsonl" "$f" 'pass'
	run rp import --id ok1 "$f"
	assert_success
	local -a cases=(
		'recs[1] = recs[1].replace(b"\"y\"", b"\"y\x00z\"")'
		'recs[1] = recs[1].replace(b"\"y\"", b"\"\xff\xfe\"")'
		'recs.append(b"{\"k\":\"join\",\"at\":2,\"ts\":1,\"a\":\"x{y}\"}")'
		'recs[0] = recs[0].replace(b"\"ttl\":3600", b"\"ttl\":-5")'
		'recs[1] = recs[1].replace(b"{\"x\":\"y\"}", b"[" * 200000 + b"]" * 200000)'
		'recs.append(b"{\"k\":\"join\",\"at\":2,\"ts\":1,\"a\":\"a2\",\"zz\":1}")'
		'recs[2] = recs[2].replace(b"\"t\":\"modified\"", b"\"t\":\"modified\",\"t\":\"broke\"")'
		'recs[2] = recs[2].replace(b"\"a\":\"a1\"", b"\"a\":\"a1\",\"eid\":\"a b\"")'
	)
	local i=0 c
	for c in "${cases[@]}"; do
		i=$((i + 1))
		refile "$BATS_TEST_TMPDIR/im.jsonl" "$f" "$c"
		run rp import --id "bad$i" "$f"
		[ "$status" -eq 65 ] || fail "case $i ($c): exit $status, $output"
		[[ "$output" == *"line "* ]] || fail "case $i: no line named: $output"
		assert_equal "$(rcli EXISTS "sess:replay:{bad$i}")" 0
	done
	# a 60 MB line
	refile "$BATS_TEST_TMPDIR/im.jsonl" "$f" 'recs[1] = recs[1].replace(b"\"y\"", b"\"" + b"y" * 60000000 + b"\"")'
	run rp import --id big1 "$f"
	assert_failure 65
	assert_output --partial "16 MiB"
	# a header of a newer format
	sed '1s/"v":1/"v":2/' "$BATS_TEST_TMPDIR/im.jsonl" > "$f"
	run rp import --id v2 "$f"
	assert_failure 78
	assert_output --partial "version 2"
	assert_equal "$(rcli ZCARD sess:#{all}:replays)" 1
}

@test "fork never writes a member id sesskit would refuse, whatever the history holds" {
	sctl create --agent a1 --id fk >/dev/null
	sctl emit fk --actor a1 --type modified >/dev/null
	rcli RPUSH 'sess:{fk}:history' '{"k":"join","at":1,"ts":1,"a":"x{y}*"}' >/dev/null
	rechain fk
	run rp fork fk --at 1 --id fk2
	assert_failure 65
	assert_output --partial "nothing forked"
	assert_equal "$(rcli KEYS 'sess:{fk2}*')" ""
}

@test "save --completed: one session it cannot read is named, the others are saved, exit non-zero, how many said" {
	many c1 3
	many c2 3
	many c3 3
	for id in c1 c2 c3; do sctl complete $id >/dev/null; done
	rcli HSET 'sess:{c2}:meta' v 9 >/dev/null
	rcli HSET 'sess:{c3}:meta' seq 1000 >/dev/null
	run rp save --completed
	assert_failure
	assert_equal "$(grep '^{' <<<"$output" | jq -r 'select(.saved) | .id')" c1
	assert_equal "$(grep '^{' <<<"$output" | jq -r 'select(.ok == false) | .id' | sort | tr '\n' ' ')" "c2 c3 "
	assert_output --partial "2 completed sessions were not saved"
	assert_equal "$(rcli EXISTS 'sess:replay:{c1}')" 1
}

@test "diff of a tampered live session: refused (65), the --to side too" {
	many dt 25
	rcli LSET 'sess:{dt}:events' 14 "$(rcli --raw LINDEX 'sess:{dt}:events' 14 | sed 's/"a1"/"a9"/')" >/dev/null
	run rp diff dt --from 2 --to 5
	assert_success
	run rp diff dt --from 2 --to 16
	assert_failure 65
	assert_output --partial "chain"
}

@test "a long log (pages in flight): state anchors, a missing checkpoint is found after the stream, never read in it" {
	many lg 3000
	run rp state lg --at 5 --proof
	assert_success
	assert_equal "$(jq -r .seq <<<"$output")" 5
	run rp export lg -o "$BATS_TEST_TMPDIR/lg.jsonl"
	assert_success
	rcli HDEL 'sess:{lg}:checkpoints' 150 >/dev/null
	run rp save lg
	assert_failure 65
	assert_output --partial "checkpoint 150"
	assert_equal "$(rcli EXISTS 'sess:replay:{lg}')" 0
	run rp export lg
	assert_failure 65
	assert_output --partial "checkpoint 150"
	run rp state lg --at 1495
	assert_failure 65
	run rp state lg --at 1505
	assert_success
}

@test "save of several ids, some failing: the others saved, exit non-zero, how many said" {
	many sv1 3
	many sv2 3
	rcli HSET 'sess:{sv2}:meta' seq 99 >/dev/null
	run rp save sv1 sv2 nosuch
	assert_failure
	assert_output --partial "2 of 3 sessions were not saved"
	assert_equal "$(rcli EXISTS 'sess:replay:{sv1}')" 1
	run bash -c "printf 'sv1\nsv2\n' | REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sess-replay' save -"
	assert_failure
	assert_output --partial "1 of 2 sessions were not saved"
}

@test "fork never copies a stored checkpoint its record does not imply" {
	many fc 25
	cp=$(rcli --raw HGET 'sess:{fc}:checkpoints' 1)
	rcli HSET 'sess:{fc}:checkpoints' 1 "$(sed 's/"state":"working"/"state":"completed"/' <<<"$cp")" >/dev/null
	run rp fork fc --at 22 --id fc2
	assert_failure 65
	assert_output --partial "checkpoint 1"
	assert_equal "$(rcli KEYS 'sess:{fc2}*')" ""
	rcli HSET 'sess:{fc}:checkpoints' 1 "$cp" >/dev/null
	run rp fork fc --at 22 --id fc2
	assert_success
	assert_equal "$(rcli --raw HGET 'sess:{fc2}:checkpoints' 1 | jq -c .)" "$(jq -c . <<<"$cp")"
	run rp verify fc2
	assert_success
}

@test "a stored checkpoint that names a key twice, or is no JSON, is damaged (corrupt_record): verify, state and sess-validate agree" {
	many cd 25
	cp=$(rcli --raw HGET 'sess:{cd}:checkpoints' 2)
	[ -n "$cp" ] || fail "no checkpoint 2 stored"
	run rp verify cd
	assert_success
	# "state" twice: cJSON reads the first, Lua's cjson the last
	rcli HSET 'sess:{cd}:checkpoints' 2 "${cp%\}},\"state\":\"completed\"}" >/dev/null
	run rp verify cd
	assert_failure 1
	assert_output --partial corrupt_record
	assert_output --partial "checkpoint 2"
	run rp state cd --at 15 --proof
	assert_failure 65
	assert_output --partial "checkpoint 2"
	run sk sess-validate sessions cd
	assert_failure
	assert_output --partial corrupt_record
	# stored, but no JSON: damaged, not "not stored"
	rcli HSET 'sess:{cd}:checkpoints' 2 '{garbage' >/dev/null
	run rp verify cd
	assert_failure 1
	assert_output --partial corrupt_record
	refute_output --partial "not stored"
	run rp state cd --at 15 --proof
	assert_failure 65
	refute_output --partial "not stored"
	rcli HSET 'sess:{cd}:checkpoints' 2 "$cp" >/dev/null
	run rp verify cd
	assert_success
}

@test "import refuses an event part emit refuses: \"c\":{} (changeInfo without its fields), a confidence of 9" {
	sctl create --agent a1 --id ip >/dev/null
	sctl emit ip --actor a1 --type modified --change '{"elementType":"node","entityIds":["n1"],"operation":"add"}' >/dev/null
	sctl emit ip --actor a1 --type checked --transition '{"from":"working","to":"working","verifiedBy":"ci","confidence":0.5}' >/dev/null
	rp export ip > "$BATS_TEST_TMPDIR/ip.jsonl"
	[ "$(jq -s '[.[] | select(.k == "checkpoint" or has("checkpoint"))] | length' "$BATS_TEST_TMPDIR/ip.jsonl")" = 0 ] || fail "a checkpoint was taken: an edit would break its chain digest instead"
	f=$BATS_TEST_TMPDIR/f.jsonl
	# what emit stored imports, and so does the file refile writes unchanged
	run rp import --id ipok "$BATS_TEST_TMPDIR/ip.jsonl"
	assert_success
	refile "$BATS_TEST_TMPDIR/ip.jsonl" "$f" 'pass'
	run rp import --id ipok2 "$f"
	assert_success
	# edit|what the refusal names
	local -a cases=(
		'recs[1] = recs[1][:recs[1].index(b",\"c\":")] + b",\"c\":{}}"|changeInfo needs'
		'recs[2] = recs[2].replace(b"\"confidence\":0.5", b"\"confidence\":9")|confidence'
		'recs[2] = recs[2].replace(b"\"verifiedBy\":\"ci\"", b"\"by\":\"ci\"")|stateTransition field'
		'recs[1] = recs[1].replace(b"\"o\":\"add\"", b"\"o\":\"\"")|non-empty'
	)
	local i=0 c
	for c in "${cases[@]}"; do
		i=$((i + 1))
		refile "$BATS_TEST_TMPDIR/ip.jsonl" "$f" "${c%|*}"
		run rp import --id "ipbad$i" "$f"
		[ "$status" -eq 65 ] || fail "case $i (${c%|*}): exit $status, $output"
		[[ "$output" == *"line "*"${c#*|}"* ]] || fail "case $i: not refused for ${c#*|}: $output"
		assert_equal "$(rcli EXISTS "sess:replay:{ipbad$i}")" 0
	done
}

@test "one finding code set: sess-replay verify and sess-validate sessions give the same damage the same code" {
	local id want
	# damage_codes OUTPUT: the distinct finding codes of a tool's lines
	damage_codes() { jq -r 'select(.code) | .code' <<<"$1" | sort -u; }
	# an event edited in place (its chain no longer matches), an event
	# removed (a gap), a checkpoint holding another state
	many dc 25
	rcli LSET 'sess:{dc}:events' 4 "$(rcli --raw LINDEX 'sess:{dc}:events' 4 | sed 's/"t":"modified"/"t":"edited"/')" >/dev/null
	many dg 25
	rcli LREM 'sess:{dg}:events' 1 "$(rcli --raw LINDEX 'sess:{dg}:events' 4)" >/dev/null
	many dk 25
	rcli HSET 'sess:{dk}:checkpoints' 1 "$(rcli --raw HGET 'sess:{dk}:checkpoints' 1 | sed 's/"state":"working"/"state":"broken"/')" >/dev/null
	for id in dc:chain_mismatch dg:seq_gap dk:checkpoint_mismatch; do
		want=${id#*:}
		id=${id%%:*}
		run -1 sk sess-replay verify "$id"
		verify=$(damage_codes "$output")
		jq -se 'map(select(.code)) | length > 0 and all(.legacyCode == (.code | ltrimstr("session.")))' <<<"$output" >/dev/null ||
			fail "$id: legacyCode is not the bare code: $output"
		run -1 sk sess-validate sessions "$id"
		validate=$(damage_codes "$output")
		grep -qx "session.$want" <<<"$verify" || fail "$id: verify gave $verify, not session.$want"
		grep -qx "session.$want" <<<"$validate" || fail "$id: sess-validate gave $validate, not session.$want"
		run -0 comm -23 <(echo "$verify") <(echo "$validate")
		assert_output ''
	done
	# a session of another layout (named, verify stops at it: 78; in
	# --all it is that session's finding)
	many dl 3
	rcli HSET 'sess:{dl}:meta' v 9 >/dev/null
	run -1 sk sess-replay verify --all
	assert_equal "$(jq -r 'select(.id == "dl" and .code) | "\(.code) \(.legacyCode)"' <<<"$output")" \
		"session.layout unknown_layout"
	run -1 sk sess-validate sessions dl
	assert_equal "$(damage_codes "$output")" session.layout
}

@test "verify of an id whose session is gone reads its saved replay: its damage is replay.CODE, as with --saved" {
	many gs 5
	run -0 rp save gs
	run -0 sctl delete gs
	[ "$(rcli EXISTS 'sess:{gs}:meta')" = 0 ] || fail "the session is still there"
	rcli HSET 'sess:replay:{gs}' meta 'not json' >/dev/null
	run -1 rp verify gs --saved
	assert_equal "$(grep '^{' <<<"$output" | jq -r 'select(.code) | "\(.code) \(.legacyCode)"')" \
		"replay.corrupt_replay corrupt_replay"
	run -1 rp verify gs
	assert_equal "$(grep '^{' <<<"$output" | jq -r 'select(.code) | "\(.code) \(.legacyCode)"')" \
		"replay.corrupt_replay corrupt_replay"
	# no session and no saved replay: the id asked for, a session
	run -1 rp verify nosuch
	assert_equal "$(grep '^{' <<<"$output" | jq -r 'select(.code) | .code')" session.not_found
}

@test "an event whose members are in another order is read by its structure: play shows it; edited, verify and sess-validate name the edit alike; re-chained, all three see a whole log" {
	sctl create --agent a1 --id mo >/dev/null
	for t in t1 t2 t3; do sctl emit mo --actor a1 --type "$t" >/dev/null; done
	# event 2 with "ts" before "s": the same members, another order
	ev=$(rcli --raw LINDEX 'sess:{mo}:events' 1)
	moved=$(python3 -c 'import json, sys
o = json.loads(sys.argv[1]); s = o.pop("s"); ts = o.pop("ts")
print(json.dumps(dict([("ts", ts), ("s", s)] + list(o.items())), separators=(",", ":")))' "$ev")
	[ "${moved:0:6}" = '{"ts":' ] || fail "the event was not reordered: $moved"
	rcli LSET 'sess:{mo}:events' 1 "$moved" >/dev/null
	run -0 rp play mo
	[ "$(printf '%s\n' "$output" | jq -r 'select(.frame == "event") | .seq' | tr '\n' ' ')" = "1 2 3 " ] ||
		fail "play did not give events 1 2 3: $output"
	refute_output --partial "events are missing"
	# the text was edited (the chain covers the bytes): the same finding in both tools, no invented gap
	run -1 rp verify mo
	assert_output --partial session.chain_mismatch
	refute_output --partial seq_gap
	run -1 sk sess-validate sessions mo
	assert_output --partial session.chain_mismatch
	# the head made again over the stored bytes (in seq order, read by structure): a whole log to every reader
	rcli --raw LRANGE 'sess:{mo}:events' 0 -1 >"$BATS_TEST_TMPDIR/ev"
	rcli --raw LRANGE 'sess:{mo}:history' 0 -1 >"$BATS_TEST_TMPDIR/hi"
	rcli HSET 'sess:{mo}:meta' h "$(python3 - "$BATS_TEST_TMPDIR/ev" "$BATS_TEST_TMPDIR/hi" <<'PY'
import hashlib, json, sys
ev = [l for l in open(sys.argv[1], "rb").read().split(b"\n") if l.strip()]
hi = [l for l in open(sys.argv[2], "rb").read().split(b"\n") if l.strip()]
recs = [((json.loads(e)["s"], 0, i), e) for i, e in enumerate(ev)]
recs += [((json.loads(h)["at"], 1, i), h) for i, h in enumerate(hi)]
h = b""
for _, r in sorted(recs, key=lambda x: x[0]):
    h = hashlib.sha1(h + r).hexdigest().encode()
print(h.decode())
PY
)" >/dev/null
	run -0 rp verify mo
	assert_output --partial '"events":3'
	run -0 sk sess-validate sessions mo
	run -0 rp play mo
	[ "$(printf '%s\n' "$output" | jq -r 'select(.frame == "event") | .seq' | tr '\n' ' ')" = "1 2 3 " ] ||
		fail "play of the re-chained log did not give events 1 2 3: $output"
}

@test "an event whose seq cannot be read is damaged at its place: verify and play name it as sess-validate does, not as a gap or events missing" {
	local k t codes
	# the second of three events made over (chain and all): no text, an
	# empty object, a seq that is a string, no seq at all
	for k in 0 1 2 3; do
		many "q$k" 3
		t=$(rcli --raw LINDEX "sess:{q$k}:events" 1)
		case $k in
		0) t=x ;;
		1) t='{}' ;;
		2) t=${t/\"s\":2/\"s\":\"2\"} ;;
		3) t=${t/\"s\":2,/} ;;
		esac
		rcli LSET "sess:{q$k}:events" 1 "$t" >/dev/null
		rechain "q$k"
		run -1 sk sess-validate sessions "q$k"
		codes=$(jq -r 'select(.code) | .code' <<<"$output" | sort -u)
		[ "$codes" = session.corrupt_record ] || fail "q$k: sess-validate gave $codes"
		run -1 rp verify "q$k"
		codes=$(jq -r 'select(.code) | .code' <<<"$output" | sort -u)
		[ "$codes" = session.corrupt_record ] || fail "q$k: verify gave $codes, not session.corrupt_record: $output"
		run -65 rp play "q$k" --speed 1000000
		assert_output --partial 'a stored event is damaged'
		refute_output --partial 'events are missing'
	done
}

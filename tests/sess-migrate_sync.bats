#!/usr/bin/env bats
# sess-migrate sync, sync --cutover and unfence, between private
# redis-servers: the snapshot, the live phase (events, lifecycle, deletes,
# expiries), no gap between them, a target restart, kill -9 and resume,
# a tail whose history record is shaped otherwise (read by structure),
# the fence. Every wait polls with a deadline; nothing is timed.
bats_require_minimum_version 1.5.0
load helpers/migrate

setup_file() {
	load helpers/redis
	common_setup_file
	redis_start_named SRC
	redis_start_named DST
	# a source that refuses CONFIG (a managed Redis)
	redis_start_named NOCFG --rename-command CONFIG ""
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	common_setup
	export REDIS_URL=$(redis_url SRC)
	DST=$(redis_url DST)
	PIDS=""
}
teardown() {
	local p
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	# the fence is per server: a test that fenced SRC must not leak it
	src DEL sess:#{all}:fence >/dev/null 2>&1 || true
}

# many N PREFIX: N copies of one session on SRC, fast (export/import)
many() {
	mk 1 "$2seed"
	sk sess-migrate export --match "$2seed1" >"$BATS_TEST_TMPDIR/one"
	copies "$1" "$2"
}

# same ID: the session has the same seq and chain head on both sides
same() {
	[ "$(src HGET "sess:{$1}:meta" h)" = "$(dst HGET "sess:{$1}:meta" h)" ] && # lint: ok (a predicate: its status is the answer)
		[ "$(src HGET "sess:{$1}:meta" seq)" = "$(dst HGET "sess:{$1}:meta" seq)" ]
}

# until_ok SECONDS 'SHELL CODE': poll the code every 0.1 s until it
# succeeds, or fail (the code is evaluated each time: quote it)
until_ok() {
	local deadline=$((SECONDS + $1))
	shift
	until eval "$*"; do
		[ "$SECONDS" -lt "$deadline" ] || fail "not within the deadline: $*"
		sleep 0.1
	done
}

# sync_bg ARGS...: sess-migrate sync in the background (out/err in the
# test's tmpdir); waits for its first lag line (the snapshot is done)
sync_bg() {
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync --to "$DST" "$@"
	SYNC=$!
	PIDS="$PIDS $SYNC"
	until_ok 60 'grep -q "\"lag\":true" "$BATS_TEST_TMPDIR/out"'
}

stop_sync() {
	kill -"${1:-INT}" "$SYNC"
	rc=0
	wait "$SYNC" || rc=$?
}

all_same() {
	local id
	for id in "$@"; do same "$id" || return 1; done
}

@test "sync: copies, then follows events, join/leave/complete/touch/checkpoint, a delete and an expiry; SIGINT exits 130 with the resume hint" {
	mk 3
	sync_bg --all --interval 1 --task live
	grep -q '"id":"s1","status":"copied"' "$BATS_TEST_TMPDIR/out"
	all_same s1 s2 s3
	sk sessctl emit s1 --actor alice --type modified >/dev/null
	sk sessctl join s2 carol >/dev/null
	sk sessctl leave s2 bob >/dev/null
	sk sessctl complete s3 >/dev/null
	sk sessctl checkpoint s1 >/dev/null
	sk sessctl create --agent dave --id fresh >/dev/null
	sk sessctl create --agent erin --id doomed >/dev/null
	sk sessctl create --agent erin --id shortlived >/dev/null
	until_ok 20 all_same s1 s2 s3 fresh doomed shortlived
	[ "$(dst HGET 'sess:{s2}:meta' agent:carol)" != "" ] && [ "$(dst HEXISTS 'sess:{s2}:meta' agent:bob)" = 0 ] ||
		fail "members of s2 on the target"
	[ "$(dst HGET 'sess:{s3}:meta' state)" = completed ] || fail "state of s3"
	[ "$(dst HLEN 'sess:{s1}:checkpoints')" = 1 ] || fail "checkpoint of s1"
	sk sessctl delete doomed >/dev/null
	until_ok 20 '[ "$(dst EXISTS "sess:{doomed}:meta")" = 0 ]'
	# a touch with a short TTL is followed, and the session expires
	sk sessctl touch shortlived --ttl 1 >/dev/null
	until_ok 20 '[ "$(src EXISTS "sess:{shortlived}:meta")" = 0 ]'
	until_ok 20 '[ "$(dst EXISTS "sess:{shortlived}:meta")" = 0 ]'
	[ "$(dst ZSCORE sess:#{all}:index doomed)" = "" ] || fail "the deleted session is still indexed"
	# the live part ran on the log, not on whole copies
	grep -q '"id":"s1","status":"appended","events":1' "$BATS_TEST_TMPDIR/out"
	grep -q '"id":"doomed","status":"removed"' "$BATS_TEST_TMPDIR/out"
	grep '"lag":true' "$BATS_TEST_TMPDIR/out" | tail -n 1 |
		jq -e '.pending >= 0 and .eventsBehind >= 0 and .secondsBehind >= 0 and .keyspaceEvents == true'
	stop_sync INT
	[ "$rc" = 130 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	grep -q "sess-migrate resume live" "$BATS_TEST_TMPDIR/err"
	tail -n 1 "$BATS_TEST_TMPDIR/out" | jq -e '.summary and .appended >= 3 and .removed >= 1'
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
}

@test "sync: no gap between snapshot and live phase (events from before the start until after the snapshot all arrive)" {
	many 300 g
	# an emitter running before sync starts and until after its snapshot
	(
		i=0
		while [ ! -e "$BATS_TEST_TMPDIR/stop" ]; do
			for k in 0 1 2 3 4 5 6 7 8 9; do
				printf '{"op":"emit","id":"g%d","actor":"alice","type":"modified"}\n' $(((i * 10 + k) % 300))
			done | "$SESSKIT_BUILDDIR/sessctl" batch >/dev/null 2>&1 || true
			i=$((i + 1))
		done
	) 3>&- &
	EM=$!
	PIDS="$PIDS $EM"
	until_ok 30 '[ "$(src HGET "sess:{g0}:meta" seq)" -gt 3 ]'
	# reconciliation far away: only the listener can carry what changes
	sync_bg --all --interval 1 --reconcile 3600 --task nogap
	before=$(src HGET 'sess:{g1}:meta' seq)
	until_ok 30 '[ "$(src HGET "sess:{g1}:meta" seq)" -gt "$before" ]'
	touch "$BATS_TEST_TMPDIR/stop"
	wait "$EM" || true
	ids=$(for i in $(seq 0 299); do echo "g$i"; done)
	# verify (meta: seq and chain head h) in one process per poll, then
	# each session's seq and h by hand
	until_ok 60 'sk sess-migrate verify --all --to "$DST" >/dev/null'
	# shellcheck disable=SC2086
	all_same $ids
	stop_sync TERM
	[ "$rc" = 143 ] || fail "exit $rc"
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
	echo "$output" | tail -n 1 | jq -e '.equal == 301'
}

@test "sync: a target restart mid-sync: it reconnects and catches up" {
	mk 3
	sync_bg --all --interval 1 --task restart
	all_same s1 s2 s3
	dst SHUTDOWN SAVE >/dev/null 2>&1 || true
	until_ok 10 '! dst ping >/dev/null 2>&1'
	for i in 1 2 3 4 5; do sk sessctl emit s2 --actor bob --type modified >/dev/null; done
	sk sessctl create --agent zed --id whilegone >/dev/null
	redis-server --port "$DST_PORT" --bind 127.0.0.1 --unixsocket "$DST_SOCK" --unixsocketperm 700 \
		--save '' --appendonly no --dir "$DST_DIR" --daemonize yes --pidfile "$DST_DIR/redis.pid" \
		--logfile "$DST_DIR/redis.log" >/dev/null
	until_ok 10 'dst ping 2>/dev/null | grep -q PONG'
	until_ok 30 all_same s1 s2 s3 whilegone
	grep -q "reconnecting" "$BATS_TEST_TMPDIR/err"
	stop_sync INT
	[ "$rc" = 130 ]
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
}

@test "sync: a source restart mid-sync: it reconnects, subscribes and enables keyspace events again, catches up" {
	mk 2
	sync_bg --all --interval 1 --task srcrestart
	src SHUTDOWN SAVE >/dev/null 2>&1 || true
	until_ok 10 '! src ping >/dev/null 2>&1'
	redis-server --port "$SRC_PORT" --bind 127.0.0.1 --unixsocket "$SRC_SOCK" --unixsocketperm 700 \
		--save '' --appendonly no --dir "$SRC_DIR" --daemonize yes --pidfile "$SRC_DIR/redis.pid" \
		--logfile "$SRC_DIR/redis.log" >/dev/null
	until_ok 10 'src ping 2>/dev/null | grep -q PONG'
	# the restarted source forgot notify-keyspace-events: sync sets it again
	until_ok 30 'src CONFIG GET notify-keyspace-events | tail -n 1 | grep -q K'
	sk sessctl emit s1 --actor bob --type fixed >/dev/null
	sk sessctl delete s2 >/dev/null
	until_ok 30 same s1
	until_ok 30 '[ "$(dst EXISTS "sess:{s2}:meta")" = 0 ]'
	grep -q "reconnecting" "$BATS_TEST_TMPDIR/err"
	stop_sync INT
	[ "$rc" = 130 ]
}

@test "sync --ids: only the listed sessions are copied and followed" {
	mk 3
	printf 's1\n{"id":"s3"}\n' >"$BATS_TEST_TMPDIR/ids"
	sync_bg --ids "$BATS_TEST_TMPDIR/ids" --interval 1 --task picked
	all_same s1 s3
	[ "$(dst EXISTS 'sess:{s2}:meta')" = 0 ] || fail "s2 was not listed"
	sk sessctl emit s2 --actor alice --type modified >/dev/null
	sk sessctl emit s3 --actor alice --type modified >/dev/null
	until_ok 20 same s3
	[ "$(dst EXISTS 'sess:{s2}:meta')" = 0 ] || fail "s2 followed"
	stop_sync TERM
	[ "$rc" = 143 ]
}

@test "sync: a source that refuses CONFIG: says so, and the reconciliation pass finds a deletion" {
	export REDIS_URL=$(redis_url NOCFG)
	nocfg() { redis-cli -s "$NOCFG_SOCK" "$@"; }
	nocfg FLUSHALL >/dev/null
	sk sessctl create --agent alice --id n1 >/dev/null
	sk sessctl create --agent alice --id n2 >/dev/null
	sync_bg --all --interval 1 --reconcile 1 --task nocfg
	grep -q "refused to enable keyspace notifications" "$BATS_TEST_TMPDIR/err"
	grep '"lag":true' "$BATS_TEST_TMPDIR/out" | head -n 1 | jq -e '.keyspaceEvents == false'
	sk sessctl delete n2 >/dev/null
	until_ok 20 '[ "$(dst EXISTS "sess:{n2}:meta")" = 0 ]'
	sk sessctl emit n1 --actor alice --type modified >/dev/null
	until_ok 20 '[ "$(dst HGET "sess:{n1}:meta" seq)" = 1 ]'
	stop_sync INT
	[ "$rc" = 130 ]
}

@test "sync: kill -9 mid-snapshot, then resume: nothing copied twice, source and target equal" {
	many 2000 k
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync --all --to "$DST" --task k9 --batch 10 --rate 400
	pid=$!
	PIDS="$PIDS $pid"
	until_ok 30 '[ "$(dst DBSIZE)" -gt 200 ]'
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	# what is on the target: its meta keys (a kill between a session's
	# arrival and its index entry leaves it out of the index)
	dst --scan --pattern 'sess:{*}:meta' | sed 's/^sess:{\(.*\)}:meta$/\1/' | sort >"$BATS_TEST_TMPDIR/there"
	n=$(wc -l <"$BATS_TEST_TMPDIR/there")
	[ "$n" -lt 2001 ] || fail "finished before the kill"
	# a change to a session that is there: resume appends it, never re-copies
	first=$(head -n 1 "$BATS_TEST_TMPDIR/there")
	sk sessctl emit "$first" --actor alice --type modified >/dev/null
	# the kill's window between an arrival and its index entry, for sure
	second=$(sed -n 2p "$BATS_TEST_TMPDIR/there")
	dst ZREM sess:#{all}:index "$second" >/dev/null
	sk_bg "$BATS_TEST_TMPDIR/out2" "$BATS_TEST_TMPDIR/err2" sess-migrate resume k9 --to "$DST"
	SYNC=$!
	PIDS="$PIDS $SYNC"
	until_ok 60 'grep -q "\"lag\":true" "$BATS_TEST_TMPDIR/out2"'
	stop_sync TERM
	[ "$rc" = 143 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err2")"
	# a whole copy is "copied" (new there) or "replaced" (there already)
	grep -E '"status":"(copied|replaced)"' "$BATS_TEST_TMPDIR/out2" | jq -r .id | sort >"$BATS_TEST_TMPDIR/recopied"
	dup=$(comm -12 "$BATS_TEST_TMPDIR/there" "$BATS_TEST_TMPDIR/recopied")
	[ -z "$dup" ] || fail "copied again: $(echo "$dup" | head -n 3)"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/recopied")" -eq $((2001 - n)) ] || fail "copied $(wc -l <"$BATS_TEST_TMPDIR/recopied") of the $((2001 - n)) missing"
	grep -q "\"id\":\"$first\",\"status\":\"appended\",\"events\":1" "$BATS_TEST_TMPDIR/out2"
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
	echo "$output" | tail -n 1 | jq -e '.equal == 2001'
	# every session indexed on the target, also one the kill left out
	[ "$(dst ZCARD sess:#{all}:index)" = 2001 ] || fail "target index: $(dst ZCARD sess:#{all}:index) of 2001"
}

@test "sync --cutover: fences the source, waits for zero lag, verifies, exits 0; writes there fail with 'moved' (69), reads work; unfence undoes it" {
	mk 5
	# an agent writing all through the cutover, until the fence stops it
	(
		rc=0
		while [ "$rc" = 0 ]; do
			"$SESSKIT_BUILDDIR/sessctl" emit s1 --actor alice --type modified >/dev/null 2>"$BATS_TEST_TMPDIR/emit.err" || rc=$?
		done
		echo "$rc" >"$BATS_TEST_TMPDIR/emit.rc"
	) 3>&- &
	PIDS="$PIDS $!"
	until_ok 20 '[ "$(src HGET "sess:{s1}:meta" seq)" -gt 10 ]'
	run sk sess-migrate sync --all --to "$DST" --cutover --task move
	assert_success
	echo "$output" | grep -q '"fenced":true'
	echo "$output" | grep '"lag":true' | tail -n 1 | jq -e '.phase == "done" and .pending == 0'
	echo "$output" | tail -n 1 | jq -e '.summary and .equal == 5 and .different == 0'
	until_ok 20 '[ -e "$BATS_TEST_TMPDIR/emit.rc" ]'
	[ "$(cat "$BATS_TEST_TMPDIR/emit.rc")" = 69 ] || fail "the agent's emit ended with $(cat "$BATS_TEST_TMPDIR/emit.rc")"
	grep -q "this data moved to $DST" "$BATS_TEST_TMPDIR/emit.err"
	all_same s1 s2 s3 s4 s5
	run sk sessctl emit s2 --actor alice --type modified
	[ "$status" -eq 69 ] || fail "emit: $status $output"
	assert_output --partial "this data moved to $DST; point clients at it"
	run sk sessctl create --agent bob --id newone
	[ "$status" -eq 69 ] || fail "create: $status $output"
	assert_output --partial "moved to"
	run -69 sk sessctl batch <<<'{"op":"emit","id":"s3","actor":"alice","type":"x"}'
	echo "$output" | jq -e 'select(.ok == false) | .error.code == "moved"'
	# reads still work
	run sk sessctl events s2
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	run sk sessctl get s1
	assert_success
	# the target takes writes: the fence did not travel
	REDIS_URL=$DST run sk sessctl emit s1 --actor alice --type modified
	assert_success
	[ "$(dst HEXISTS 'sess:{s1}:meta' moved)" = 0 ]
	run sk sess-migrate unfence
	assert_success
	echo "$output" | jq -e '.unfenced and .sessions == 5'
	run sk sessctl emit s2 --actor alice --type modified
	assert_success
	run sk sessctl create --agent bob --id newone
	assert_success
}

@test "sync: without keyspace events a deletion is found by the reconciliation pass" {
	mk 3
	src CONFIG SET notify-keyspace-events "" >/dev/null
	sync_bg --all --interval 1 --reconcile 1 --no-keyspace --task nokeys
	grep '"lag":true' "$BATS_TEST_TMPDIR/out" | head -n 1 | jq -e '.keyspaceEvents == false'
	[ "$(src CONFIG GET notify-keyspace-events | tail -n 1)" = "" ] || fail "--no-keyspace changed the source's setting"
	sk sessctl delete s2 >/dev/null
	until_ok 20 '[ "$(dst EXISTS "sess:{s2}:meta")" = 0 ]'
	sk sessctl emit s1 --actor bob --type fixed >/dev/null
	until_ok 20 same s1
	# keys gone without sessctl (the index still names it): the pass over
	# the index finds it gone, and removes it, and only it
	src DEL 'sess:{s3}:meta' 'sess:{s3}:events' 'sess:{s3}:history' >/dev/null
	until_ok 20 '[ "$(dst EXISTS "sess:{s3}:meta")" = 0 ]'
	sk sessctl emit s1 --actor bob --type fixed >/dev/null
	until_ok 20 same s1
	[ "$(grep -c '"status":"removed"' "$BATS_TEST_TMPDIR/out")" = 2 ] || fail "$(grep removed "$BATS_TEST_TMPDIR/out")"
	[ "$(dst EXISTS 'sess:{s1}:meta')" = 1 ] || fail "s1 removed from the target"
	stop_sync INT
	[ "$rc" = 130 ]
}

@test "sync: bad input gets one line naming the fix and exit 64" {
	run sk sess-migrate sync --all
	assert_failure 64; assert_output --partial "--to URL is required"
	run sk sess-migrate sync --to "$DST"
	assert_failure 64; assert_output --partial "say which sessions"
	run sk sess-migrate sync --to "$DST" --match 'a*' --cutover
	assert_failure 64; assert_output --partial "--cutover moves everything"
	run sk sess-migrate sync --to "$DST" --all --from-layout legacy
	assert_failure 64; assert_output --partial "copy --from-layout legacy"
	run sk sess-migrate unfence
	assert_success
	echo "$output" | jq -e '.unfenced and .sessions == 0'
}

@test "sync carries the type:* counters, for whole copies and for appended tails" {
	mk 2
	sync_bg --all --interval 1 --task types
	sk sessctl emit s1 --actor alice --type modified >/dev/null
	sk sessctl emit s1 --actor bob --type reviewed >/dev/null
	until_ok 20 all_same s1 s2
	stop_sync
	[ "$(dst HGET sess:#{all}:stats type:modified)" = 3 ] && [ "$(dst HGET sess:#{all}:stats type:reviewed)" = 1 ] &&
		[ "$(dst HGET sess:#{all}:stats type:fixed)" = 2 ] || fail "$(dst HGETALL sess:#{all}:stats)"
}

# o1_tail TASK EXPR [ARGS...]: o1 synced by task TASK, then on the source
# an event and a join whose record is rewritten to the Python expression
# EXPR (of r, the record's text, d, it decoded, and a, the ARGS), the
# chain head recomputed: a record the source could hold (REC: it)
o1_tail() {
	local task=$1 expr=$2
	shift 2
	mk 1 o
	sync_bg --all --interval 1 --task "$task"
	until_ok 20 same o1
	stop_sync INT
	sk sessctl emit o1 --actor alice --type modified >/dev/null
	sk sessctl join o1 carol >/dev/null
	REC=$(src LINDEX 'sess:{o1}:history' -1 |
		python3 -c "import json, sys; r = sys.stdin.read().rstrip('\n'); d = json.loads(r); a = sys.argv[1:]; print($expr)" "$@") ||
		fail "o1's last record: $(src LINDEX 'sess:{o1}:history' -1)"
	src LSET 'sess:{o1}:history' -1 "$REC" >/dev/null
	src --raw LRANGE 'sess:{o1}:events' 0 -1 >"$BATS_TEST_TMPDIR/ev"
	src --raw LRANGE 'sess:{o1}:history' 0 -1 >"$BATS_TEST_TMPDIR/hi"
	src HSET 'sess:{o1}:meta' h "$(python3 "$BATS_TEST_DIRNAME/helpers/chain.py" "$BATS_TEST_TMPDIR/ev" "$BATS_TEST_TMPDIR/hi")" >/dev/null
}

@test "sync appends a tail whose history record has its members in another order and an \"at\" nested in one: read by structure, not refused" {
	# its members in another order and an "at" nested before its own
	o1_tail order 'json.dumps(dict([("x", {"at": 0})] + list(reversed(list(d.items())))), separators=(",", ":"))'
	[ "$(jq -r .at <<<"$REC")" = "$(src HGET 'sess:{o1}:meta' seq)" ] || fail "the record: $REC"
	# the same task again: its snapshot pass appends the tail
	sync_bg --all --interval 1 --task order
	grep -q '"id":"o1","status":"appended","events":1' "$BATS_TEST_TMPDIR/out" ||
		fail "not appended: $(grep '"id":"o1"' "$BATS_TEST_TMPDIR/out")"
	same o1 || fail "o1 differs"
	[ "$(dst LINDEX 'sess:{o1}:history' -1)" = "$REC" ] || fail "the target's last record: $(dst LINDEX 'sess:{o1}:history' -1)"
	stop_sync INT
	[ "$rc" = 130 ] || fail "exit $rc"
}

@test "sync appends a tail only when its records' \"at\" reads as the C readers read it (N.0, Ne0, a key spelt \\u0061t: replaced whole, as sess-validate calls it damaged; an escape and a 1.5 elsewhere: appended)" {
	local m want
	for m in '"at":N.0' '"at":Ne0' '"\u0061t":N' '"x":["\u0061t\"",1.5,{"at":2e0}],"at":N'; do
		src FLUSHALL >/dev/null
		dst FLUSHALL >/dev/null
		# its "at" member written as m (N: the seq) by redis-cli
		o1_tail at 'r.replace("\"at\":%d," % d["at"], a[0].replace("N", str(d["at"])) + ",", 1)' "$m"
		grep -qF -- "${m//N/$(src HGET 'sess:{o1}:meta' seq)}" <<<"$REC" || fail "not rewritten: $REC"
		want=replaced
		run sk sess-validate sessions o1
		[ "$status" != 0 ] || want=appended
		sync_bg --all --interval 1 --task at
		stop_sync INT
		grep -q "\"id\":\"o1\",\"status\":\"$want\"" "$BATS_TEST_TMPDIR/out" ||
			fail "$m: not $want, although sess-validate says: $output; sync: $(cat "$BATS_TEST_TMPDIR/out")"
		same o1 || fail "$m: o1 differs"
		[ "$(dst LINDEX 'sess:{o1}:history' -1)" = "$REC" ] || fail "$m: the target's last record: $(dst LINDEX 'sess:{o1}:history' -1)"
		# (the last record is sound, the others damaged)
		[ "$want" = "$([ "$m" = "${m#\"x\"}" ] && echo replaced || echo appended)" ] || fail "sess-validate on $REC: $output"
	done
}

@test "sync: the reconciliation pass over a task's marks removes a deleted session even when one HSCAN reply holds more than 1000 marks" {
	# a done hash kept as a listpack answers one HSCAN whole: 1200 marks
	old=$(dst CONFIG GET hash-max-listpack-entries | tail -n 1)
	dst CONFIG SET hash-max-listpack-entries 5000 >/dev/null
	many 1200 big
	src CONFIG SET notify-keyspace-events "" >/dev/null
	sync_bg --all --interval 1 --reconcile 1 --no-keyspace --task bigmarks
	# a session whose mark comes after the first 1000 of the reply
	victim=$(dst HSCAN sess:migrate:bigmarks:done 0 COUNT 500 | sed -n '2~2p' | grep -v '^#' | sed -n 1150p)
	[ -n "$victim" ] || { dst CONFIG SET hash-max-listpack-entries "$old" >/dev/null; fail "no 1150th mark: $(dst HLEN sess:migrate:bigmarks:done)"; }
	# gone from the source without a trace the source's walk could see
	src DEL "sess:{$victim}:meta" "sess:{$victim}:events" "sess:{$victim}:history" "sess:{$victim}:checkpoints" "sess:{$victim}:eventids" >/dev/null
	src ZREM 'sess:#{all}:index' "$victim" >/dev/null
	gone=0
	for t in $(seq 1 100); do
		if [ "$(dst EXISTS "sess:{$victim}:meta")" = 0 ]; then gone=1; break; fi
		sleep 0.1
	done
	stop_sync INT
	dst CONFIG SET hash-max-listpack-entries "$old" >/dev/null
	[ "$gone" = 1 ] || fail "$victim still on the target"
	[ "$rc" = 130 ] || fail "exit $rc"
}

#!/usr/bin/env bats
# Sentinel: the primary found through sentinels (redis+sentinel:// URLs,
# --sentinel), failover under batch and follow, durable writes (WAIT).
# A primary, a replica and three sentinels for the whole file
# (helpers/sentinel.bash); tests that fail over leave it settled.

bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	load helpers/sentinel
	dead_port_start
	sentinel_start mymaster
	redis_start_named SRC
}
teardown_file() {
	load helpers/redis
	load helpers/sentinel
	sentinel_stop
	dead_port_stop
	redis_stop_named
}
setup() {
	load helpers/redis
	load helpers/sentinel
	sentinel_settled 60
	sentinel_cli FLUSHALL >/dev/null
	sentinel_cli WAIT 1 5000 >/dev/null
	export REDIS_URL=$SENT_URL
}
teardown() {
	kill ${bg:-} ${writer:-} 2>/dev/null
	# shellcheck disable=SC2086 # one pid or several
	[ -z "${stopped:-}" ] || kill -CONT $stopped 2>/dev/null
	true
}

# events_ids ID: the eventIds of a session's log, one a line (read by
# structure with jq from sessctl events)
event_ids() {
	sctl events "$1" --from 1 | jq -r '.eventId // empty'
}

@test "redis+sentinel:// finds the primary: create, then get" {
	run -0 sctl create --agent a1 --id s1
	run -0 sctl get s1
	[ "$(echo "$output" | jq -r .creator)" = a1 ] || fail "get did not read the session back: $output"
	# it was written to the primary the sentinels name
	run -0 redis-cli -p "$(sentinel_primary)" exists 'sess:{s1}:meta'
	[ "$output" = 1 ] || fail "the session is not on the primary"
}

@test "--sentinel (repeated) and --sentinel-master (and Lettuce's redis-sentinel://...#NAME) resolve too" {
	local first=${SENT_PORTS%% *}
	# the flags win over a plain REDIS_URL (a port nothing listens on)
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run -0 sctl --sentinel "127.0.0.1:$(dead_port)" --sentinel-master mymaster create --agent a1 --id s2 --sentinel "127.0.0.1:$first"
	REDIS_URL="redis-sentinel://127.0.0.1:$first#mymaster" run -0 sctl get s2
	[ "$(echo "$output" | jq -r .id)" = s2 ] || fail "$output"
	REDIS_URL="redis://127.0.0.1:$(dead_port)" REDIS_SENTINELS="127.0.0.1:$first" REDIS_SENTINEL_MASTER=mymaster run -0 sctl get s2
	[ "$(echo "$output" | jq -r .id)" = s2 ] || fail "$output"
}

@test "one sentinel down: the next one answers" {
	local url="redis+sentinel://127.0.0.1:$(dead_port),127.0.0.1:${SENT_PORTS// /,127.0.0.1:}/?master=mymaster"
	REDIS_URL=$url run -0 sctl create --agent a1 --id s3
	REDIS_URL=$url run -0 sctl get s3
}

@test "an unknown master name: exit 78 naming it" {
	REDIS_URL=${SENT_URL/master=mymaster/master=nosuch} run -78 sctl get s1
	assert_output --partial 'know no master named "nosuch"'
}

@test "no sentinel reachable: exit 69 naming them" {
	REDIS_URL="redis+sentinel://127.0.0.1:$(dead_port)/?master=mymaster" run -69 sctl get s1
	assert_output --partial "no sentinel answered (127.0.0.1:$(dead_port))"
}

@test "a Sentinel URL without a master name: exit 78" {
	REDIS_URL="redis+sentinel://127.0.0.1:${SENT_PORTS%% *}" run -78 sctl get s1
	assert_output --partial "no master name"
}

@test "durable: writes through Sentinel send WAIT to the primary (cmdstat_wait)" {
	sentinel_cli CONFIG RESETSTAT >/dev/null
	run -0 sctl create --agent a1 --id d1
	run -0 sctl emit d1 --actor a1 --type modified --event-id e1
	printf '%s\n' '{"op":"emit","id":"d1","actor":"a1","type":"modified","eventId":"e2"}' \
		'{"op":"join","id":"d1","agent":"a2"}' >"$BATS_TEST_TMPDIR/in"
	run -0 sctl batch <"$BATS_TEST_TMPDIR/in"
	[ "$(echo "$output" | jq -s 'map(select(.ok)) | length')" = 2 ] || fail "$output"
	calls=$(sentinel_cli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_wait:calls=\([0-9]*\),.*/\1/p')
	[ "${calls:-0}" -ge 4 ] || fail "WAIT was called ${calls:-0} times, not after every write"
	# --wait-replicas 0 turns it off
	sentinel_cli CONFIG RESETSTAT >/dev/null
	run -0 sctl --wait-replicas 0 emit d1 --actor a1 --type modified
	calls=$(sentinel_cli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_wait:calls=\([0-9]*\),.*/\1/p')
	[ "${calls:-0}" = 0 ] || fail "WAIT was sent with --wait-replicas 0"
}

@test "durable: with the replica stopped a write is not_durable (exit 75), in batch each line says so" {
	run -0 sctl create --agent a1 --id d2
	stopped=$(sentinel_replica_pid)
	kill -STOP "$stopped"
	run -75 sctl --wait-timeout 200 emit d2 --actor a1 --type modified --event-id x1
	assert_output --partial "may have been stored: re-run with the same --event-id"
	printf '%s\n' '{"op":"emit","id":"d2","actor":"a1","type":"modified","eventId":"x2"}' \
		'{"op":"emit","id":"d2","actor":"a1","type":"modified"}' >"$BATS_TEST_TMPDIR/in"
	run -75 sctl --wait-timeout 200 batch <"$BATS_TEST_TMPDIR/in"
	[ "$(echo "$output" | jq -s 'map(select(.ok == false and .error.code == "not_durable")) | length')" = 2 ] ||
		fail "both lines should be not_durable: $output"
	[ "$(echo "$output" | jq -s -r '.[0].error.message')" != "$(echo "$output" | jq -s -r '.[1].error.message')" ] ||
		fail "a line with an eventId and one without need different advice: $output"
	kill -CONT "$stopped"
	stopped=
}

# batch_until_ok IN OUT: re-run the same input (up to 6 times, the
# sentinels settling between runs) until batch exits 0; OUT holds the
# last run's output
batch_until_ok() {
	local try rc
	for try in 1 2 3 4 5 6; do
		rc=0
		timeout 60 "$SESSKIT_BUILDDIR/sessctl" batch <"$1" >"$2" 2>>"$BATS_TEST_TMPDIR/rerun.err" || rc=$?
		[ $rc = 0 ] && return 0
		sentinel_settled 60 || true
	done
	echo "batch did not succeed in 6 runs (last exit $rc):"; cat "$BATS_TEST_TMPDIR/rerun.err"
	return 1
}

@test "SENTINEL FAILOVER during batch: every ok line is in the final log, a re-run makes each eventId exactly once" {
	local n=400 i first
	run -0 sctl create --agent a1 --id f1
	for ((i = 1; i <= n; i++)); do
		printf '{"op":"emit","id":"f1","actor":"a1","type":"modified","eventId":"ev%d"}\n' "$i"
	done >"$BATS_TEST_TMPDIR/in"
	first=$(sentinel_primary)
	# a slow producer (about 4 s), the failover asked for in the middle
	(while IFS= read -r l; do printf '%s\n' "$l"; sleep 0.01; done <"$BATS_TEST_TMPDIR/in") |
		timeout 90 "$SESSKIT_BUILDDIR/sessctl" batch >"$BATS_TEST_TMPDIR/out1" 2>"$BATS_TEST_TMPDIR/err1" &
	bg=$!
	for i in $(seq 1 200); do
		[ "$(wc -l <"$BATS_TEST_TMPDIR/out1")" -ge 20 ] && break
		sleep 0.05
	done
	run -0 redis-cli -p "${SENT_PORTS%% *}" SENTINEL FAILOVER mymaster
	assert_output OK
	wait "$bg" || true
	bg=
	sentinel_settled 60
	[ "$(sentinel_primary)" != "$first" ] || fail "no failover happened"
	# every line the first run called ok is in the log
	jq -r 'select(.ok == true) | .line' "$BATS_TEST_TMPDIR/out1" >"$BATS_TEST_TMPDIR/ok1"
	run -0 event_ids f1
	echo "$output" >"$BATS_TEST_TMPDIR/ids1"
	while IFS= read -r i; do
		grep -qx "ev$i" "$BATS_TEST_TMPDIR/ids1" || fail "line $i was ok but ev$i is not in the log after the failover"
	done <"$BATS_TEST_TMPDIR/ok1"
	# the same input again, until it runs through: each id exactly once
	batch_until_ok "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out2"
	[ "$(jq -s 'map(select(.ok)) | length' "$BATS_TEST_TMPDIR/out2")" = $n ] || fail "the re-run was not ok throughout"
	run -0 event_ids f1
	[ "$(echo "$output" | wc -l)" = $n ] || fail "$(echo "$output" | wc -l) events, not $n"
	[ "$(echo "$output" | sort -u | wc -l)" = $n ] || fail "an eventId is in the log twice"
}

@test "events --follow across a failover: each event printed is the log's, or it stops: history diverged (65)" {
	local i out=$BATS_TEST_TMPDIR/fout err=$BATS_TEST_TMPDIR/ferr rc=running
	run -0 sctl create --agent a1 --id f2
	sk_bg "$out" "$err" sessctl events f2 --follow --from 1
	bg=$!
	# a writer without WAIT: what reaches the old primary after the
	# promotion is lost when it is demoted, and the follower has seen it
	(for ((i = 1; i <= 600; i++)); do
		printf '{"op":"emit","id":"f2","actor":"a1","type":"modified","eventId":"w%d"}\n' "$i"
		sleep 0.01
	done) | timeout 90 "$SESSKIT_BUILDDIR/sessctl" --wait-replicas 0 batch >/dev/null 2>&1 &
	writer=$!
	for i in $(seq 1 200); do
		[ "$(wc -l <"$out")" -ge 20 ] && break
		sleep 0.05
	done
	run -0 redis-cli -p "${SENT_PORTS%% *}" SENTINEL FAILOVER mymaster
	wait "$writer" || true
	sentinel_settled 60
	run -0 sctl emit f2 --actor a1 --type modified --event-id after
	# until the follower prints that event or stops (60 s at most)
	for i in $(seq 1 600); do
		if ! kill -0 "$bg" 2>/dev/null; then
			rc=0
			wait "$bg" || rc=$?
			bg=
			break
		fi
		jq -e 'select(.eventId == "after")' "$out" >/dev/null 2>&1 && break
		sleep 0.1
	done
	if [ "$rc" != running ]; then
		[ "$rc" = 65 ] || fail "the follower ended with $rc: $(cat "$err")"
		grep -q 'history diverged at seq [0-9]' "$err" || fail "no divergence message: $(cat "$err")"
		return 0
	fi
	jq -e 'select(.eventId == "after")' "$out" >/dev/null || fail "the follower neither printed the last event nor stopped: $(cat "$err")"
	# each event printed once, and as the log holds it
	[ "$(jq -r .seq "$out" | sort -n | uniq -d | wc -l)" = 0 ] || fail "an event was printed twice"
	run -0 sctl events f2 --from 1
	jq -c . <<<"$output" >"$BATS_TEST_TMPDIR/log"
	while IFS= read -r line; do
		grep -Fxq -- "$line" "$BATS_TEST_TMPDIR/log" || fail "printed but not in the log: $line"
	done < <(jq -c . "$out")
}

@test "watch hears +switch-master from the sentinels and moves to the new primary" {
	local i out=$BATS_TEST_TMPDIR/wout err=$BATS_TEST_TMPDIR/werr first
	run -0 sctl create --agent a1 --id w1
	sk_bg "$out" "$err" sessctl watch w1
	bg=$!
	first=$(sentinel_primary)
	for i in $(seq 1 200); do
		[ "$(redis-cli -p "$first" CLIENT LIST | grep -c 'psub=1\|sub=1')" -ge 1 ] && break
		sleep 0.05
	done
	run -0 redis-cli -p "${SENT_PORTS%% *}" SENTINEL FAILOVER mymaster
	for i in $(seq 1 300); do
		grep -q "the sentinels switched the primary of mymaster" "$err" && break
		sleep 0.1
	done
	grep -q "the sentinels switched the primary of mymaster" "$err" || fail "no switch noticed: $(cat "$err")"
	sentinel_settled 60
	# events on the new primary reach it (emitted until one is seen, 30 s)
	for i in $(seq 1 60); do
		sctl emit w1 --actor a1 --type modified >/dev/null
		[ -s "$out" ] && break
		sleep 0.5
	done
	[ "$(jq -r '.sessionId // .id' "$out" | head -n 1)" = w1 ] || fail "watch printed nothing after the failover: $(cat "$err")"
}

# check_of JSON NAME: the first entry of check NAME in a health+json doc
check_of() { jq -c --arg n "$2" '.checks[$n][0]' <<<"$1"; }

@test "sess-health check through Sentinel reports the sentinels' view in every format; a silent sentinel warns, fewer than the quorum is critical" {
	local p1 p2 pid1 pid2
	run -0 sk sess-health check --format json --no-sessions --no-pubsub
	[ "$(jq -r .components.sentinel <<<"$output")" = healthy ] || fail "$output"
	[ "$(check_of "$output" sentinel:reachable | jq .observedValue)" = 3 ] || fail "$output"
	[ "$(check_of "$output" sentinel:master | jq -r .observedValue)" = "127.0.0.1:$(sentinel_primary)" ] || fail "$output"
	[ "$(check_of "$output" sentinel:quorum | jq .observedValue)" = 2 ] || fail "$output"
	[ "$(check_of "$output" sentinel:replicas | jq .observedValue)" = 1 ] || fail "$output"
	[ "$(check_of "$output" sentinel:failover | jq -r .observedValue)" = none ] || fail "$output"
	run -0 sk sess-health check --format prometheus --no-sessions --no-pubsub
	grep -qx 'sess_sentinel_reachable 3' <<<"$output" || fail "$output"
	grep -qx 'sess_sentinel_quorum_ok 1' <<<"$output" || fail "$output"
	run -0 sk sess-health check --format nagios --no-sessions --no-pubsub
	assert_output --partial "sentinels=3;;;0;3"

	# one sentinel stopped (it accepts, never answers): a warning naming it
	p1=${SENT_PORTS%% *}
	pid1=$(redis-cli -p "$p1" INFO server | tr -d '\r' | sed -n 's/^process_id://p')
	stopped=$pid1
	kill -STOP "$pid1"
	run -1 sk sess-health check --format json --no-sessions --no-pubsub
	[ "$(jq -r .components.sentinel <<<"$output")" = warning ] || fail "$output"
	check_of "$output" sentinel:reachable | jq -r .output | grep -qF "2 of 3 sentinels monitor \"mymaster\"; not answering: 127.0.0.1:$p1" ||
		fail "$output"
	# two stopped: one answers, quorum 2 cannot be reached: critical
	p2=$(echo "$SENT_PORTS" | cut -d' ' -f2)
	pid2=$(redis-cli -p "$p2" INFO server | tr -d '\r' | sed -n 's/^process_id://p')
	stopped="$pid1 $pid2" # teardown resumes them if an assertion fails here
	kill -STOP "$pid2"
	run -2 sk sess-health check --format json --no-sessions --no-pubsub
	kill -CONT "$pid2"
	stopped=$pid1
	[ "$(jq -r .components.sentinel <<<"$output")" = critical ] || fail "$output"
	check_of "$output" sentinel:quorum | jq -r .output | grep -qF "fewer sentinels answer than the quorum" || fail "$output"
	kill -CONT "$pid1"
	stopped=
}

@test "sess-validate server through Sentinel: no sentinel finding when all is well; a silent sentinel and a lost quorum are named" {
	local p1 p2 pid1 pid2
	run -0 sk sess-validate server --format json
	[ "$(jq -rs '[.[] | select((.code // "") | startswith("server.sentinel"))] | length' <<<"$output")" = 0 ] ||
		fail "findings about healthy sentinels: $output"
	p1=${SENT_PORTS%% *}
	p2=$(echo "$SENT_PORTS" | cut -d' ' -f2)
	pid1=$(redis-cli -p "$p1" INFO server | tr -d '\r' | sed -n 's/^process_id://p')
	pid2=$(redis-cli -p "$p2" INFO server | tr -d '\r' | sed -n 's/^process_id://p')
	stopped="$pid1 $pid2" # teardown resumes them if an assertion fails here
	kill -STOP "$pid1" "$pid2"
	run -1 sk sess-validate server --format json
	kill -CONT "$pid1" "$pid2"
	stopped=
	[ "$(jq -rs '[.[] | select(.code == "server.sentinel.unreachable")] | length' <<<"$output")" = 2 ] || fail "$output"
	jq -rs '.[] | select(.code == "server.sentinel.unreachable") | .message' <<<"$output" | grep -qF "sentinel 127.0.0.1:$p1 does not answer" ||
		fail "$output"
	[ "$(jq -rs '[.[] | select(.code == "server.sentinel.quorum")] | length' <<<"$output")" = 1 ] || fail "$output"
}

# failover_now: SENTINEL FAILOVER until a sentinel takes it (right after
# another failover it may answer INPROG or NOGOODSLAVE for a while), then
# until the sentinels name another primary (60 s); fails otherwise
failover_now() {
	local first i out
	first=$(sentinel_primary)
	for i in $(seq 1 30); do
		out=$(redis-cli -p "${SENT_PORTS%% *}" SENTINEL FAILOVER mymaster 2>&1)
		[ "$out" = OK ] && break
		sleep 1
	done
	[ "$out" = OK ] || fail "SENTINEL FAILOVER kept answering: $out"
	for i in $(seq 1 600); do
		[ "$(sentinel_primary)" != "$first" ] && return 0
		sleep 0.1
	done
	fail "the sentinels still name $first as the primary 60 s after SENTINEL FAILOVER"
}

@test "SENTINEL FAILOVER during sess-migrate copy: every copied line holds on the new primary; resume makes the target equal" {
	local srcurl i try rc out=$BATS_TEST_TMPDIR/mout err=$BATS_TEST_TMPDIR/merr n want primary
	srcurl=$(redis_url SRC)
	redis-cli -p "$SRC_PORT" FLUSHALL >/dev/null
	for ((i = 1; i <= 1500; i++)); do
		printf '{"op":"create","id":"m%d","agent":"a1"}\n{"op":"emit","id":"m%d","actor":"a1","type":"modified"}\n' "$i" "$i"
	done >"$BATS_TEST_TMPDIR/load"
	REDIS_URL=$srcurl sctl batch <"$BATS_TEST_TMPDIR/load" >/dev/null || fail "loading the source failed"
	REDIS_URL=$srcurl sk_bg "$out" "$err" sess-migrate copy --all --to "$SENT_URL" --task fo --batch 20 --rate 400
	bg=$!
	for i in $(seq 1 200); do
		[ "$(grep -c '"status":"copied"' "$out")" -ge 100 ] && break
		sleep 0.05
	done
	failover_now
	rc=0
	wait "$bg" || rc=$?
	bg=
	sentinel_settled 60
	# what the first run called copied is on the primary after the failover
	primary=$(sentinel_primary)
	jq -r 'select(.status == "copied") | .id' "$out" | sort -u >"$BATS_TEST_TMPDIR/copied"
	want=$(wc -l <"$BATS_TEST_TMPDIR/copied")
	[ "$want" -ge 100 ] || fail "too few copied lines: $(head -c 600 "$out")"
	n=$(sed 's/.*/EXISTS sess:{&}:meta/' "$BATS_TEST_TMPDIR/copied" | redis-cli -p "$primary" | grep -cx 1)
	[ "$n" = "$want" ] || fail "$((want - n)) of $want sessions printed as copied are not on the new primary (exit $rc)"
	# resumed until it completes (the sentinels settling between tries)
	for try in 1 2 3 4 5 6; do
		rc=0
		REDIS_URL=$srcurl timeout 120 "$SESSKIT_BUILDDIR/sess-migrate" resume fo --to "$SENT_URL" \
			>>"$out" 2>>"$err" || rc=$?
		[ $rc = 0 ] && break
		sentinel_settled 60 || true
	done
	[ $rc = 0 ] || fail "resume did not complete (exit $rc): $(tail -n 5 "$err")"
	REDIS_URL=$srcurl run -0 sk sess-migrate verify --all --to "$SENT_URL"
}

@test "SENTINEL FAILOVER during sess-bench: it hears +switch-master, goes on at the new primary and reports the failover" {
	local out=$BATS_TEST_TMPDIR/bout err=$BATS_TEST_TMPDIR/berr i first n0 rc=0
	first=$(sentinel_primary)
	sk_bg "$out" "$err" sess-bench emit --duration 120 --clients 4 --sessions 20 --interval 500 --wait-replicas 0
	bg=$!
	for i in $(seq 1 100); do
		[ "$(wc -l <"$out")" -ge 3 ] && break
		sleep 0.1
	done
	failover_now
	# three more intervals at the new primary, then stopped (exit 130)
	n0=$(wc -l <"$out")
	for i in $(seq 1 100); do
		[ "$(wc -l <"$out")" -ge $((n0 + 3)) ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$out")" -ge $((n0 + 3)) ] || fail "no intervals after the failover: $(tail -n 3 "$out") $(cat "$err")"
	kill -INT "$bg"
	wait "$bg" || rc=$?
	bg=
	[ "$rc" = 130 ] || fail "sess-bench exit $rc, not 130 (SIGINT): $(cat "$err")"
	tail -n 1 "$out" | jq -e '.type == "summary" and .failovers >= 1 and .reconnects >= 4 and .total.count > 0' >/dev/null ||
		fail "the summary does not report the failover: $(tail -n 1 "$out") $(cat "$err")"
	# operations completed at the new primary: the intervals after it
	[ "$(tail -n 3 "$out" | head -n 2 | jq -s 'map(.ops.emit.count // 0) | add')" -gt 0 ] ||
		fail "nothing completed after the failover: $(tail -n 4 "$out")"
}

@test "SENTINEL FAILOVER of sess-migrate sync's target: it hears +switch-master, reconnects, and the target ends equal to the source" {
	local srcurl i rc=0 out=$BATS_TEST_TMPDIR/sout err=$BATS_TEST_TMPDIR/serr first
	srcurl=$(redis_url SRC)
	redis-cli -p "$SRC_PORT" FLUSHALL >/dev/null
	for ((i = 1; i <= 20; i++)); do
		printf '{"op":"create","id":"y%d","agent":"a1"}\n' "$i"
	done | REDIS_URL=$srcurl sctl batch >/dev/null || fail "loading the source failed"
	first=$(sentinel_primary)
	REDIS_URL=$srcurl sk_bg "$out" "$err" sess-migrate sync --all --to "$SENT_URL" --task sy --interval 1
	bg=$!
	for i in $(seq 1 300); do
		[ "$(redis-cli -p "$first" ZCARD sess:#{all}:index)" = 20 ] && break
		sleep 0.1
	done
	# events keep coming on the source through the failover
	( for ((i = 0; i < 150; i++)); do
		REDIS_URL=$srcurl "$SESSKIT_BUILDDIR/sessctl" emit "y$((i % 20 + 1))" --actor a1 --type modified >/dev/null
		sleep 0.02
	done ) 3>&- &
	writer=$!
	sleep 0.5
	failover_now
	wait "$writer"
	writer=
	sentinel_settled 60
	# caught up: source and target equal (sync still running)
	for i in $(seq 1 60); do
		REDIS_URL=$srcurl sk sess-migrate verify --all --to "$SENT_URL" >"$BATS_TEST_TMPDIR/v" 2>&1 && break
		sleep 0.5
	done
	REDIS_URL=$srcurl run -0 sk sess-migrate verify --all --to "$SENT_URL"
	kill -0 "$bg" || fail "sync died at the failover: $(cat "$err")"
	kill -INT "$bg"
	wait "$bg" || rc=$?
	bg=
	[ "$rc" = 130 ] || fail "sync exit $rc after SIGINT: $(cat "$err")"
	grep -q "the sentinels switched the primary of the target" "$err" || fail "the switch was not heard: $(cat "$err")"
}

@test "sessctl shell through Sentinel: a failover between two commands is heard; the next command goes to the new primary" {
	local fifo=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/shout err=$BATS_TEST_TMPDIR/sherr first i rc=0
	mkfifo "$fifo"
	first=$(sentinel_primary)
	exec 5<>"$fifo" # open both ways: neither side waits for the other
	# (not sk_bg: a background job's stdin is /dev/null unless redirected
	# on the job itself; fd 5 is not passed on, so closing it is EOF)
	REDIS_URL=$SENT_URL HOME=$BATS_FILE_TMPDIR XDG_CONFIG_HOME= SESSKIT_CONFIG= \
		"$SESSKIT_BUILDDIR/sessctl" shell <"$fifo" >"$out" 2>"$err" 3>&- 5>&- &
	bg=$!
	echo "create --agent a1 --id sh1" >&5
	for i in $(seq 1 100); do
		[ -s "$out" ] && break
		sleep 0.1
	done
	[ -s "$out" ] || fail "the shell did not create sh1: $(cat "$err")"
	failover_now
	sentinel_settled 60 # the old primary replicates from the new one: writes can be durable
	echo "emit sh1 --actor a1 --type modified" >&5
	exec 5>&-
	wait "$bg" || rc=$?
	bg=
	[ "$rc" = 0 ] || fail "the shell's emit after the failover failed (exit $rc): $(cat "$err")"
	grep -qF "the sentinels switched the primary of mymaster" "$err" || fail "not heard: $(cat "$err")"
	[ "$(redis-cli -p "$(sentinel_primary)" HGET 'sess:{sh1}:meta' seq)" = 1 ] || fail "the event is not on the new primary"
}

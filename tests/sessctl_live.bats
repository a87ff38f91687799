#!/usr/bin/env bats
# Live events: events --follow (gap-free from the log) and watch (pub/sub).
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() { kill ${bg:-} ${bg2:-} 2>/dev/null; true; }

# wait_lines FILE N: until FILE has N lines (10 s at most)
wait_lines() {
	local i
	for i in $(seq 1 200); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "only $(wc -l <"$1") of $2 lines in $1:"; cat "$1"
	return 1
}

@test "events --follow: old and new events, no gaps or duplicates across a dropped connection" {
	sctl create --agent a1 --id s1 >/dev/null
	sctl emit s1 --actor a1 --type modified >/dev/null
	sctl emit s1 --actor a1 --type modified >/dev/null
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	sk_bg "$out" "$err" sessctl events s1 --follow --from 2
	bg=$!
	wait_lines "$out" 1
	# live, not the once-a-second re-read: the follower listens
	wait_subscribers 'sess:{s1}:notify' 1
	sctl emit s1 --actor a1 --type fixed >/dev/null
	wait_lines "$out" 2
	rcli CLIENT KILL TYPE normal >/dev/null
	rcli CLIENT KILL TYPE pubsub >/dev/null
	for i in 1 2 3; do sctl emit s1 --actor a1 --type modified >/dev/null; done
	wait_lines "$out" 5
	kill -INT "$bg"
	wait "$bg" || st=$?
	bg=
	assert_equal "${st:-0}" 130
	assert_equal "$(jq -r .seq <"$out" | tr '\n' ' ')" "2 3 4 5 6 "
	grep -q "reconnect" "$err"
}

@test "events --follow across maintenance trims: the event printed last trimmed is no divergence; a gap is said" {
	printf '{"maxEventsPerSession": 5, "cleanupBatchSize": 10}\n' >"$BATS_TEST_TMPDIR/c.json"
	sctl create --agent a1 --id tr >/dev/null
	for n in 1 2 3; do sctl emit tr --actor a1 --type modified >/dev/null; done
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	sk_bg "$out" "$err" sessctl events tr --follow
	bg=$!
	wait_lines "$out" 3
	wait_subscribers 'sess:{tr}:notify' 1
	# the follower is stopped while 10 events come and the log is trimmed
	# to its last 5 (seq 9-13): seq 3, printed last, is gone; 4-8 were never
	# printed
	kill -STOP "$bg"
	for n in $(seq 1 10); do sctl emit tr --actor a1 --type fixed >/dev/null; done
	run -0 sctl maintenance --config "$BATS_TEST_TMPDIR/c.json"
	assert_equal "$(echo "$output" | jq .trimmedEvents)" 8
	kill -CONT "$bg"
	wait_lines "$out" 8
	assert_equal "$(jq -r .seq <"$out" | tr '\n' ' ')" "1 2 3 9 10 11 12 13 "
	grep -q "events 4 to 8 of tr were trimmed (maintenance) before they were printed" "$err" ||
		fail "the gap was not said: $(cat "$err")"
	# caught up (13 printed); the next trim takes 13 itself, and no event
	# was skipped: it goes on without a word
	kill -STOP "$bg"
	for n in $(seq 1 5); do sctl emit tr --actor a1 --type modified >/dev/null; done
	run -0 sctl maintenance --config "$BATS_TEST_TMPDIR/c.json"
	kill -CONT "$bg"
	wait_lines "$out" 13
	assert_equal "$(jq -r .seq <"$out" | tail -5 | tr '\n' ' ')" "14 15 16 17 18 "
	kill -0 "$bg" || fail "the follower stopped: $(cat "$err")"
	assert_equal "$(grep -c trimmed "$err")" 1
	kill -INT "$bg"
	wait "$bg" || st=$?
	bg=
	assert_equal "${st:-0}" 130
}

@test "events --follow on a missing session: exit 1; with --limit: usage" {
	run sctl events nope --follow
	assert_failure 1
	run sctl events s1 --follow --limit 3
	assert_failure 64
}

@test "watch: live events of all sessions, or of the ones named" {
	sctl create --agent a1 --id s1 >/dev/null
	sctl create --agent a1 --id s2 >/dev/null
	all=$BATS_TEST_TMPDIR/all one=$BATS_TEST_TMPDIR/one
	sk_bg "$all" /dev/null sessctl watch
	bg=$!
	sk_bg "$one" /dev/null sessctl watch s2
	bg2=$!
	# subscriptions in place: watch takes the pattern, watch s2 its channel
	wait_subscribers 'sess:{*}:notify' 1
	wait_subscribers 'sess:{s2}:notify' 1
	sctl emit s1 --actor a1 --type modified >/dev/null
	sctl emit s2 --actor a1 --type broke >/dev/null
	wait_lines "$all" 2
	wait_lines "$one" 1
	kill -TERM "$bg" "$bg2"
	wait "$bg" || st=$?
	wait "$bg2" || true
	bg= bg2=
	assert_equal "${st:-0}" 143
	assert_equal "$(jq -r '.sessionId + ":" + .type' <"$all" | tr '\n' ' ')" "s1:modified s2:broke "
	assert_equal "$(jq -r '.sessionId + ":" + (.seq|tostring)' <"$one")" "s2:1"
}

@test "watch: a batch call of many events publishes them once, and watch shows each, as events prints them" {
	sctl create --agent a1 --id g1 >/dev/null
	sctl create --agent a1 --id g2 >/dev/null
	out=$BATS_TEST_TMPDIR/w
	sk_bg "$out" /dev/null sessctl watch
	bg=$!
	wait_subscribers 'sess:{*}:notify' 1
	# 50 emits to g1 then 3 to g2, read at once from a file: two calls at
	# --group 64, one message each; a body with an escaped newline, quotes
	# and non-ASCII stays one event
	{
		for i in $(seq 1 50); do
			printf '{"op":"emit","id":"g1","actor":"a1","type":"modified","eventId":"e%d","changeInfo":{"elementType":"file","entityIds":["line\\nbreak \\"%d\\" é"],"operation":"modified"}}\n' "$i" "$i"
		done
		printf '{"op":"emit","id":"g2","actor":"a1","type":"t%d"}\n' 1 2 3
	} >"$BATS_TEST_TMPDIR/in"
	before=$(rcli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_publish:calls=\([0-9]*\),.*/\1/p')
	sctl batch --group 64 <"$BATS_TEST_TMPDIR/in" >/dev/null
	wait_lines "$out" 53
	after=$(rcli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_publish:calls=\([0-9]*\),.*/\1/p')
	kill -TERM "$bg"
	wait "$bg" || true
	bg=
	assert_equal "$((after - ${before:-0}))" 2
	sctl events g1 >"$BATS_TEST_TMPDIR/events"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/events")" 50
	run diff <(jq -c 'select(.sessionId == "g1")' "$out") "$BATS_TEST_TMPDIR/events"
	assert_success
	assert_equal "$(jq -r 'select(.sessionId == "g2") | .type' <"$out" | tr '\n' ' ')" "t1 t2 t3 "
	assert_equal "$(jq -c 'select(.sessionId == "g1") | .changeInfo.entityIds[0]' <"$out" | sed -n 2p)" '"line\nbreak \"2\" é"'
}

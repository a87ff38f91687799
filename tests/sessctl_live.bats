#!/usr/bin/env bats
# Live events: events --follow (gap-free from the log) and watch (pub/sub).

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

#!/usr/bin/env bats
# sessctl batch: JSON-lines operations, pipelined, one result per line.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

@test "one result line per input line, in order, with line numbers" {
	run bash -c "printf '%s\n' \
		'{\"op\":\"create\",\"id\":\"s1\",\"agent\":\"a1\"}' \
		'{\"op\":\"join\",\"id\":\"s1\",\"agent\":\"a2\"}' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"modified\",\"changeInfo\":{\"elementType\":\"f\",\"entityIds\":[\"x\"],\"operation\":\"modified\"}}' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a2\",\"type\":\"broke\",\"stateTransition\":{\"from\":\"working\",\"to\":\"broken\"}}' \
		'{\"op\":\"get\",\"id\":\"s1\"}' \
		'{\"op\":\"checkpoint\",\"id\":\"s1\",\"reason\":\"end\"}' \
		| REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch"
	assert_success
	assert_equal "$(echo "$output" | jq -r .line | tr '\n' ' ')" "1 2 3 4 5 6 "
	assert_equal "$(echo "$output" | jq -r .op | tr '\n' ' ')" "create join emit emit get checkpoint "
	assert_equal "$(echo "$output" | sed -n 4p | jq -r .result.state)" broken
	assert_equal "$(echo "$output" | sed -n 5p | jq -r .result.seq)" 2
	assert_equal "$(rcli HGET sess:#{all}:stats events)" 2
	assert_equal "$(rcli HGET sess:#{all}:stats type:broke)" 1
}

@test "bad lines get error records and the rest go on" {
	sctl create --agent a1 --id s1 >/dev/null
	run bash -c "printf '%s\n' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"modified\"}' \
		'this is not json' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"nobody\",\"type\":\"modified\"}' \
		'{\"op\":\"frob\",\"id\":\"s1\"}' \
		'{\"op\":\"emit\",\"id\":\"s*\",\"actor\":\"a1\",\"type\":\"modified\"}' \
		'' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"fixed\"}' \
		| REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch 2>/dev/null"
	assert_failure 65
	assert_equal "$(echo "$output" | jq -r .line | tr '\n' ' ')" "1 2 3 4 5 7 "
	assert_equal "$(echo "$output" | jq -r .ok | tr '\n' ' ')" "true false false false false true "
	assert_equal "$(echo "$output" | sed -n 2p | jq -r .error.code)" bad_json
	assert_equal "$(echo "$output" | sed -n 3p | jq -r .error.code)" not_member
	assert_equal "$(echo "$output" | sed -n 4p | jq -r .error.code)" bad_op
	assert_equal "$(echo "$output" | sed -n 5p | jq -r .error.code)" bad_id
	assert_equal "$(echo "$output" | sed -n 6p | jq -r .result.seq)" 2
	assert_equal "$(rcli LLEN 'sess:{s1}:events')" 2
}

@test "the exit status is the earliest failed line's, also when a later bad line is read before its result" {
	sctl create --agent a1 --id s1 >/dev/null
	# the emit's refusal (1) comes with its reply; the bad line (65) is
	# known as soon as it is read, before that reply
	run -1 bash -c "printf '%s\n' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"nobody\",\"type\":\"modified\"}' \
		'not json' \
		| REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch"
	assert_equal "$(echo "$output" | jq -r '"\(.line):\(.error.code)"' | tr '\n' ' ')" "1:not_member 2:bad_json "
	run -65 bash -c "printf '%s\n' 'not json' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"nobody\",\"type\":\"modified\"}' \
		| REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch"
}

@test "--fail-fast stops at the first failed line; earlier lines stay" {
	sctl create --agent a1 --id s1 >/dev/null
	run bash -c "printf '%s\n' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"modified\"}' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"zz\",\"type\":\"modified\"}' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"modified\"}' \
		| REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch --fail-fast --pipeline 1"
	assert_failure 1
	assert_equal "$(echo "$output" | jq -r .line | tr '\n' ' ')" "1 2 "
	assert_equal "$(rcli LLEN 'sess:{s1}:events')" 1
	# an op after a failed emit is not run either
	run bash -c "printf '%s\n' \
		'{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"zz\",\"type\":\"modified\"}' \
		'{\"op\":\"delete\",\"id\":\"s1\"}' \
		| REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch --fail-fast"
	assert_failure 1
	assert_equal "$(echo "$output" | jq -r .line | tr '\n' ' ')" "1 "
	assert_equal "$(rcli EXISTS 'sess:{s1}:meta')" 1
}

@test "text after the JSON, or a NUL byte, makes a line bad" {
	sctl create --agent a1 --id s1 >/dev/null
	run bash -c "printf '%s\n' '{\"op\":\"get\",\"id\":\"s1\"} x' '{\"op\":\"get\",\"id\":\"s1\"}  ' \
		| REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch"
	assert_failure 65
	assert_equal "$(echo "$output" | jq -r '"\(.line):\(.ok):\(.error.code)"' | tr '\n' ' ')" "1:false:bad_json 2:true:null "
	run bash -c "printf '{\"op\":\"get\",\"id\":\"s1\"}\\0junk\n' | REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch"
	assert_failure 65
	assert_output --partial "NUL byte"
}

@test "results land on the right lines when upkeep fills the ring" {
	sctl create --agent a1 --id s1 >/dev/null
	sctl create --agent a1 --id s2 >/dev/null
	# a switch of session queues an index update while the ring is full
	# of error records; 33 event types queue the stats too (the ring grows)
	{
		echo '{"op":"emit","id":"s1","actor":"a1","type":"modified"}'
		for i in $(seq 1 32); do echo "{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"t$i\"}"; done
		echo '{"op":"emit","id":"s2","actor":"a1","type":"t33"}'
		for i in $(seq 1 40); do echo 'bad'; done
		echo '{"op":"emit","id":"s1","actor":"a1","type":"modified"}'
	} >"$BATS_TEST_TMPDIR/ops"
	for p in 1 2 256; do
		run bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch --pipeline $p --group 2 < '$BATS_TEST_TMPDIR/ops'"
		assert_failure 65
		assert_equal "$(echo "$output" | jq -r .line | awk 'NR != $1' | wc -l)" 0
		assert_equal "$(echo "$output" | wc -l)" 75
		assert_equal "$(echo "$output" | jq -r 'select(.ok) | .result.id' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" "s1=34 s2=1 "
	done
	assert_equal "$(rcli HGET 'sess:{s1}:meta' seq)" 102
	assert_equal "$(rcli HGET sess:#{all}:stats type:t33)" 3
	# the ring exactly full of error records when the switch comes
	{
		echo '{"op":"emit","id":"s1","actor":"a1","type":"modified"}'
		echo '{"op":"emit","id":"s2","actor":"a1","type":"modified"}'
		for i in $(seq 1 37); do echo 'bad'; done
	} >"$BATS_TEST_TMPDIR/ops"
	run bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch --pipeline 1 < '$BATS_TEST_TMPDIR/ops'"
	assert_failure 65
	assert_equal "$(echo "$output" | wc -l)" 39
	assert_equal "$(echo "$output" | sed -n 2p | jq -c '[.line, .result.id]')" '[2,"s2"]'
	# the index entry is the session's expiry (the emit script moves both)
	assert_equal "$(rcli ZSCORE sess:#{all}:index s2)" "$(rcli PEXPIRETIME 'sess:{s2}:meta')"
}

@test "many pipelined emits: contiguous seqs, counters and index kept" {
	sctl create --agent a1 --id s1 >/dev/null
	sctl create --agent a1 --id s2 >/dev/null
	awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"op\":\"emit\",\"id\":\"s%d\",\"actor\":\"a1\",\"type\":\"%s\"}\n", i % 2 + 1, i % 3 ? "modified" : "fixed" }' >"$BATS_TEST_TMPDIR/ops"
	run bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch --pipeline 64 < '$BATS_TEST_TMPDIR/ops'"
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 3000
	assert_equal "$(echo "$output" | jq -r .line | awk 'NR != $1' | wc -l)" 0
	assert_equal "$(rcli HGET 'sess:{s1}:meta' seq)" 1500
	assert_equal "$(rcli LLEN 'sess:{s2}:events')" 1500
	assert_equal "$(echo "$output" | jq -r 'select(.result.id=="s1") | .result.seq' | awk 'NR != $1' | wc -l)" 0
	assert_equal "$(rcli HGET sess:#{all}:stats events)" 3000
	assert_equal "$(rcli HGET sess:#{all}:stats type:fixed)" 1000
}

# The ops for the grouping tests: two sessions interleaved in runs, with a
# refusal, duplicates, transitions and checkpoints inside the runs.
group_ops() {
	local e='"op":"emit","actor":"a1","type":"modified"' i
	echo '{"op":"create","id":"g1","agent":"a1"}'
	echo '{"op":"create","id":"g2","agent":"a1"}'
	echo "{$e,\"id\":\"g1\",\"eventId\":\"x\"}"
	echo "{\"op\":\"emit\",\"id\":\"g1\",\"actor\":\"nobody\",\"type\":\"modified\"}"
	echo "{$e,\"id\":\"g1\",\"eventId\":\"x\"}"
	echo "{$e,\"id\":\"g1\",\"eventId\":\"y\"}"
	echo "{$e,\"id\":\"g1\",\"eventId\":\"y\"}"
	echo '{"op":"emit","id":"g1","actor":"a1","type":"broke","stateTransition":{"from":"working","to":"broken"}}'
	echo '{"op":"emit","id":"g1","actor":"a1","type":"fixed","stateTransition":{"from":"working","to":"broken"}}'
	for i in $(seq 1 12); do echo "{$e,\"id\":\"g1\"}"; done
	for i in $(seq 1 5); do echo "{$e,\"id\":\"g2\"}"; done
	echo '{"op":"emit","id":"g1","actor":"a1","type":"fixed","stateTransition":{"from":"broken","to":"working"}}'
	for i in $(seq 1 9); do echo "{$e,\"id\":\"g1\"}"; done
	echo '{"op":"emit","id":"g2","actor":"a1","type":"done","stateTransition":{"from":"working","to":"completed"}}'
	echo "{$e,\"id\":\"g2\"}"
}

# What a run leaves: results and stored data without the clock.
group_dump() {
	jq -c 'del(.result.timestamp, .result.created, .result.updated, .result.expiresAt, .result.createdAt, .result.updatedAt)' <<<"$1"
	rcli LRANGE 'sess:{g1}:events' 0 -1 | sed 's/"ts":[0-9]*,//'
	# (the chain and state digests cover the timestamps: they differ)
	rcli HGETALL 'sess:{g1}:checkpoints' |
		sed 's/"created":[0-9]*,//; s/"timestamp":[0-9]*,//; s/"ch":"[0-9a-f]*",//; s/"sd":"[0-9a-f]*",//'
	rcli LRANGE 'sess:{g1}:history' 0 -1 | sed 's/"ts":[0-9]*,//; s/,"sd":"[0-9a-f]*"//'
	rcli HMGET 'sess:{g1}:meta' seq state cps lastcp
	rcli HGETALL 'sess:{g1}:eventids'
	rcli HMGET 'sess:{g2}:meta' seq state
	rcli HGETALL sess:#{all}:stats
}

@test "grouped emits behave exactly like one emit per call" {
	echo '{"checkpointInterval": 5}' >"$BATS_TEST_TMPDIR/c.json"
	group_ops >"$BATS_TEST_TMPDIR/ops"
	run bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' --config '$BATS_TEST_TMPDIR/c.json' batch --group 1 < '$BATS_TEST_TMPDIR/ops'"
	assert_failure 1
	one=$(group_dump "$output")
	rcli FLUSHALL >/dev/null
	run bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' --config '$BATS_TEST_TMPDIR/c.json' batch < '$BATS_TEST_TMPDIR/ops'"
	assert_failure 1
	grouped=$(group_dump "$output")
	assert_equal "$grouped" "$one"
	# and what that is: per-line refusals and duplicates, checkpoints
	# taken inside a run with the state at their seq
	assert_equal "$(echo "$output" | jq -r 'select(.ok | not) | "\(.line):\(.error.code)"' | tr '\n' ' ')" \
		"4:not_member 9:state_mismatch 38:completed "
	assert_equal "$(echo "$output" | sed -n 5p | jq -c '[.result.seq, .result.duplicate]')" '[1,true]'
	assert_equal "$(echo "$output" | sed -n 7p | jq -c '[.result.seq, .result.duplicate]')" '[2,true]'
	assert_equal "$(rcli HGET 'sess:{g1}:checkpoints' 1 | jq -c '[.seq, .reason, .state]')" '[3,"failure","broken"]'
	assert_equal "$(rcli HGET 'sess:{g1}:checkpoints' 2 | jq -c '[.seq, .reason, .state]')" '[5,"auto","broken"]'
	assert_equal "$(rcli HMGET 'sess:{g1}:meta' seq state)" "$(printf '25\nworking')"
	assert_equal "$(rcli HGET 'sess:{g1}:checkpoints' 6 | jq -c '[.seq, .reason, .state]')" '[25,"auto","working"]'
	assert_equal "$(rcli HGET 'sess:{g2}:meta' state)" completed
}

# Many sessions interleaved line by line (as many agents writing at once
# produce them), with refusals, duplicates, transitions and checkpoints.
interleaved_ops() {
	local i s
	for s in 1 2 3 4 5 6 7; do echo "{\"op\":\"create\",\"id\":\"m$s\",\"agent\":\"a1\"}"; done
	for i in $(seq 1 40); do
		for s in 1 2 3 4 5 6 7; do
			case $((i * 7 + s)) in
			*3) echo "{\"op\":\"emit\",\"id\":\"m$s\",\"actor\":\"a1\",\"type\":\"modified\",\"eventId\":\"e$((i / 20))\"}" ;;
			*5) echo "{\"op\":\"emit\",\"id\":\"m$s\",\"actor\":\"nobody\",\"type\":\"modified\"}" ;;
			*) echo "{\"op\":\"emit\",\"id\":\"m$s\",\"actor\":\"a1\",\"type\":\"modified\"}" ;;
			esac
		done
		[ "$i" = 11 ] && echo '{"op":"emit","id":"m2","actor":"a1","type":"broke","stateTransition":{"from":"working","to":"broken"}}' # lint: ok (input)
		[ "$i" = 13 ] && echo '{"op":"emit","id":"m2","actor":"a1","type":"fixed","stateTransition":{"from":"broken","to":"working"}}' # lint: ok (input)
		[ "$i" = 30 ] && echo '{"op":"emit","id":"m4","actor":"a1","type":"done","stateTransition":{"from":"working","to":"completed"}}' # lint: ok (input)
		[ "$i" = 20 ] && echo 'not json' # lint: ok (input)
		[ "$i" = 25 ] && echo '{"op":"get","id":"m1"}' # lint: ok (input)
	done
	echo '{"op":"emit","id":"nosuch","actor":"a1","type":"modified"}'
}

interleaved_dump() {
	local s
	jq -c 'del(.result.timestamp, .result.created, .result.updated, .result.expiresAt, .result.createdAt, .result.updatedAt, .result.ttl, .result.expiresIn, .result.agents[]?.joined?)' <<<"$1"
	for s in 1 2 3 4 5 6 7; do
		rcli LRANGE "sess:{m$s}:events" 0 -1 | sed 's/"ts":[0-9]*,//'
		# (the chain and state digests cover the timestamps: they differ)
		rcli HGETALL "sess:{m$s}:checkpoints" |
			sed 's/"created":[0-9]*,//; s/"timestamp":[0-9]*,//; s/"ch":"[0-9a-f]*",//; s/"sd":"[0-9a-f]*",//'
		rcli LRANGE "sess:{m$s}:history" 0 -1 | sed 's/"ts":[0-9]*,//; s/,"sd":"[0-9a-f]*"//'
		rcli HMGET "sess:{m$s}:meta" seq state cps lastcp
		rcli HGETALL "sess:{m$s}:eventids"
	done
	rcli HGETALL sess:#{all}:stats
	rcli ZRANGE sess:#{all}:index 0 -1 | sort
}

@test "interleaved emits to many sessions behave exactly like one emit per call" {
	echo '{"checkpointInterval": 5}' >"$BATS_TEST_TMPDIR/c.json"
	interleaved_ops >"$BATS_TEST_TMPDIR/ops"
	run bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' --config '$BATS_TEST_TMPDIR/c.json' batch --group 1 < '$BATS_TEST_TMPDIR/ops'"
	assert_failure
	one=$(interleaved_dump "$output")
	n=$(wc -l <"$BATS_TEST_TMPDIR/ops")
	assert_equal "$(echo "$output" | jq -r .line | awk 'NR != $1' | wc -l)" 0
	assert_equal "$(echo "$output" | wc -l)" "$n"
	for p in 256 3; do
		rcli FLUSHALL >/dev/null
		run bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' --config '$BATS_TEST_TMPDIR/c.json' batch --pipeline $p < '$BATS_TEST_TMPDIR/ops'"
		assert_failure
		assert_equal "$(interleaved_dump "$output")" "$one"
	done
	# and it did see what it should: refusals, duplicates, checkpoints
	assert_equal "$(echo "$output" | jq -r 'select(.ok | not) | .error.code' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
		"bad_json=1 completed=10 not_found=1 not_member=27 "
	[ "$(echo "$output" | jq -r 'select(.result.duplicate == true) | .line' | wc -l)" -ge 3 ] || fail "no duplicates"
	assert_equal "$(rcli HGET 'sess:{m2}:meta' state)" working
	[ "$(rcli HLEN 'sess:{m3}:checkpoints')" -ge 5 ] || fail "no auto checkpoints"
}

# Many sessions interleaved, with everything that changes a call's
# outcome: refusals, duplicates, transitions, a session completed in the
# middle, auto checkpoints, a bad line and a get (which drains).
ahead_ops() {
	local i s
	for s in $(seq 1 24); do echo "{\"op\":\"create\",\"id\":\"m$s\",\"agent\":\"a1\"}"; done
	for i in $(seq 1 30); do
		for s in $(seq 1 24); do
			case $(((i * 24 + s) % 11)) in
			3) echo "{\"op\":\"emit\",\"id\":\"m$s\",\"actor\":\"a1\",\"type\":\"modified\",\"eventId\":\"dup\"}" ;;
			5) echo "{\"op\":\"emit\",\"id\":\"m$s\",\"actor\":\"nobody\",\"type\":\"modified\"}" ;;
			*) echo "{\"op\":\"emit\",\"id\":\"m$s\",\"actor\":\"a1\",\"type\":\"modified\"}" ;;
			esac
		done
		[ "$i" = 7 ] && echo '{"op":"emit","id":"m2","actor":"a1","type":"broke","stateTransition":{"from":"working","to":"broken"}}' # lint: ok (input)
		[ "$i" = 9 ] && echo '{"op":"emit","id":"m2","actor":"a1","type":"fixed","stateTransition":{"from":"broken","to":"working"}}' # lint: ok (input)
		[ "$i" = 15 ] && echo '{"op":"emit","id":"m4","actor":"a1","type":"done","stateTransition":{"from":"working","to":"completed"}}' # lint: ok (input)
		[ "$i" = 18 ] && echo 'not json' # lint: ok (input)
		[ "$i" = 21 ] && echo '{"op":"get","id":"m1"}' # lint: ok (input)
	done
	echo '{"op":"emit","id":"nosuch","actor":"a1","type":"modified"}'
}

ahead_dump() {
	local s
	jq -c 'del(.result.timestamp, .result.created, .result.updated, .result.expiresAt, .result.createdAt, .result.updatedAt, .result.ttl, .result.expiresIn, .result.agents[]?.joined?)' <<<"$1"
	for s in $(seq 1 24); do
		rcli LRANGE "sess:{m$s}:events" 0 -1 | sed 's/"ts":[0-9]*,//'
		# (the chain and state digests cover the timestamps: they differ)
		rcli HGETALL "sess:{m$s}:checkpoints" |
			sed 's/"created":[0-9]*,//; s/"timestamp":[0-9]*,//; s/"ch":"[0-9a-f]*",//; s/"sd":"[0-9a-f]*",//'
		rcli LRANGE "sess:{m$s}:history" 0 -1 | sed 's/"ts":[0-9]*,//; s/,"sd":"[0-9a-f]*"//'
		rcli HMGET "sess:{m$s}:meta" seq state cps lastcp
		rcli HGETALL "sess:{m$s}:eventids"
	done
	rcli HGETALL sess:#{all}:stats
	rcli ZRANGE sess:#{all}:index 0 -1 | sort
}

# ahead_run OUT ARGS...: batch ARGS on the ops, every command the server
# got from clients (MONITOR, without the clock, the client and what the
# scripts ran) into OUT; the batch's output in $output, its status checked.
ahead_run() {
	local calls=$1 mon=$BATS_TEST_TMPDIR/monitor mpid n
	shift
	rcli FLUSHALL >/dev/null
	redis-cli -s "$REDIS_SOCK" MONITOR >"$mon" 3>&- &
	mpid=$!
	for n in $(seq 1 100); do [ -s "$mon" ] && break; sleep 0.05; done
	run -1 bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' --config '$BATS_TEST_TMPDIR/c.json' batch $* < '$BATS_TEST_TMPDIR/ops'"
	rcli ECHO ahead-run-end >/dev/null
	for n in $(seq 1 200); do grep -q '"ahead-run-end"' "$mon" && break; sleep 0.05; done
	kill "$mpid"
	wait "$mpid" || true
	grep -v '^OK$' "$mon" | grep -v ' \[0 lua\] ' | sed 's/^[0-9.]* \[[^]]*\] //' >"$calls"
}

@test "read ahead: the same calls, results and stored bytes as waiting for room, and as one emit per call" {
	echo '{"checkpointInterval": 5}' >"$BATS_TEST_TMPDIR/c.json"
	ahead_ops >"$BATS_TEST_TMPDIR/ops"
	ahead_run "$BATS_TEST_TMPDIR/calls1" --group 1
	one=$(ahead_dump "$output")
	n=$(wc -l <"$BATS_TEST_TMPDIR/ops")
	assert_equal "$(echo "$output" | wc -l)" "$n"
	assert_equal "$(echo "$output" | jq -r .line | awk 'NR != $1' | wc -l)" 0
	# --ahead 0 waits for room before reading on (the scheduling before
	# read ahead); the default reads on while closed calls wait. A small
	# pipeline with calls of 4: most closed calls wait for room; a larger
	# one with calls of 16: the pipeline runs empty while groups fill
	for conf in '8 4' '64 16'; do
		set -- $conf
		ahead_run "$BATS_TEST_TMPDIR/calls0" --pipeline "$1" --group "$2" --ahead 0
		assert_equal "$(ahead_dump "$output")" "$one"
		ahead_run "$BATS_TEST_TMPDIR/calls" --pipeline "$1" --group "$2"
		assert_equal "$(ahead_dump "$output")" "$one"
		# the same calls with the same events, in the same order
		cmp "$BATS_TEST_TMPDIR/calls0" "$BATS_TEST_TMPDIR/calls" ||
			fail "read ahead changed the calls (--pipeline $1 --group $2): $(diff "$BATS_TEST_TMPDIR/calls0" "$BATS_TEST_TMPDIR/calls" | head -5)"
		calls=$(grep -c '^"EVALSHA"\|^"FCALL"' "$BATS_TEST_TMPDIR/calls")
		calls1=$(grep -c '^"EVALSHA"\|^"FCALL"' "$BATS_TEST_TMPDIR/calls1")
		[ "$calls" -gt 0 ] && [ "$calls" -lt $((calls1 / 3)) ] || fail "$calls grouped calls for $calls1 single ones"
	done
	emits=$(grep -c '"op":"emit"' "$BATS_TEST_TMPDIR/ops")
	# and it did see what it should: refusals, duplicates, checkpoints
	assert_equal "$(echo "$output" | jq -r 'select(.ok | not) | .error.code' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
		"bad_json=1 completed=15 not_found=1 not_member=64 "
	[ "$(echo "$output" | jq -r 'select(.result.duplicate == true) | .line' | wc -l)" -ge 10 ] || fail "no duplicates"
	assert_equal "$(rcli HGET 'sess:{m2}:meta' state)" working
	assert_equal "$(rcli HGET 'sess:{m4}:meta' state)" completed
	[ "$(rcli HLEN 'sess:{m3}:checkpoints')" -ge 5 ] || fail "no auto checkpoints"
	[ "$emits" -gt 700 ] || fail "only $emits emits"
}

@test "batch bounds: more open sessions than it keeps groups for, and a line waiting behind 70,000" {
	# 1,100 sessions written round-robin: more than the 1,024 open groups
	# batch keeps, so the oldest go early; every result still in order
	awk 'BEGIN { for (i = 0; i < 1100; i++) printf "{\"op\":\"create\",\"id\":\"b%d\",\"agent\":\"a1\"}\n", i;
		for (r = 1; r <= 3; r++) for (i = 0; i < 1100; i++)
			printf "{\"op\":\"emit\",\"id\":\"b%d\",\"actor\":\"a1\",\"type\":\"modified\"}\n", i }' \
		>"$BATS_TEST_TMPDIR/ops"
	REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T "$SESSCTL" batch <"$BATS_TEST_TMPDIR/ops" >"$BATS_TEST_TMPDIR/out"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out")" 4400
	assert_equal "$(jq -r .line "$BATS_TEST_TMPDIR/out" | awk '$1 != NR' | head -1)" ""
	# the line of round r has seq r
	assert_equal "$(jq -r 'select(.op == "emit") | "\(.line) \(.result.seq)"' "$BATS_TEST_TMPDIR/out" |
		awk '{ r = int(($1 - 1101) / 1100) + 1; if ($2 != r) print }' | head -1)" ""
	assert_equal "$(rcli HGET sess:#{all}:stats events)" 3300
	# one emit to s1 whose group never fills, then 70,000 to s2: the ring
	# of waiting lines reaches its bound and s1's group goes out alone
	rcli FLUSHALL >/dev/null
	sctl create --agent a1 --id s1 >/dev/null
	sctl create --agent a1 --id s2 >/dev/null
	awk 'BEGIN { print "{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"modified\"}";
		for (i = 0; i < 70000; i++) print "{\"op\":\"emit\",\"id\":\"s2\",\"actor\":\"a1\",\"type\":\"modified\"}";
		print "{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"modified\"}" }' >"$BATS_TEST_TMPDIR/ops"
	REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T "$SESSCTL" batch <"$BATS_TEST_TMPDIR/ops" >"$BATS_TEST_TMPDIR/out"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out")" 70002
	assert_equal "$(jq -r 'select(.ok != true or .line != input_line_number) | .line' "$BATS_TEST_TMPDIR/out" | head -1)" ""
	assert_equal "$(sed -n '1p;$p' "$BATS_TEST_TMPDIR/out" | jq -c '[.result.id, .result.seq]' | tr '\n' ' ')" '["s1",1] ["s1",2] '
	assert_equal "$(rcli HGET 'sess:{s2}:meta' seq)" 70000
}

@test "durable writes and a line waiting behind 70,000: the ring's bound waits for the WAIT too" {
	sctl create --agent a1 --id s1 >/dev/null
	sctl create --agent a1 --id s2 >/dev/null
	awk 'BEGIN { print "{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"modified\"}";
		for (i = 0; i < 70000; i++) print "{\"op\":\"emit\",\"id\":\"s2\",\"actor\":\"a1\",\"type\":\"modified\"}";
		print "{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a1\",\"type\":\"modified\"}" }' >"$BATS_TEST_TMPDIR/ops"
	# no replica: every call's WAIT falls short (not_durable); calls of
	# 1000 events, as a WAIT takes its time
	run -75 bash -c "timeout 60 env REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' --wait-replicas 1 --wait-timeout 1 batch --pipeline 2000 --group 1000 < '$BATS_TEST_TMPDIR/ops' > '$BATS_TEST_TMPDIR/out'"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out")" 70002
	assert_equal "$(jq -r 'select(.ok or .error.code != "not_durable" or .line != input_line_number) | .line' "$BATS_TEST_TMPDIR/out" | head -1)" ""
	assert_equal "$(rcli HGET 'sess:{s1}:meta' seq)" 2
	assert_equal "$(rcli HGET 'sess:{s2}:meta' seq)" 70000
}

@test "a slow producer gets each result before it sends the next line" {
	sctl create --agent a1 --id s1 >/dev/null
	mkfifo "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T "$SESSCTL" batch <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" &
	pid=$!
	# (bats itself uses fd 3)
	exec 5>"$BATS_TEST_TMPDIR/in" 6<"$BATS_TEST_TMPDIR/out"
	sctl create --agent a1 --id s2 >/dev/null
	for i in 1 2 3; do
		# two sessions at a time: the switch queues an index update too
		printf '%s\n' '{"op":"emit","id":"s1","actor":"a1","type":"modified"}' \
			'{"op":"emit","id":"s2","actor":"a1","type":"modified"}' >&5
		# no more input comes until these results are out
		for s in s1 s2; do
			read -r -t 20 res <&6 || fail "no result for $s in round $i while the producer waits"
			assert_equal "$(jq -c '[.result.id, .result.seq]' <<<"$res")" "[\"$s\",$i]"
		done
	done
	exec 5>&-
	# batch's own exit status (a bare `wait` is always 0)
	wait "$pid" || fail "batch exited with status $?"
	exec 6<&-
}

@test "Redis down: exit 69, one line" {
	run bash -c "echo '{\"op\":\"get\",\"id\":\"s1\"}' | REDIS_URL=redis://127.0.0.1:$(dead_port) '$SESSCTL' batch"
	assert_failure 69
	assert_output --partial "connection refused"
}

# scripts_flushed_midrun GROUP: 30,000 emits to two sessions interleaved in
# runs, while the server's script cache is flushed again and again; every
# result line must be the truth about what was stored.
scripts_flushed_midrun() {
	local group=$1 hammer=${2:-} n=30000 s
	sctl create --agent a1 --id sf5 >/dev/null
	sctl create --agent a1 --id sf6 >/dev/null
	# runs of 50 lines per session, so groups and session switches mix
	# (awk: a shell loop under bats' traps is slow)
	awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"op\":\"emit\",\"id\":\"%s\",\"actor\":\"a1\",\"type\":\"modified\",\"eventId\":\"L%d\"}\n",
			(int(i / 50) % 2 ? "sf6" : "sf5"), i }' > "$BATS_TEST_TMPDIR/in.jsonl"
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" "$SESSCTL" batch --group "$group" \
		< "$BATS_TEST_TMPDIR/in.jsonl" > "$BATS_TEST_TMPDIR/out.jsonl" 2> "$BATS_TEST_TMPDIR/err" &
	local pid=$! flushes=0 hpid
	if [ -n "$hammer" ]; then
		# FUNCTION FLUSH back to back: one also lands between a call's
		# reload and its second sending
		rcli -r 100000000 FUNCTION FLUSH >/dev/null 2>&1 &
		hpid=$!
	fi
	while kill -0 "$pid" 2>/dev/null; do
		# both caches: FCALL's library and EVALSHA's scripts
		rcli SCRIPT FLUSH >/dev/null
		rcli FUNCTION FLUSH >/dev/null
		flushes=$((flushes + 1))
		sleep 0.01
	done
	local rc=0
	wait "$pid" || rc=$?
	if [ -n "$hammer" ]; then
		kill "$hpid"
		wait "$hpid" || true
	fi
	[ "$rc" = 0 ] || { echo "batch failed: exit $rc"; cat "$BATS_TEST_TMPDIR/err"; grep -v "\"ok\":true" "$BATS_TEST_TMPDIR/out.jsonl" | head -3; false; }
	echo "flushed $flushes times" >&3
	# one result per line, in order, every one ok
	assert_equal "$(wc -l < "$BATS_TEST_TMPDIR/out.jsonl")" "$n"
	assert_equal "$(jq -r 'select(.ok != true) | .line' "$BATS_TEST_TMPDIR/out.jsonl" | head -3)" ""
	assert_equal "$(jq -r .line "$BATS_TEST_TMPDIR/out.jsonl" | awk '$1 != NR' | head -1)" ""
	# each line's seq is the stored seq of that line's event id, per session
	for s in sf5 sf6; do
		jq -r "select(.result.id == \"$s\") | \"\(.line) \(.result.seq)\"" "$BATS_TEST_TMPDIR/out.jsonl" \
			> "$BATS_TEST_TMPDIR/said.$s"
		sctl events "$s" | jq -r '"\(.eventId | ltrimstr("L")) \(.seq)"' > "$BATS_TEST_TMPDIR/stored.$s"
		assert_equal "$(wc -l < "$BATS_TEST_TMPDIR/stored.$s")" "$(wc -l < "$BATS_TEST_TMPDIR/said.$s")"
		cmp "$BATS_TEST_TMPDIR/said.$s" "$BATS_TEST_TMPDIR/stored.$s" ||
			{ echo "results and stored log differ for $s"; false; }
		# input order within the session: seqs rise with line numbers
		assert_equal "$(awk 'NR > 1 && $2 != prev + 1 {print "gap at line " $1} {prev = $2}' "$BATS_TEST_TMPDIR/said.$s" | head -1)" ""
	done
	assert_equal "$(rcli HGET sess:#{all}:stats events)" "$n"
}

@test "SCRIPT FLUSH in the middle of a pipelined batch: reloaded, re-sent in order, every line true" {
	scripts_flushed_midrun 64
}

@test "SCRIPT FLUSH in the middle of a pipelined batch, one emit per call" {
	scripts_flushed_midrun 1
}

@test "FUNCTION FLUSH back to back during a pipelined batch: a call refused again after the reload is sent as EVAL, every line true" {
	scripts_flushed_midrun 1 hammer
}

# batch LINE...: run sessctl batch over these lines (stderr dropped).
batch_lines() {
	printf '%s\n' "$@" | REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" SESSKIT_CONFIG= "$SESSCTL" batch 2>/dev/null
}

@test "batch numbers: whole and in the CLI's range, else refused before anything is written" {
	for ttl in 100000000000000 315360001 0 -1 1.5 '"100"' true 1e400; do
		run batch_lines "{\"op\":\"create\",\"id\":\"z1\",\"agent\":\"a1\",\"ttl\":$ttl}"
		assert_failure 65
		assert_equal "$(echo "$output" | jq -r .error.code)" bad_input
		run -0 jq -r .error.message <<<"$output"
		assert_output --partial '"ttl"'
		assert_output --partial "1 to 315360000"
	done
	assert_equal "$(rcli DBSIZE)" 0
	run batch_lines '{"op":"create","id":"z1","agent":"a1","ttl":315360000}'
	assert_success
	# whole numbers print as such, never as 1.0000179544322533e+17
	assert_output --regexp '"expiresAt":[0-9]+[,}]'
	assert_equal "$(rcli TTL 'sess:{z1}:meta')" 315360000
}

@test "batch touch: a ttl out of range changes nothing; emit and join then work" {
	sctl create --agent a1 --id t1 --ttl 100 >/dev/null
	run batch_lines '{"op":"touch","id":"t1","ttl":100000000000000}'
	assert_failure 65
	assert_equal "$(echo "$output" | jq -r .error.code)" bad_input
	assert_equal "$(rcli HGET 'sess:{t1}:meta' ttl)" 100
	run sctl emit t1 --actor a1 --type modified
	assert_success
	run sctl join t1 a2
	assert_success
	assert_equal "$(rcli HGET 'sess:{t1}:meta' agents)" 2
}

@test "batch text fields: reason as the CLI's --reason, events a boolean" {
	sctl create --agent a1 --id c1 >/dev/null
	long=$(printf 'r%.0s' $(seq 1 65))
	for line in "{\"op\":\"checkpoint\",\"id\":\"c1\",\"reason\":\"$long\"}" \
		'{"op":"checkpoint","id":"c1","reason":""}' \
		'{"op":"checkpoint","id":"c1","reason":7}' \
		'{"op":"get","id":"c1","events":"yes"}'; do
		run batch_lines "$line"
		assert_failure 65
		assert_equal "$(echo "$output" | jq -r .ok)" false
	done
	assert_equal "$(rcli EXISTS 'sess:{c1}:checkpoints')" 0
	run sctl checkpoint c1 --reason "$long"
	assert_failure 64
	assert_output --partial "1 to 64"
}

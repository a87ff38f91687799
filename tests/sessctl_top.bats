#!/usr/bin/env bats
# sessctl top: the largest sessions, by events or by memory.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

# sizes: session tN gets N*7 % 23 events, interleaved line by line
make_sessions() {
	local n k
	for n in $(seq 1 30); do echo "{\"op\":\"create\",\"id\":\"t$n\",\"agent\":\"a\"}"; done
	for k in $(seq 1 22); do
		for n in $(seq 1 30); do
			if [ "$k" -le $((n * 7 % 23)) ]; then
				echo "{\"op\":\"emit\",\"id\":\"t$n\",\"actor\":\"a\",\"type\":\"modified\",\"impact\":{\"k\":$k}}"
			fi
		done
	done
	return 0
}

@test "top by events: the N longest logs, largest first, ties by id, equal to what is stored" {
	make_sessions >"$BATS_TEST_TMPDIR/in"
	run -0 sctl batch <"$BATS_TEST_TMPDIR/in"
	# the truth, from Redis itself: LLEN of every log, largest first, ties by id
	for n in $(seq 1 30); do echo "$(rcli LLEN "sess:{t$n}:events") t$n"; done |
		sort -k1,1nr -k2,2 | head -7 | awk '{print $2 " " $1}' >"$BATS_TEST_TMPDIR/want"
	run -0 sctl top -l 7
	echo "$output" | jq -r '"\(.id) \(.events)"' >"$BATS_TEST_TMPDIR/got"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got" || fail "top is not the truth"
	assert_equal "$(echo "$output" | jq -s -c 'map(.rank)')" "[1,2,3,4,5,6,7]"
	# a trimmed log: events counts what is held, seq what was ever given
	first=$(head -1 "$BATS_TEST_TMPDIR/got" | cut -d' ' -f1)
	run -0 sctl get "$first"
	seq=$(echo "$output" | jq .seq)
	run -0 sctl top -l 1
	assert_equal "$(echo "$output" | jq .seq)" "$seq"
}

@test "top by memory: bytes is the sum of MEMORY USAGE over the session's keys" {
	make_sessions >"$BATS_TEST_TMPDIR/in"
	run -0 sctl batch <"$BATS_TEST_TMPDIR/in"
	run -0 sctl top --by memory -l 3
	assert_equal "$(echo "$output" | wc -l)" 3
	id=$(echo "$output" | head -1 | jq -r .id)
	got=$(echo "$output" | head -1 | jq .bytes)
	want=0
	for k in meta events checkpoints eventids history; do
		b=$(rcli MEMORY USAGE "sess:{$id}:$k")
		want=$((want + ${b:-0}))
	done
	assert_equal "$got" "$want"
	# largest first
	echo "$output" | jq -s -e '[.[].bytes] as $b | $b == ($b | sort | reverse)' >/dev/null ||
		fail "not largest first: $output"
}

@test "top: gone sessions are left out; bad arguments are one line and 64" {
	run -0 sctl create --agent a --id g1
	run -0 sctl create --agent a --id g2
	run -0 sctl emit g2 --actor a --type modified
	rcli DEL 'sess:{g2}:meta' >/dev/null
	run -0 sctl top
	assert_equal "$(echo "$output" | jq -r .id)" g1
	run -64 sctl top -l 0
	assert_output --partial "--limit"
	run -64 sctl top --by size
	assert_output --partial "--by"
}

#!/usr/bin/env bats
# sessctl batch: JSON-lines operations, pipelined, one result per line.

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
	assert_equal "$(rcli HGET sess:stats events)" 2
	assert_equal "$(rcli HGET sess:stats type:broke)" 1
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
	assert_equal "$(rcli HGET sess:stats events)" 3000
	assert_equal "$(rcli HGET sess:stats type:fixed)" 1000
}

@test "Redis down: exit 69, one line" {
	run bash -c "echo '{\"op\":\"get\",\"id\":\"s1\"}' | REDIS_URL=redis://127.0.0.1:$(dead_port) '$SESSCTL' batch"
	assert_failure 69
	assert_output --partial "connection refused"
}

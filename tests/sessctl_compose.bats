#!/usr/bin/env bats
# Composable: ids on stdin ("-") and checkpoint --all.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

sctl_in() { # sctl_in INPUT ARGS...: sessctl with INPUT on stdin
	local input=$1
	shift
	printf '%s' "$input" | sctl "$@"
}

@test "sessctl list --state broken | sessctl checkpoint -" {
	for i in 1 2 3; do sctl create --agent a1 --id "s$i" >/dev/null; done
	sctl emit s2 --actor a1 --type broke --transition '{"from":"working","to":"broken"}' >/dev/null
	sctl emit s3 --actor a1 --type broke --transition '{"from":"working","to":"broken"}' >/dev/null
	# pipefail: list's own status counts too, not only checkpoint's
	run bash -c "set -o pipefail; REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' list --state broken | REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' checkpoint --reason triage -"
	assert_success
	assert_equal "$(echo "$output" | jq -r .id | sort | tr '\n' ' ')" "s2 s3 "
	assert_equal "$(rcli HLEN 'sess:{s1}:checkpoints')" 0
	run -0 sctl checkpoints s3
	assert_equal "$(echo "$output" | jq -r .reason | tail -1)" triage
}

@test "ids on stdin: objects, JSON strings and bare words; bad lines get records" {
	sctl create --agent a1 --id s1 >/dev/null
	sctl create --agent a1 --id s2 >/dev/null
	run sctl_in $'{"id":"s1"}\n"s2"\ns1\n\n{"id":"gone"}\nbad*id\n{"x":1}\n[1\n{"id":\n' get -
	assert_failure 1
	assert_equal "$(echo "$output" | jq -r '.id // "-"' | tr '\n' ' ')" "s1 s2 s1 gone - - - - "
	assert_equal "$(echo "$output" | jq -r '.line // "-"' | tr '\n' ' ')" "- - - 5 6 7 8 9 "
	assert_equal "$(echo "$output" | jq -r '.error.code // "ok"' | tr '\n' ' ')" "ok ok ok not_found bad_id bad_input bad_id bad_json "
}

@test "every id-taking command takes -" {
	sctl create --agent a1 --id s1 >/dev/null
	run sctl_in 's1' join - a2
	assert_success
	assert_equal "$(echo "$output" | jq -r .agentCount)" 2
	run -0 sctl_in 's1' emit - --actor a2 --type modified
	assert_equal "$(echo "$output" | jq -r .seq)" 1
	run -0 sctl_in 's1' events -
	assert_equal "$(echo "$output" | jq -r .type)" modified
	run -0 sctl_in 's1' touch - --ttl 999
	assert_equal "$(echo "$output" | jq -r .ttl)" 999
	run -0 sctl_in 's1' leave - a2
	assert_equal "$(echo "$output" | jq -r .agentCount)" 1
	run sctl_in 's1' checkpoints -
	assert_success
	run -0 sctl_in 's1' complete -
	assert_equal "$(echo "$output" | jq -r .state)" completed
	run -0 sctl_in 's1' delete -
	assert_equal "$(echo "$output" | jq -r .deleted)" true
	run sctl_in 's1' events s1 --follow
	assert_failure 1
}

@test "checkpoint --all covers every session that is not completed" {
	for i in $(seq 1 250); do echo "{\"op\":\"create\",\"id\":\"s$i\",\"agent\":\"a1\"}"; done |
		sctl batch >/dev/null
	sctl complete s7 >/dev/null
	run sctl checkpoint --all --reason shutdown
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 249
	assert_equal "$(echo "$output" | jq -r .reason | sort -u)" shutdown
	assert_equal "$(rcli HLEN 'sess:{s7}:checkpoints')" 0
	assert_equal "$(rcli HLEN 'sess:{s250}:checkpoints')" 1
	run sctl checkpoint --all s1
	assert_failure 64
}

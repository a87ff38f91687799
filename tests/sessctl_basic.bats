#!/usr/bin/env bats
# sessctl lifecycle commands against a real redis-server.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

@test "create with an id, agent, ttl and metadata" {
	run sctl create --agent a1 --id s1 --ttl 600 --metadata '{"feature":"auth"}'
	assert_success
	assert_equal "$(echo "$output" | jq -r .id)" s1
	assert_equal "$(echo "$output" | jq -r .state)" working
	assert_equal "$(echo "$output" | jq -r .metadata.feature)" auth
	assert_equal "$(echo "$output" | jq -c .agents)" '["a1"]'
	ttl=$(rcli PTTL 'sess:{s1}:meta')
	[ "$ttl" -gt 590000 ] && [ "$ttl" -le 600000 ] || fail "PTTL $ttl not in (590000, 600000]"
	assert_equal "$(rcli HGET 'sess:{s1}:meta' v)" 3
	assert_equal "$(rcli ZSCORE sess:#{all}:index s1 | cut -d. -f1 | wc -c)" 14
}

@test "the index scores a session by its keys' expiry, exactly: create, join, emit, touch, leave" {
	local id
	exact() { # the index score and the agent's index equal the meta's PEXPIRETIME
		assert_equal "$(rcli ZSCORE sess:#{all}:index s1)" "$(rcli PEXPIRETIME 'sess:{s1}:meta')"
		[ -z "${1:-}" ] || assert_equal "$(rcli ZSCORE "sess:#{all}:agent:$1" s1)" "$(rcli PEXPIRETIME 'sess:{s1}:meta')"
	}
	# (scripts_diff.bats proves it with the scripts' clock set apart)
	for id in 1 2; do
		run -0 sctl create --agent a1 --id s1 --ttl 600
		exact a1
		run -0 sctl join s1 a2
		exact a2
		sleep 1.1 # the emit restarts the TTLs once a second
		run -0 sctl emit s1 --actor a1 --type x
		exact
		run -0 sctl touch s1 --ttl 900
		exact
		run -0 sctl leave s1 a2
		exact
		run -0 sctl delete s1
	done
}

@test "create without an id makes a time-ordered UUID" {
	run sctl create --agent a1
	assert_success
	id=$(echo "$output" | jq -r .id)
	[[ "$id" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	run sctl create --agent a1
	assert_success
	id2=$(echo "$output" | jq -r .id)
	[[ "$id" < "$id2" ]] || fail "ids not increasing: $id then $id2"
}

@test "create refuses an existing id and leaves it untouched" {
	sctl create --agent a1 --id s1 >/dev/null
	run sctl create --agent a2 --id s1
	assert_failure 1
	assert_output --partial "already exists"
	assert_equal "$(rcli HGET 'sess:{s1}:meta' creator)" a1
}

@test "join, then join again is a no-op" {
	sctl create --agent a1 --id s1 >/dev/null
	run sctl join s1 a2
	assert_success
	assert_equal "$(echo "$output" | jq -r .joined)" true
	assert_equal "$(echo "$output" | jq -r .agentCount)" 2
	run sctl join s1 a2
	assert_success
	assert_equal "$(echo "$output" | jq -r .joined)" false
	assert_equal "$(echo "$output" | jq -r .agentCount)" 2
	assert_equal "$(rcli ZSCORE sess:#{all}:agent:a2 s1 | wc -c)" 14
}

@test "join a missing session is refused and creates nothing" {
	run sctl join nope a1
	assert_failure 1
	assert_output --partial "not found"
	assert_equal "$(rcli DBSIZE)" 0
}

@test "leave; the last agent leaving sets the grace TTL on every key" {
	sctl create --agent a1 --id s1 --ttl 3600 >/dev/null
	sctl join s1 a2 >/dev/null
	sctl emit s1 --actor a1 --type modified >/dev/null
	sctl checkpoint s1 >/dev/null
	run sctl leave s1 a1
	assert_success
	assert_equal "$(echo "$output" | jq -r .grace)" false
	[ "$(rcli PTTL 'sess:{s1}:meta')" -gt 3000000 ]
	run sctl leave s1 a2
	assert_success
	assert_equal "$(echo "$output" | jq -r .grace)" true
	for k in meta events checkpoints; do
		t=$(rcli PTTL "sess:{s1}:$k")
		[ "$t" -gt 0 ] && [ "$t" -le 300000 ] || { echo "$k ttl $t"; false; }
	done
	run sctl leave s1 a2
	assert_failure 1
	assert_output --partial "not a member"
}

@test "emit assigns contiguous seqs on the server" {
	sctl create --agent a1 --id s1 >/dev/null
	for i in 1 2 3; do
		run sctl emit s1 --actor a1 --type modified \
			--change '{"elementType":"function","entityIds":["f"],"operation":"modified"}'
		assert_success
		assert_equal "$(echo "$output" | jq -r .seq)" "$i"
	done
	assert_equal "$(rcli LLEN 'sess:{s1}:events')" 3
	run -0 sctl events s1
	assert_equal "$(echo "$output" | jq -r .seq | tr '\n' ' ')" "1 2 3 "
	assert_equal "$(echo "$output" | head -1 | jq -r .changeInfo.entityIds[0])" f
}

@test "concurrent emits never duplicate or skip a seq" {
	sctl create --agent a1 --id s1 >/dev/null
	for p in 1 2 3 4; do
		( for i in $(seq 1 10); do sctl emit s1 --actor a1 --type modified >/dev/null; done ) &
	done
	wait
	run -0 sctl events s1
	assert_equal "$(echo "$output" | jq -r .seq | sort -n | uniq | wc -l)" 40
	assert_equal "$(echo "$output" | jq -r .seq | sort -n | tail -1)" 40
}

@test "a retried emit with the same event id is a no-op" {
	sctl create --agent a1 --id s1 >/dev/null
	run -0 sctl emit s1 --actor a1 --type modified --event-id op-1
	assert_equal "$(echo "$output" | jq -r .duplicate)" false
	run sctl emit s1 --actor a1 --type modified --event-id op-1
	assert_success
	assert_equal "$(echo "$output" | jq -r .duplicate)" true
	assert_equal "$(echo "$output" | jq -r .seq)" 1
	assert_equal "$(rcli LLEN 'sess:{s1}:events')" 1
	assert_equal "$(rcli HGET sess:#{all}:stats events)" 1
}

@test "stateTransition moves the state; a wrong 'from' is refused" {
	sctl create --agent a1 --id s1 >/dev/null
	# (a transition into completed counts the session completed, as
	# complete does: issue 21's review)
	run -0 sctl create --id done1 --agent a1
	run -0 sctl emit done1 --actor a1 --type done --transition '{"from":"working","to":"completed"}'
	assert_equal "$(rcli HGET 'sess:#{all}:stats' completed)" 1
	run -0 sctl complete done1
	assert_equal "$(rcli HGET 'sess:#{all}:stats' completed)" 1
	run -0 sctl emit s1 --actor a1 --type broke --transition '{"from":"working","to":"broken"}'
	assert_equal "$(echo "$output" | jq -r .state)" broken
	run sctl emit s1 --actor a1 --type broke --transition '{"from":"working","to":"broken"}'
	assert_failure 1
	assert_output --partial "session is broken"
	assert_equal "$(rcli LLEN 'sess:{s1}:events')" 1
}

@test "emit to a completed session is refused" {
	sctl create --agent a1 --id s1 >/dev/null
	run sctl complete s1
	assert_success
	assert_equal "$(echo "$output" | jq -r .changed)" true
	run sctl emit s1 --actor a1 --type modified
	assert_failure 1
	assert_output --partial "completed"
	assert_equal "$(rcli EXISTS 'sess:{s1}:events')" 0
	run sctl complete s1
	assert_success
	assert_equal "$(echo "$output" | jq -r .changed)" false
}

@test "emit by a non-member is refused" {
	sctl create --agent a1 --id s1 >/dev/null
	run sctl emit s1 --actor stranger --type modified
	assert_failure 1
	assert_output --partial "not a member"
}

@test "emit to a missing session does not resurrect it" {
	run sctl emit gone --actor a1 --type modified
	assert_failure 1
	assert_equal "$(rcli DBSIZE)" 0
}

@test "get shows agents, last seq and, with --events, the log" {
	sctl create --agent a1 --id s1 >/dev/null
	sctl join s1 a2 >/dev/null
	sctl emit s1 --actor a2 --type fixed >/dev/null
	run sctl get s1
	assert_success
	assert_equal "$(echo "$output" | jq -r .seq)" 1
	assert_equal "$(echo "$output" | jq -r '[.agents[].id]|sort|join(",")')" a1,a2
	assert_equal "$(echo "$output" | jq -r .events)" null
	run -0 sctl get s1 --events
	assert_equal "$(echo "$output" | jq -r .events[0].type)" fixed
	assert_equal "$(echo "$output" | jq -r .events[0].actor)" a2
	assert_equal "$(echo "$output" | wc -l)" 1
}

@test "events with --from, --to and --limit" {
	sctl create --agent a1 --id s1 >/dev/null
	for i in $(seq 1 12); do sctl emit s1 --actor a1 --type modified >/dev/null; done
	run -0 sctl events s1 --from 3 --to 7
	assert_equal "$(echo "$output" | jq -r .seq | tr '\n' ' ')" "3 4 5 6 7 "
	run -0 sctl events s1 --from 10 --limit 2
	assert_equal "$(echo "$output" | jq -r .seq | tr '\n' ' ')" "10 11 "
	run sctl events s1 --from 20
	assert_success
	assert_output ""
}

@test "touch restarts the TTL, optionally with a new one" {
	sctl create --agent a1 --id s1 --ttl 100 >/dev/null
	run sctl touch s1 --ttl 5000
	assert_success
	[ "$(rcli PTTL 'sess:{s1}:meta')" -gt 4000000 ]
	assert_equal "$(rcli HGET 'sess:{s1}:meta' ttl)" 5000
}

@test "delete removes every key and index entry" {
	sctl create --agent a1 --id s1 >/dev/null
	sctl join s1 a2 >/dev/null
	sctl emit s1 --actor a1 --type modified >/dev/null
	run sctl delete s1
	assert_success
	assert_equal "$(rcli EXISTS 'sess:{s1}:meta' 'sess:{s1}:events')" 0
	assert_equal "$(rcli ZSCORE sess:#{all}:index s1)" ""
	assert_equal "$(rcli ZSCORE sess:#{all}:agent:a2 s1)" ""
	run sctl delete s1
	assert_failure 1
}

@test "a unix socket URL works" {
	REDIS_URL="unix://$REDIS_SOCK" run "$SESSCTL" create --agent a1 --id u1
	assert_success
	assert_equal "$(rcli EXISTS 'sess:{u1}:meta')" 1
}

@test "the prefix is configurable" {
	run sctl --prefix tenant1 create --agent a1 --id s1
	assert_success
	assert_equal "$(rcli EXISTS 'tenant1:{s1}:meta')" 1
	assert_equal "$(rcli EXISTS 'sess:{s1}:meta')" 0
}

@test "--help and --version" {
	run "$SESSCTL" --help
	assert_success
	assert_output --partial "usage: sessctl"
	run -0 "$SESSCTL" --version
	assert_output --regexp "^sessctl \(sesskit\) [0-9]"
	run "$SESSCTL" emit --help
	assert_success
	assert_output --partial "--event-id"
}

@test "a server that lost the scripts (SCRIPT FLUSH, FUNCTION FLUSH) is reloaded transparently" {
	sctl create --agent a1 --id s1 >/dev/null
	rcli SCRIPT FLUSH >/dev/null
	rcli FUNCTION FLUSH >/dev/null
	run sctl emit s1 --actor a1 --type modified
	assert_success
	assert_equal "$(echo "$output" | jq -r .seq)" 1
	rcli SCRIPT FLUSH >/dev/null
	rcli FUNCTION FLUSH >/dev/null
	run sctl join s1 a2
	assert_success
	rcli SCRIPT FLUSH >/dev/null
	rcli FUNCTION FLUSH >/dev/null
	run bash -c "echo '{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a2\",\"type\":\"fixed\"}' | REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch"
	assert_success
	assert_equal "$(echo "$output" | jq -r .result.seq)" 2
}

#!/usr/bin/env bats
# The seeds' "Multi-Agent Collaboration Example", step by step.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

@test "three agents, four events, working -> broken -> working, final checkpoint" {
	# Agent 1 creates a session
	run sctl create --agent frontend-agent --metadata '{"feature":"user-authentication"}'
	assert_success
	id=$(echo "$output" | jq -r .id)

	# Agent 2 joins for backend work
	run sctl join "$id" backend-agent
	assert_success

	# Both agents work concurrently
	sctl emit "$id" --actor frontend-agent --type modified \
		--change '{"elementType":"component","entityIds":["LoginForm.tsx"],"operation":"modified"}' >"$BATS_TEST_TMPDIR/e1" &
	sctl emit "$id" --actor backend-agent --type modified \
		--change '{"elementType":"function","entityIds":["auth/login.ts"],"operation":"modified"}' >"$BATS_TEST_TMPDIR/e2" &
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR/e1" "$BATS_TEST_TMPDIR/e2" | jq -r .seq | sort | tr '\n' ' ')" "1 2 "

	# Agent 3 joins for testing
	run sctl join "$id" testing-agent
	assert_success
	assert_equal "$(echo "$output" | jq -r .agentCount)" 3

	# Testing finds an issue
	run sctl emit "$id" --actor testing-agent --type broke \
		--change '{"elementType":"test","entityIds":["auth.test.ts"],"operation":"failed"}' \
		--transition '{"from":"working","to":"broken","verifiedBy":"test-suite","confidence":0.95}'
	assert_success
	assert_equal "$(echo "$output" | jq -r .seq)" 3
	assert_equal "$(echo "$output" | jq -r .state)" broken
	# enableFailureSnapshots is on by default: the broke event took a snapshot
	assert_equal "$(echo "$output" | jq -r .checkpoint)" 1

	# Frontend agent fixes the issue
	run sctl emit "$id" --actor frontend-agent --type fixed \
		--change '{"elementType":"component","entityIds":["LoginForm.tsx"],"operation":"modified"}' \
		--transition '{"from":"broken","to":"working","verifiedBy":"manual-test","confidence":0.9}'
	assert_success
	assert_equal "$(echo "$output" | jq -r .seq)" 4
	assert_equal "$(echo "$output" | jq -r .state)" working

	# Final checkpoint
	run sctl checkpoint "$id"
	assert_success
	assert_equal "$(echo "$output" | jq -r .seq)" 4

	# All visible in sessctl get
	run sctl get "$id" --events
	assert_success
	s="$output"
	assert_equal "$(echo "$s" | jq -r .state)" working
	assert_equal "$(echo "$s" | jq -r .seq)" 4
	assert_equal "$(echo "$s" | jq -r .checkpoints)" 2
	assert_equal "$(echo "$s" | jq -r .metadata.feature)" user-authentication
	assert_equal "$(echo "$s" | jq -r '[.agents[].id]|sort|join(",")')" backend-agent,frontend-agent,testing-agent
	assert_equal "$(echo "$s" | jq -r '[.events[].seq]|join(",")')" 1,2,3,4
	assert_equal "$(echo "$s" | jq -r '[.events[].type]|join(",")')" modified,modified,broke,fixed
	assert_equal "$(echo "$s" | jq -r '.events[2].stateTransition.verifiedBy')" test-suite
	assert_equal "$(echo "$s" | jq -r '.events[2].stateTransition.confidence')" 0.95
	assert_equal "$(echo "$s" | jq -r '.events[3].actor')" frontend-agent

	run -0 sctl checkpoints "$id"
	assert_equal "$(echo "$output" | jq -r .reason | tr '\n' ' ')" "failure manual "
	assert_equal "$(echo "$output" | head -1 | jq -r .state)" broken
	assert_equal "$(echo "$output" | tail -1 | jq -r .state)" working
}

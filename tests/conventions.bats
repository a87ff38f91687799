#!/usr/bin/env bats
# One vocabulary across the six tools (sesskit(7)): durations with units,
# one reading of times, the same words meaning the same everywhere.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

@test "durations take units everywhere; a bare number keeps the option's unit" {
	run -0 sctl create --agent a --id d1 --ttl 2h
	ttl=$(rcli PTTL 'sess:{d1}:meta')
	[ "$ttl" -gt 7190000 ] && [ "$ttl" -le 7200000 ] || fail "--ttl 2h: PTTL $ttl"
	run -0 sctl create --agent a --id d2 --ttl 1h30m
	ttl=$(rcli PTTL 'sess:{d2}:meta')
	[ "$ttl" -gt 5390000 ] && [ "$ttl" -le 5400000 ] || fail "--ttl 1h30m: PTTL $ttl"
	run -0 sctl create --agent a --id d3 --ttl 600
	ttl=$(rcli PTTL 'sess:{d3}:meta')
	[ "$ttl" -gt 590000 ] && [ "$ttl" -le 600000 ] || fail "--ttl 600 (bare seconds): PTTL $ttl"
	run -0 sctl touch d3 --ttl 45m
	ttl=$(rcli PTTL 'sess:{d3}:meta')
	[ "$ttl" -gt 2690000 ] && [ "$ttl" -le 2700000 ] || fail "touch --ttl 45m: PTTL $ttl"
	# the common --timeout: ms bare, or with a unit
	run -0 sctl get d1 --timeout 2s
	run -0 sctl get d1 -t 1500
}

@test "a bad duration: one line naming the option, the forms and the value; exit 64; nothing written" {
	run -64 sctl create --agent a --id bad --ttl 1500ms
	assert_output --partial "--ttl counts whole seconds"
	run -64 sctl create --agent a --id bad --ttl 2y
	assert_output --partial "--ttl takes a duration such as"
	assert_output --partial "'2y'"
	run -64 sctl create --agent a --id bad --ttl 3651d
	assert_output --partial "--ttl takes 1s to 3650d"
	[ "$(echo "$output" | wc -l)" -eq 1 ] || fail "more than one line: $output"
	assert_equal "$(rcli EXISTS 'sess:{bad}:meta')" 0
	run -64 sk sess-replay cleanup --older-than 12h
	assert_output --partial "--older-than counts whole days"
}

@test "help shows each duration option's range, default and bare unit, generated from the table" {
	run -0 sctl create --help
	assert_output --partial "--ttl DURATION"
	assert_output --partial "(1s-3650d; a bare number: seconds)"
	run -0 sk sess-bench emit --help
	assert_output --partial "default 1s; a bare number: milliseconds"
}

@test "settings take durations in config files (one setter for file, environment and flags); sess-validate and the schema agree" {
	printf '{"defaultTTL": "2h", "redis": {"commandTimeout": "3s"}}\n' >"$BATS_TEST_TMPDIR/c.json"
	run -0 sctl create --agent a --id cf --config "$BATS_TEST_TMPDIR/c.json"
	ttl=$(rcli PTTL 'sess:{cf}:meta')
	[ "$ttl" -gt 7190000 ] && [ "$ttl" -le 7200000 ] || fail "defaultTTL \"2h\": PTTL $ttl"
	run -0 sk sess-validate config "$BATS_TEST_TMPDIR/c.json"
	printf '{"defaultTTL": "2 hours"}\n' >"$BATS_TEST_TMPDIR/bad.json"
	run -78 sctl create --agent a --id cf2 --config "$BATS_TEST_TMPDIR/bad.json"
	assert_output --partial "takes a duration"
	run -1 sk sess-validate config "$BATS_TEST_TMPDIR/bad.json"
	assert_output --partial "config.range"
	run -0 sk sess-validate schema
	echo "$output" | jq -e '.properties.defaultTTL.anyOf[1].pattern | test("ms")' >/dev/null ||
		fail "defaultTTL's schema takes no duration: $(echo "$output" | jq -c .properties.defaultTTL)"
	# the schema's pattern and the parser read the same shapes
	pat=$(echo "$output" | jq -r '.properties.defaultTTL.anyOf[1].pattern')
	for d in 1h 1h30m 90s 2d3h 250ms 7; do
		[[ "$d" =~ $pat ]] || fail "the schema refuses $d"
	done
	for d in 1m1h h 1.5s '1 h' 1h30; do
		[[ ! "$d" =~ $pat ]] || fail "the schema takes $d"
	done
}

@test "times: epoch ms as printed, @MS, RFC 3339 and ages are one reading in every tool" {
	run -0 sctl create --agent a --id t1
	for n in 1 2 3; do
		run -0 sctl emit t1 --actor a --type modified --impact "{\"n\":$n}"
	done
	ts=$(sctl events t1 | jq -s -r '.[1].timestamp')
	[[ "$ts" =~ ^[0-9]{13}$ ]] || fail "no timestamp: $ts"
	# sess-replay: a bare number is a seq; @MS the time sessctl printed
	run -0 sk sess-replay state t1 --at "@$ts"
	by_time=$(echo "$output" | jq -c .seq)
	run -0 sk sess-replay state t1 --at 2
	by_seq=$(echo "$output" | jq -c .seq)
	assert_equal "$by_time" 2
	assert_equal "$by_seq" 2
	run -0 sk sess-replay state t1 --at now
	run -0 sk sess-replay play t1 --from 1h --events-only
	[ "$(echo "$output" | grep -c .)" -ge 3 ] || fail "play --from 1h lost events: $output"
	run -64 sk sess-replay state t1 --at yesterday
	assert_output --partial "--at takes a seq (a whole number) or a time"
	# sess-migrate --since: the same forms, a bare number is epoch ms
	for since in 1h "1h ago" "@$ts" "$ts" now; do
		run -0 sk sess-migrate copy --since "$since" --to "redis://127.0.0.1:$REDIS_PORT_T/5" --dry-run
	done
	run -64 sk sess-migrate copy --since 2hours --to "redis://127.0.0.1:$REDIS_PORT_T/5" --dry-run
	assert_output --partial "--since takes a time"
}

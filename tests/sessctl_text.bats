#!/usr/bin/env bats
# Text users give: only valid UTF-8 without NUL is taken, JSON nests at
# most so deep, and every line sesskit prints is valid UTF-8 (JSON).
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

# valid_utf8 TEXT: succeeds when TEXT is valid UTF-8
valid_utf8() {
	printf '%s' "$1" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1
}

# batch_lines LINE...: sessctl batch over these lines, stderr dropped
batch_lines() {
	printf '%s\n' "$@" | REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" SESSKIT_CONFIG= "$SESSCTL" batch 2>/dev/null
}

@test "invalid UTF-8 in metadata, impact or type is refused, naming the byte; messages stay UTF-8" {
	run sctl create --agent a1 --id u1 --metadata $'{"x":"\xff\xfe"}'
	assert_failure 65
	assert_output --partial "not valid UTF-8 at byte 7"
	valid_utf8 "$output"
	assert_equal "$(rcli DBSIZE)" 0
	sctl create --agent a1 --id u1 >/dev/null
	# a truncated sequence, an overlong '/', a UTF-16 surrogate
	for bad in $'{"k":"\xc3"}' $'{"k":"\xc0\xaf"}' $'{"k":"\xed\xa0\x80"}' $'{"\xf5\x80\x80\x80":1}'; do
		run sctl emit u1 --actor a1 --type modified --impact "$bad"
		assert_failure 65
		assert_output --partial "not valid UTF-8 at byte"
		valid_utf8 "$output"
	done
	run sctl emit u1 --actor a1 --type $'mo\xffdified'
	assert_failure 65
	valid_utf8 "$output"
	run sctl emit u1 --event $'{"type":"modified","actor":"a1","impact":{"\xff":1}}'
	assert_failure 65
	assert_output --partial "UTF-8"
	run sctl checkpoint u1 --reason $'end \xff'
	assert_failure 64
	valid_utf8 "$output"
	assert_equal "$(rcli LLEN 'sess:{u1}:events')" 0
	assert_equal "$(rcli EXISTS 'sess:{u1}:checkpoints')" 0
	# real UTF-8 is fine
	run sctl emit u1 --actor a1 --type modified --impact '{"note":"café ✓ 😀"}'
	assert_success
	assert_equal "$(sctl events u1 | jq -r .impact.note)" "café ✓ 😀"
}

@test "batch: a line that is not UTF-8 gets a bad_json record that is valid UTF-8" {
	run batch_lines $'{"op":"create","id":"b1","agent":"a1","metadata":{"x":"\xff"}}' \
		$'{"op":"create","id":"b2","agent":"a1","metadata":{"\xc3":1}}' \
		'{"op":"create","id":"b3","agent":"a1"}'
	assert_failure 65
	valid_utf8 "$output"
	assert_equal "$(echo "$output" | jq -r .error.code | head -2 | tr '\n' ' ')" "bad_json bad_json "
	assert_equal "$(echo "$output" | sed -n 1p | jq -r .error.message)" "not valid UTF-8 at byte 56"
	assert_equal "$(echo "$output" | sed -n 3p | jq -r .ok)" true
	assert_equal "$(rcli EXISTS 'sess:{b1}:meta' 'sess:{b2}:meta')" 0
}

@test "\\u0000 in a JSON string or key is refused, not cut short" {
	run sctl create --agent a1 --id n1 --metadata '{"x":"mo\u0000dified"}'
	assert_failure 65
	assert_output --partial '\u0000'
	assert_output --partial "byte 9"
	run sctl create --agent a1 --id n1 --metadata '{"\u0000key":1}'
	assert_failure 65
	assert_output --partial '\u0000'
	run batch_lines '{"op":"create","id":"n1","agent":"a1","metadata":{"x":"a\u0000b"}}'
	assert_failure 65
	assert_equal "$(echo "$output" | jq -r .error.code)" bad_json
	assert_equal "$(rcli DBSIZE)" 0
	# an escaped backslash before u0000 is just text
	run sctl create --agent a1 --id n2 --metadata '{"x":"a\\u0000"}'
	assert_success
	assert_equal "$(sctl get n2 | jq -r .metadata.x)" 'a\u0000'
}

@test "JSON nested too deeply says so, with the limit" {
	deep=$(printf '[%.0s' $(seq 1 1000))$(printf ']%.0s' $(seq 1 1000))
	run sctl create --agent a1 --id d1 --metadata "{\"a\":$deep}"
	assert_failure 65
	assert_output --partial "nested too deeply (limit 100)"
	run batch_lines "{\"op\":\"create\",\"id\":\"d1\",\"agent\":\"a1\",\"metadata\":{\"a\":$deep}}"
	assert_failure 65
	assert_output --partial "nested too deeply (limit 100)"
	# 100 levels are fine: the object and 99 arrays
	ok=$(printf '[%.0s' $(seq 1 99))$(printf ']%.0s' $(seq 1 99))
	run sctl create --agent a1 --id d2 --metadata "{\"a\":$ok}"
	assert_success
	run sctl create --agent a1 --id d3 --metadata "{\"a\":[$ok]}"
	assert_failure 65
	assert_equal "$(rcli EXISTS 'sess:{d1}:meta' 'sess:{d3}:meta')" 0
}

@test "text stored by someone else that is not UTF-8 still prints as valid UTF-8 JSON" {
	sctl create --agent a1 --id s1 >/dev/null
	rcli HSET 'sess:{s1}:meta' metadata $'{"x":"a\xffb","\xfe":1}' >/dev/null
	run sctl get s1
	assert_success
	valid_utf8 "$output"
	assert_equal "$(echo "$output" | jq -r .metadata.x)" "a�b"
	rcli RPUSH 'sess:{s1}:events' $'{"s":1,"ts":1,"t":"modified","a":"a1","imp":{"k":"\xc3("}}' >/dev/null
	rcli HSET 'sess:{s1}:meta' seq 1 >/dev/null
	run sctl events s1
	assert_success
	valid_utf8 "$output"
	run -0 sctl get s1 --color always --events
	valid_utf8 "$output"
}

@test "usage errors quoting bad bytes from the command line stay valid UTF-8" {
	run sctl $'fr\xffob'
	assert_failure 64
	assert_output --partial 'fr\xffob'
	valid_utf8 "$output"
	run sctl $'--co\xfflor' list
	assert_failure 64
	valid_utf8 "$output"
	run sctl create --agent a1 $'--b\xffad'
	assert_failure 64
	assert_output --partial '--b\xffad'
	valid_utf8 "$output"
	run sctl join s1 a1 $'extra\xfe'
	assert_failure 64
	valid_utf8 "$output"
	run -64 sctl shell <<<$'fr\xffob'
	valid_utf8 "$output"
}

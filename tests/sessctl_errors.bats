#!/usr/bin/env bats
# Bad input and faults: one clear line, the documented exit code, nothing
# written.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

assert_one_line_stderr() {
	# $output mixes stdout and stderr in bats; errors must be one line
	assert_equal "$(echo "$output" | wc -l)" 1
}

@test "invalid session ids: glob, braces, control characters, over-long" {
	for id in 'a*b' 'a?b' 'a[b]' '{x}' 'a}b' "$(printf 'a\tb')" "$(printf 'a%.0s' $(seq 1 129))"; do
		run sctl create --agent a1 --id "$id"
		assert_failure 65
		assert_one_line_stderr
		assert_output --partial "session id"
	done
	assert_equal "$(rcli DBSIZE)" 0
	run sctl get 'x*'
	assert_failure 65
	run sctl join s1 'bad agent'
	assert_failure 65
	assert_output --partial "agent id"
}

@test "malformed event JSON is refused before anything is written" {
	sctl create --agent a1 --id s1 >/dev/null
	run sctl emit s1 --actor a1 --type modified --change '{"elementType":'
	assert_failure 65
	assert_one_line_stderr
	assert_output --partial "changeInfo is not valid JSON"
	# text after the value is not ignored
	run sctl emit s1 --actor a1 --type modified --change '{"elementType":"f","entityIds":["x"],"operation":"m"} oops'
	assert_failure 65
	assert_output --partial 'near "oops"'
	run sctl emit s1 --actor a1 --type modified --change '{"elementType":"x","operation":"y"}'
	assert_failure 65
	assert_output --partial "entityIds"
	run sctl emit s1 --actor a1 --type broke --transition '{"from":"working","to":"on fire"}'
	assert_failure 65
	run sctl emit s1 --event '{"type":"modified","actor":"a1","seq":9}'
	assert_failure 65
	assert_output --partial "assigned by the server"
	run sctl create --agent a1 --id s2 --metadata '[1,2]'
	assert_failure 65
	assert_equal "$(rcli LLEN 'sess:{s1}:events')" 0
	assert_equal "$(rcli EXISTS 'sess:{s2}:meta')" 0
}

@test "a missing actor or type is named" {
	sctl create --agent a1 --id s1 >/dev/null
	run sctl emit s1 --type modified
	assert_failure 65
	assert_output --partial "no actor"
	run sctl emit s1 --actor a1
	assert_failure 65
	assert_output --partial "no type"
}

@test "zero or negative TTLs are refused" {
	for t in 0 -5 abc 1.5; do
		run sctl create --agent a1 --id s1 --ttl "$t"
		assert_failure 64
		assert_one_line_stderr
		assert_output --partial "--ttl"
	done
	SESSION_TTL=0 run "$SESSCTL" -p "$REDIS_PORT_T" create --agent a1
	assert_failure 78
	assert_output --partial SESSION_TTL
	assert_equal "$(rcli DBSIZE)" 0
}

@test "unknown flags and commands, missing arguments" {
	run sctl create --agent a1 --colour-me-surprised
	assert_failure 64
	assert_output --partial "unknown option --colour-me-surprised"
	run sctl frobnicate
	assert_failure 64
	assert_output --partial 'unknown command "frobnicate"'
	run sctl join s1
	assert_failure 64
	assert_output --partial "expects ID AGENT"
	run sctl create
	assert_failure 64
	assert_output --partial "--agent"
	run "$SESSCTL"
	assert_failure 64
}

@test "Redis down: exit 69 with the fix" {
	run env REDIS_URL="redis://127.0.0.1:$(dead_port)" "$SESSCTL" get s1
	assert_failure 69
	assert_one_line_stderr
	assert_output --partial "connection refused; is redis-server running?"
	run env REDIS_URL="unix://$BATS_FILE_TMPDIR/nope.sock" "$SESSCTL" get s1
	assert_failure 69
}

@test "wrong password and missing password: exit 77" {
	rcli CONFIG SET requirepass s3cret >/dev/null
	run env REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" REDIS_PASSWORD=wrong "$SESSCTL" get s1
	rcli -a s3cret --no-auth-warning CONFIG SET requirepass '' >/dev/null
	assert_failure 77
	assert_output --partial "refused the user name or password"
	rcli CONFIG SET requirepass s3cret >/dev/null
	run env REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" "$SESSCTL" get s1
	assert_failure 77
	assert_output --partial "needs a password"
	echo s3cret > "$BATS_TEST_TMPDIR/pw"
	chmod 600 "$BATS_TEST_TMPDIR/pw"
	run env REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" "$SESSCTL" --password-file "$BATS_TEST_TMPDIR/pw" create --agent a1 --id p1
	rcli -a s3cret --no-auth-warning CONFIG SET requirepass '' >/dev/null
	assert_success
}

@test "a refused password: the message names where that password came from (flag, file, URL, environment, config file)" {
	local pw="$BATS_TEST_TMPDIR/pw" cf="$BATS_TEST_TMPDIR/c.json" u="redis://127.0.0.1:$REDIS_PORT_T"
	echo wrong >"$pw"
	chmod 600 "$pw"
	printf '{"redis": {"password": "wrong"}}\n' >"$cf"
	chmod 600 "$cf"
	rcli CONFIG SET requirepass s3cret >/dev/null
	run --separate-stderr env REDIS_URL="$u" "$SESSCTL" --password wrong get s1
	r1=$status e1=$stderr
	run --separate-stderr env REDIS_URL="$u" "$SESSCTL" --password-file "$pw" get s1
	r2=$status e2=$stderr
	run --separate-stderr env REDIS_URL="redis://:wrong@127.0.0.1:$REDIS_PORT_T" "$SESSCTL" get s1
	r3=$status e3=$stderr
	run --separate-stderr env REDIS_URL="$u" REDIS_PASSWORD=wrong "$SESSCTL" get s1
	r4=$status e4=$stderr
	run --separate-stderr env REDIS_URL="$u" "$SESSCTL" --config "$cf" get s1
	r5=$status e5=$stderr
	rcli -a s3cret --no-auth-warning CONFIG SET requirepass '' >/dev/null
	assert_equal "$r1 $r2 $r3 $r4 $r5" "77 77 77 77 77"
	[[ "$e1" == *"refused the user name or password; check the password given by --password"* ]] || fail "--password: $e1"
	[[ "$e2" == *"check the password given by --password-file $pw"* ]] || fail "--password-file: $e2"
	[[ "$e3" == *"check the password given by the URL in REDIS_URL"* ]] || fail "URL: $e3"
	[[ "$e4" == *"check the password given by REDIS_PASSWORD"* ]] || fail "REDIS_PASSWORD: $e4"
	[[ "$e5" == *"check the password given by $cf: redis.password"* ]] || fail "config file: $e5"
	[[ "$e1$e2$e3$e4$e5" != *wrong* ]] || fail "a password printed"
}

@test "a password file group or others can read is refused unless --insecure-password-file" {
	local pw="$BATS_TEST_TMPDIR/pw"
	echo s3cret > "$pw"
	for mode in 644 666 640 604 620; do
		chmod "$mode" "$pw"
		run sctl --password-file "$pw" get s1
		assert_failure 78
		assert_one_line_stderr
		assert_output --partial "chmod 600 $pw"
		assert_output --partial "--insecure-password-file"
		refute_output --partial s3cret
	done
	rcli CONFIG SET requirepass s3cret >/dev/null
	chmod 644 "$pw"
	run sctl --password-file "$pw" --insecure-password-file create --agent a1 --id p1
	r1=$status
	run sctl create --agent a1 --id p2 --password-file "$pw" --insecure-password-file
	r2=$status
	chmod 600 "$pw"
	run sctl --password-file "$pw" create --agent a1 --id p3
	r3=$status
	# a pipe is no file at rest: nothing to protect
	run sctl --password-file <(echo s3cret) create --agent a1 --id p4
	r4=$status
	rcli -a s3cret --no-auth-warning CONFIG SET requirepass '' >/dev/null
	assert_equal "$r1 $r2 $r3 $r4" "0 0 0 0"
}

@test "ACL user with AUTH user pass" {
	rcli ACL SETUSER bob on '>bobpw' '~*' '&*' '+@all' >/dev/null
	run env REDIS_URL="redis://bob:bobpw@127.0.0.1:$REDIS_PORT_T" "$SESSCTL" create --agent a1 --id acl1
	assert_success
	run env REDIS_URL="redis://bob:nope@127.0.0.1:$REDIS_PORT_T" "$SESSCTL" get acl1
	assert_failure 77
	rcli ACL DELUSER bob >/dev/null
}

@test "a password on the command line draws a warning and is never printed" {
	run -77 sctl --password hunter2 get nope
	assert_output --partial "warning: a password on the command line"
	refute_output --partial hunter2
}

@test "a URL's password is never printed, even when the URL is malformed" {
	local urls=('http://u:S3cret@127.0.0.1:6379/0' 'redis//u:S3cret@127.0.0.1:6379/0'
		'redis://u:S3cret' 'redis://:S3cret/0' 'redis://u:S3c?ret@127.0.0.1:1'
		'redis://u:S3cret@127.0.0.1:6379/x' 'redis://h?password=S3cret'
		'redis://u:S3cret@127.0.0.1:99999' 'http://h?password=S3cret')
	for u in "${urls[@]}"; do
		run sctl -u "$u" list
		assert_failure
		assert_output --partial "URL"
		refute_output --partial S3c
		run env REDIS_URL="$u" SESSKIT_CONFIG= "$SESSCTL" list
		assert_failure
		refute_output --partial S3c
		printf '{"redis":{"url":"%s"}}' "$u" > "$BATS_TEST_TMPDIR/c.json"
		run env -u REDIS_URL "$SESSCTL" --config "$BATS_TEST_TMPDIR/c.json" list
		assert_failure
		refute_output --partial S3c
	done
	run sctl -u 'http://u:S3cret@127.0.0.1:6379/0' list
	assert_failure 64
	assert_output --partial 'URL "http://u:***@127.0.0.1:6379/0" must start with redis://'
	run env REDIS_URL='redis//:S3cret@h' SESSKIT_CONFIG= "$SESSCTL" list
	assert_failure 78
	assert_output --partial '"redis//:***@h"'
}

@test "wrong db: exit 78" {
	run env REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T/99" "$SESSCTL" get s1
	assert_failure 78
	assert_output --partial "no database 99"
}

@test "bad URL: exit 78; rediss:// to a plain port never falls back to plain text" {
	run env REDIS_URL="http://x" "$SESSCTL" get s1
	assert_failure 78
	assert_output --partial "redis://"
	run env REDIS_URL="rediss://127.0.0.1:$REDIS_PORT_T" "$SESSCTL" get s1
	assert_failure 69
	assert_output --partial "did not answer TLS"
}

@test "config file: missing is 66, broken is 78, unknown keys named" {
	run sctl --config "$BATS_TEST_TMPDIR/none.json" get s1
	assert_failure 66
	echo '{"defaultTTL": ' > "$BATS_TEST_TMPDIR/bad.json"
	run sctl --config "$BATS_TEST_TMPDIR/bad.json" get s1
	assert_failure 78
	echo '{"defaultTtl": 5}' > "$BATS_TEST_TMPDIR/typo.json"
	run sctl --config "$BATS_TEST_TMPDIR/typo.json" get s1
	assert_failure 78
	assert_output --partial defaultTtl
}

@test "settings precedence: flags > environment > config file > defaults" {
	echo "{\"defaultTTL\": 111, \"redis\": {\"port\": $(dead_port)}}" > "$BATS_TEST_TMPDIR/c.json"
	# file alone: its port is dead
	run env -u REDIS_URL SESSKIT_CONFIG="$BATS_TEST_TMPDIR/c.json" "$SESSCTL" create --agent a1
	assert_failure 69
	# env beats file
	run env SESSKIT_CONFIG="$BATS_TEST_TMPDIR/c.json" REDIS_PORT="$REDIS_PORT_T" "$SESSCTL" create --agent a1 --id f1
	assert_success
	assert_equal "$(echo "$output" | jq -r .ttl)" 111
	# flag beats env
	run -0 env SESSKIT_CONFIG="$BATS_TEST_TMPDIR/c.json" REDIS_PORT="$REDIS_PORT_T" SESSION_TTL=222 "$SESSCTL" create --agent a1 --id f2 --ttl 333
	assert_equal "$(echo "$output" | jq -r .ttl)" 333
	run -0 env SESSKIT_CONFIG="$BATS_TEST_TMPDIR/c.json" REDIS_PORT="$REDIS_PORT_T" SESSION_TTL=222 "$SESSCTL" create --agent a1 --id f3
	assert_equal "$(echo "$output" | jq -r .ttl)" 222
	run env SESSKIT_CONFIG="$BATS_TEST_TMPDIR/c.json" "$SESSCTL" --port "$REDIS_PORT_T" get f1
	assert_success
}

@test "a server that does not answer in time: exit 75" {
	# DEBUG SLEEP keeps the server busy past our timeout
	( rcli DEBUG SLEEP 1 >/dev/null 2>&1 & )
	sleep 0.1
	run sctl --timeout 100 get s1
	assert_failure 75
	assert_output --partial "did not answer in time"
}

@test "an unknown layout version is refused" {
	sctl create --agent a1 --id s1 >/dev/null
	rcli HSET 'sess:{s1}:meta' v 9 >/dev/null
	run sctl emit s1 --actor a1 --type modified
	assert_failure 78
	assert_output --partial "layout version 9"
	run sctl get s1
	assert_failure 78
	rcli SET sess:layout 9 >/dev/null
	run sctl list
	assert_failure 78
	run -78 sctl stats
	assert_output --partial "layout version 9"
}

@test "a closed stdout ends quietly" {
	sctl create --agent a1 --id s1 >/dev/null
	# ~170 KB of events: far more than a pipe holds, so sessctl is still
	# writing when head exits and its writes fail (EPIPE)
	for i in $(seq 1 2000); do echo '{"op":"emit","id":"s1","actor":"a1","type":"modified"}'; done |
		sctl batch >/dev/null
	# sessctl's own status (pipefail) and stderr, not just head's
	run bash -c "set -o pipefail; '$SESSCTL' -p $REDIS_PORT_T events s1 2>'$BATS_TEST_TMPDIR/err' | head -1"
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 1
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" ""
}

@test "help for a command that does not exist: exit 64, naming it" {
	run "$SESSCTL" help nosuch
	assert_failure 64
	assert_output --partial 'no command "nosuch"'
	run "$SESSCTL" help emit
	assert_success
	assert_output --partial "usage: sessctl emit"
}

@test "batch: fields of the wrong type are bad_input, nothing runs" {
	sctl create --agent a1 --id t1 >/dev/null
	run bash -c "printf '%s\n' \
		'{\"op\":\"get\",\"id\":\"t1\",\"events\":\"yes\"}' \
		'{\"op\":\"join\",\"id\":\"t1\",\"agent\":7}' \
		'{\"op\":\"touch\",\"id\":\"t1\",\"ttl\":\"60\"}' \
		'{\"op\":\"touch\",\"id\":\"t1\",\"ttl\":1e300}' \
		'{\"op\":\"create\",\"id\":\"z1\",\"agent\":\"a1\",\"ttl\":100000000000000}' \
		'{\"op\":\"checkpoint\",\"id\":\"t1\",\"reason\":[1]}' \
		| REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch"
	assert_failure 65
	assert_equal "$(echo "$output" | jq -r .error.code | tr '\n' ' ')" "bad_input bad_input bad_input bad_input bad_input bad_input "
	assert_equal "$(echo "$output" | jq -r .line | tr '\n' ' ')" "1 2 3 4 5 6 "
	assert_equal "$(rcli EXISTS 'sess:{z1}:meta')" 0
	assert_equal "$(rcli HGET 'sess:{t1}:meta' ttl)" 3600
	assert_equal "$(rcli HLEN 'sess:{t1}:checkpoints')" 0
}

@test "long options only by their whole names: a prefix is refused, naming the option meant" {
	run -64 sctl get s1 --insec
	assert_output --partial "unknown option --insec (options are taken by their whole name: did you mean --insecure-password-file?)"
	run -64 sctl --insec get s1
	assert_output --partial "did you mean --insecure-password-file?"
	run -3 sk sess-health --form json
	assert_output --partial "did you mean --format?"
	run -64 sk sess-replay play s1 --even
	assert_output --partial "did you mean --events-only?"
	# a flag given a value is named as such (it said "unknown option -e")
	run -64 sctl get s1 --events=yes
	assert_output --partial "--events takes no value"
	# a value that looks like an option is still a value
	run -65 sctl emit s1 --actor a1 --type --foo
	assert_output --partial 'event type "--foo"'
}

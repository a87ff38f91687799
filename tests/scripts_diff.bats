#!/usr/bin/env bats
# The differential test of the session scripts (tests/helpers/emit_diff.py
# says what it runs and compares): the scripts as they were before the
# emit path was rewritten (tests/data/lua-ref, whole texts as Redis got
# them) against the built ones by EVALSHA and the built library by FCALL,
# step by step: every reply, every key's type, value and expiry, every
# published message.
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	common_setup_file
	redis_start_named EVS
	redis_start_named FNS
	# a server without SPUBLISH, as a Redis 6.x is
	redis_start_named OLD --rename-command SPUBLISH '""'
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

@test "today's scripts and the new ones, by EVALSHA and by FCALL: the same replies, keys, expiries and messages" {
	run -0 python3 "$SESSKIT_SRCDIR/tests/helpers/emit_diff.py" "$SESSKIT_SRCDIR/tests/data/lua-ref" \
		"$SESSKIT_BUILDDIR/src/core/lua-full" ref="$REDIS_SOCK" evalsha="$EVS_SOCK" fcall="$FNS_SOCK"
	[[ ${lines[-1]} =~ ^([0-9]+)\ steps,\ ([0-9]+)\ messages,\ 0\ differences$ ]] || fail "$output"
	[ "${BASH_REMATCH[1]}" -ge 340 ] || fail "only ${BASH_REMATCH[1]} steps"
	[ "${BASH_REMATCH[2]}" -ge 40 ] || fail "only ${BASH_REMATCH[2]} messages"
}

@test "the differential test fails on a difference (a counter one off in the new emit)" {
	cp -r "$SESSKIT_BUILDDIR/src/core/lua-full" "$BATS_TEST_TMPDIR/mut"
	sed -i "s/rcall('HINCRBY', KEYS\[7\], S_STAT_EVENTS, nlog)/rcall('HINCRBY', KEYS[7], S_STAT_EVENTS, nlog + 1)/" \
		"$BATS_TEST_TMPDIR/mut/library.lua"
	! cmp -s "$BATS_TEST_TMPDIR/mut/library.lua" "$SESSKIT_BUILDDIR/src/core/lua-full/library.lua" ||
		fail "the mutation did not apply: update this test with the emit script"
	run -1 python3 "$SESSKIT_SRCDIR/tests/helpers/emit_diff.py" "$SESSKIT_SRCDIR/tests/data/lua-ref" \
		"$BATS_TEST_TMPDIR/mut" ref="$REDIS_SOCK" fcall="$FNS_SOCK"
	[[ $output == *"fcall"*"stats differs"* ]] || fail "$output"
}

# the randomized differential (tests/helpers/emit_fuzz.py): 500 cases from a
# fixed seed, each a session's meta damaged at random where the emit's one
# pattern and its lengths decide (numbers at and past each limit, the '|'
# it joins them with, empty, missing) and random events, on the same three
# servers; it guards the fast meta test, which must refuse what the old
# field-by-field test refuses
fuzz() {
	python3 "$SESSKIT_SRCDIR/tests/helpers/emit_fuzz.py" "$SESSKIT_SRCDIR/tests/data/lua-ref" "$1" 19 500 \
		ref="$REDIS_SOCK" "${@:2}"
}

@test "500 random emits on damaged meta hashes (seed 19): the same replies, keys, expiries and messages as today's scripts" {
	run -0 fuzz "$SESSKIT_BUILDDIR/src/core/lua-full" evalsha="$EVS_SOCK" fcall="$FNS_SOCK"
	[[ ${lines[-1]} =~ ^500\ cases,\ ([0-9]+)\ emits\ stored,\ ([0-9]+)\ refused,\ 0\ differences$ ]] || fail "$output"
	[ "${BASH_REMATCH[1]}" -ge 150 ] || fail "only ${BASH_REMATCH[1]} emits stored"
	[ "${BASH_REMATCH[2]}" -ge 150 ] || fail "only ${BASH_REMATCH[2]} refused"
}

@test "the randomized differential fails when the fast meta test takes a stored TTL past its range (9 digits)" {
	cp -r "$SESSKIT_BUILDDIR/src/core/lua-full" "$BATS_TEST_TMPDIR/mut"
	sed -i 's/#tl < 9 and/#tl < 10 and/' "$BATS_TEST_TMPDIR/mut/library.lua"
	! cmp -s "$BATS_TEST_TMPDIR/mut/library.lua" "$SESSKIT_BUILDDIR/src/core/lua-full/library.lua" ||
		fail "the mutation did not apply: update this test with the emit script"
	run -1 fuzz "$BATS_TEST_TMPDIR/mut" fcall="$FNS_SOCK"
	[[ $output == *"stored field ttl"* ]] || fail "$output"
}

# index_exact DIR: the scripts of DIR (whole texts), their clock (TIME) set
# 5 s behind the server's: create, join, emit, touch and leave each score
# the index (and the agent's index) by the keys' expiry, not by the clock
index_exact() {
	local dir=$1 n sha
	declare -A sha
	for n in create join leave emit touch; do
		sha[$n]=$(sed "s/redis.call('TIME')/redis.call('HMGET', 'difftest:clock', 's', 'us')/" "$dir/$n.lua" |
			rcli -x SCRIPT LOAD) || return 1
	done
	local -a k=('sess:{s1}:meta' 'sess:{s1}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:eventids'
		'sess:{s1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents')
	rcli HSET difftest:clock s $(($(date +%s) - 5)) us 0 >/dev/null
	same() {
		local at
		at=$(rcli PEXPIRETIME 'sess:{s1}:meta')
		[ "$(rcli ZSCORE 'sess:#{all}:index' s1)" = "$at" ] || { echo "$1: index $(rcli ZSCORE 'sess:#{all}:index' s1), keys $at"; return 1; }
		[ -z "${2:-}" ] || [ "$(rcli ZSCORE "sess:#{all}:agent:$2" s1)" = "$at" ] ||
			{ echo "$1: $2's index $(rcli ZSCORE "sess:#{all}:agent:$2" s1), keys $at"; return 1; }
	}
	rcli EVALSHA "${sha[create]}" 8 "${k[@]}" agent:a1 a1 600 '' >/dev/null && same create a1 || return 1
	rcli EVALSHA "${sha[join]}" 8 "${k[@]}" agent:a2 >/dev/null && same join a2 || return 1
	rcli HSET 'sess:{s1}:meta' ref 0 >/dev/null # the emit restarts the TTLs
	rcli EVALSHA "${sha[emit]}" 8 "${k[@]}" 0 0 'sess:{s1}:notify' s1 '' '"t":"x","a":"a1"}' >/dev/null && same emit || return 1
	rcli EVALSHA "${sha[touch]}" 8 "${k[@]}" 900 >/dev/null && same touch || return 1
	rcli EVALSHA "${sha[leave]}" 8 "${k[@]}" agent:a2 60 >/dev/null || return 1
	same leave
}

@test "the index is scored by the keys' expiry (PEXPIRETIME), not the script's clock; the old scripts were not" {
	run -0 index_exact "$SESSKIT_BUILDDIR/src/core/lua-full"
	rcli FLUSHALL >/dev/null
	cp "$SESSKIT_BUILDDIR/src/core/lua-full/touch.lua" "$BATS_TEST_TMPDIR/"
	cp "$SESSKIT_SRCDIR"/tests/data/lua-ref/*.lua "$BATS_TEST_TMPDIR/"
	run -1 index_exact "$BATS_TEST_TMPDIR"
	[[ $output == "create: index "* ]] || fail "$output"
}

@test "a cluster's emit on a Redis without SPUBLISH (6.x) publishes as before: the log and meta's seq stay together" {
	local n sha
	declare -A sha
	# the scripts as a 6.x runs them: no REDIS_VERSION_NUM, no acl_check_cmd
	for n in create emit; do
		sha[$n]=$(sed -e 's/redis\.REDIS_VERSION_NUM/redis.NO_VERSION_NUM/g' -e 's/redis\.acl_check_cmd/redis.no_acl_check_cmd/g' \
			"$SESSKIT_BUILDDIR/src/core/lua-full/$n.lua" | redis-cli -s "$OLD_SOCK" -x SCRIPT LOAD) || fail "load $n"
	done
	# a cluster session's companions: a slot's tag, not "all"
	local -a k=('sess:{s1}:meta' 'sess:{s1}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:eventids'
		'sess:{s1}:history' 'sess:#{iet}:index' 'sess:#{iet}:stats' 'sess:#{iet}:agents')
	run -0 redis-cli -s "$OLD_SOCK" EVALSHA "${sha[create]}" 8 "${k[@]}" agent:a1 a1 600 ''
	for n in 1 2; do
		run -0 redis-cli -s "$OLD_SOCK" EVALSHA "${sha[emit]}" 8 "${k[@]}" 0 0 'sess:{s1}:notify' s1 '' '"t":"x","a":"a1"}'
		[[ "$output" != *ERR* ]] || fail "emit $n: $output"
	done
	assert_equal "$(redis-cli -s "$OLD_SOCK" HGET 'sess:{s1}:meta' seq)" 2
	assert_equal "$(redis-cli -s "$OLD_SOCK" LLEN 'sess:{s1}:events')" 2
}

# emit_as USER PASS: the same emit by today's script, the built one and the
# built library's function, as USER; prints the three replies, one a line
emit_as() {
	local -a k=('sess:{s1}:meta' 'sess:{s1}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:eventids'
		'sess:{s1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents')
	local -a a=(0 0 'sess:{s1}:notify' s1 '' '"t":"x","a":"a1"}')
	redis-cli -s "$REDIS_SOCK" --user "$1" --pass "$2" --no-auth-warning EVALSHA "$REF" 8 "${k[@]}" "${a[@]}"
	redis-cli -s "$REDIS_SOCK" --user "$1" --pass "$2" --no-auth-warning EVALSHA "$NEW" 8 "${k[@]}" "${a[@]}"
	redis-cli -s "$REDIS_SOCK" --user "$1" --pass "$2" --no-auth-warning FCALL "$FN" 8 "${k[@]}" "${a[@]}"
}

@test "the emit's ACL checks, one permission taken away at a time: today's refusal, word for word, and nothing written" {
	local lua=$SESSKIT_BUILDDIR/src/core/lua-full spec ref
	REF=$(rcli -x SCRIPT LOAD < "$SESSKIT_SRCDIR/tests/data/lua-ref/emit.lua")
	NEW=$(rcli -x SCRIPT LOAD < "$lua/emit.lua")
	rcli -x FUNCTION LOAD REPLACE < "$lua/library.lua" >/dev/null
	FN=sk$(sed -n '1s/^#!lua name=sesskit_//p' "$lua/library.lua")_emit
	run -0 rcli EVALSHA "$(rcli -x SCRIPT LOAD < "$SESSKIT_SRCDIR/tests/data/lua-ref/create.lua")" 8 \
		'sess:{s1}:meta' 'sess:{s1}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:eventids' \
		'sess:{s1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents' agent:a1 a1 600 ''
	# (a selector gives a command back on the session's keys only: the
	# companions' own checks refuse then; '|' separates the rules)
	local all='~*|&*|+@all' spec
	local -a rules
	for spec in "$all|-rpush" "$all|-hset" "$all|-pexpire" "~*|resetchannels|+@all" "$all|-zadd" \
		"$all|-hincrby" "$all|-zadd|(~sess:{* +zadd)" "$all|-hincrby|(~sess:{* +hincrby)" \
		"$all|-hset|-rpush" "$all|-pexpire|-hset" "$all|-zadd|-publish" "$all|-hincrby|-zadd" \
		"$all|-hincrby|-zadd|(~sess:{* +zadd +hincrby)"; do
		IFS='|' read -r -a rules <<< "$spec"
		rcli ACL SETUSER u reset on '>pw' "${rules[@]}" >/dev/null
		run -0 emit_as u pw
		[ "${#lines[@]}" -eq 3 ] || fail "$spec: $output"
		[[ ${lines[0]} == *NOPERM* ]] || fail "$spec: no refusal: $output"
		[ "${lines[1]}" = "${lines[0]}" ] && [ "${lines[2]}" = "${lines[0]}" ] || fail "$spec: $output"
	done
	assert_equal "$(rcli HGET 'sess:{s1}:meta' seq)" 0
	assert_equal "$(rcli EXISTS 'sess:{s1}:events')" 0
	# and a user with every permission gets the event stored, by each
	IFS='|' read -r -a rules <<< "$all"
	rcli ACL SETUSER u reset on '>pw' "${rules[@]}" >/dev/null
	run -0 emit_as u pw
	[[ $output != *NOPERM* ]] || fail "$output"
	assert_equal "$(rcli LLEN 'sess:{s1}:events')" 3
}

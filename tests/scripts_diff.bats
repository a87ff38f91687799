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
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

@test "today's scripts and the new ones, by EVALSHA and by FCALL: the same replies, keys, expiries and messages" {
	run -0 python3 "$SESSKIT_SRCDIR/tests/helpers/emit_diff.py" "$SESSKIT_SRCDIR/tests/data/lua-ref" \
		"$SESSKIT_BUILDDIR/src/core/lua-full" ref="$REDIS_SOCK" evalsha="$EVS_SOCK" fcall="$FNS_SOCK"
	[[ ${lines[-1]} =~ ^([0-9]+)\ steps,\ ([0-9]+)\ messages,\ 0\ differences$ ]] || fail "$output"
	[ "${BASH_REMATCH[1]}" -ge 70 ] || fail "only ${BASH_REMATCH[1]} steps"
	[ "${BASH_REMATCH[2]}" -ge 15 ] || fail "only ${BASH_REMATCH[2]} messages"
}

@test "the differential test fails on a difference (a counter one off in the new emit)" {
	cp -r "$SESSKIT_BUILDDIR/src/core/lua-full" "$BATS_TEST_TMPDIR/mut"
	sed -i "s/redis.call('HINCRBY', KEYS\[7\], S_STAT_EVENTS, #log)/redis.call('HINCRBY', KEYS[7], S_STAT_EVENTS, #log + 1)/" \
		"$BATS_TEST_TMPDIR/mut/library.lua"
	! cmp -s "$BATS_TEST_TMPDIR/mut/library.lua" "$SESSKIT_BUILDDIR/src/core/lua-full/library.lua" ||
		fail "the mutation did not apply: update this test with the emit script"
	run -1 python3 "$SESSKIT_SRCDIR/tests/helpers/emit_diff.py" "$SESSKIT_SRCDIR/tests/data/lua-ref" \
		"$BATS_TEST_TMPDIR/mut" ref="$REDIS_SOCK" fcall="$FNS_SOCK"
	[[ $output == *"fcall"*"stats differs"* ]] || fail "$output"
}

#!/usr/bin/env bats
# The developer tools in tools/: what they share in tools/lib.sh.

bats_require_minimum_version 1.5.0
load helpers/redis

@test "lib.sh: a throwaway redis-server stopped from an EXIT trap leaves exit status 0" {
	# tools/demo and the benchmarks run under set -e with this trap; a
	# failing command in the trap (kill of a server already gone) used to
	# turn a good run into exit 1
	run bash -c 'set -eu
		. "$1/tools/lib.sh"
		sesskit_redis_start
		trap sesskit_redis_stop EXIT
		redis-cli -p "$SESSKIT_REDIS_PORT" ping
		echo "dir=$SESSKIT_REDIS_DIR"' _ "$SESSKIT_SRCDIR"
	assert_success
	assert_line PONG
	dir=$(echo "$output" | sed -n 's/^dir=//p')
	[ -n "$dir" ]
	[ ! -e "$dir" ]
}

@test "lint-bats: every bats file's assertions can fail" {
	run "$SESSKIT_SRCDIR/tools/lint-bats" "$SESSKIT_SRCDIR"/tests/*.bats
	assert_success
	assert_output ""
}

@test "lint-bats refuses an && chained assertion and a run nothing checks" {
	# (bats rewrites @test lines even inside a here-document: AT stands in)
	sed 's/^AT/@test/' >"$BATS_TEST_TMPDIR/t.bats" <<'T'
AT "x" {
	run false
	[ "$status" -eq 64 ] && assert_output --partial "nope"
	run -0 true
	run true
	assert_output ""
	for i in 1 2; do [ -s f ] && break; done
	run true
	[ "$status" -eq 0 ] || fail "why"
}
AT "y" {
	run true
}
T
	run -1 "$SESSKIT_SRCDIR/tools/lint-bats" "$BATS_TEST_TMPDIR/t.bats"
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --partial "t.bats:3: an && list"
	assert_line --index 1 --partial "t.bats:5: run without a status check"
	assert_line --index 2 --partial "t.bats:12: run without a status check"
}

@test "lint-bats refuses \$i after a run -N (bats 1.8's run -N sets the caller's i), not before it or after i is set again" {
	sed 's/^AT/@test/' >"$BATS_TEST_TMPDIR/t.bats" <<'T'
AT "x" {
	local i
	for i in 1 2; do
		run -0 sctl create --id "s$i"
		run -0 sctl emit "s$i"
	done
	for ((i = 1; i <= 3; i++)); do
		echo "$i"
	done
	while read -r i; do echo "$i"; done <f
}
T
	run -1 "$SESSKIT_SRCDIR/tools/lint-bats" "$BATS_TEST_TMPDIR/t.bats"
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --partial "t.bats:5: \$i after a run -N"
}

@test "check-layers: every include points down, no cycle" {
	run -0 "$SESSKIT_SRCDIR/tools/check-layers" "$SESSKIT_SRCDIR/src"
	assert_output ""
}

@test "check-layers refuses an include upwards, a cycle and another binary's header" {
	cp -r "$SESSKIT_SRCDIR/src" "$BATS_TEST_TMPDIR/src"
	local s="$BATS_TEST_TMPDIR/src"
	# the cycle this tree once had: scripts -> view -> log -> scripts
	sed -i '1a #include "core/session/view.h"' "$s/core/redis/scripts.c"
	sed -i '1a #include "core/session/view.h"' "$s/core/session/log.c"
	sed -i '1a #include "sess-health/probe.h"' "$s/sess-replay/main.c"
	run -1 "$SESSKIT_SRCDIR/tools/check-layers" "$s"
	assert_line "core/redis/scripts.c: includes core/session/view.h: core/session is above core/redis; move the shared part down"
	assert_line "include cycle: core/session/view -> core/session/log -> core/session/view"
	assert_line --partial "sess-replay/main.c: includes sess-health/probe.h: a binary's own code is for that binary alone"
}

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

@test "embed-lua: an EVALSHA script gets the prelude definitions it uses (and theirs), and the build fails on one it names without" {
	d=$BATS_TEST_TMPDIR/lua
	mkdir -p "$d/ok" "$d/none" "$d/fwd/p"
	printf '#define SESS_S_X 1\n' > "$d/schema.h"
	cat > "$d/prelude.lua" <<'LUA'
-- a prelude
local function g() return 1 end
-- h: no script uses it
local function h() return 2 end
local A, B = 'x', 'y'
local function f() return g() .. A end
LUA
	printf 'return f()\n' > "$d/uses_f.lua"
	run -0 sh "$SESSKIT_SRCDIR/tools/embed-lua" "$d/ok/gen.c" "$d/ok/gen.h" sha1sum "$d" schema.h prelude.lua uses_f.lua
	full=$d/ok/lua-full/uses_f.lua
	grep -q '^local function f()' "$full" || fail "f left out: $(cat "$full")"
	grep -q '^local function g()' "$full" || fail "g (f uses it) left out: $(cat "$full")"
	grep -q '^local A, B' "$full" || fail "A (f uses it) left out: $(cat "$full")"
	if grep -q 'function h()' "$full"; then fail "h (unused) given: $(cat "$full")"; fi
	grep -q '^local function h()' "$d/ok/lua-full/library.lua" || fail "the library lacks h"
	# the guard: a script that takes no prelude naming a definition of it
	printf -- '-- prelude: none\nreturn f()\n' > "$d/none.lua"
	run -1 --separate-stderr sh "$SESSKIT_SRCDIR/tools/embed-lua" "$d/none/gen.c" "$d/none/gen.h" sha1sum "$d" schema.h prelude.lua none.lua
	[[ $stderr == "embed-lua: none.lua uses the prelude's f (line 3 of "*"lua-full/none.lua) but is not given its definition (prelude line 6)"* ]] || fail "$stderr"
	[ ! -e "$d/none/gen.c" ] && [ ! -e "$d/none/gen.c.tmp" ] || fail "output written: $(ls "$d/none")"
	# a script's own local of that name is its own
	printf -- '-- prelude: none\nif 1 then\n  local f = 2\n  return f\nend\n' > "$d/ownf.lua"
	run -0 sh "$SESSKIT_SRCDIR/tools/embed-lua" "$d/none/gen.c" "$d/none/gen.h" sha1sum "$d" schema.h prelude.lua ownf.lua
	# and a prelude definition naming one defined after it (a global in Lua)
	printf 'local function a() return b() end\nlocal function b() return 1 end\n' > "$d/fwd/p/prelude.lua"
	printf 'return a()\n' > "$d/fwd/p/s.lua"
	cp "$d/schema.h" "$d/fwd/p/"
	run -1 --separate-stderr sh "$SESSKIT_SRCDIR/tools/embed-lua" "$d/fwd/gen.c" "$d/fwd/gen.h" sha1sum "$d/fwd/p" schema.h prelude.lua s.lua
	[[ $stderr == *"uses the prelude's b (line "*"defined after it"* ]] || fail "$stderr"
	[ ! -e "$d/fwd/gen.c" ] || fail "gen.c written"
}

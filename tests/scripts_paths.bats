#!/usr/bin/env bats
# How the session scripts are called (scripts.h, setting redis.scripts):
# FCALL of the Functions library where the server has FUNCTION and the
# user may use it, EVALSHA where FUNCTION is missing (Redis 6, here a
# server with FCALL and FUNCTION renamed away) or refused by the ACL; a
# lost library is loaded again and the call sent again once, in single
# calls and in batch pipelines. The last test runs the script-heavy suites
# again on the EVALSHA path (the rest of the suite runs on FCALL).
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	common_setup_file
	# Redis 6 as far as sesskit can tell: no FCALL, no FUNCTION
	redis_start_named OLD --rename-command FCALL "" --rename-command FUNCTION ""
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	common_setup
	rcli FUNCTION FLUSH >/dev/null
	rcli SCRIPT FLUSH >/dev/null
	rcli CONFIG RESETSTAT >/dev/null
	LIB=$(sed -n '1s/^#!lua name=//p' "$SESSKIT_BUILDDIR/src/core/lua-full/library.lua")
	[[ $LIB =~ ^sesskit_[0-9a-f]{12}$ ]] || fail "library name: $LIB"
	PW=paths-secret
}

ocli() { redis-cli -s "$OLD_SOCK" "$@"; }

# calls CLI CMD: how many times the server ran CMD (INFO commandstats)
calls() {
	$1 INFO commandstats | tr -d '\r' | sed -n "s/^cmdstat_$2:calls=\([0-9]*\),.*/\1/p" | grep . || echo 0
}

flow() { # a session s1: create, join, emit, events, checkpoint, a batch emit
	run -0 sctl create --agent a --id s1
	run -0 sctl join s1 b
	run -0 sctl emit s1 --actor a --type x
	run -0 sctl events s1
	run -0 sctl checkpoint s1
	run -0 bash -c "echo '{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"b\",\"type\":\"y\"}' |
		REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sessctl' batch"
	assert_equal "$(jq -r .ok <<<"$output")" true
	assert_equal "$(rcli HGET 'sess:{s1}:meta' seq)" 2
}

@test "auto on Redis 7: FCALL of this version's library, loaded once; no EVALSHA" {
	flow
	[ "$(calls rcli fcall)" -ge 6 ] || fail "fcall: $(calls rcli fcall)"
	assert_equal "$(calls rcli evalsha)" 0
	assert_equal "$(calls rcli eval)" 0
	run -0 rcli FUNCTION LIST LIBRARYNAME "$LIB"
	[[ $output == *"sk${LIB#sesskit_}_emit"* ]] || fail "the library: $output"
	# the read-only script is flagged so: FCALL_RO takes it (replicas too)
	run -0 rcli FCALL_RO "sk${LIB#sesskit_}_events" 2 'sess:{s1}:meta' 'sess:{s1}:events' 0 0 0
	[[ $output == *'"t":"x"'* ]] || fail "events by FCALL_RO: $output"
}

@test "redis.scripts eval (REDIS_SCRIPTS): EVALSHA only, no FUNCTION; a bad value is refused (78)" {
	REDIS_SCRIPTS=eval flow
	assert_equal "$(calls rcli fcall)" 0
	assert_equal "$(calls rcli 'function|load')" 0
	[ "$(calls rcli evalsha)" -ge 6 ] || fail "evalsha: $(calls rcli evalsha)"
	REDIS_SCRIPTS=lua run -78 --separate-stderr sctl get s1
	[[ $stderr == *"REDIS_SCRIPTS"*"auto functions eval"* ]] || fail "$stderr"
}

@test "the library flushed (FUNCTION FLUSH) between calls and during a pipelined batch: loaded again, sent again, once" {
	local n=3000 pid flushes=0 loads
	run -0 sctl create --agent a --id s1
	rcli FUNCTION FLUSH >/dev/null
	run -0 sctl emit s1 --actor a --type x
	assert_equal "$(jq -r .seq <<<"$output")" 1
	assert_equal "$(calls rcli 'function|load')" 2
	rcli FUNCTION FLUSH >/dev/null
	run -0 sctl join s1 b
	assert_equal "$(rcli HGET 'sess:{s1}:meta' agents)" 2
	loads=$(calls rcli 'function|load')
	awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a\",\"type\":\"t\",\"eventId\":\"e%d\"}\n", i }' \
		>"$BATS_TEST_TMPDIR/in"
	REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T "$SESSKIT_BUILDDIR/sessctl" batch --group 1 \
		<"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		rcli FUNCTION FLUSH >/dev/null
		flushes=$((flushes + 1))
		sleep 0.01
	done
	wait "$pid" || fail "batch failed: $(cat "$BATS_TEST_TMPDIR/err")"
	echo "flushed $flushes times" >&3
	assert_equal "$(jq -r 'select(.ok != true) | .line' "$BATS_TEST_TMPDIR/out" | head -3)" ""
	assert_equal "$(jq -r .line "$BATS_TEST_TMPDIR/out" | awk '$1 != NR' | head -1)" ""
	assert_equal "$(rcli HGET 'sess:{s1}:meta' seq)" $((n + 1))
	assert_equal "$(rcli HLEN 'sess:{s1}:eventids')" $n
	assert_equal "$(calls rcli evalsha)" 0
	# nothing applied twice (an emit sent again after it ran would come
	# back a duplicate of its event id), each line its own seq
	assert_equal "$(jq -r 'select(.result.duplicate == true) | .line' "$BATS_TEST_TMPDIR/out" | head -3)" ""
	assert_equal "$(jq -r 'select(.result.seq != .line + 1) | .line' "$BATS_TEST_TMPDIR/out" | head -3)" ""
	# and the flushes did land while the batch ran: the library loaded again
	[ "$(calls rcli 'function|load')" -gt "$loads" ] || fail "the library was never loaded again during the batch (flushed $flushes times)"
}

@test "no FUNCTION on the server (Redis 6): auto takes EVALSHA; redis.scripts functions is refused (78)" {
	export REDIS_URL=redis://127.0.0.1:$OLD_PORT
	ocli FLUSHALL >/dev/null
	ocli SCRIPT FLUSH >/dev/null
	ocli CONFIG RESETSTAT >/dev/null
	run -0 sctl create --agent a --id o1
	run -0 sctl emit o1 --actor a --type x
	run -0 bash -c "echo '{\"op\":\"emit\",\"id\":\"o1\",\"actor\":\"a\",\"type\":\"y\"}' | '$SESSKIT_BUILDDIR/sessctl' batch"
	assert_equal "$(jq -r .result.seq <<<"$output")" 2
	assert_equal "$(ocli HGET 'sess:{o1}:meta' seq)" 2
	[ "$(calls ocli evalsha)" -ge 1 ] || fail "no EVALSHA"
	REDIS_SCRIPTS=functions run -78 --separate-stderr sctl emit o1 --actor a --type z
	[[ $stderr == *"redis.scripts is functions but the server has no Redis Functions"* ]] || fail "$stderr"
	REDIS_SCRIPTS=functions run -78 --separate-stderr bash -c "echo '{\"op\":\"emit\",\"id\":\"o1\",\"actor\":\"a\",\"type\":\"y\"}' | '$SESSKIT_BUILDDIR/sessctl' batch"
	assert_equal "$(ocli HGET 'sess:{o1}:meta' seq)" 2
}

@test "the ACL: a user refused FCALL takes EVALSHA; one refused FUNCTION LOAD too until the library is there, then FCALL" {
	run -0 sctl create --agent a --id s1
	rcli ACL SETUSER nofcall reset on ">$PW" '~sess:*' '&sess:*' '+@all' '-fcall' >/dev/null
	rcli ACL SETUSER noload reset on ">$PW" '~sess:*' '&sess:*' '+@all' '-function|load' >/dev/null
	rcli FUNCTION FLUSH >/dev/null
	rcli CONFIG RESETSTAT >/dev/null
	REDIS_URL=redis://nofcall:$PW@127.0.0.1:$REDIS_PORT_T run -0 sctl emit s1 --actor a --type x
	# (the refused call goes again as EVAL of the script: it caches it)
	assert_equal "$(calls rcli eval)" 1
	REDIS_URL=redis://noload:$PW@127.0.0.1:$REDIS_PORT_T run -0 sctl emit s1 --actor a --type y
	assert_equal "$(rcli FUNCTION LIST LIBRARYNAME "$LIB")" ""
	assert_equal "$(rcli HGET 'sess:{s1}:meta' seq)" 2
	REDIS_URL=redis://noload:$PW@127.0.0.1:$REDIS_PORT_T REDIS_SCRIPTS=functions run -77 --separate-stderr \
		sctl emit s1 --actor a --type z
	[[ $stderr == *"may not use them"*"FUNCTION LOAD"*"sesskit-acl(7)"* ]] || fail "$stderr"
	REDIS_URL=redis://nofcall:$PW@127.0.0.1:$REDIS_PORT_T REDIS_SCRIPTS=functions run -77 sctl events s1
	# the library loaded by a user who may: FCALL for the other
	run -0 sctl emit s1 --actor a --type z
	rcli CONFIG RESETSTAT >/dev/null
	REDIS_URL=redis://noload:$PW@127.0.0.1:$REDIS_PORT_T run -0 sctl emit s1 --actor a --type w
	assert_equal "$(calls rcli fcall)" 1
	assert_equal "$(calls rcli evalsha)" 0
	assert_equal "$(rcli HGET 'sess:{s1}:meta' seq)" 4
}

@test "two sesskit versions side by side: another version's library stays, each calls its own" {
	local other
	other=$(sed "s/${LIB#sesskit_}/0123456789ab/g" "$SESSKIT_BUILDDIR/src/core/lua-full/library.lua")
	run -0 rcli FUNCTION LOAD "$other"
	assert_output sesskit_0123456789ab
	flow
	run -0 rcli FUNCTION LIST
	[[ $output == *sesskit_0123456789ab* && $output == *"$LIB"* ]] || fail "both libraries: $output"
	[ "$(calls rcli fcall)" -ge 6 ] || fail "fcall: $(calls rcli fcall)"
}

@test "the script-heavy suites on the EVALSHA path (redis.scripts eval)" {
	# every case of sessctl_scripts; the batch cases that drive scripts
	# (not usage and input checks, which never reach the server); in a
	# clean environment: the suites start their own servers
	# (the PATH without bats' own libexec, whose bats is not the command)
	local path
	path=$(tr ':' '\n' <<<"$PATH" | grep -v bats-core | paste -sd:)
	local -a clean=(env -i PATH="$path" HOME="$HOME" TMPDIR="${TMPDIR:-/tmp}"
		SESSKIT_BUILDDIR="$SESSKIT_BUILDDIR" SESSKIT_SRCDIR="$SESSKIT_SRCDIR" SESSKIT_TEST_SCRIPTS=eval)
	run "${clean[@]}" bats "$SESSKIT_SRCDIR/tests/sessctl_scripts.bats"
	assert_success
	run -0 "${clean[@]}" bats --filter 'emit|SCRIPT FLUSH|group|interleav|session' \
		"$SESSKIT_SRCDIR/tests/sessctl_batch.bats"
}

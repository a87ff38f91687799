#!/usr/bin/env bats
# Passwords in the common options of every binary: --password-file never
# blocks on a FIFO nobody writes to, a password given in argv does not stay
# in the process list, and a process holding one dumps no core.
bats_require_minimum_version 1.5.0

PW=s3cret-Pw-7781

setup_file() {
	load helpers/redis
	common_setup_file
	redis_start_named AUTH --requirepass "$PW"
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() {
	[ -z "${SPID:-}" ] || { kill -KILL "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; } || true
}

# start_serve ARGS...: sess-health serve on the AUTH server; sets SPID
start_serve() {
	REDIS_URL=$(redis_url AUTH) sk_bg "$BATS_TEST_TMPDIR/s.out" "$BATS_TEST_TMPDIR/s.err" \
		sess-health serve --listen 127.0.0.1:0 "$@"
	SPID=$!
	wait_serving
}

wait_serving() {
	local i
	for i in $(seq 1 200); do
		grep -q 'serving http' "$BATS_TEST_TMPDIR/s.err" 2>/dev/null && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	fail "serve did not start: $(cat "$BATS_TEST_TMPDIR/s.err")"
}

@test "--password-file on a FIFO nobody writes to: exit 78 at once, one line naming the fix" {
	mkfifo -m 600 "$BATS_TEST_TMPDIR/pw.fifo"
	REDIS_URL=$(redis_url AUTH) run timeout 20 "$SESSKIT_BUILDDIR/sessctl" list \
		--password-file "$BATS_TEST_TMPDIR/pw.fifo"
	[ "$status" -ne 124 ] || fail "sessctl blocked on the FIFO"
	assert_failure 78
	assert_equal "${#lines[@]}" 1
	assert_output --partial "pw.fifo"
	assert_output --partial "nothing writes to"
	# the same for sess-health (its own exit code for settings: 3)
	REDIS_URL=$(redis_url AUTH) run timeout 20 "$SESSKIT_BUILDDIR/sess-health" \
		--password-file "$BATS_TEST_TMPDIR/pw.fifo"
	[ "$status" -ne 124 ] || fail "sess-health blocked on the FIFO"
	assert_failure 3
	# a directory or a device is no password file either
	REDIS_URL=$(redis_url AUTH) run timeout 20 "$SESSKIT_BUILDDIR/sessctl" list \
		--password-file "$BATS_TEST_TMPDIR"
	assert_failure 78
	REDIS_URL=$(redis_url AUTH) run timeout 20 "$SESSKIT_BUILDDIR/sessctl" list --password-file /dev/zero
	assert_failure 78
}

@test "--password-file: a pipe with a writer (<(command)) and a regular file still work" {
	export REDIS_URL=$(redis_url AUTH)
	run bash -c '"$1" list --password-file <(sleep 0.3; echo "$2")' _ "$SESSKIT_BUILDDIR/sessctl" "$PW"
	assert_success
	printf '%s\n' "$PW" > "$BATS_TEST_TMPDIR/pw"
	chmod 600 "$BATS_TEST_TMPDIR/pw"
	run sk sessctl list --password-file "$BATS_TEST_TMPDIR/pw"
	assert_success
}

@test "--password and a URL's password are gone from the process list once read" {
	REDIS_URL=$(redis_url AUTH) sk_bg "$BATS_TEST_TMPDIR/s.out" "$BATS_TEST_TMPDIR/s.err" \
		sess-health serve --listen 127.0.0.1:0 --password "$PW"
	SPID=$!
	wait_serving
	run -0 tr '\0' ' ' < "/proc/$SPID/cmdline"
	refute_output --partial "$PW"
	assert_output --partial "--password"
	kill -KILL "$SPID"; wait "$SPID" || true
	# in the URL, only the password is overwritten
	REDIS_URL= sk_bg "$BATS_TEST_TMPDIR/s.out" "$BATS_TEST_TMPDIR/s.err" \
		sess-health serve --listen 127.0.0.1:0 --url "redis://:$PW@127.0.0.1:$AUTH_PORT"
	SPID=$!
	wait_serving
	run -0 tr '\0' ' ' < "/proc/$SPID/cmdline"
	refute_output --partial "$PW"
	assert_output --partial "@127.0.0.1:$AUTH_PORT"
	# and it connected with the password it read
	run -0 curl -s --max-time 30 "$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$BATS_TEST_TMPDIR/s.err")/readyz"
	assert_output --partial pass
}

@test "a process holding a password dumps no core" {
	printf '%s\n' "$PW" > "$BATS_TEST_TMPDIR/pw"
	chmod 600 "$BATS_TEST_TMPDIR/pw"
	mkdir "$BATS_TEST_TMPDIR/cwd"
	# a core (core_pattern "core" here, or core.PID) lands in the cwd
	(cd "$BATS_TEST_TMPDIR/cwd" && ulimit -c unlimited && # lint: ok (a background subshell)
		REDIS_URL=$(redis_url AUTH) HOME=$BATS_FILE_TMPDIR exec "$SESSKIT_BUILDDIR/sess-health" serve \
			--listen 127.0.0.1:0 --password-file "$BATS_TEST_TMPDIR/pw" \
			>"$BATS_TEST_TMPDIR/s.out" 2>"$BATS_TEST_TMPDIR/s.err" 3>&-) &
	SPID=$!
	wait_serving
	kill -ABRT "$SPID"
	wait "$SPID" || true
	SPID=
	run -0 bash -c "ls '$BATS_TEST_TMPDIR/cwd'"
	if [ -n "$output" ]; then
		grep -l "$PW" "$BATS_TEST_TMPDIR"/cwd/* && fail "the core dump holds the password"
		fail "a core was dumped: $output"
	fi
}

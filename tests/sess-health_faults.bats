#!/usr/bin/env bats
# sess-health against faults: Redis down, stopped (SIGSTOP), paused
# (CLIENT PAUSE), slow (DEBUG SLEEP), a wrong password, a replica, out of
# memory. Each gives its status and exit code within the timeout; every
# run is under `timeout`, so a hang fails (status 124) instead of blocking.

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() {
	# whatever a test did to the server, undo it for the next
	[ -z "${STOPPED:-}" ] || kill -CONT "$STOPPED" 2>/dev/null || true
	[ -z "${BGPID:-}" ] || wait "$BGPID" 2>/dev/null || true
	rcli CLIENT UNPAUSE >/dev/null 2>&1 || true
	rcli CONFIG SET maxmemory 0 >/dev/null 2>&1 || true
	redis_stop_named AUTHD REPL
}

hc() {
	timeout 60 env REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT_T}" HOME="$BATS_FILE_TMPDIR" \
		XDG_CONFIG_HOME= SESSKIT_CONFIG= "$SESSKIT_BUILDDIR/sess-health" "$@"
}

@test "Redis down (connection refused): down, exit 2, every format" {
	export REDIS_URL="redis://127.0.0.1:$(dead_port)"
	run hc
	assert_failure 2
	assert_equal "$(jq -r .level <<<"$output")" down
	assert_equal "$(jq -r '.checks["redis:reachable"][0].observedValue' <<<"$output")" false
	assert_output --partial 'is redis-server running?'
	run hc --format nagios
	assert_failure 2
	assert_output --regexp '^SESS-HEALTH CRITICAL - redis:reachable: cannot connect'
	run hc --format text --color never
	assert_failure 2
	assert_line --regexp '^down '
}

@test "stopped server (SIGSTOP): critical within the timeout, exit 2" {
	STOPPED=$(cat "$REDIS_DIR/redis.pid")
	kill -STOP "$STOPPED"
	run hc --timeout 0.3
	kill -CONT "$STOPPED"; STOPPED=
	assert_failure 2
	assert_equal "$(jq -r .level <<<"$output")" critical
	assert_output --partial 'did not answer in time'
	assert_output --partial 'raise --timeout'
}

@test "paused server (CLIENT PAUSE ALL): critical within the timeout, exit 2" {
	rcli CLIENT PAUSE 20000 ALL >/dev/null
	run hc --timeout 0.3
	rcli CLIENT UNPAUSE >/dev/null
	assert_failure 2
	assert_equal "$(jq -r .level <<<"$output")" critical
	assert_output --partial 'did not answer in time'
	run hc
	assert_success
}

# sleep_server SECONDS: DEBUG SLEEP in the background, returning once the
# server has stopped answering (so the check surely meets the sleep)
sleep_server() {
	rcli DEBUG SLEEP "$1" >/dev/null &
	BGPID=$!
	for i in $(seq 1 100); do
		timeout 0.2 redis-cli -s "$REDIS_SOCK" PING >/dev/null 2>&1 || return 0
		sleep 0.02
	done
	fail "the server never went to sleep"
}

@test "busy server (DEBUG SLEEP past the timeout): critical, exit 2" {
	sleep_server 3
	run hc --timeout 0.3
	assert_failure 2
	assert_equal "$(jq -r .level <<<"$output")" critical
	assert_output --partial 'did not answer in time'
}

@test "slow server (DEBUG SLEEP within the timeout): the latency threshold warns, exit 1" {
	sleep_server 2
	run hc --timeout 10 --no-sessions --pings 1 --warn latency=300 --crit latency=9000
	assert_failure 1
	assert_equal "$(jq -r '.checks["redis:responseTime"][0].level' <<<"$output")" warning
	assert_output --partial 'outside the warning range 300 (latency)'
}

@test "wrong or missing password: could not check (unknown), exit 3, naming the fix" {
	redis_start_named AUTHD --requirepass sekret
	REDIS_URL="redis://:wrong@127.0.0.1:$AUTHD_PORT" run hc
	assert_failure 3
	assert_equal "$(jq -r .level <<<"$output")" unknown
	assert_equal "$(jq -r '.checks["redis:authorised"][0].observedValue' <<<"$output")" false
	# the password came from the URL: the fix names it
	assert_output --partial 'the password given by the URL in REDIS_URL'
	REDIS_URL="redis://127.0.0.1:$AUTHD_PORT" run hc --format nagios
	assert_failure 3
	assert_output --regexp '^SESS-HEALTH UNKNOWN - .*needs a password'
	echo sekret >"$BATS_TEST_TMPDIR/pw"
	chmod 600 "$BATS_TEST_TMPDIR/pw" # a password file others can read is refused
	REDIS_URL="redis://127.0.0.1:$AUTHD_PORT" run hc --password-file "$BATS_TEST_TMPDIR/pw"
	assert_success
}

@test "a replica where a master is expected: critical, exit 2; --role replica accepts it" {
	redis_start_named REPL --replicaof 127.0.0.1 "$REDIS_PORT_T"
	REDIS_URL="redis://127.0.0.1:$REPL_PORT" run hc --no-sessions
	assert_failure 2
	assert_equal "$(jq -r '.checks["redis:role"][0].level' <<<"$output")" critical
	assert_output --partial 'point --url at the master'
	for i in $(seq 1 200); do
		redis-cli -p "$REPL_PORT" INFO replication | grep -q 'master_link_status:up' && break
		sleep 0.05
	done
	REDIS_URL="redis://127.0.0.1:$REPL_PORT" run hc --role replica
	assert_success
	assert_equal "$(jq -r '.checks["replication:link"][0].observedValue' <<<"$output")" up
	# and the master sees its replica
	run hc
	assert_success
	assert_equal "$(jq -r '.checks["replication:connectedReplicas"][0].observedValue' <<<"$output")" 1
}

@test "out of memory (maxmemory reached, noeviction): critical, exit 2" {
	used=$(rcli INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')
	rcli CONFIG SET maxmemory $((used + 200000)) >/dev/null
	# fill until the server refuses writes
	for i in $(seq 1 400); do
		out=$(rcli SET "fill:$i" "$(head -c 2000 /dev/zero | tr '\0' x)" 2>&1)
		[[ $out == *OOM* ]] && break
	done
	[[ $out == *OOM* ]] || fail "the server never refused a write: $out"
	run hc
	assert_failure 2
	assert_equal "$(jq -r '.checks["memory:headroom"][0].level' <<<"$output")" critical
	assert_equal "$(jq -r '.checks["memory:utilization"][0].level' <<<"$output")" critical
	assert_output --partial 'writes are refused (OOM)'
}

@test "memory over the warning threshold but under maxmemory: warning, exit 1" {
	used=$(rcli INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')
	rcli CONFIG SET maxmemory $((used * 10)) >/dev/null
	run hc --warn memory=1 --no-pubsub --no-sessions
	assert_failure 1
	assert_equal "$(jq -r '.checks["memory:utilization"][0].level' <<<"$output")" warning
}

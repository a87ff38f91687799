#!/usr/bin/env bats
# sess-health serve: the endpoints with curl (status codes, content
# types), the cache, the breaker, SIGTERM, a port in use, and a real
# Prometheus scrape configuration checked by promtool.
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	common_setup_file
	redis_start_named STOPPABLE # SIGSTOPped by a test
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() {
	[ -z "${RPID:-}" ] || kill -CONT "$RPID" 2>/dev/null || true
	[ -z "${IPID:-}" ] || { kill -KILL "$IPID" 2>/dev/null; wait "$IPID" 2>/dev/null; } || true
	[ -z "${SPID:-}" ] || { kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; } || true
}

# start_serve ARGS...: serve on a free loopback port; sets SPID and BASE
start_serve() {
	sk_bg "$BATS_TEST_TMPDIR/s.out" "$BATS_TEST_TMPDIR/s.err" sess-health serve --listen 127.0.0.1:0 "$@"
	SPID=$!
	local i
	for i in $(seq 1 200); do
		BASE=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$BATS_TEST_TMPDIR/s.err" 2>/dev/null) && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	fail "serve did not start: $(cat "$BATS_TEST_TMPDIR/s.err")"
}

# get PATH: "CODE CONTENT-TYPE" on the first line, the body after
get() {
	curl -s --max-time 30 -w '\n%{http_code} %{content_type}' "$BASE$1" | tail -n 1
}
body() { curl -s --max-time 30 "$BASE$1"; }

publishes() { rcli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_publish:calls=\([0-9]*\),.*/\1/p'; }

@test "healthy: every endpoint, its status code and content type" {
	start_serve
	for p in /health /health/detailed /health/components /health/redis /health/sessions /readyz /livez; do
		assert_equal "$(get "$p")" "200 application/health+json"
	done
	assert_equal "$(get /health/metrics)" "200 text/plain; version=0.0.4; charset=utf-8"
	assert_equal "$(body /health | jq -r .level)" healthy
	# health+json's words: pass, warn, fail
	for p in /health /health/detailed /health/components /health/redis /health/sessions /readyz /livez; do
		assert_equal "$(body "$p" | jq -r .status)" pass
	done
	assert_equal "$(body /health/detailed | jq -r '[.checks[][0].status] | unique | join(",")')" pass
	assert_equal "$(body /health/detailed | jq -r '.checks["pubsub:roundTrip"][0].level')" healthy
	assert_equal "$(body /health/components | jq -r '.components | keys | join(",")')" \
		"memory,persistence,pubsub,redis,replication,sessions"
	assert_equal "$(body /health/redis | jq -r '[.checks | keys[] | split(":")[0]] | unique | join(",")')" \
		"memory,persistence,redis,replication"
	assert_equal "$(body /health/sessions | jq -r '[.checks | keys[] | split(":")[0]] | unique | join(",")')" \
		"pubsub,sessions"
	assert_equal "$(get /nope)" "404 application/health+json"
	run -0 curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/health"
	assert_output 405
}

@test "metrics endpoint passes promtool check metrics" {
	start_serve
	run bash -c "set -o pipefail; curl -sf --max-time 30 $BASE/health/metrics | promtool check metrics"
	assert_success
	run -0 body /health/metrics
	assert_line 'sess_up 1'
}

@test "the cache: two requests within a second reach Redis once" {
	start_serve
	before=$(publishes)
	before=${before:-0}
	run curl -s --max-time 30 -o /dev/null -o /dev/null "$BASE/health" "$BASE/health/detailed"
	assert_success
	after=$(publishes)
	assert_equal "$((after - before))" 1
}

@test "healthy answers 200; warning and critical 503; readyz stays 200 while Redis answers" {
	sctl create --agent a1 --id s1 >/dev/null
	start_serve
	assert_equal "$(get /health)" "200 application/health+json"
	kill -TERM "$SPID"; wait "$SPID" || true
	start_serve --warn sessions=0
	assert_equal "$(get /health)" "503 application/health+json"
	assert_equal "$(body /health | jq -r .level)" warning
	assert_equal "$(body /health | jq -r .status)" warn
	assert_equal "$(get /readyz)" "200 application/health+json"
	kill -TERM "$SPID"; wait "$SPID" || true
	start_serve --crit sessions=0
	assert_equal "$(get /health)" "503 application/health+json"
	assert_equal "$(get /health/sessions)" "503 application/health+json"
	assert_equal "$(body /health/sessions | jq -r '[.status, .level] | join(" ")')" "fail critical"
	assert_equal "$(body /health/redis | jq -r '[.status, .level] | join(" ")')" "pass healthy"
	assert_equal "$(get /health/redis)" "200 application/health+json"
	assert_equal "$(get /readyz)" "200 application/health+json"
}

@test "Redis down: 503, sess_up 0, /livez still 200; the breaker opens" {
	REDIS_URL="redis://127.0.0.1:$(dead_port)" start_serve --cache-ms 0 --breaker-failures 2 --breaker-cooldown 600
	assert_equal "$(get /health)" "503 application/health+json"
	assert_equal "$(get /readyz)" "503 application/health+json"
	assert_equal "$(get /livez)" "200 application/health+json"
	assert_equal "$(get /health/metrics)" "200 text/plain; version=0.0.4; charset=utf-8"
	run -0 body /health/metrics
	assert_line 'sess_up 0'
	run -0 body /health
	assert_equal "$(jq -r .breaker.state <<<"$output")" open
	assert_equal "$(jq -r '[.status, .level] | join(" ")' <<<"$output")" "fail down"
	assert_output --partial 'circuit breaker open'
	run -0 body /health/metrics
	assert_line --regexp '^sesskit_build_info\{version="[0-9.]+"\} 1$'
	run bash -c "set -o pipefail; curl -sf --max-time 30 $BASE/health/metrics | promtool check metrics"
	assert_success
}

@test "SIGTERM drains and exits 0" {
	start_serve
	assert_equal "$(get /health)" "200 application/health+json"
	kill -TERM "$SPID"
	rc=0; wait "$SPID" || rc=$?
	SPID=
	assert_equal "$rc" 0
	run -0 cat "$BATS_TEST_TMPDIR/s.err"
	assert_output --partial 'stopped (SIGTERM)'
}

@test "serve --help lists only what serve takes: no --format (each endpoint has its own); --format is refused with that reason, exit 3" {
	run -0 sk sess-health serve --help
	refute_output --partial "--format"
	assert_output --partial "--listen ADDR:PORT"
	run -3 --separate-stderr sk sess-health serve --format json --listen 127.0.0.1:0
	assert_equal "$stderr" "sess-health serve: --format does not apply: each endpoint has its own format; see 'sess-health serve --help'"
	# before the command word too, as the default command's options may be
	run -3 --separate-stderr sk sess-health --format json serve --listen 127.0.0.1:0
	assert_equal "$stderr" "sess-health serve: --format does not apply: each endpoint has its own format; see 'sess-health serve --help'"
	# and completion does not offer it
	run -0 sk sess-health __complete serve --for
	assert_output ""
}

@test "a port in use: one line naming the fix, exit 3" {
	start_serve
	port=${BASE##*:}
	run sk sess-health serve --listen "127.0.0.1:$port"
	assert_failure 3
	assert_output --partial 'Address already in use'
	assert_output --partial 'pick another with --listen'
	run sk sess-health serve --listen 127.0.0.1:http-ish
	assert_failure 3
	assert_output --partial 'ADDR:PORT'
}

@test "the README's Prometheus scrape configuration is valid" {
	sed -n '/^# prometheus.yml for sess-health serve/,/^```/p' "$SESSKIT_SRCDIR/README.md" | sed '$d' \
		>"$BATS_TEST_TMPDIR/prometheus.yml"
	[ -s "$BATS_TEST_TMPDIR/prometheus.yml" ] || fail "no scrape configuration in README.md"
	run promtool check config "$BATS_TEST_TMPDIR/prometheus.yml"
	assert_success
}

@test "a stopped Redis with /health requests waiting: /livez answers within a second" {
	REDIS_URL=$(redis_url STOPPABLE) start_serve --cache-ms 0 --timeout 8
	assert_equal "$(get /health)" "200 application/health+json"
	RPID=$(cat "$STOPPABLE_DIR/redis.pid")
	kill -STOP "$RPID"
	for i in 1 2 3 4; do
		curl -s --max-time 30 -o /dev/null -w '%{http_code}\n' "$BASE/health" >>"$BATS_TEST_TMPDIR/health.codes" 3>&- &
	done
	# until the four are connected to serve (and so waiting on Redis)
	port=${BASE##*:}
	for i in $(seq 1 200); do
		n=$(ss -Htn state established "( dport = :$port )" | wc -l)
		[ "$n" -ge 4 ] && break
		sleep 0.05
	done
	[ "$n" -ge 4 ] || fail "the /health requests did not connect ($n)"
	run curl -s --max-time 1 -o /dev/null -w '%{http_code}' "$BASE/livez"
	assert_success
	assert_output 200
	run -0 curl -s --max-time 1 -o /dev/null -w '%{http_code}' "$BASE/livez"
	assert_output 200
	# Redis back: the waiting requests are answered from the one check
	kill -CONT "$RPID"
	RPID=
	wait $(jobs -p | grep -v "^$SPID\$") 2>/dev/null || true
	run -0 cat "$BATS_TEST_TMPDIR/health.codes"
	assert_equal "${#lines[@]}" 4
	refute_output --partial 000
}

@test "1,100 idle connections from one client: /livez from another still answers" {
	start_serve
	port=${BASE##*:}
	python3 - "$port" >"$BATS_TEST_TMPDIR/idle.out" 3>&- <<'EOF' &
import socket, sys, time
socks = []
for i in range(1100):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", int(sys.argv[1])))
        socks.append(s)
    except OSError:
        pass
print(len(socks), flush=True)
time.sleep(120)
EOF
	IPID=$!
	for i in $(seq 1 400); do
		[ -s "$BATS_TEST_TMPDIR/idle.out" ] && break
		sleep 0.05
	done
	[ -s "$BATS_TEST_TMPDIR/idle.out" ] || fail "the idle client did not connect"
	run -0 curl -s --max-time 3 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "$BASE/livez"
	assert_output 200
	run -0 curl -s --max-time 3 --interface 127.0.0.3 -o /dev/null -w '%{http_code}' "$BASE/health"
	assert_output 200
}

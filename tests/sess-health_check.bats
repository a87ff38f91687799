#!/usr/bin/env bats
# sess-health check: every format, every status level, thresholds, watch,
# probe and the command line, against a private redis-server.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() {
	[ -z "${BGPID:-}" ] || { kill "$BGPID" 2>/dev/null; wait "$BGPID" 2>/dev/null; } || true
}

# hc ARGS...: sess-health under a time limit, so a hang fails (124)
# instead of blocking the suite
hc() {
	timeout 60 env REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT_T}" HOME="$BATS_FILE_TMPDIR" \
		XDG_CONFIG_HOME= SESSKIT_CONFIG= "$SESSKIT_BUILDDIR/sess-health" "$@"
}

check_status() { # check_status JSON KEY: the level of .checks[KEY][0] (healthy, warning, ...)
	jq -r --arg k "$2" '.checks[$k][0].level' <<<"$1"
}

@test "healthy: JSON in the health+json shape, exit 0" {
	sctl create --agent a1 --id s1 >/dev/null
	run hc
	assert_success
	assert_equal "$(jq -r .level <<<"$output")" healthy
	for k in redis:reachable redis:authorised redis:responseTime redis:version redis:role \
		redis:connectedClients redis:blockedClients redis:rejectedConnections memory:used memory:peak \
		memory:maxmemory memory:fragmentation memory:evictionPolicy memory:evictedKeys \
		persistence:rdbLastSave persistence:aof replication:connectedReplicas sessions:active \
		sessions:expiring sessions:eventsPerSecond sessions:createdPerSecond sessions:indexDrift \
		sessions:layoutVersion pubsub:roundTrip; do
		assert_equal "$(check_status "$output" "$k")" healthy
	done
	assert_equal "$(jq -r '.checks["redis:responseTime"][0].observedUnit' <<<"$output")" ms
	assert_equal "$(jq -r '.checks["redis:responseTime"][0].ping.samples' <<<"$output")" 5
	jq -e '.checks["redis:responseTime"][0].ping | .p50 <= .p99 and .p99 <= .max' <<<"$output" >/dev/null ||
		fail "p50 <= p99 <= max does not hold: $output"
	assert_equal "$(jq -r '.checks["sessions:active"][0].observedValue' <<<"$output")" 1
	assert_equal "$(jq -r '.checks["redis:version"][0].observedValue' <<<"$output")" \
		"$(rcli INFO server | tr -d '\r' | sed -n 's/^redis_version://p')"
	jq -e '.checks[][0] | has("status") and has("time")' <<<"$output" >/dev/null || fail "a check lacks status or time"
	assert_equal "$(jq -r '.components | keys | join(",")' <<<"$output")" "memory,persistence,pubsub,redis,replication,sessions"
}

@test "no command word is the check command; options may come first" {
	run hc check --format json
	assert_success
	assert_equal "$(jq -r .level <<<"$output")" healthy
	run hc --format json --pings 2
	assert_success
	assert_equal "$(jq -r '.checks["redis:responseTime"][0].ping.samples' <<<"$output")" 2
	run hc --url "redis://127.0.0.1:$REDIS_PORT_T" probe --redis-only
	assert_success
	assert_equal "$(jq -c .components <<<"$output")" '{"redis":"healthy"}'
}

@test "text format: a line per check, no colour when asked" {
	run hc --format text --color never
	assert_success
	assert_line --regexp '^healthy +127\.0\.0\.1:'
	assert_line --regexp '^  healthy +pubsub:roundTrip +[0-9.]+ ms$'
	[[ $output != *$'\033'* ]] || fail "colour codes with --color never"
	run -0 hc --format text --color always
	[[ $output == *$'\033[32m'* ]] || fail "no colour with --color always"
}

@test "prometheus: passes promtool check metrics; sess_up 1" {
	sctl create --agent a1 --id s1 >/dev/null
	run bash -c "set -o pipefail; timeout 60 env REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T SESSKIT_CONFIG= $SESSKIT_BUILDDIR/sess-health --format prometheus | tee $BATS_TEST_TMPDIR/m.prom | promtool check metrics"
	assert_success
	run -0 cat "$BATS_TEST_TMPDIR/m.prom"
	assert_line 'sess_up 1'
	assert_line '# TYPE sess_up gauge'
	assert_line --regexp '^# HELP sess_up .+'
	assert_line 'sess_sessions_active 1'
	assert_line 'sess_health_status{component="overall"} 0'
	assert_line --regexp '^sess_redis_ping_seconds\{stat="p99"\} [0-9.e-]+$'
	assert_line --regexp '^sess_pubsub_round_trip_seconds [0-9.e-]+$'
	[ "$(grep -c '^# TYPE sess_health_status ' "$BATS_TEST_TMPDIR/m.prom")" -eq 1 ] || fail "TYPE repeated"
}

@test "prometheus with Redis down: sess_up 0, still valid, exit 2" {
	run bash -c "timeout 60 env REDIS_URL=redis://127.0.0.1:$(dead_port) SESSKIT_CONFIG= $SESSKIT_BUILDDIR/sess-health --format prometheus > $BATS_TEST_TMPDIR/d.prom"
	assert_failure 2
	run promtool check metrics < "$BATS_TEST_TMPDIR/d.prom"
	assert_success
	run -0 cat "$BATS_TEST_TMPDIR/d.prom"
	assert_line 'sess_up 0'
	assert_line 'sess_health_status{component="overall"} 4'
}

@test "nagios: status line and perfdata with warn/crit/min/max" {
	run hc --format nagios
	assert_success
	assert_output --regexp '^SESS-HEALTH OK - redis [0-9.]+ master'
	assert_output --regexp ' \| .*latency=[0-9.]+ms;50;500;0; '
	assert_output --regexp ' clients=[0-9.]+%;80;95;0;100 '
	assert_output --regexp ' pubsub=[0-9.]+ms;100;1000;0; '
	[ "$(grep -o '|' <<<"$output" | wc -l)" -eq 1 ] || fail "more than one | in: $output"
}

@test "warning: a threshold broken on the warning side exits 1 in every format" {
	sctl create --agent a1 --id s1 >/dev/null
	run hc --warn sessions=0
	assert_failure 1
	assert_equal "$(jq -r .level <<<"$output")" warning
	assert_equal "$(check_status "$output" sessions:active)" warning
	assert_output --partial 'outside the warning range 0 (sessions)'
	run hc --warn sessions=0 --format nagios
	assert_failure 1
	assert_output --regexp '^SESS-HEALTH WARNING - sessions:active: 1 is outside the warning range 0'
	assert_output --partial 'sessions=1;0;;0;'
	run hc --warn sessions=0 --format prometheus
	assert_failure 1
	assert_line 'sess_health_status{component="sessions"} 1'
}

@test "critical: the critical side wins, exit 2; @ inverts a range" {
	sctl create --agent a1 --id s1 >/dev/null
	run hc --warn sessions=0 --crit sessions=@1:5
	assert_failure 2
	assert_equal "$(jq -r .level <<<"$output")" critical
	run hc --format nagios --crit sessions=@2:5
	assert_success
}

@test "thresholds from the config file; flags override them" {
	sctl create --agent a1 --id s1 >/dev/null
	echo '{"health":{"warn":"sessions=0","crit":"latency=60000"}}' >"$BATS_TEST_TMPDIR/c.json"
	run hc --config "$BATS_TEST_TMPDIR/c.json"
	assert_failure 1
	run hc --config "$BATS_TEST_TMPDIR/c.json" --warn sessions=
	assert_success
	echo '{"health":{"warn":"sessions=x"}}' >"$BATS_TEST_TMPDIR/bad.json"
	run hc --config "$BATS_TEST_TMPDIR/bad.json"
	assert_failure 3
	assert_output --partial 'config health.warn'
}

@test "bad input: one line naming the fix, exit 3 (could not check)" {
	run hc --warn latency=abc
	assert_failure 3
	assert_output --partial 'use Nagios range syntax: 10, 10:, ~:10, 10:20 or @10:20'
	[ "${#lines[@]}" -eq 1 ] || fail "more than one line: $output"
	run hc --crit latency=20:10
	assert_failure 3
	assert_output --partial 'START <= END'
	run hc --warn latncy=10
	assert_failure 3
	assert_output --partial 'no metric "latncy"'
	run hc --warn latency
	assert_failure 3
	assert_output --partial 'is not NAME=RANGE'
	run hc --format xml
	assert_failure 3
	assert_output --partial 'json, text, prometheus or nagios'
	run hc --bogus
	assert_failure 3
	run hc --pings 0
	assert_failure 3
	run hc --role boss
	assert_failure 3
	run hc nosuchcommand
	assert_failure 3
}

@test "index drift: index entries whose session is gone give a warning" {
	for i in 1 2 3; do sctl create --agent a1 --id "s$i" >/dev/null; done
	rcli DEL 'sess:{s1}:meta' 'sess:{s2}:meta' >/dev/null
	run hc
	assert_failure 1
	assert_equal "$(check_status "$output" sessions:indexDrift)" warning
	jq -e '.checks["sessions:indexDrift"][0].observedValue > 60' <<<"$output" >/dev/null || fail "drift: $output"
}

@test "the drift sample refused (ACL without EXISTS): the sessions check says so, the checks after it read their own replies" {
	local n
	for n in 1 2 3 4; do sctl create --agent a1 --id "s$n" >/dev/null; done
	rcli ACL SETUSER noexists reset on '>pw' allkeys allchannels +@all -exists >/dev/null
	printf 'pw\n' >"$BATS_TEST_TMPDIR/pw"
	chmod 600 "$BATS_TEST_TMPDIR/pw"
	run -3 hc --user noexists --password-file "$BATS_TEST_TMPDIR/pw" --format json
	rcli ACL DELUSER noexists >/dev/null
	assert_equal "$(check_status "$output" sessions:active)" unknown
	[[ "$(jq -r '.checks["sessions:active"][0].output' <<<"$output")" == *"may not run exists"* ]] ||
		fail "the refusal is not named: $output"
	# the sample's other EXISTS replies were read and dropped, not taken
	# for the pub/sub round trip's
	assert_equal "$(check_status "$output" pubsub:roundTrip)" healthy
}

@test "an unknown layout version is critical" {
	rcli SET sess:layout 99 >/dev/null
	run hc
	assert_failure 2
	assert_equal "$(check_status "$output" sessions:layoutVersion)" critical
	assert_output --partial 'upgrade sesskit'
}

@test "events/s and sessions created/s come from two samples of the counters" {
	run hc --sample-ms 50
	assert_success
	jq -e '.checks["sessions:eventsPerSecond"][0] | .observedValue >= 0 and .observedUnit == "per second"' \
		<<<"$output" >/dev/null || fail "$output"
	jq -e '.checks["sessions:createdPerSecond"][0].observedValue >= 0' <<<"$output" >/dev/null || fail "$output"
}

@test "the pub/sub probe crosses the session pattern, and watchers skip it" {
	sctl create --agent a1 --id s1 >/dev/null
	sk_bg "$BATS_TEST_TMPDIR/w.out" "$BATS_TEST_TMPDIR/w.err" sessctl watch
	BGPID=$!
	wait_subscribers 'sess:{*}:notify' 1
	run hc
	assert_success
	# the watcher's pattern received the probe too
	jq -e '.checks["pubsub:roundTrip"][0].level == "healthy"' <<<"$output" >/dev/null || fail "$output"
	sctl emit s1 --actor a1 --type modified >/dev/null
	for i in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/w.out" ] && break; sleep 0.05; done
	kill "$BGPID"; wait "$BGPID" 2>/dev/null || true; BGPID=
	run -0 cat "$BATS_TEST_TMPDIR/w.out"
	[ "${#lines[@]}" -eq 1 ] || fail "the watcher printed more than the one event: $output"
	assert_equal "$(jq -r .sessionId <<<"$output")" s1
	run -0 cat "$BATS_TEST_TMPDIR/w.err"
	refute_output --partial malformed
}

@test "--watch: JSON lines with what changed and the breaker's state; SIGTERM ends it" {
	sk_bg "$BATS_TEST_TMPDIR/w.out" "$BATS_TEST_TMPDIR/w.err" sess-health --watch 1
	BGPID=$!
	for i in $(seq 1 200); do [ "$(wc -l <"$BATS_TEST_TMPDIR/w.out")" -ge 2 ] && break; sleep 0.05; done
	kill -TERM "$BGPID"
	rc=0; wait "$BGPID" || rc=$?
	BGPID=
	assert_equal "$rc" 143
	run -0 head -n 1 "$BATS_TEST_TMPDIR/w.out"
	assert_equal "$(jq -r .level <<<"$output")" healthy
	assert_equal "$(jq -r .breaker.state <<<"$output")" closed
	assert_equal "$(jq -r '.changed["redis:reachable"].level' <<<"$output")" healthy
	run -0 sed -n 2p "$BATS_TEST_TMPDIR/w.out"
	[ -n "$output" ] || fail "no second line"
	assert_equal "$(jq -r '.changed | has("redis:version")' <<<"$output")" false
}

# watch_pty LOCALE OUT: sess-health --watch 1 on a terminal (script's pty)
# for 2.5 s, in LOCALE; what the terminal got into OUT
watch_pty() {
	LC_ALL=$1 REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME="$BATS_FILE_TMPDIR" XDG_CONFIG_HOME= SESSKIT_CONFIG= \
		script -qfec "timeout -s TERM 2.5 $SESSKIT_BUILDDIR/sess-health --watch 1" "$2" >/dev/null || true
}

# live_spark OUT RAMP: the sparkline of the last live line's latency,
# checked to be 2 or more characters of RAMP (and the file to be ASCII when
# RAMP is); says why not
live_spark() {
	python3 - "$@" <<'EOF'
import sys
data, ramp = open(sys.argv[1], "rb").read().decode("utf-8"), sys.argv[2]
at = data.rfind("PING p99 ms ")
if at < 0:
    sys.exit("no live line in %r" % data[-300:])
spark = data[at + len("PING p99 ms "):].split(" ")[0]
if len(spark) < 2 or any(c not in ramp for c in spark):
    sys.exit("sparkline %r is not 2 or more of %r" % (spark, ramp))
if ramp.isascii() and not data.isascii():
    sys.exit("not ASCII in a locale that is not UTF-8")
if "events/s " not in data[at:]:
    sys.exit("no events/s sparkline")
print(spark)
EOF
}

@test "--watch on a terminal: a live line of sparklines, UTF-8 blocks or ASCII by the locale; a pipe gets the JSON lines alone" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	watch_pty C.UTF-8 "$BATS_TEST_TMPDIR/utf8"
	live_spark "$BATS_TEST_TMPDIR/utf8" "▁▂▃▄▅▆▇█" || fail "UTF-8"
	# the JSON lines are still there, the live line erased before each
	grep -q '{"time":.*"breaker":' "$BATS_TEST_TMPDIR/utf8" || fail "no JSON line"
	watch_pty C "$BATS_TEST_TMPDIR/ascii"
	live_spark "$BATS_TEST_TMPDIR/ascii" "_.-:=+*#" || fail "ASCII"
	# not a terminal: JSON lines only, no escape, whatever the locale
	LC_ALL=C.UTF-8 sk_bg "$BATS_TEST_TMPDIR/w.out" "$BATS_TEST_TMPDIR/w.err" sess-health --watch 1
	BGPID=$!
	for i in $(seq 1 200); do [ "$(wc -l <"$BATS_TEST_TMPDIR/w.out")" -ge 2 ] && break; sleep 0.05; done
	kill -TERM "$BGPID"; wait "$BGPID" 2>/dev/null || true; BGPID=
	run -0 jq -c -e .time "$BATS_TEST_TMPDIR/w.out"
	[ "${#lines[@]}" -ge 2 ] || fail "fewer than 2 JSON lines: $output"
	run -1 grep -c $'\033\\|PING p99' "$BATS_TEST_TMPDIR/w.out"
}

@test "--watch against a dead Redis: the breaker opens and spares it" {
	REDIS_URL="redis://127.0.0.1:$(dead_port)" sk_bg "$BATS_TEST_TMPDIR/w.out" "$BATS_TEST_TMPDIR/w.err" \
		sess-health --watch 1 --breaker-failures 2 --breaker-cooldown 600
	BGPID=$!
	for i in $(seq 1 200); do [ "$(wc -l <"$BATS_TEST_TMPDIR/w.out")" -ge 3 ] && break; sleep 0.05; done
	kill -TERM "$BGPID"; wait "$BGPID" 2>/dev/null || true; BGPID=
	run -0 jq -r '[.level, .checked, .breaker.state] | join(" ")' "$BATS_TEST_TMPDIR/w.out"
	assert_line --index 0 "down true closed"
	assert_line --index 1 "down true open"
	assert_line --index 2 "down false open"
}

@test "probe --redis-only for readiness: only redis, one short line" {
	run hc probe --redis-only
	assert_success
	[ "${#lines[@]}" -eq 1 ] || fail "$output"
	# a slow round trip is reported, not judged: ready all the same (a
	# latency warning made a loaded machine's pods unready)
	run -0 hc probe --redis-only --warn latency=0:0.000001
	assert_equal "$(jq -r .level <<<"$output")" healthy
	run -1 hc probe --warn latency=0:0.000001 --no-sessions --no-pubsub
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run hc probe --redis-only
	assert_failure 2
	assert_equal "$(jq -r .level <<<"$output")" down
}

@test "help, version and completion" {
	run hc --help
	assert_success
	assert_output --partial 'no COMMAND: check'
	assert_output --partial '3 could not check'
	run hc serve --help
	assert_success
	assert_output --partial '--listen ADDR:PORT'
	run hc help check
	assert_success
	assert_output --partial '@10:20'
	run hc --version
	assert_success
	run -0 hc __complete se
	assert_equal "$(cut -f1 <<<"$output")" serve
	run -0 hc __complete check --form
	assert_output --partial -- --format
}

# all_hc JSON: every status in a health+json document is pass, warn or fail
all_hc() {
	jq -e '[.status, (.checks // {} | .[][0].status)] | all(. == "pass" or . == "warn" or . == "fail")' <<<"$1" >/dev/null ||
		fail "a status is not pass, warn or fail: $1"
}

@test "health+json: status is pass, warn or fail; level keeps healthy ... down" {
	sctl create --agent a1 --id s1 >/dev/null
	run -0 hc
	all_hc "$output"
	assert_equal "$(jq -r '[.status, .level, .checks["sessions:active"][0].status] | join(" ")' <<<"$output")" \
		"pass healthy pass"
	run -1 hc --warn sessions=0
	all_hc "$output"
	assert_equal "$(jq -r '[.status, .level, .checks["sessions:active"][0].status] | join(" ")' <<<"$output")" \
		"warn warning warn"
	run -2 hc --crit sessions=0
	all_hc "$output"
	assert_equal "$(jq -r '[.status, .level, .checks["sessions:active"][0].status] | join(" ")' <<<"$output")" \
		"fail critical fail"
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run -2 hc
	all_hc "$output"
	assert_equal "$(jq -r '[.status, .level] | join(" ")' <<<"$output")" "fail down"
	run -0 hc probe
	all_hc "$output"
	assert_equal "$(jq -r '[.status, .level] | join(" ")' <<<"$output")" "pass healthy"
}

@test "health+json: a check that passes has no output; its remark is a note" {
	run -0 hc --format json
	jq -e '[.checks[][0] | select(.status == "pass") | has("output")] | any | not' <<<"$output" >/dev/null ||
		fail "a passing check has output: $output"
	jq -e 'has("output") | not' <<<"$output" >/dev/null || fail "a passing document has output: $output"
	assert_equal "$(jq -r '.checks["memory:maxmemory"][0].note' <<<"$output")" \
		"no maxmemory set: the machine's memory is the limit"
	run -0 hc --format text --color never
	assert_line --regexp "^  healthy +memory:maxmemory +0 bytes  no maxmemory set: the machine's memory is the limit$"
}

@test "options before the command word are the command's: sess-health --format nagios probe" {
	# they were refused as unknown (exit 3) though probe takes them
	run -0 hc --format nagios probe --redis-only
	assert_output --partial "SESS-HEALTH OK"
	run -0 hc --pings 2 probe --redis-only
	assert_equal "$(jq -r .level <<<"$output")" healthy
	run -3 hc --no-such-thing probe
	assert_output --partial "unknown option --no-such-thing"
}

@test "before the command word: an option's value that names a command is its value; a glued -w5000 takes no next word" {
	# --prefix probe: "probe" is the prefix, check (the default) runs
	run -0 hc --prefix probe --format json
	assert_equal "$(jq -r '.checks | has("memory:used") and has("sessions:active")' <<<"$output")" true
	# -w5000 holds its value: probe is the command word
	run -0 hc -w5000 probe --redis-only
	assert_equal "$(jq -c .components <<<"$output")" '{"redis":"healthy"}'
}

@test "the parser and completion read an option word alike (cli_word_opt): a value in the word (--prefix=V, -pPORT) takes no next word" {
	# the parser: probe is the command word after either
	run -0 hc --prefix=probe probe --redis-only
	assert_equal "$(jq -c .components <<<"$output")" '{"redis":"healthy"}'
	run -0 hc -p"$REDIS_PORT_T" probe --redis-only
	assert_equal "$(jq -c .components <<<"$output")" '{"redis":"healthy"}'
	# completion: the word after either is a command word, not a value
	run -0 hc __complete --prefix=probe ''
	assert_line --regexp $'^probe\t'
	run -0 hc __complete -p"$REDIS_PORT_T" ''
	assert_line --regexp $'^probe\t'
	# and where the value is the next word, completion offers its values
	run -0 hc __complete --format ''
	assert_line json
	refute_line --regexp $'^probe\t'
}

@test "completion names the command the parser names (cli_words_order): an option only check has, then a command word, is that command's line" {
	# the parser: -w is check's own (--warning), yet probe is the command
	run -0 hc -w5000 probe --redis-only
	assert_equal "$(jq -c .components <<<"$output")" '{"redis":"healthy"}'
	# completion: probe's options after it, commands where its word goes
	run -0 hc __complete -w5000 probe --redis
	assert_line --regexp $'^--redis-only\t'
	run -0 hc __complete -w5000 --format json pr
	assert_line --regexp $'^probe\t'
	# where check's options mean check they complete as check's
	run -0 hc __complete -w5000 --wat
	assert_line --regexp $'^--watch\t'
	run -0 hc __complete -w5000 --format p
	assert_line prometheus
	run -0 hc __complete -w5000 -- --red
	refute_output
	run -0 hc __complete -w5000 check --wat
	assert_line --regexp $'^--watch\t'
}

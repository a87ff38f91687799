#!/usr/bin/env bats
# sess-health as a monitoring plugin (Nagios, Icinga, Naemon): the
# plugin letters -w/-c/-t/-H/-V/-v, the old meanings of -c and -t kept one
# release with a warning, the check_sesskit name, usage errors as a status
# line, against a private redis-server.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() {
	# a test that stopped the server lets it go on for the next
	[ -z "${STOPPED:-}" ] || kill -CONT "$STOPPED" 2>/dev/null || true
}

# hc ARGS...: sess-health under a time limit, so a hang fails (124)
hc() {
	timeout 60 env REDIS_URL="${REDIS_URL-redis://127.0.0.1:$REDIS_PORT_T}" HOME="$BATS_FILE_TMPDIR" \
		XDG_CONFIG_HOME= SESSKIT_CONFIG= "${HC_BIN:-$SESSKIT_BUILDDIR/sess-health}" "$@"
}

# plugin ARGS...: the same binary run as check_sesskit (a symlink, as make
# install and the Debian package install it)
plugin() {
	ln -sf "$SESSKIT_BUILDDIR/sess-health" "$BATS_TEST_TMPDIR/check_sesskit"
	HC_BIN="$BATS_TEST_TMPDIR/check_sesskit" hc "$@"
}

# stop_server: SIGSTOP the test server (teardown resumes it)
stop_server() {
	STOPPED=$(cat "$REDIS_DIR/redis.pid")
	kill -STOP "$STOPPED"
}

@test "-w/-c thresholds move the status and the exit code: OK 0, WARNING 1, CRITICAL 2, UNKNOWN 3" {
	sctl create --agent a1 --id s1 >/dev/null
	run -0 hc --format nagios
	assert_output --regexp '^SESS-HEALTH OK - '
	run -1 hc --format nagios -w sessions=0
	assert_output --regexp '^SESS-HEALTH WARNING - '
	run -1 hc --format nagios --warning sessions=0
	assert_output --regexp '^SESS-HEALTH WARNING - '
	run -2 hc --format nagios -w sessions=0 -c sessions=0
	assert_output --regexp '^SESS-HEALTH CRITICAL - '
	run -2 hc --format nagios --critical sessions=0
	assert_output --regexp '^SESS-HEALTH CRITICAL - '
	# a bare RANGE is latency's (ms), as check_tcp's -w/-c are response time
	run -2 hc --format nagios -c 0:0.000001
	assert_output --regexp '^SESS-HEALTH CRITICAL - '
	assert_output --partial 'outside the critical range 0:0.000001 (latency)'
	run -0 hc --format nagios -c 50000
	# the old names keep working
	run -1 hc --format nagios --warn sessions=0
	run -2 hc --format nagios --crit sessions=0
	run -2 hc --format nagios -C sessions=0
	# a threshold that does not parse: could not check
	run -3 --separate-stderr hc --format nagios -c latency=abc
	assert_output --regexp '^SESS-HEALTH UNKNOWN - threshold latency \(--critical critical\) "abc" is not a range'
}

@test "-c 50 is a critical threshold, not a config file" {
	run -0 --separate-stderr hc -c 50
	assert_equal "$(jq -r .level <<<"$output")" healthy
	[ -z "$stderr" ] || fail "a warning for a threshold: $stderr"
}

@test "-t SECONDS against a stopped server: CRITICAL within the time; -t 2 waits seconds, not ms" {
	stop_server
	SECONDS=0
	run -2 hc --format nagios -t 0.5 --no-sessions --no-pubsub
	[ "$SECONDS" -lt 10 ] || fail "-t 0.5 took $SECONDS s"
	assert_output --regexp '^SESS-HEALTH CRITICAL - .*did not answer in time'
	local t0=$EPOCHREALTIME
	run -2 hc --format nagios --timeout 2 --no-sessions --no-pubsub
	local ms=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))
	[ "$ms" -ge 1900 ] || fail "--timeout 2 gave up after $ms ms: not seconds"
	assert_output --regexp '^SESS-HEALTH CRITICAL - '
}

@test "-t above 60 is the old milliseconds, with one warning line" {
	stop_server
	SECONDS=0
	run -2 --separate-stderr hc --format nagios -t 300 --no-sessions --no-pubsub
	[ "$SECONDS" -lt 10 ] || fail "-t 300 took $SECONDS s (read as seconds?)"
	assert_output --regexp '^SESS-HEALTH CRITICAL - '
	assert_equal "$stderr" "sess-health: warning: -t 300 is read as milliseconds (the old meaning, kept one release); -t is in seconds now: -t 0.3"
	kill -CONT "$STOPPED"
	STOPPED=
	run -3 --separate-stderr hc --format nagios -t 0
	assert_output 'SESS-HEALTH UNKNOWN - --timeout must be a number of seconds above 0, not "0"'
	run -3 hc --format nagios -t 1s
	assert_output --partial 'SESS-HEALTH UNKNOWN - --timeout must be a number of seconds'
}

@test "-c FILE: the old config letter still reads the file, with one warning line" {
	printf '{"health": {"warn": "sessions=0"}}\n' >"$BATS_TEST_TMPDIR/c.json"
	sctl create --agent a1 --id s1 >/dev/null
	run -1 --separate-stderr hc -c "$BATS_TEST_TMPDIR/c.json"
	assert_equal "$(jq -r .level <<<"$output")" warning
	assert_equal "$stderr" "sess-health: warning: -c $BATS_TEST_TMPDIR/c.json is read as the config file (the old meaning, kept one release); -c is --critical now: use --config FILE"
	run -1 --separate-stderr hc --config "$BATS_TEST_TMPDIR/c.json"
	[ -z "$stderr" ] || fail "--config warned: $stderr"
	run -3 hc -c "$BATS_TEST_TMPDIR/c.json" --config "$BATS_TEST_TMPDIR/c.json"
	assert_output --partial 'give --config once'
	# a config file that is not there: what -c is now, and the fix
	run -3 hc -c "$BATS_TEST_TMPDIR/none.json"
	assert_output "sess-health: -c $BATS_TEST_TMPDIR/none.json: no such file; -c is --critical now, the config file is --config FILE"
}

@test "-H HOST is the Redis host (with -p PORT)" {
	REDIS_URL= run -0 hc --format nagios -H 127.0.0.1 -p "$REDIS_PORT_T"
	assert_output --regexp '^SESS-HEALTH OK - '
	run -2 hc --format nagios --hostname 127.0.0.1 -p "$(dead_port)"
	assert_output --regexp '^SESS-HEALTH CRITICAL - redis:reachable: cannot connect'
	run -3 hc -H 127.0.0.1 --host 127.0.0.1
	assert_output --partial 'give -H or --host, not both'
}

@test "-V prints the version, as --version does; check_sesskit names itself" {
	run -0 hc -V
	assert_output --regexp '^sess-health \(sesskit\) [0-9]'
	run -0 hc --version
	assert_output --regexp '^sess-health \(sesskit\) [0-9]'
	run -0 plugin -V
	assert_output --regexp '^check_sesskit \(sesskit\) [0-9]'
	# as plugins are asked: whatever the options around it
	run -0 plugin -H 127.0.0.1 -w 10 -V
	assert_output --regexp '^check_sesskit \(sesskit\) [0-9]'
}

@test "check_sesskit defaults to the nagios format in a pipe; sess-health stays JSON" {
	run -0 plugin
	assert_output --regexp '^SESS-HEALTH OK - redis .* \| '
	[ "${#lines[@]}" -eq 1 ] || fail "more than one line: $output"
	run -0 plugin --format json
	assert_equal "$(jq -r .level <<<"$output")" healthy
	run -0 hc
	assert_equal "$(jq -r .level <<<"$output")" healthy
	run -0 plugin probe
	assert_output --regexp '^SESS-HEALTH OK - '
}

@test "a usage error in the nagios format is a status line too (UNKNOWN, exit 3); other formats keep stdout empty" {
	run -3 --separate-stderr hc --format nagios --bogus
	assert_output 'SESS-HEALTH UNKNOWN - unknown option --bogus'
	assert_equal "$stderr" "sess-health check: unknown option --bogus; see 'sess-health check --help'"
	run -3 --separate-stderr plugin --pings 0
	assert_output 'SESS-HEALTH UNKNOWN - --pings: 0 is out of range; give a number from 1 to 1000'
	run -3 --separate-stderr plugin -w
	assert_output --regexp '^SESS-HEALTH UNKNOWN - -w needs a value'
	run -3 --separate-stderr plugin --role primary
	assert_output 'SESS-HEALTH UNKNOWN - --role must be master, replica or any, not "primary"'
	run -3 --separate-stderr plugin extra
	assert_output --regexp '^SESS-HEALTH UNKNOWN - unknown command "extra"'
	run -3 --separate-stderr hc --format=nagios --bogus
	assert_output 'SESS-HEALTH UNKNOWN - unknown option --bogus'
	run -3 --separate-stderr hc -fnagios --bogus
	assert_output 'SESS-HEALTH UNKNOWN - unknown option --bogus'
	# JSON, text, prometheus: nothing on stdout, the problem on stderr
	run -3 --separate-stderr hc --bogus
	assert_output ''
	assert_equal "$stderr" "sess-health check: unknown option --bogus; see 'sess-health check --help'"
	run -3 --separate-stderr plugin --format json --bogus
	assert_output ''
}

@test "a word that is no command is a usage error (exit 3) naming it, --help after it too: never check's help with exit 0" {
	for w in watch bogus; do
		run -3 --separate-stderr hc "$w" --help
		assert_output ''
		assert_equal "$stderr" "sess-health: unknown command \"$w\"; see 'sess-health --help'"
		run -3 --separate-stderr hc --url "redis://127.0.0.1:$REDIS_PORT_T" "$w"
		assert_equal "$stderr" "sess-health: unknown command \"$w\"; see 'sess-health --help'"
	done
	run -3 --separate-stderr plugin watch --help
	assert_output 'SESS-HEALTH UNKNOWN - unknown command "watch"; see '"'check_sesskit --help'"
	# the commands and the default one still take --help
	run -0 hc check --help
	assert_output --partial "usage: sess-health check"
	run -0 hc serve --help
	assert_output --partial "usage: sess-health serve"
	run -0 hc --format nagios --help
	assert_output --partial "usage: sess-health"
}

@test "-v in the nagios format: one line per check after the status line" {
	run -0 hc --format nagios -v
	assert_line --index 0 --regexp '^SESS-HEALTH OK - .* \| '
	assert_line --regexp '^healthy +redis:responseTime +[0-9.]+ ms'
	[ "${#lines[@]}" -gt 10 ] || fail "no long output: $output"
	for l in "${lines[@]:1}"; do
		[[ $l != *'|'* ]] || fail "a pipe in the long output: $l"
	done
}

@test "--help: the plugin letters, --config long only, -t in seconds" {
	run -0 hc check --help
	assert_line --regexp '^  -w, --warning LIST '
	assert_line --regexp '^  -c, --critical LIST '
	assert_line --regexp '^  -t, --timeout SECONDS '
	assert_line --regexp '^  -H, --hostname HOST '
	assert_line --regexp '^  -v, --verbose '
	assert_line --regexp '^      --config FILE '
	refute_line --regexp '^  -t, --timeout MS'
	refute_line --regexp '--warn |--crit '
	run -0 hc --help
	assert_line --regexp '^      --config FILE '
	assert_line '  --help, -V, --version'
	run -0 hc __complete -
	assert_line --regexp $'^--critical\t'
	assert_line --regexp $'^--config\t'
	refute_line --regexp $'^--crit\t'
	# -c's value is a threshold: no file names
	run -0 hc __complete -c ''
	assert_output ''
	run -0 hc __complete --config ''
	assert_line ':file'
}

@test "completion: check_sesskit is registered beside sess-health and completes from the same table" {
	# shellcheck disable=SC1091
	source "$SESSKIT_SRCDIR/completions/bash/sess-health"
	run -0 complete -p check_sesskit
	assert_output --partial '-F _sesskit_complete'
	run -0 head -n 1 "$SESSKIT_SRCDIR/completions/zsh/_sess-health"
	assert_output '#compdef sess-health check_sesskit'
	run -0 grep -c '^complete -c check_sesskit ' "$SESSKIT_SRCDIR/completions/fish/sess-health.fish"
	run -0 plugin __complete --crit
	assert_output --regexp $'^--critical\t'
}

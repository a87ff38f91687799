#!/usr/bin/env bats
# sess-bench speaks redis-benchmark's letters: -c clients, -n requests,
# -P pipeline, -d data size (--payload), -q and --csv; the old letters
# (-c FILE, -C, -N) keep working one release with a warning.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() { redis_stop_named; }

bench() { sk sess-bench "$@"; }

# the summary line of $output, by its type
summary() { jq -c 'select(.type == "summary")' <<<"$output"; }

@test "-c -n -P -d do what redis-benchmark's do (the summary counts them)" {
	run -0 --separate-stderr bench emit -c 3 -n 60 -P 2 -d 50 -S 2 -i 0 --keep --run-id fl
	sum=$(summary)
	[ -n "$sum" ] || fail "no summary: $output"
	assert_equal "$(jq -c '[.config.clients, .config.pipeline, .config.payload, .total.count]' <<<"$sum")" '[3,2,50,60]'
	assert_equal "$stderr" ""
	# -d: the event's impact data is 50 bytes
	assert_equal "$(rcli LINDEX 'sessbench:fl:{s1}:events' 0 | jq '[.. | strings | select(test("^x+$")) | length] | max')" 50
	run -0 bench cleanup fl
	# --config and --db stay, by their long names
	echo '{}' >"$BATS_TEST_TMPDIR/c.json"
	run -0 bench emit --config "$BATS_TEST_TMPDIR/c.json" --db 0 -n 10 -i 0
	assert_equal "$(summary | jq .total.count)" 10
}

@test "-q: one line per operation, as redis-benchmark -q" {
	run -0 --separate-stderr bench emit -c 2 -n 40 -q
	assert_equal "${#lines[@]}" 1
	# and the server's time per operation after (INFO commandstats)
	assert_output --regexp '^emit: [0-9]+\.[0-9]{2} requests per second, p50=[0-9]+\.[0-9]{3} msec, server=[0-9]+\.[0-9] usec/op$'
	run -0 --separate-stderr bench mixed --ratio emit=1,get=1 --think 0 -n 200 -q
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp '^emit: [0-9.]+ requests per second, p50=[0-9.]+ msec$'
	assert_line --index 1 --regexp '^get: [0-9.]+ requests per second, p50=[0-9.]+ msec$'
	# two kinds of operation: the server's time is the run's, on its own line
	assert_line --index 2 --regexp '^all: [0-9.]+ requests per second, server=[0-9.]+ usec/op$'
}

@test "--csv: redis-benchmark 7's header and a row per operation" {
	run -0 --separate-stderr bench mixed --ratio emit=1,get=1 --think 0 -n 200 --csv
	assert_equal "${#lines[@]}" 4
	# redis-benchmark's columns, then the server's time per operation
	assert_line --index 0 '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms","server_usec_per_op"'
	num='"[0-9]+\.[0-9]{3}"'
	assert_line --index 1 --regexp "^\"emit\",\"[0-9]+\.[0-9]{2}\"(,$num){6},\"\"\$"
	assert_line --index 2 --regexp "^\"get\",\"[0-9]+\.[0-9]{2}\"(,$num){6},\"\"\$"
	assert_line --index 3 --regexp "^\"all\",\"[0-9]+\.[0-9]{2}\"(,\"\"){6},$num\$"
	# with -q too (redis-benchmark --csv -q): the CSV
	run -0 --separate-stderr bench emit -n 20 --csv -q
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp "^\"emit\",\"[0-9]+\.[0-9]{2}\"(,$num){7}\$"
	# no JSON line to compare or plan from
	run -64 --separate-stderr bench emit -n 20 --csv --capacity
	assert_equal "${#stderr_lines[@]}" 1
}

@test "the old letters: -c FILE reads the config and warns; -C, -N warn and work" {
	echo '{}' >"$BATS_TEST_TMPDIR/c.json"
	run -0 --separate-stderr bench emit -c "$BATS_TEST_TMPDIR/c.json" -n 10 -i 0
	assert_equal "$(summary | jq -c '[.config.clients, .total.count]')" '[50,10]'
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == *"-c $BATS_TEST_TMPDIR/c.json is read as the config file"*"--config FILE"* ]] || fail "no warning: $stderr"
	# read as the config indeed: a broken one is refused as a config
	echo '{' >"$BATS_TEST_TMPDIR/bad.json"
	run -78 --separate-stderr bench emit -c "$BATS_TEST_TMPDIR/bad.json" -n 10 -i 0
	[[ $stderr == *bad.json* ]] || fail "the config file is not named: $stderr"
	run -0 --separate-stderr bench emit -C 2 -N 30 -i 0
	assert_equal "$(summary | jq -c '[.config.clients, .total.count]')" '[2,30]'
	assert_equal "${#stderr_lines[@]}" 2
	[[ ${stderr_lines[0]} == *"-C is -c now"* ]] || fail "no -C warning: $stderr"
	[[ ${stderr_lines[1]} == *"-N is -n now"* ]] || fail "no -N warning: $stderr"
}

@test "a bad -c is one line, exit 64, and nothing written" {
	run -64 --separate-stderr bench emit -c x -n 10
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == *'--clients: "x" is not a whole number'*'--config FILE'* ]] || fail "unclear: $stderr"
	assert_output ""
	run -64 --separate-stderr bench emit -c 0 -n 10
	assert_equal "${#stderr_lines[@]}" 1
	run -64 --separate-stderr bench emit -C x -n 10
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$(rcli DBSIZE)" 0
}

@test "the letters before the scenario, as redis-benchmark users write them (sess-bench -c 3 -n 60 emit): clients and requests, not config and db" {
	run -0 --separate-stderr bench -c 3 -n 60 -P 2 emit -S 2 -i 0
	sum=$(summary)
	[ -n "$sum" ] || fail "no summary: $output $stderr"
	assert_equal "$(jq -c '[.config.clients, .config.pipeline, .total.count]' <<<"$sum")" '[3,2,60]'
	assert_equal "$stderr" ""
	# with the common options there too, and --db for the database
	run -0 --separate-stderr bench --url "redis://127.0.0.1:$REDIS_PORT_T" --db 0 -n 40 emit -c 2 -S 2 -i 0
	assert_equal "$(summary | jq -c '[.config.clients, .total.count]')" '[2,40]'
}

@test "before the scenario word: an option's value that names a scenario is its value; a glued -c2 takes no next word" {
	# --run-id get: "get" is the run id, emit the scenario; -c2 holds its
	# value, so emit is no value of it
	run -0 --separate-stderr bench -c2 --run-id get emit -n 40 -S 2 -i 0 --keep
	assert_equal "$(summary | jq -c '[.scenario, .config.clients, .total.count]')" '["emit",2,40]'
	assert_equal "$stderr" ""
	[ "$(rcli LLEN 'sessbench:get:{s1}:events')" -gt 0 ] || fail "no events under the run id get: $(rcli --scan | head)"
	run -0 bench cleanup get
}

@test "cleanup too: -c and -n are never --config and --db in sess-bench (--config and --db by their long names)" {
	run -0 bench cleanup --help
	refute_output --partial "-n, --db"
	refute_output --partial "-c, --config"
	assert_output --regexp '      --db N '
	run -64 bench cleanup -n 0 nosuchrun
	assert_output --partial "unknown option -n"
	run -0 bench cleanup --db 0 nosuchrun
	# before the word as after it (a letter means one thing in sess-bench):
	# -n is no --db, -c no --config there either
	run -64 --separate-stderr bench -n 0 cleanup nosuchrun
	assert_equal "$stderr" "sess-bench cleanup: unknown option -n; see 'sess-bench cleanup --help'"
	assert_output ""
	run -64 --separate-stderr bench -c "$BATS_TEST_TMPDIR/c.json" cleanup nosuchrun
	assert_equal "$stderr" "sess-bench cleanup: unknown option -c; see 'sess-bench cleanup --help'"
	run -0 bench --db 0 --url "redis://127.0.0.1:$REDIS_PORT_T" cleanup nosuchrun
	assert_equal "$(jq -r .deleted <<<"$output")" 0
}

# tty FILE ARGS...: sess-bench ARGS on a terminal (script(1) gives it
# one), what the terminal showed into FILE without CRs and script's lines
tty() {
	local file=$1
	shift
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME="$BATS_FILE_TMPDIR" SESSKIT_CONFIG= XDG_CONFIG_HOME= \
		script -qec "$SESSKIT_BUILDDIR/sess-bench $*" "$file.raw" >/dev/null
	local rc=$?
	tr -d '\r' <"$file.raw" | grep -av '^Script ' >"$file"
	return $rc
}

@test "on a terminal: a table per operation and the totals, as redis-benchmark users read it; --json and a pipe get JSON" {
	local t=$BATS_TEST_TMPDIR/tty
	tty "$t" emit -c 2 -n 60 -i 0 || fail "exit $?: $(cat "$t")"
	grep -aqE '^operation +ops +ops/s +errors +avg ms +p50 ms +p95 ms +p99 ms +p99\.9 ms +max ms +srv us/op$' "$t" ||
		fail "no header row: $(cat "$t")"
	# a row per operation and the totals: ops, rate, errors, six latencies,
	# the server's usec per operation (INFO commandstats)
	row='[0-9]+\.[0-9] +[0-9]+( +[0-9]+\.[0-9]{3}){6} +[0-9]+\.[0-9]'
	grep -aqE "^emit +60 +$row\$" "$t" || fail "no emit row: $(cat "$t")"
	grep -aqE "^total +60 +$row\$" "$t" || fail "no total row: $(cat "$t")"
	grep -aqE '^run [0-9a-f]+: keys under sessbench:[0-9a-f]+; if it is killed: sess-bench cleanup [0-9a-f]+$' "$t" ||
		fail "no run line: $(cat "$t")"
	grep -aqE '^keys deleted: [0-9]+$' "$t" || fail "no cleanup line: $(cat "$t")"
	! grep -aq '{' "$t" || fail "JSON on the terminal: $(cat "$t")"
	# --json on a terminal: the JSON (indented there; uncoloured to be read)
	tty "$t" emit -c 2 -n 60 -i 0 --json --color never || fail "exit $?: $(cat "$t")"
	assert_equal "$(jq -c 'select(.type == "summary") | .total.count' "$t")" 60
	# a pipe: JSON lines, as before
	run -0 --separate-stderr bench emit -c 2 -n 60 -i 0
	assert_equal "$(summary | jq .total.count)" 60
	assert_equal "$(jq -r .type <<<"${lines[0]}")" run
}

@test "on a terminal: --compare's verdict in words, a regression named and exit 1" {
	local t=$BATS_TEST_TMPDIR/tty
	run -0 --separate-stderr bench get -n 200 -i 0
	echo "$output" >"$BATS_TEST_TMPDIR/base.json"
	jq -c 'if .type == "summary" then .ops.get.rate *= 1000 | .ops.get.latencyMs.p99 /= 1000 else . end' \
		"$BATS_TEST_TMPDIR/base.json" >"$BATS_TEST_TMPDIR/fast.json"
	tty "$t" get -n 200 -i 0 --compare "$BATS_TEST_TMPDIR/base.json" --max-regression 100000 ||
		fail "exit $?: $(cat "$t")"
	grep -aqE '^  get +rate +[-+][0-9.]+% +p99 +[-+][0-9.]+%$' "$t" || fail "no change row: $(cat "$t")"
	grep -aqx 'verdict: ok, no regression' "$t" || fail "no verdict: $(cat "$t")"
	local rc=0
	tty "$t" get -n 200 -i 0 --compare "$BATS_TEST_TMPDIR/fast.json" || rc=$?
	assert_equal "$rc" 1
	grep -aqE '^  regression: get rate -[0-9.]+% ' "$t" || fail "no regression named: $(cat "$t")"
	grep -aqx 'verdict: REGRESSION' "$t" || fail "no verdict: $(cat "$t")"
	! grep -aq '{' "$t" || fail "JSON on the terminal: $(cat "$t")"
}

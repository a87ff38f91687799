#!/usr/bin/env bats
# sess-bench: every scenario at small sizes, output, --compare both ways,
# --rate, cleanup (and that nothing else is touched), bad input.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() { redis_stop_named; }

bench() { sk sess-bench "$@"; }

# the summary line of $output
summary() { echo "$output" | grep '^{' | jq -c 'select(.type == "summary")'; }

@test "every scenario runs at a small size: counts, no errors, its keys deleted" {
	for s in create emit get list checkpoint join-leave mixed agents; do
		run bench "$s" --clients 4 --pipeline 2 --requests 200 --sessions 5 --think 0 --interval 0
		assert_success
		sum=$(summary)
		[ -n "$sum" ] || fail "$s: no summary"
		assert_equal "$(jq -r .scenario <<<"$sum")" "$s"
		assert_equal "$(jq -r .total.count <<<"$sum")" 200
		assert_equal "$(jq -r .total.errors <<<"$sum")" 0
		for p in p50 p90 p99 p999 max; do
			[ "$(jq -r ".total.latencyMs[\"$p\"] > 0" <<<"$sum")" = true ] || fail "$s: no $p"
		done
		[ "$(jq -r .cleanup.deleted <<<"$sum")" -gt 0 ] || fail "$s: nothing deleted"
		assert_equal "$(rcli DBSIZE)" 0
	done
}

@test "scenarios send what they say: ops per scenario, create batches, agents' cycle" {
	run bench create --batch 10 --clients 2 --requests 20 --interval 0 --keep --run-id cb
	assert_success
	assert_equal "$(summary | jq -r '.ops.create.count')" 20
	assert_equal "$(rcli --scan --pattern 'sessbench:cb:{*}:meta' | wc -l)" 200
	# 18 operations per agent: 3 visits of join, 4 emits, leave
	run bench agents --clients 3 --sessions 2 --events 4 --requests 54 --interval 0
	assert_success
	assert_equal "$(summary | jq -c '[.ops.join.count, .ops.emit.count, .ops.leave.count]')" '[9,36,9]'
	run bench mixed --ratio emit=1,get=1 --think 0 --requests 400 --interval 0
	assert_success
	assert_equal "$(summary | jq -c '.ops | keys')" '["emit","get"]'
	run bench emit --clients 2 --sessions 3 --requests 30 --interval 0 --keep --run-id ev --payload 100
	total=0
	for s in 1 2 3; do total=$((total + $(rcli HGET "sessbench:ev:{s$s}:meta" seq))); done
	assert_equal "$total" 30
	rcli LINDEX 'sessbench:ev:{s1}:events' 0 | grep -q xxxxxxxxxx || fail "no payload in the event"
}

@test "cleanup: other data is untouched (default prefix, other prefixes, another run)" {
	sctl create --agent a1 --id keep1 >/dev/null
	sctl emit keep1 --actor a1 --type modified >/dev/null
	sctl --prefix other create --agent a1 --id keep2 >/dev/null
	rcli SET 'sessbench:otherrun:{s1}:meta' precious >/dev/null
	rcli SET sessbenchx 1 >/dev/null
	before=$(rcli --scan | sort; rcli DEBUG DIGEST)
	for s in emit create agents; do
		run bench "$s" --clients 3 --requests 100 --sessions 4 --interval 0
		assert_success
	done
	after=$(rcli --scan | sort; rcli DEBUG DIGEST)
	assert_equal "$after" "$before"
}

@test "--keep leaves the run's keys; cleanup ID deletes them and nothing else" {
	rcli SET 'sessbench:other:k' v >/dev/null
	run bench emit --requests 50 --sessions 3 --interval 0 --keep --run-id kept1
	assert_success
	assert_equal "$(summary | jq -r .cleanup.kept)" true
	n=$(rcli --scan --pattern 'sessbench:kept1:*' | wc -l)
	[ "$n" -gt 0 ] || fail "nothing kept"
	run bench cleanup kept1
	assert_success
	assert_equal "$(echo "$output" | jq -r .deleted)" "$n"
	assert_equal "$(rcli --scan --pattern 'sessbench:kept1:*' | wc -l)" 0
	assert_equal "$(rcli GET 'sessbench:other:k')" v
}

@test "interval lines while running, then the summary" {
	run bench emit --duration 1 --interval 200 --clients 2
	assert_success
	n=$(echo "$output" | jq -r 'select(.type == "interval") | .ops.emit.count' | wc -l)
	[ "$n" -ge 2 ] || fail "only $n interval lines"
	assert_equal "$(echo "$output" | tail -1 | jq -r .type)" summary
	assert_equal "$(summary | jq -r .config.durationSec)" 1
}

@test "--compare: the same run passes, a much faster baseline is a regression (exit 1)" {
	run bench get --requests 300 --interval 0
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/base.json"
	# itself, with a huge allowance: no regression
	run bench get --requests 300 --interval 0 --compare "$BATS_TEST_TMPDIR/base.json" --max-regression 100000
	assert_success
	assert_equal "$(echo "$output" | jq -r 'select(.type == "compare") | .ok')" true
	# a baseline 1000x faster with a p99 1000x lower
	jq -c 'if .type == "summary" then .ops.get.rate *= 1000 | .ops.get.latencyMs.p99 /= 1000 else . end' \
		"$BATS_TEST_TMPDIR/base.json" >"$BATS_TEST_TMPDIR/fast.json"
	run bench get --requests 300 --interval 0 --compare "$BATS_TEST_TMPDIR/fast.json" --max-regression 10
	assert_failure 1
	cmp=$(echo "$output" | grep '^{' | jq -c 'select(.type == "compare")')
	assert_equal "$(jq -r .ok <<<"$cmp")" false
	assert_equal "$(jq -r '.regressions | length' <<<"$cmp")" 2
	assert_output --partial "slower than the baseline"
}

# bad_keys FILE: the keys of FILE's JSON lines that are not camelCase
# (^[a-z][a-zA-Z0-9]*$). Keys that are data are left out: the Redis
# command names under "server.commands" (cmdstat names: "client|info",
# "eval_ro") and the error kinds under the summary's "errors" (the
# documented snake_case codes). Operation names ("ops", "ratio") are
# checked: they are camelCase words (create, emit, get, list ...).
bad_keys() {
	jq -r '(if (.server.commands | type) == "object" then .server.commands |= [.[]] else . end)
		| (if (.errors | type) == "object" then .errors |= [.[]] else . end)
		| [paths | .[] | strings] | .[]' "$1" | sort -u | grep -v '^[a-z][a-zA-Z0-9]*$' || true
}

@test "JSON keys: camelCase in every line (the first, interval, summary, capacity, compare), data keys aside" {
	local out=$BATS_TEST_TMPDIR/all.json
	run -0 --separate-stderr bench emit --requests 600 --sessions 5 --clients 2 --interval 10 --capacity --warmup 0
	echo "$output" >"$out"
	echo "$output" >"$BATS_TEST_TMPDIR/base.json"
	run -0 --separate-stderr bench emit --requests 300 --sessions 5 --clients 2 --interval 0 \
		--compare "$BATS_TEST_TMPDIR/base.json" --max-regression 1000000
	echo "$output" >>"$out"
	run -0 --separate-stderr bench create --requests 20 --batch 3 --clients 2 --interval 0
	echo "$output" >>"$out"
	run -0 --separate-stderr bench mixed --duration 1 --clients 2 --sessions 5 --think 5 --interval 0 \
		--ratio emit=5,get=2,list=1,checkpoint=2
	echo "$output" >>"$out"
	# every kind of line and the keys that were snake_case are there
	assert_equal "$(jq -r .type "$out" | sort -u | paste -sd' ' -)" "capacity compare interval run summary"
	for k in latencyMs p999 runtimeSec durationSec warmupSec thinkMs sessionsPerSec serverUsecPerOp \
		callsPerOp usecPerOp usecPerCall p50Ms p99Ms maxRegressionPct rateChangePct p99ChangePct \
		targetP99Ms commandsPerOp opsPerSecAtTarget bytesPerSession usedMemory limitFrom; do
		[ "$(jq -r --arg k "$k" '[paths | .[-1] | select(. == $k)] | length' "$out" | paste -sd+ - | bc)" -gt 0 ] ||
			fail "no key $k in the output"
	done
	assert_equal "$(bad_keys "$out")" ""
}

@test "--compare: a baseline saved with the old snake_case keys (test data) compares as before, said once on stderr" {
	local old=$SESSKIT_SRCDIR/tests/data/sess-bench-old-keys.json
	# the test data: a get run's output written by sess-bench before the
	# keys were camelCase (latency_ms, runtime_s, p99.9, usec_per_op)
	jq -e 'select(.type == "summary") | .ops.get.latency_ms["p99.9"] > 0 and .runtime_s > 0 and (has("runtimeSec") | not)' \
		"$old" >/dev/null || fail "the test data is not an old-keys summary"
	# new: the same file with its keys renamed as the man page lists them
	jq -c 'def ren: if type == "object" then with_entries(.key |= ({"latency_ms": "latencyMs", "p99.9": "p999",
		"runtime_s": "runtimeSec", "warmup_s": "warmupSec", "server_usec_per_op": "serverUsecPerOp",
		"calls_per_op": "callsPerOp", "usec_per_op": "usecPerOp", "usec_per_call": "usecPerCall"}[.] // .)
		| .value |= ren) elif type == "array" then map(ren) else . end; ren' "$old" >"$BATS_TEST_TMPDIR/new.json"
	assert_equal "$(bad_keys "$BATS_TEST_TMPDIR/new.json")" ""
	for v in old new; do
		f=$old
		[ $v = old ] || f=$BATS_TEST_TMPDIR/new.json
		# far slower than any run: passes, each figure compared
		jq -c 'if .type == "summary" then .ops.get.rate = 1
			| if .ops.get.latency_ms then .ops.get.latency_ms.p99 = 1e6 else .ops.get.latencyMs.p99 = 1e6 end
			else . end' "$f" >"$BATS_TEST_TMPDIR/slow.json"
		run -0 --separate-stderr bench get --requests 300 --clients 2 --interval 0 \
			--compare "$BATS_TEST_TMPDIR/slow.json" --svg "$BATS_TEST_TMPDIR/$v.svg"
		cmp=$(jq -c 'select(.type == "compare")' <<<"$output")
		[ "$(jq -r '.ok and .regressions == [] and .ops.get.rateChangePct > 0 and .ops.get.p99ChangePct < 0' <<<"$cmp")" = true ] ||
			fail "$v: $cmp"
		# the baseline's dashed line: p50, p90, p99, p99.9 and max (5 points)
		assert_equal "$(grep 'stroke-dasharray' "$BATS_TEST_TMPDIR/$v.svg" | grep -o 'points="[^"]*"' | tr ' ' '\n' | wc -l)" 5
		if [ $v = old ]; then
			assert_equal "${#stderr_lines[@]}" 1
			assert_equal "$(grep -c 'has the old key names' <<<"$stderr")" 1
		else
			assert_equal "$stderr" ""
		fi
		# far faster: both figures regress, as with a new baseline
		jq -c 'if .type == "summary" then .ops.get.rate *= 1e6 | if .ops.get.latency_ms then .ops.get.latency_ms.p99 /= 1e6 else .ops.get.latencyMs.p99 /= 1e6 end else . end' \
			"$f" >"$BATS_TEST_TMPDIR/fast.json"
		run -1 --separate-stderr bench get --requests 300 --clients 2 --interval 0 --compare "$BATS_TEST_TMPDIR/fast.json"
		cmp=$(jq -c 'select(.type == "compare")' <<<"$output")
		assert_equal "$(jq -r '.regressions | map(split(" ")[0:2] | join(" ")) | join(",")' <<<"$cmp")" "get rate,get p99"
	done
}

@test "--compare: a missing, malformed or other-scenario baseline is one clear line, before any load" {
	run bench get --requests 10 --compare "$BATS_TEST_TMPDIR/nope.json"
	assert_failure 66
	assert_output --partial "cannot read the baseline"
	echo 'not json' >"$BATS_TEST_TMPDIR/bad.json"
	run bench get --requests 10 --compare "$BATS_TEST_TMPDIR/bad.json"
	assert_failure 65
	assert_output --partial "has no sess-bench summary"
	assert_equal "${#lines[@]}" 1
	echo '{"type":"summary","scenario":"emit","ops":{}}' >"$BATS_TEST_TMPDIR/emit.json"
	run bench get --requests 10 --compare "$BATS_TEST_TMPDIR/emit.json"
	assert_failure 65
	assert_output --partial "scenario emit, this run is get"
	assert_equal "$(rcli DBSIZE)" 0
}

@test "--compare: a baseline whose rate is 0, negative or a string, or whose ops are {}, is refused (65, one line)" {
	run bench get --requests 200 --interval 0
	assert_success
	echo "$output" | grep '^{' >"$BATS_TEST_TMPDIR/base.json"
	for edit in '.ops.get.rate = 0' '.ops.get.rate = -5' '.ops.get.rate = "fast"' '.ops = {}' \
		'.ops.get.latencyMs.p99 = "slow"' '.ops.get = 7'; do
		jq -c "if .type == \"summary\" then $edit else . end" "$BATS_TEST_TMPDIR/base.json" \
			>"$BATS_TEST_TMPDIR/b.json"
		rcli FLUSHALL >/dev/null
		run bench get --requests 200 --interval 0 --compare "$BATS_TEST_TMPDIR/b.json"
		assert_failure 65
		assert_equal "${#lines[@]}" 1
		case $edit in
		'.ops = {}') assert_output --partial '"ops" is empty' ;;
		*p99*) assert_output --partial 'ops.get.latencyMs.p99' ;;
		'.ops.get = 7') assert_output --partial 'ops.get must be an object' ;;
		*) assert_output --partial 'ops.get.rate' ;;
		esac
		assert_output --partial "sess-bench get"
		assert_equal "$(rcli DBSIZE)" 0
	done
}

@test "a run's id, prefix and cleanup come first, before any key; a kill -9'd run is cleaned up by its id" {
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-bench emit --duration 60 --clients 2 --interval 0
	pid=$!
	for i in $(seq 1 200); do
		[ "$(rcli DBSIZE)" -gt 0 ] && break
		sleep 0.05
	done
	[ "$(rcli DBSIZE)" -gt 0 ] || fail "the run wrote no key"
	kill -KILL "$pid"
	wait "$pid" || true
	run -0 head -n 1 "$BATS_TEST_TMPDIR/out"
	assert_equal "$(jq -r .type <<<"$output")" run
	id=$(jq -r .id <<<"$output")
	assert_equal "$(jq -r .prefix <<<"$output")" "sessbench:$id"
	assert_equal "$(jq -r .cleanup <<<"$output")" "sess-bench cleanup $id"
	# every key left is the run's, and its cleanup removes them all
	assert_equal "$(rcli --scan | grep -vc "^sessbench:$id:")" 0
	run bench cleanup "$id"
	assert_success
	assert_equal "$(rcli DBSIZE)" 0
}

@test "--rate: open loop sends the rate asked and measures from the intended time" {
	run bench get --rate 200 --duration 2 --clients 2 --interval 0
	assert_success
	n=$(summary | jq -r .ops.get.count)
	# 400 intended sends; the schedule is kept whatever the latency
	[ "$n" -ge 380 ] && [ "$n" -le 402 ] || fail "sent $n, not about 400"
	# a server that stalls: ops meant to go out during the stall wait for
	# it, and their latency counts from when they were meant to go
	(sleep 0.5; rcli DEBUG SLEEP 0.6 >/dev/null) &
	run bench get --rate 200 --duration 2 --clients 1 --interval 0
	wait
	assert_success
	p90=$(summary | jq -r '.ops.get.latencyMs.p90')
	[ "$(echo "$p90 > 30" | bc)" = 1 ] || fail "p90 $p90 ms hides the stall (coordinated omission)"
}

@test "--capacity: a plan from measured costs" {
	run bench emit --requests 2000 --sessions 10 --interval 0 --capacity
	assert_success
	cap=$(echo "$output" | jq -c 'select(.type == "capacity")')
	[ -n "$cap" ] || fail "no capacity line"
	[ "$(jq -r '.server.usecPerOp > 0 and .opsPerSecAtTarget > 0 and .memory.bytesPerSession > 0 and .sessionsByMemory > 0 and .memory.eventsPerSession > 0' <<<"$cap")" = true ] ||
		fail "missing measurements: $cap"
	assert_equal "$(rcli DBSIZE)" 0
}

@test "--capacity's usecPerOp is the summary's: a script's own commands counted once, not again beside its call" {
	run -0 --separate-stderr bench emit --requests 600 --sessions 5 --clients 2 --interval 0 --capacity
	sum=$(summary)
	cap=$(jq -c 'select(.type == "capacity")' <<<"$output")
	[ -n "$cap" ] || fail "no capacity line: $output"
	# the script's inner commands (RPUSH ...) are in its own time already
	[ "$(jq -r '.server.commands.rpush.usec > 0' <<<"$sum")" = true ] || fail "no RPUSH time: $sum"
	# the capacity figure rounds to 2 decimals, the summary's to 3
	jq -e -n --argjson s "$sum" --argjson c "$cap" \
		'($c.server.usecPerOp - $s.server.usec / $s.server.operations) | fabs <= 0.006' >/dev/null ||
		fail "capacity usecPerOp $(jq .server.usecPerOp <<<"$cap") is not the summary's $(jq .server.usecPerOp <<<"$sum")"
}

@test "the server's time per operation: INFO commandstats deltas, the script calls counted equal the operations" {
	run -0 bench emit --clients 3 --pipeline 2 --requests 300 --sessions 4 --interval 0
	sum=$(summary)
	assert_equal "$(jq -r .ops.emit.count <<<"$sum")" 300
	assert_equal "$(jq -r .server.source <<<"$sum")" "INFO commandstats"
	assert_equal "$(jq -r .server.nodes <<<"$sum")" 1
	assert_equal "$(jq -r .server.operations <<<"$sum")" 300
	# one script call per emit: what the clients sent, counted by the server
	assert_equal "$(jq -r '[.server.commands | to_entries[] | select(.key | test("^(evalsha|eval|fcall)$")) | .value.calls] | add' <<<"$sum")" 300
	assert_equal "$(jq -r .server.calls <<<"$sum")" 300
	assert_equal "$(jq -r .server.callsPerOp <<<"$sum")" 1
	# plausible: above 0, the script's usec over its calls, and no more
	# than the run's wall time on one server thread
	[ "$(jq -r '.server.usecPerOp > 0 and .ops.emit.serverUsecPerOp == .server.usecPerOp' <<<"$sum")" = true ] ||
		fail "no server time: $(jq -c .server <<<"$sum")"
	[ "$(jq -r '.server.usec <= .runtimeSec * 1e6' <<<"$sum")" = true ] || fail "more server time than the run took"
	# the commands the script runs are listed too (counted by Redis in both)
	[ "$(jq -r '.server.commands.rpush.calls' <<<"$sum")" -ge 300 ] || fail "no RPUSH counted"
	# get: its two plain commands per operation
	run -0 bench get --clients 2 --requests 100 --sessions 3 --interval 0
	sum=$(summary)
	assert_equal "$(jq -r .server.callsPerOp <<<"$sum")" 2
	assert_equal "$(jq -r '.server.commands.hgetall.calls' <<<"$sum")" 100
	# several kinds of operation: the run's figure, none per kind
	run -0 bench mixed --ratio emit=1,get=1 --think 0 --requests 100 --interval 0
	sum=$(summary)
	[ "$(jq -r '.server.usecPerOp > 0 and (.ops.emit | has("serverUsecPerOp") | not)' <<<"$sum")" = true ] ||
		fail "mixed: $(jq -c .server <<<"$sum")"
}

@test "the server's side is one INFO per master before the run and one after, for the summary, --capacity and all" {
	local mon=$BATS_TEST_TMPDIR/monitor mpid
	rcli MONITOR >"$mon" &
	mpid=$!
	for _ in $(seq 1 100); do
		rcli CLIENT LIST | grep -q 'cmd=monitor' && break
		sleep 0.05
	done
	run -0 --separate-stderr bench emit --requests 200 --clients 2 --sessions 3 --interval 0 --capacity
	rcli ECHO monitor-end >/dev/null
	for _ in $(seq 1 100); do
		grep -q 'monitor-end' "$mon" && break
		sleep 0.05
	done
	kill "$mpid"
	wait "$mpid" || true
	# every INFO the run sent: the snapshot before and the one after
	# (INFO cluster aside: the transport asking what the server is)
	assert_equal "$(grep '"INFO"' "$mon" | grep -vic '"INFO" "cluster"')" 2
	assert_equal "$(grep -ic '"INFO" "everything"' "$mon")" 2
	# what the server is, asked once by the connection, not by every
	# fan-out over the masters (three before)
	assert_equal "$(grep -ic '"INFO" "cluster"' "$mon")" 1
	# the INFO before the run is inside the snapshots' difference
	assert_equal "$(jq -r 'select(.type == "summary") | .server.commands.info.calls' <<<"$output")" 1
	jq -e 'select(.type == "capacity") | .memory.usedMemory > 0 and .memory.limit > 0 and .server.usecPerOp > 0' \
		<<<"$output" >/dev/null || fail "capacity without the snapshots' figures: $output"
}

@test "--capacity for a user the ACL refuses INFO: exit 77, one line naming the grant; the run's keys deleted" {
	rcli ACL SETUSER noinfo on '>pw' '~*' '&*' '+@all' '-info' >/dev/null
	local url
	url="redis://noinfo:pw@127.0.0.1:$(redis_url | sed 's/.*://')"
	REDIS_URL=$url run -77 --separate-stderr bench emit --requests 50 --sessions 3 --interval 0 --capacity
	[ "${#stderr_lines[@]}" = 1 ] || fail "not one line: $stderr"
	[[ $stderr == *"ACL SETUSER noinfo +info"* ]] || fail "no grant named: $stderr"
	assert_equal "$(rcli --scan --pattern 'sessbench:*' | wc -l)" 0
	rcli ACL DELUSER noinfo >/dev/null
}

@test "bad flags: one line naming the fix, exit 64" {
	run bench emit --threads 5 --clients 2
	assert_failure 64
	assert_output --partial "--threads 5 is more than --clients 2"
	run bench mixed --ratio emit=x
	assert_failure 64
	assert_output --partial "--ratio"
	run bench emit --requests 5 --duration 1
	assert_failure 64
	run bench emit --clients 0
	assert_failure 64
	run bench emit --run-id 'a b'
	assert_failure 64
	run bench nosuch
	assert_failure 64
	assert_equal "$(rcli DBSIZE)" 0
}

@test "Redis down: exit 69 at the start; lost mid-run: exit 69, one line" {
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run bench emit --requests 10
	assert_failure 69
	assert_output --partial "connection refused"
	redis_start_named VICTIM
	REDIS_URL=$(redis_url VICTIM) sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-bench emit --duration 30 --clients 4 --interval 0
	pid=$!
	for i in $(seq 1 100); do
		[ "$(redis-cli -s "$VICTIM_SOCK" DBSIZE 2>/dev/null)" -gt 0 ] 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.3
	redis_stop_named VICTIM
	status=0
	wait "$pid" || status=$?
	assert_equal "$status" 69
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/err")" 1
	grep -q "lost the connection to" "$BATS_TEST_TMPDIR/err" || fail "$(cat "$BATS_TEST_TMPDIR/err")"
}

@test "--help of every scenario, and completion from the table" {
	for s in create emit get list checkpoint join-leave mixed agents cleanup; do
		run bench "$s" --help
		assert_success
	done
	run -0 bench __complete em
	assert_output --partial emit
	run -0 bench __complete emit --pipe
	assert_output --partial -- --pipeline
}

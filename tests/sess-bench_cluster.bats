#!/usr/bin/env bats
# sess-bench create, list and mixed on a real three-master Redis Cluster:
# each master's INFO commandstats counts what the run sent it, and the
# sessions land on every master (emit and the per-master line: cluster.bats).
bats_require_minimum_version 1.5.0

load helpers/redis
load helpers/cluster

setup_file() { cluster_suite_setup; }
teardown_file() { cluster_suite_teardown; }
setup() {
	cluster_test_setup
	export REDIS_URL=$CLUSTER_URL
	local p
	for p in $(cluster_masters); do
		redis-cli -p "$p" CONFIG RESETSTAT >/dev/null
	done
}

# calls PORT CMD: the calls of CMD on master PORT that succeeded since the
# stats were reset (failed_calls aside: a script call refused for want of
# the library on that master is sent again once it is loaded)
calls() {
	redis-cli -p "$1" INFO commandstats | tr -d '\r' |
		sed -n "s/^cmdstat_$2:calls=\([0-9]*\),.*failed_calls=\([0-9]*\).*/\1 \2/p" |
		awk '{ print $1 - $2 } END { if (!NR) print 0 }'
}
# scripts PORT: the session script calls on PORT (FCALL, or EVALSHA/EVAL)
scripts() { echo $(($(calls "$1" fcall) + $(calls "$1" evalsha) + $(calls "$1" eval))); }
# slots PORT: how many slots master PORT serves
slots() {
	redis-cli -p "$1" CLUSTER NODES | awk '/myself/ {
		for (i = 9; i <= NF; i++) { n = split($i, a, "-"); s += n == 2 ? a[2] - a[1] + 1 : 1 }
		print s }'
}
# owner ID: the port of the master serving session ID's slot
owner() { cluster_owner "$(redis-cli -p "${CLUSTER_PORTS%% *}" CLUSTER KEYSLOT "{$1}")"; }
# the summary line and the nodes line of $output
summary() { jq -c 'select(.type == "summary")' <<<"$output"; }
nodes() { jq -c 'select(.type == "nodes")' <<<"$output"; }
# node_ops PORT: the operations the nodes line gives master PORT
node_ops() { nodes | jq -r --arg n "127.0.0.1:$1" '.nodes[] | select(.node == $n) | .ops'; }
# layout N PAGE: for sessions s1..sN, per master "PORT SESSIONS SLOTS_IN_USE
# ROWS" (ROWS: those of the newest PAGE), one line each
layout() {
	local n=$1 page=$2 k p
	for k in $(seq 1 "$n"); do
		echo "$(owner "s$k") $(redis-cli -p "${CLUSTER_PORTS%% *}" CLUSTER KEYSLOT "s$k") $((k > n - page))"
	done >"$BATS_TEST_TMPDIR/owners"
	for p in $(cluster_masters); do
		awk -v p="$p" '$1 == p { n++; if (!seen[$2]++) t++; r += $3 } END { print p, n + 0, t + 0, r + 0 }' \
			"$BATS_TEST_TMPDIR/owners"
	done
}

@test "create on the cluster: each client's sessions on its master, every master's script calls equal the creates it got" {
	local p n total=0
	run -0 sk sess-bench create -n 30 -b 2 -c 3 --interval 0 --keep --run-id ctest
	assert_equal "$(summary | jq -c '[.ops.create.count, .ops.create.errors, .total.errors]')" '[30,0,0]'
	assert_equal "$(nodes | jq -r '.masters')" 3
	for p in $(cluster_masters); do
		# 3 clients, one per master, 10 batches of 2 each
		assert_equal "$(node_ops "$p")" 10
		n=$(redis-cli -p "$p" --scan --pattern 'sessbench:ctest:{*}:meta' | wc -l)
		assert_equal "$n" 20
		assert_equal "$(scripts "$p")" 20
		total=$((total + n))
	done
	assert_equal "$total" 60
	# the companions in the sessions' own slots: list finds them all
	run -0 sk sessctl --prefix sessbench:ctest list --json
	assert_equal "$(jq -s 'length' <<<"$output")" 60
	run -0 sk sess-bench cleanup ctest
	for p in $(cluster_masters); do
		assert_equal "$(redis-cli -p "$p" --scan --pattern 'sessbench:*' | wc -l)" 0
	done
}

@test "list on the cluster: a list is one part per master, each what sessctl list sends that master (EXISTS per slot, ZRANGE per slot in use, HMGET per row)" {
	local p sess tags rows ops
	# 60 sessions: the page is the newest 50
	run -0 sk sess-bench list -n 30 -c 3 --sessions 60 --interval 0
	assert_equal "$(summary | jq -c '[.ops.list.count, .total.errors]')" '[30,0]'
	# the bench's own figure: 16,384 EXISTS per 3 parts (one list)
	assert_equal "$(summary | jq -r '.server.commands.exists.calls')" $((16384 * 10))
	layout 60 50 >"$BATS_TEST_TMPDIR/layout"
	while read -r p sess tags rows; do
		ops=$(node_ops "$p")
		assert_equal "$ops" 10
		[ "$sess" -gt 0 ] || fail "no session on master $p"
		# setup's creates: one script call and one EXISTS each (create.lua's)
		assert_equal "$(scripts "$p")" "$sess"
		assert_equal "$(calls "$p" exists)" $(($(slots "$p") * ops + sess))
		assert_equal "$(calls "$p" zrange)" $((tags * ops))
		assert_equal "$(calls "$p" hmget)" $((rows * ops))
	done <"$BATS_TEST_TMPDIR/layout"
	assert_equal "$(awk '{ r += $4 } END { print r }' "$BATS_TEST_TMPDIR/layout")" 50
}

@test "mixed on the cluster: its mix per master, each master's counts match the operations it got" {
	local p sess tags rows lists gets scr sum_l=0 sum_g=0 sum_s=0 ex
	run -0 sk sess-bench mixed -n 300 -c 3 --sessions 30 --think 0 --interval 0 \
		--ratio emit=5,get=2,list=1,checkpoint=2
	sum=$(summary)
	assert_equal "$(jq -c '[.total.count, .total.errors]' <<<"$sum")" '[300,0]'
	layout 30 50 >"$BATS_TEST_TMPDIR/layout"
	while read -r p sess tags rows; do
		[ "$(node_ops "$p")" -gt 0 ] || fail "master $p got nothing"
		# lists: EXISTS per slot it serves (setup's creates aside)
		ex=$(($(calls "$p" exists) - sess))
		lists=$((ex / $(slots "$p")))
		assert_equal "$ex" $((lists * $(slots "$p")))
		assert_equal "$(calls "$p" zrange)" $((tags * lists))
		gets=$(calls "$p" hgetall)
		scr=$(($(scripts "$p") - sess))
		# every operation it got is one of these
		assert_equal "$(node_ops "$p")" $((lists + gets + scr))
		sum_l=$((sum_l + lists)) sum_g=$((sum_g + gets)) sum_s=$((sum_s + scr))
	done <"$BATS_TEST_TMPDIR/layout"
	assert_equal "$sum_l" "$(jq -r '.ops.list.count' <<<"$sum")"
	assert_equal "$sum_g" "$(jq -r '.ops.get.count' <<<"$sum")"
	assert_equal "$sum_s" "$(jq -r '.ops.emit.count + .ops.checkpoint.count' <<<"$sum")"
	[ "$sum_l" -gt 0 ] || fail "no list in the mix"
	# the nodes line's keys are camelCase too (it has no data keys)
	assert_equal "$(nodes | jq -r '[paths | .[] | strings] | unique | .[]' | grep -cv '^[a-z][a-zA-Z0-9]*$')" 0
}

@test "the nodes line's server time splits the summary's: each master's sent commands (scripts, get's and list's own), summed they are the summary's" {
	run -0 sk sess-bench mixed -n 300 -c 3 --sessions 30 --think 0 --interval 0 \
		--ratio emit=2,get=2,list=1
	sum=$(summary)
	[ "$(jq -r '.ops.get.count > 0 and .ops.list.count > 0' <<<"$sum")" = true ] || fail "no get or list: $sum"
	# get's HGETALL and PTTL, list's EXISTS, ZRANGE, HMGET are in the masters' figures
	assert_equal "$(nodes | jq -r '[.nodes[].server.calls] | add')" "$(jq -r '.server.calls' <<<"$sum")"
	assert_equal "$(nodes | jq -r '[.nodes[].server.usec] | add')" "$(jq -r '.server.usec' <<<"$sum")"
	# get alone: no script, and the INFO snapshots are not the run's
	run -0 sk sess-bench get -n 300 -c 3 --sessions 30 --interval 0
	sum=$(summary)
	assert_equal "$(jq -r '.server.calls' <<<"$sum")" 600
	assert_equal "$(nodes | jq -r '[.nodes[].server.calls] | add')" 600
	assert_equal "$(nodes | jq -r '[.nodes[].server.usec] | add')" "$(jq -r '.server.usec' <<<"$sum")"
}

@test "the nodes line's per-operation server figures divide by every operation the snapshots saw, warmup too, as the summary does" {
	run -0 sk sess-bench emit --duration 2 --warmup 1 -c 3 --sessions 30 --interval 0
	sum=$(summary)
	# the warmup's operations are in the snapshots, not in the counts
	[ "$(jq -r '.server.operations > .total.count' <<<"$sum")" = true ] || fail "no warmup: $sum"
	jq -e -n --argjson s "$sum" --argjson n "$(nodes)" \
		'($n.serverUsecPerOp - $s.server.usec / $s.server.operations) | fabs < 0.001' >/dev/null ||
		fail "nodes serverUsecPerOp $(nodes | jq .serverUsecPerOp), summary's $(jq .server.usecPerOp <<<"$sum")"
	jq -e -n --argjson s "$sum" --argjson n "$(nodes)" \
		'([$n.nodes[].server.usec] | add) == $s.server.usec' >/dev/null || fail "$(nodes)"
}

@test "--capacity on the cluster: each master is a server thread of its own; the plan's ops/s is where the first master reaches its limit with the run's split" {
	run -0 --separate-stderr sk sess-bench emit -n 3000 -c 3 --sessions 30 --interval 0 --capacity
	cap=$(jq -c 'select(.type == "capacity")' <<<"$output")
	[ -n "$cap" ] || fail "no capacity line: $output"
	# per master: S its time per operation, u = min(0.9, 1 - 4.6 S / 10 ms),
	# u / S its rate, over its share of the operations (no warmup: ops are all)
	want=$(nodes | jq -r '(.nodes | map(.ops) | add) as $all |
		[.nodes[] | (.server.usecPerOp / 1e6) as $s | ([0.9, 1 - 4.6 * $s / 0.010] | min) / $s / (.ops / $all)] | min | round')
	jq -e -n --argjson c "$cap" --argjson w "$want" '($c.opsPerSecAtTarget - $w) | fabs <= 1' >/dev/null ||
		fail "opsPerSecAtTarget $(jq .opsPerSecAtTarget <<<"$cap"), the masters' $want: $(nodes)"
	# well above one server thread's (three masters share the load)
	jq -e -n --argjson c "$cap" '$c.opsPerSecAtTarget > 2 * 0.9 / ($c.server.usecPerOp / 1e6)' >/dev/null ||
		fail "one thread's figure: $cap"
	assert_equal "$(jq -r .server.masters <<<"$cap")" 3
}

@test "the nodes line's busy is CPU seconds a second of what the snapshots bracket, warmup too" {
	run -0 sk sess-bench emit --duration 1 --warmup 1 -c 3 --sessions 30 --interval 0
	sum=$(summary)
	# the CPU is the snapshots' (the warmup's too): a second of the run is
	# one of the warmup's and the measured part's (and the little around them)
	jq -e -n --argjson s "$sum" --argjson n "$(nodes)" \
		'[$n.nodes[].server | .busy * ($s.runtimeSec + $s.config.warmupSec) / .cpuSec] |
		 all(. > 0.75 and . <= 1.02)' >/dev/null ||
		fail "busy is not CPU over the bracketed time: $(nodes | jq -c '[.nodes[].server]') runtime $(jq .runtimeSec <<<"$sum")"
}

@test "--capacity on the cluster: masters on one machine share its memory, counted once when none sets maxmemory" {
	local p sys
	for p in $(cluster_masters); do
		redis-cli -p "$p" CONFIG SET maxmemory 0 >/dev/null
	done
	sys=$(redis-cli -p "${CLUSTER_PORTS%% *}" INFO memory | tr -d '\r' | sed -n 's/^total_system_memory://p')
	run -0 --separate-stderr sk sess-bench emit -n 300 -c 3 --sessions 30 --interval 0 --capacity
	cap=$(jq -c 'select(.type == "capacity")' <<<"$output")
	assert_equal "$(jq -r '.memory.limitFrom' <<<"$cap")" total_system_memory
	assert_equal "$(jq -r '.memory.limit' <<<"$cap")" "$sys"
}

# emit_while_resharding SESSIONS SLOTS PORT FROM TO: a 20 s sess-bench
# emit run (--keep) in the background (bpid; its lines in out and err),
# then, once its emits are under way, SLOTS slots moved from master FROM
# (reached at PORT) to master TO
emit_while_resharding() {
	local n p started=0
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-bench emit --duration 20 -c 6 -P 4 --sessions "$1" --keep \
		--interval 0 --json
	bpid=$!
	for n in $(seq 1 300); do
		started=0
		for p in $(cluster_masters); do started=$((started + $(scripts "$p"))); done
		[ "$started" -gt 1000 ] && break
		sleep 0.05
	done
	[ "$started" -gt 1000 ] || fail "the run did not start: $(cat "$BATS_TEST_TMPDIR/err")"
	redis-cli --cluster reshard "127.0.0.1:$3" --cluster-from "$4" --cluster-to "$5" \
		--cluster-slots "$2" --cluster-yes --cluster-pipeline 10 >"$BATS_TEST_TMPDIR/reshard" 2>&1 ||
		fail "reshard failed: $(tail -5 "$BATS_TEST_TMPDIR/reshard")"
}

@test "emit while slots move (800 resharded mid-run): the run goes on and exits 0, redirections counted; ops reported = the script calls the masters counted" {
	local p from to sum calls=0 redirs
	set -- $(cluster_masters)
	from=$(cluster_node_id "$1")
	to=$(cluster_node_id "$2")
	# the run's emits under way (300 creates first), then 800 slots moved
	emit_while_resharding 300 800 "$1" "$from" "$to"
	kill -0 "$bpid" 2>/dev/null || fail "the run ended before the slots had moved: $(cat "$BATS_TEST_TMPDIR/err") $(cat "$BATS_TEST_TMPDIR/out")"
	wait "$bpid" || fail "sess-bench exited $?: $(cat "$BATS_TEST_TMPDIR/err")"
	cluster_ok 30
	output=$(cat "$BATS_TEST_TMPDIR/out")
	sum=$(summary)
	# the masters answered redirections, and the run counted them (--keep:
	# no cleanup after the run, whose routed UNLINKs could meet one too)
	redirs=0
	for p in $(cluster_masters); do
		redirs=$((redirs + $(redis-cli -p "$p" info errorstats | tr -d '\r' |
			sed -n 's/^errorstat_\(MOVED\|ASK\|TRYAGAIN\):count=\([0-9]*\).*/\2/p' | awk '{s+=$1} END {print s+0}')))
	done
	[ "$redirs" -gt 0 ] || fail "the run met no redirection: the reshard did not overlap it"
	# no error: a redirected operation did not run, and another was sent
	assert_equal "$(jq -r '.total.errors' <<<"$sum")" 0
	# every emit reported is a script call a master counted (and the 300 creates of the setup)
	for p in $(cluster_masters); do calls=$((calls + $(scripts "$p"))); done
	assert_equal "$calls" "$(($(jq -r '.ops.emit.count' <<<"$sum") + 300))"
	# each redirection the masters answered is counted
	assert_equal "$(jq -r '.redirections | .moved + .ask + .tryAgain' <<<"$sum")" "$redirs"
	assert_equal "$(nodes | jq -r '[.nodes[].redirected] | add')" "$redirs"
	# the nodes line: each master's ops add up to the run's, the slots it serves now said
	assert_equal "$(nodes | jq -r '[.nodes[].ops] | add')" "$(jq -r '.ops.emit.count' <<<"$sum")"
	assert_equal "$(nodes | jq -r --arg n "127.0.0.1:$2" '.nodes[] | select(.node == $n) | .slotsGained')" 800
	assert_equal "$(nodes | jq -r --arg n "127.0.0.1:$1" '.nodes[] | select(.node == $n) | .slotsLost')" 800
	# (the slots back where they were, for what may run after)
	redis-cli --cluster reshard "127.0.0.1:$1" --cluster-from "$to" --cluster-to "$from" \
		--cluster-slots 800 --cluster-yes >/dev/null 2>&1 || fail "the reshard back failed"
	cluster_ok 30
}

@test "list --requests while a slot moves: the run ends (a client whose operations are all redirected still counts them towards --requests)" {
	local p from to n started=0 sum
	set -- $(cluster_masters)
	from=$(cluster_node_id "$1")
	to=$(cluster_node_id "$2")
	# 30 lists a client, 200 ms apart: about 6 s
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-bench list --requests 90 -c 3 --think 200ms \
		--sessions 60 --keep --interval 0 --json
	bpid=$!
	for n in $(seq 1 300); do
		started=0
		for p in $(cluster_masters); do started=$((started + $(calls "$p" zrange))); done
		[ "$started" -gt 3 ] && break
		sleep 0.05
	done
	[ "$started" -gt 3 ] || fail "the run did not start: $(cat "$BATS_TEST_TMPDIR/err")"
	# one slot of the first master's moves: its lists (built at the start,
	# an EXISTS for each of its slots) are redirected from then on
	redis-cli --cluster reshard "127.0.0.1:$1" --cluster-from "$from" --cluster-to "$to" \
		--cluster-slots 1 --cluster-yes >"$BATS_TEST_TMPDIR/reshard" 2>&1 ||
		fail "reshard failed: $(tail -5 "$BATS_TEST_TMPDIR/reshard")"
	kill -0 "$bpid" 2>/dev/null || fail "the run ended before the slot had moved"
	for n in $(seq 1 600); do
		kill -0 "$bpid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$bpid" 2>/dev/null; then
		kill "$bpid"
		wait "$bpid" || true
		fail "sess-bench list --requests 90 did not end within 60 s of the slot's move"
	fi
	wait "$bpid" || fail "sess-bench exited $?: $(cat "$BATS_TEST_TMPDIR/err")"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	sum=$(summary)
	# every request was run or redirected (the first 10 redirected in a
	# row of a client sent again)
	n=$(jq -r '.ops.list.count + .redirections.moved + .redirections.ask + .redirections.tryAgain' <<<"$sum")
	[ "$n" -ge 90 ] && [ "$n" -le $((90 + 3 * 10)) ] || fail "lists and redirections: $n, not 90..120: $sum"
	[ "$(jq -r '.ops.list.count' <<<"$sum")" -lt 90 ] || fail "no list counted as redirected: $sum"
	[ "$(jq -r '.redirections.moved' <<<"$sum")" -gt 0 ] || fail "no list was redirected: $sum"
	redis-cli --cluster reshard "127.0.0.1:$1" --cluster-from "$to" --cluster-to "$from" \
		--cluster-slots 1 --cluster-yes >/dev/null 2>&1 || fail "the reshard back failed"
	cluster_ok 30
}

# slot_list PORT: each slot master PORT serves, one a line
slot_list() {
	redis-cli -p "$1" CLUSTER NODES | awk '/myself/ {
		for (i = 9; i <= NF; i++) { n = split($i, a, "-"); for (s = a[1]; s <= (n == 2 ? a[2] : a[1]); s++) print s } }'
}

@test "emit while slots move on a cluster whose nodes do not know their endpoint (MOVED with an empty host): the moved sessions are run on their new master" {
	local p from to n sum moved_at key late seen now
	set -- $(cluster_masters)
	from=$(cluster_node_id "$1")
	to=$(cluster_node_id "$2")
	for p in $(cluster_masters); do
		redis-cli -p "$p" CONFIG SET cluster-preferred-endpoint-type unknown-endpoint >/dev/null
	done
	# the premise: a redirection names no host
	slot_list "$1" >"$BATS_TEST_TMPDIR/first"
	key=$(for n in $(seq 1 200); do
		if ! grep -qxF "$(redis-cli -p "$1" CLUSTER KEYSLOT "k$n")" "$BATS_TEST_TMPDIR/first"; then echo "k$n"; break; fi
	done)
	[ -n "$key" ] || fail "no key found outside master $1's slots"
	run -0 redis-cli -p "$1" GET "$key"
	assert_output --regexp '^MOVED [0-9]+ :[0-9]+$'
	slot_list "$2" >"$BATS_TEST_TMPDIR/before"
	emit_while_resharding 600 1000 "$1" "$from" "$to"
	now=($(redis-cli -p "$2" TIME))
	moved_at=$((now[0] * 1000 + now[1] / 1000))
	[ "$moved_at" -gt 1700000000000 ] || fail "the server's clock: ${now[*]}"
	kill -0 "$bpid" 2>/dev/null || fail "the run ended before the slots had moved"
	wait "$bpid" || fail "sess-bench exited $?: $(cat "$BATS_TEST_TMPDIR/err")"
	cluster_ok 30
	output=$(cat "$BATS_TEST_TMPDIR/out")
	sum=$(summary)
	assert_equal "$(jq -r '.total.errors' <<<"$sum")" 0
	[ "$(jq -r '.redirections.moved' <<<"$sum")" -gt 0 ] || fail "the run met no MOVED: $sum"
	# the sessions whose slots moved kept being emitted to, on their new
	# master, after the move (a MOVED whose empty host was not read as the
	# answering master's left those slots to no master: never picked again)
	slot_list "$2" | grep -vxFf "$BATS_TEST_TMPDIR/before" >"$BATS_TEST_TMPDIR/gained" || true
	[ "$(wc -l <"$BATS_TEST_TMPDIR/gained")" -eq 1000 ] || fail "master $2 did not gain 1000 slots"
	# (one redis-cli for all the slots' keys, one for their last events)
	sed 's/.*/CLUSTER GETKEYSINSLOT & 50/' "$BATS_TEST_TMPDIR/gained" | redis-cli -p "$2" |
		grep ':events$' >"$BATS_TEST_TMPDIR/moved" || true
	seen=$(wc -l <"$BATS_TEST_TMPDIR/moved")
	late=$(sed 's/.*/LINDEX & -1/' "$BATS_TEST_TMPDIR/moved" | redis-cli -p "$2" | jq -r '.ts' |
		awk -v after=$((moved_at + 1000)) '$1 > after { n++ } END { print n + 0 }')
	[ "$seen" -gt 5 ] || fail "only $seen sessions in the moved slots: the test proves nothing"
	[ "$late" -gt 0 ] || fail "none of the $seen sessions in the moved slots was emitted to after the move"
	for p in $(cluster_masters); do
		redis-cli -p "$p" CONFIG SET cluster-preferred-endpoint-type ip >/dev/null
	done
	redis-cli --cluster reshard "127.0.0.1:$1" --cluster-from "$to" --cluster-to "$from" \
		--cluster-slots 1000 --cluster-yes >/dev/null 2>&1 || fail "the reshard back failed"
	cluster_ok 30
}

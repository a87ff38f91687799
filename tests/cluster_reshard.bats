#!/usr/bin/env bats
# Layout 3 on a cluster while slots move: a batch of interleaved emits
# runs while 2,000 slots are resharded between masters (redis-cli
# --cluster reshard: MIGRATE of every key, then the slot's new owner), so
# the batch meets MOVED, ASK and TRYAGAIN. Every result line must be the
# truth: each log contiguous, each event stored once, the companions
# (index, stats) beside their sessions on the new owner.
bats_require_minimum_version 1.5.0

load helpers/redis
load helpers/cluster

setup_file() { cluster_suite_setup; }
teardown_file() { cluster_suite_teardown; }
setup() {
	cluster_test_setup
	export REDIS_URL=$CLUSTER_URL
}

@test "20,000 interleaved emits while 2,000 slots move: every line ok and true, every log contiguous, stats and list equal to the truth" {
	local from to p n num bad moving redirs
	for num in $(seq 0 199); do printf '{"op":"create","id":"r%d","agent":"a1"}\n' "$num"; done >"$BATS_TEST_TMPDIR/mk"
	run -0 sctl batch <"$BATS_TEST_TMPDIR/mk"
	python3 - "$BATS_TEST_TMPDIR/in" <<'PY'
import sys
with open(sys.argv[1], 'w') as f:
    for k in range(20000):
        f.write('{"op":"emit","id":"r%d","actor":"a1","type":"t%d","eventId":"e%d"}\n' % (k % 200, k % 5, k))
PY
	p=${CLUSTER_PORTS%% *}
	from=$(cluster_node_id "$p")
	to=$(cluster_node_id "$(echo "$CLUSTER_PORTS" | cut -d' ' -f2)")
	# the batch in the background (its stdin given to it: a background
	# job's default stdin is /dev/null), the reshard meanwhile
	# job's default stdin is /dev/null), fed at a pace (100 lines each
	# 40 ms: about 8 s) so that it runs while the slots move
	python3 -c '
import sys, time
lines = open(sys.argv[1]).readlines()
for i in range(0, len(lines), 100):
    sys.stdout.write("".join(lines[i:i + 100]))
    sys.stdout.flush()
    time.sleep(0.04)
' "$BATS_TEST_TMPDIR/in" | sk sessctl batch --pipeline 16 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	bpid=$!
	redis-cli --cluster reshard "127.0.0.1:$p" --cluster-from "$from" --cluster-to "$to" \
		--cluster-slots 2000 --cluster-yes --cluster-pipeline 10 >"$BATS_TEST_TMPDIR/reshard" 2>&1 ||
		fail "reshard failed: $(tail -5 "$BATS_TEST_TMPDIR/reshard")"
	moving=$(kill -0 "$bpid" 2>/dev/null && echo yes || echo no)
	wait "$bpid" || fail "batch exited $?: $(cat "$BATS_TEST_TMPDIR/err")"
	cluster_ok 30
	# the batch met the moving slots: redirections answered on the nodes
	redirs=0
	for p in $CLUSTER_PORTS; do
		redirs=$((redirs + $(redis-cli -p "$p" info errorstats | tr -d '\r' |
			sed -n 's/^errorstat_\(MOVED\|ASK\|TRYAGAIN\):count=\([0-9]*\).*/\2/p' | awk '{s+=$1} END {print s+0}')))
	done
	echo "# batch still running when the reshard ended: $moving; redirections: $redirs" >&3
	[ "$redirs" -gt 0 ] || fail "the batch met no redirection: the reshard did not overlap it"
	# every line answered, in order, and ok
	n=$(wc -l <"$BATS_TEST_TMPDIR/out")
	[ "$n" -eq 20000 ] || fail "$n result lines: $(head -3 "$BATS_TEST_TMPDIR/err")"
	bad=$(jq -r 'select(.ok != true) | .line' "$BATS_TEST_TMPDIR/out" | head -3)
	[ -z "$bad" ] || fail "lines not ok: $bad ($(grep -m1 '"ok":false' "$BATS_TEST_TMPDIR/out"))"
	assert_equal "$(jq -r .line "$BATS_TEST_TMPDIR/out" | awk 'NR != $1' | wc -l)" 0
	# each session: 100 events, seqs 1..100, each event id once, in input order
	for num in $(seq 0 199); do
		run -0 sctl events "r$num"
		[ "$(jq -r .seq <<<"$output" | tr '\n' ' ')" = "$(seq 1 100 | tr '\n' ' ')" ] ||
			fail "r$num: seqs $(jq -r .seq <<<"$output" | tr '\n' ' ' | cut -c1-80)"
		[ "$(jq -r .eventId <<<"$output" | tr '\n' ' ')" = "$(seq "$num" 200 19999 | sed 's/^/e/' | tr '\n' ' ')" ] ||
			fail "r$num: event ids out of order or twice"
	done
	# the companions moved with their slots: the truth from every node
	run -0 sctl stats
	assert_equal "$(jq -c '[.totalSessions, .totalEvents, .indexedSessions, .eventsByType.t0]' <<<"$output")" '[200,20000,200,4000]'
	run -0 sctl list
	[ "${#lines[@]}" -eq 200 ] || fail "list: ${#lines[@]} rows"
	# every history verifies (hash chain, checkpoints)
	printf 'r%d\n' $(seq 0 199) | sk sess-validate sessions --strict - >"$BATS_TEST_TMPDIR/v" ||
		fail "validate: $(head -3 "$BATS_TEST_TMPDIR/v")"
}

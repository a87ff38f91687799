#!/usr/bin/env bats
# sess-migrate with --wait-replicas: a "copied" line (and the summary's
# count) only once the target's replicas have the session (WAIT); a
# sync's heartbeat failing after a WAIT that confirmed changes no line.
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	common_setup_file
	redis_start_named DST
	redis_start_named REPL --replicaof 127.0.0.1 "$DST_PORT"
	local i
	for i in $(seq 200); do
		redis-cli -s "$REPL_SOCK" INFO replication | grep -q 'master_link_status:up' && return 0
		sleep 0.05
	done
	echo "the replica did not connect" >&2
	return 1
}
teardown_file() { load helpers/redis; common_teardown_file; }
teardown() {
	[ -z "${SYNC:-}" ] || kill -9 "$SYNC" 2>/dev/null || true
	kill -CONT "$(cat "$REPL_DIR/redis.pid")" 2>/dev/null || true
	dcli CONFIG SET maxmemory 0 >/dev/null 2>&1 || true
}
setup() {
	load helpers/redis
	common_setup
	DST=$(redis_url DST)
	local i
	for i in 1 2 3; do
		sctl create --agent a --id "d$i" >/dev/null
		sctl emit "d$i" --actor a --type t >/dev/null
	done
}

dcli() { redis-cli -s "$DST_SOCK" "$@"; }
waits() { dcli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_wait:calls=\([0-9]*\),.*/\1/p'; }

@test "--wait-replicas 1 with a replica: every copied line after its batch's WAIT" {
	dcli CONFIG RESETSTAT >/dev/null
	run -0 sk sess-migrate copy --all --to "$DST" --task w1 --batch 2 --wait-replicas 1
	assert_equal "$(jq -r 'select(.status) | .status' <<<"$output" | sort | uniq -c | awk '{print $1, $2}')" "3 copied"
	assert_equal "$(jq -r 'select(.summary) | .copied' <<<"$output")" 3
	# one WAIT per batch, and one after the task's last write (its status)
	assert_equal "$(waits)" 3
	assert_equal "$(redis-cli -s "$REPL_SOCK" EXISTS 'sess:{d1}:meta' 'sess:{d2}:meta' 'sess:{d3}:meta')" 3
}

@test "--wait-replicas 2 with one replica: no copied line, exit 75, and resume completes it" {
	run -75 --separate-stderr sk sess-migrate copy --all --to "$DST" --task w2 --wait-replicas 2 --wait-timeout 100
	[ -z "$(jq -r 'select(.status == "copied") | .id' <<<"$output")" ] || fail "copied lines printed: $output"
	# the cause, then (as every stopped task) how to go on
	[[ $(sed -n 1p <<<"$stderr") == *"copied to the target's primary but not confirmed"*"only 1 of 2 replicas acknowledged"* ]] || fail "$stderr"
	# each session of the batch is a failed line saying so (not_durable)
	assert_equal "$(jq -s 'map(select(.status == "failed" and .error.code == "not_durable")) | length' <<<"$output")" 3
	[[ $(sed -n 2p <<<"$stderr") == *"resume w2"* ]] || fail "$stderr"
	assert_equal "$(jq -r 'select(.summary) | .copied' <<<"$output")" 0
	# a resume that cannot confirm either ends 75, never "done" (its puts
	# skip the done sessions; its last write is waited for)
	run -75 --separate-stderr sk sess-migrate resume w2 --to "$DST" --wait-replicas 2 --wait-timeout 100
	[[ $stderr == *"not confirmed by its replicas"* ]] || fail "$stderr"
	run -0 sk sess-migrate resume w2 --to "$DST" --wait-replicas 1
	run -0 sk sess-migrate verify --all --to "$DST"
}

@test "without --wait-replicas (no Sentinel): no WAIT" {
	dcli CONFIG RESETSTAT >/dev/null
	run -0 sk sess-migrate copy --all --to "$DST" --task w3
	assert_equal "$(waits)" ""
}

# in_wait: poll (10 s) until a client of DST is blocked in a WAIT
in_wait() {
	local i
	for i in $(seq 200); do
		dcli CLIENT LIST | grep -q ' cmd=wait ' && return 0
		sleep 0.05
	done
	fail "no WAIT on the target: $(dcli CLIENT LIST)"
}

# confirm_full: with a WAIT blocked on the stopped replica, the target
# refuses writes (maxmemory), then the replica acknowledges: the WAIT
# succeeds and the heartbeat after it fails (OOM)
confirm_full() {
	in_wait
	dcli CONFIG SET maxmemory 1 >/dev/null
	kill -CONT "$(cat "$REPL_DIR/redis.pid")"
}

@test "sync: a heartbeat after a confirmed WAIT that fails (the target full) leaves the batch's lines as written: copied and appended, not failed or missing" {
	local out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err i rc=0
	# (a WAIT longer than --interval: a beat before it and one after)
	kill -STOP "$(cat "$REPL_DIR/redis.pid")"
	sk_bg "$out" "$err" sess-migrate sync --all --to "$DST" --task beat --interval 1 \
		--wait-replicas 1 --wait-timeout 20s --timeout 30s
	SYNC=$!
	# the snapshot's whole copies
	confirm_full
	for i in $(seq 200); do
		[ "$(grep -c '"status"' "$out")" -ge 3 ] && break
		sleep 0.05
	done
	dcli CONFIG SET maxmemory 0 >/dev/null
	assert_equal "$(jq -r 'select(.status) | .status' "$out" | sort | uniq -c | awk '{print $1, $2}')" "3 copied"
	for i in $(seq 200); do
		grep -q '"lag":true' "$out" && break
		sleep 0.05
	done
	# a tail
	kill -STOP "$(cat "$REPL_DIR/redis.pid")"
	sctl emit d1 --actor a --type t >/dev/null
	confirm_full
	# (the replica has it: the line follows at once, or never)
	for i in $(seq 200); do
		[ "$(redis-cli -s "$REPL_SOCK" HGET 'sess:{d1}:meta' seq)" != 2 ] || break
		sleep 0.05
	done
	for i in $(seq 40); do
		grep -q '"id":"d1","status":"appended"' "$out" && break
		sleep 0.05
	done
	dcli CONFIG SET maxmemory 0 >/dev/null
	grep -q '"id":"d1","status":"appended","events":1' "$out" || fail "no appended line for d1: $(cat "$out" "$err")"
	assert_equal "$(redis-cli -s "$REPL_SOCK" HGET 'sess:{d1}:meta' seq)" 2
	kill -INT "$SYNC"
	wait "$SYNC" || rc=$?
	assert_equal "$rc" 130
	assert_equal "$(jq -r 'select(.summary) | "\(.copied) \(.failed) \(.appended)"' "$out")" "3 0 1"
}

#!/usr/bin/env bats
# The cluster client through a failover: a real cluster of three masters
# with a replica each (helpers/cluster.bash), a master killed with -9;
# durable writes (WAIT) on the master that stored each write.
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	load helpers/cluster
	cluster_start --replicas
}
teardown_file() {
	load helpers/redis
	load helpers/cluster
	cluster_stop
}
setup() {
	load helpers/redis
	load helpers/cluster
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	DRIVER="$SESSKIT_BUILDDIR/tests/unit/test_cluster"
}
teardown() {
	kill ${bg:-} ${writer:-} 2>/dev/null
	# shellcheck disable=SC2086 # one pid or several
	[ -z "${stopped:-}" ] || kill -CONT $stopped 2>/dev/null
	true
}

# wait_calls PORT: how many WAITs node PORT ran since its CONFIG RESETSTAT
wait_calls() {
	local n
	n=$(redis-cli -p "$1" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_wait:calls=\([0-9]*\),.*/\1/p')
	echo "${n:-0}"
}

# emits IDS_FILE FROM TO: emit lines, round FROM to TO over every session
# of IDS_FILE (interleaved), eventId "kROUND"
emits() {
	local r id
	for ((r = $2; r <= $3; r++)); do
		while IFS= read -r id; do
			printf '{"op":"emit","id":"%s","actor":"a","type":"modified","eventId":"k%d"}\n' "$id" "$r"
		done <"$1"
	done
}

@test "durable writes on the cluster: WAIT on the master that stored each write, one at a time and in a batch spread over the masters" {
	local m id other
	export REDIS_URL=$CLUSTER_URL REDIS_CLUSTER_NODES=$CLUSTER_NODES
	cluster_flushall
	: >"$BATS_TEST_TMPDIR/ids"
	for m in $(cluster_masters); do
		cluster_ids_on "$m" 2 "d$m-" >>"$BATS_TEST_TMPDIR/ids"
	done
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ids")" = 6 ] || fail "no 2 sessions on each master: $(cat "$BATS_TEST_TMPDIR/ids")"
	while IFS= read -r id; do
		run -0 sctl --wait-replicas 1 create --agent a --id "$id"
	done <"$BATS_TEST_TMPDIR/ids"
	for m in $(cluster_masters); do
		redis-cli -p "$m" config resetstat >/dev/null
	done
	while IFS= read -r id; do
		run -0 sctl --wait-replicas 1 emit "$id" --actor a --type modified --event-id k1
	done <"$BATS_TEST_TMPDIR/ids"
	# an emit writes its session's slot only: each waited on by its own
	# master, and by no other
	for m in $(cluster_masters); do
		[ "$(wait_calls "$m")" = 2 ] || fail "master $m ran $(wait_calls "$m") WAITs, not one for each of the 2 emits it stored"
	done
	emits "$BATS_TEST_TMPDIR/ids" 2 5 >"$BATS_TEST_TMPDIR/in"
	run -0 sctl --wait-replicas 1 batch <"$BATS_TEST_TMPDIR/in"
	[ "$(jq -s 'map(select(.ok)) | length' <<<"$output")" = 24 ] || fail "$output"
	for m in $(cluster_masters); do
		[ "$(wait_calls "$m")" -gt 2 ] || fail "the batch's writes on master $m were not waited on there"
	done
	# one master's replica stopped: its writes are not_durable, the
	# others' ok, alone and in a batch
	m=$(cluster_masters | sed -n 2p)
	stopped=$(cluster_pid "$(cluster_replica_of "$m")")
	kill -STOP "$stopped"
	id=$(grep "^d$m-" "$BATS_TEST_TMPDIR/ids" | head -n 1)
	other=$(grep -v "^d$m-" "$BATS_TEST_TMPDIR/ids" | head -n 1)
	run -75 sctl --wait-replicas 1 --wait-timeout 200 emit "$id" --actor a --type modified --event-id k6
	assert_output --partial "only 0 of 1 replicas acknowledged the write"
	run -0 sctl --wait-replicas 1 --wait-timeout 200 emit "$other" --actor a --type modified --event-id k6
	emits "$BATS_TEST_TMPDIR/ids" 7 7 >"$BATS_TEST_TMPDIR/in"
	run -75 sctl --wait-replicas 1 --wait-timeout 200 batch <"$BATS_TEST_TMPDIR/in"
	assert_equal "$(jq -r -s 'map(select(.ok == false and .error.code == "not_durable")) | map(.line) | join(" ")' <<<"$output")" \
		"$(grep -n "^d$m-" "$BATS_TEST_TMPDIR/ids" | cut -d: -f1 | tr '\n' ' ' | sed 's/ $//')"
	[ "$(jq -s 'map(select(.ok)) | length' <<<"$output")" = 4 ] || fail "the other masters' lines: $output"
	kill -CONT "$stopped"
	stopped=
}

@test "the seed master killed: reopen finds another master; the command waits for the promotion and lands there" {
	[ -x "$DRIVER" ] || skip "tests/unit/test_cluster is not built (make check builds it)"
	run "$DRIVER" failover
	assert_success # (assert_ shows the driver's TAP lines when it fails)
	refute_output --partial "not ok"
}

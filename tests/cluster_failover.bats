#!/usr/bin/env bats
# The cluster client through a failover: a real cluster of three masters
# with a replica each (helpers/cluster.bash), a master killed with -9;
# sessctl watch of every session subscribed again after the promotion.
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
	[ -z "${bg:-}" ] || { kill -TERM "$bg" 2>/dev/null; wait "$bg" 2>/dev/null; } || true
}

@test "the seed master killed: reopen finds another master; the command waits for the promotion and lands there" {
	[ -x "$DRIVER" ] || skip "tests/unit/test_cluster is not built (make check builds it)"
	run "$DRIVER" failover
	assert_success # (assert_ shows the driver's TAP lines when it fails)
	refute_output --partial "not ok"
}

# alive_masters: the ports of the masters answering now
alive_masters() {
	local p
	for p in $CLUSTER_PORTS; do
		if [ "$(redis-cli -p "$p" role 2>/dev/null | head -n 1)" = master ]; then
			echo "$p"
		fi
	done
}

@test "watch of every session through a master failover: subscribed again on the promoted replica, events after it heard" {
	local m seed victim vid k a dir out err n owner
	m=$(alive_masters)
	seed=$(echo $m | cut -d' ' -f1)
	# a victim with a replica to promote, and a session it serves
	for k in $(echo $m | cut -d' ' -f2-); do
		if [ -n "$(redis-cli -p "$seed" cluster replicas "$(redis-cli -p "$k" cluster myid)" 2>/dev/null)" ]; then
			victim=$k
			break
		fi
	done
	[ -n "${victim:-}" ] || fail "no master but the seed has a replica: $m"
	vid=$(redis-cli -p "$victim" cluster myid)
	for k in $(seq 1 300); do
		owner=$(redis-cli -p "$seed" cluster nodes | awk -v s="$(redis-cli -p "$seed" cluster keyslot "s$k")" '
			$3 ~ /master/ { for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1]; if (s >= r[1] && s <= r[2]) print $1 } }')
		if [ "$owner" = "$vid" ]; then
			a=s$k
			break
		fi
	done
	[ -n "${a:-}" ] || fail "no session id on $victim"
	export REDIS_URL=redis://127.0.0.1:$seed REDIS_CLUSTER=yes
	run -0 sk sessctl create --id "$a" --agent x
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	sk_bg "$out" "$err" sessctl watch
	bg=$!
	for k in $(seq 1 400); do
		n=0
		for p in $m; do
			n=$((n + $(redis-cli -p "$p" pubsub shardchannels 'sess:#{*}:notify' | { grep -c . || true; })))
		done
		[ "$n" -ge 16384 ] && break
		sleep 0.05
	done
	[ "$n" -ge 16384 ] || fail "only $n slot channels subscribed"
	run -0 sk sessctl emit "$a" --actor x --type modified
	for k in $(seq 1 200); do [ -s "$out" ] && break; sleep 0.05; done
	# kill -9 the victim; its replica takes over (cluster-node-timeout 2 s)
	for dir in $CLUSTER_DIRS; do
		if [ "$(cat "$dir/port")" = "$victim" ]; then
			kill -9 "$(cat "$dir/redis.pid")"
		fi
	done
	for k in $(seq 1 600); do
		grep -q 'subscribed again' "$err" && break
		sleep 0.05
	done
	grep -q 'subscribed again' "$err" || fail "watch did not subscribe again: $(cat "$err")"
	run -0 sk sessctl emit "$a" --actor x --type fixed
	for k in $(seq 1 400); do [ "$(wc -l <"$out")" -ge 2 ] && break; sleep 0.05; done
	assert_equal "$(jq -r '.sessionId + ":" + .type' <"$out" | tr '\n' ' ')" "$a:modified $a:fixed "
}

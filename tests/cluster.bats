#!/usr/bin/env bats
# The Redis Cluster client in the transport (core/redis/cluster*.c)
# against a real three-master cluster: tests/unit/test_cluster runs one
# case per test (TAP), this file sets the cluster up around it.
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	load helpers/cluster
	cluster_start
}
teardown_file() {
	load helpers/redis
	load helpers/cluster
	cluster_stop
}
setup() {
	load helpers/redis
	load helpers/cluster
	cluster_flushall
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	DRIVER="$SESSKIT_BUILDDIR/tests/unit/test_cluster"
	[ -x "$DRIVER" ] || skip "tests/unit/test_cluster is not built (make check builds it)"
}

drive() {
	run -0 "$DRIVER" "$@"
	refute_output --partial "not ok"
}

@test "key slots: CRC16 and hash tags as the spec says; the server agrees" {
	local p k
	drive slot
	p=${CLUSTER_PORTS%% *}
	# the server's CLUSTER KEYSLOT for the spec's tag cases
	[ "$(redis-cli -p "$p" cluster keyslot '{user1000}.following')" = "$(redis-cli -p "$p" cluster keyslot user1000)" ] ||
		fail "the server disagrees on {user1000}"
	[ "$(redis-cli -p "$p" cluster keyslot 123456789)" = $((0x31C3)) ] || fail "123456789"
	[ "$(redis-cli -p "$p" cluster keyslot 'foo{{bar}}zap')" = "$(redis-cli -p "$p" cluster keyslot '{bar')" ] ||
		fail "the server's foo{{bar}}zap"
}

@test "commands go to the master serving their key's slot" {
	local line key val owner
	drive route
	[ "$(grep -c '^# KEY ' <<<"$output")" -eq 30 ] || fail "30 keys expected: $output"
	while read -r _ _ key val; do
		owner=$(cluster_owner "$(redis-cli -p "${CLUSTER_PORTS%% *}" cluster keyslot "$key")")
		[ "$(redis-cli -p "$owner" get "$key")" = "$val" ] || fail "$key is not on its owner $owner"
	done < <(grep '^# KEY ' <<<"$output")
}

@test "a pipeline over all three masters: every reply in input order" {
	drive pipeline
}

@test "MOVED after a slot moved to another master: the map is updated, the command sent there" {
	drive moved
}

@test "ASK during a migration: ASKING and the command at the target, the map unchanged" {
	drive ask
}

@test "CLUSTERDOWN (an uncovered slot): backs off until the slot is served again, or exits 75 at the command timeout" {
	drive down
	cluster_ok 30
}

@test "the slot-map cache: written 0600, used without CLUSTER SLOTS, found stale on a new cluster on the same ports, malformed ignored" {
	local f
	drive cache write
	drive cache use
	cluster_restart_fresh
	drive cache stale
	f=$(ls "$XDG_CACHE_HOME"/sesskit/slots-*)
	printf 'sesskit-slotmap 1\nseed zz\nnode garbage\n' >"$f"
	drive cache bad
}

@test "SCAN walks every master" {
	drive scan
}

@test "redis.cluster auto: a plain conn until the first redirection, then routed" {
	drive auto
}

@test "scripts are per node: NOSCRIPT reloads on the key's node; load_all loads on every master" {
	drive scripts
}

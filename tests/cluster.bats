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
	redis_stop_named
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

@test "slot tags (core/model/slot.h): the server puts every slot's {tag} in that slot" {
	drive tags
	assert_output --partial "for every slot (0 wrong)"
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

@test "a node's connection lost: reconnected and the commands sent again" {
	drive lost
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

@test "sessctl on the cluster: create, emit, get and events through the routing" {
	local id
	export REDIS_URL=$CLUSTER_URL REDIS_CLUSTER=yes
	run -0 sctl create --agent a
	id=$(json_field id <<<"$output")
	[ -n "$id" ] && [ "$id" != null ] || fail "no id: $output"
	run -0 sctl emit "$id" --actor a --type modified
	run -0 sctl emit "$id" --actor a --type fixed
	run -0 sctl get "$id"
	[ "$(json_field seq <<<"$output")" = 2 ] || fail "seq: $output"
	run -0 sctl events "$id"
	[ "${#lines[@]}" -eq 2 ] || fail "two events expected: $output"
	run -1 sctl get nosuch
	assert_output --partial "not found"
	# the session's keys are on the master serving its slot
	[ "$(redis-cli -p "$(cluster_owner "$(redis-cli -p "${CLUSTER_PORTS%% *}" cluster keyslot "$id")")" --scan --pattern "*$id*" | wc -l)" -gt 0 ] ||
		fail "no key of $id on its slot's master"
}

@test "sess-bench on the cluster: one line saying its engine drives one server, exit 78, no key written" {
	export REDIS_URL=$CLUSTER_URL
	run -78 --separate-stderr sk sess-bench emit -n 50 -c 2 -S 3 -i 0
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "not one line: $stderr"
	[[ $stderr == *"is a Redis Cluster"*"standalone server"* ]] || fail "does not say why and what to do: $stderr"
	[ -z "$output" ] || fail "stdout: $output"
	local p
	for p in $CLUSTER_PORTS; do
		assert_equal "$(redis-cli -p "$p" --scan --pattern 'sessbench:*' | wc -l)" 0
	done
}

@test "sessctl on the cluster: a /db refused (78), redis.cluster=no names the setting on MOVED (78)" {
	local p k
	REDIS_URL=$CLUSTER_URL/1 REDIS_CLUSTER=yes run -78 sctl get nosuch
	assert_output --partial "a cluster has only database 0; drop the /1"
	REDIS_URL=$CLUSTER_URL/1 run -78 sctl get nosuch
	assert_output --partial "a cluster has only database 0"
	# a session id whose slot the seed does not serve
	p=${CLUSTER_PORTS%% *}
	for k in a b c d e f g h; do
		[ "$(cluster_owner "$(redis-cli -p "$p" cluster keyslot "$k")")" != "$p" ] && break
	done
	REDIS_URL=$CLUSTER_URL REDIS_CLUSTER=no run -78 sctl get "$k"
	assert_output --partial "REDIS_CLUSTER=yes"
	REDIS_URL=$CLUSTER_URL REDIS_CLUSTER=maybe run -78 sctl get "$k"
}

@test "the node named is down: REDIS_CLUSTER_NODES' others are asked" {
	local dead
	dead=$(port_reserve)
	REDIS_URL=redis://127.0.0.1:$dead run -69 sctl get nosuch
	REDIS_URL=redis://127.0.0.1:$dead REDIS_CLUSTER_NODES=$CLUSTER_NODES run -1 sctl get nosuch
	assert_output --partial "not found"
	port_release "$dead"
}

@test "redis.cluster yes on a standalone server: 78 naming the setting" {
	load helpers/redis
	redis_start_named SOLO
	REDIS_URL=$(redis_url SOLO) REDIS_CLUSTER=yes run -78 sctl get x
	assert_output --partial "not a Redis Cluster node"
	REDIS_URL=$(redis_url SOLO) run -1 sctl get x
	redis_stop_named SOLO
}

@test "layout 3 on the cluster: each session's companions in its own slot; list, stats, agents, maintenance and save across the masters" {
	local num p k slot id n
	export REDIS_URL=$CLUSTER_URL
	# (not $i: bats' run -N assigns an i of its own in the caller's scope)
	for num in $(seq 1 30); do
		run -0 sctl create --id "s$num" --agent "a$((num % 2 + 1))"
		run -0 sctl emit "s$num" --actor "a$((num % 2 + 1))" --type modified
	done
	run -0 sctl join s1 a1
	run -0 sctl emit s1 --actor a1 --type viewed
	for num in 2 3 4; do
		run -0 sctl complete "s$num"
	done
	run -0 sctl delete s5
	# no global key anywhere; every index entry in a companion of its
	# session's own slot, on that slot's master
	n=0
	for p in $CLUSTER_PORTS; do
		for k in sess:index sess:stats sess:agents sess:agent:a1 sess:agent:a2; do
			[ "$(redis-cli -p "$p" --scan --pattern "$k" | wc -l)" = 0 ] || fail "the global key $k on $p"
		done
		for k in $(redis-cli -p "$p" --scan --pattern 'sess:#{*}:index'); do
			slot=$(redis-cli -p "$p" cluster keyslot "$k")
			for id in $(redis-cli -p "$p" zrange "$k" 0 -1); do
				[ "$(redis-cli -p "$p" cluster keyslot "{$id}")" = "$slot" ] ||
					fail "$id is indexed in $k, another slot than its own"
				n=$((n + 1))
			done
		done
	done
	[ "$n" -eq 29 ] || fail "29 index entries expected, $n found"
	run -0 sctl list
	[ "${#lines[@]}" -eq 29 ] || fail "list: ${#lines[@]} rows: $output"
	refute_output --partial '"s5"'
	# a1 made the 15 even ones and joined s1; a2 the odd ones but s5
	run -0 sctl list --agent a1
	[ "${#lines[@]}" -eq 16 ] || fail "a1's sessions: ${#lines[@]}: $output"
	run -0 sctl list --agent a2
	[ "${#lines[@]}" -eq 14 ] || fail "a2's sessions: ${#lines[@]}: $output"
	run -0 sctl stats
	assert_equal "$(jq -c '[.totalSessions, .deletedSessions, .completedSessions, .totalEvents, .eventsByType.modified, .eventsByType.viewed]' <<<"$output")" \
		'[30,1,3,31,30,1]'
	run -0 sctl maintenance --dry-run
	run -0 sctl upgrade --check
	# saved replays and their index entries: one slot, one MULTI each, on
	# every master (s2, s3, s4 live on different ones)
	run -0 sk sess-replay save s2 s3 s4
	run -0 sk sess-replay list
	assert_equal "$(jq -r .id <<<"$output" | sort | tr '\n' ' ')" "s2 s3 s4 "
	# sess-validate picks each session's companions by its slot, from a
	# connection that has not met a redirection yet
	XDG_CACHE_HOME=$BATS_TEST_TMPDIR/fresh run -0 sk sess-validate sessions --strict s1 s2 s3 s4 s6
}

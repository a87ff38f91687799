#!/usr/bin/env bats
# The Redis Cluster client in the transport (core/redis/cluster*.c)
# against a real three-master cluster: tests/unit/test_cluster runs one
# case per test (TAP), this file sets the cluster up around it.
bats_require_minimum_version 1.5.0

load helpers/redis
load helpers/cluster

setup_file() { cluster_suite_setup; }
teardown_file() { cluster_suite_teardown; }
setup() {
	cluster_test_setup
	DRIVER="$SESSKIT_BUILDDIR/tests/unit/test_cluster"
}

teardown() {
	[ -z "${bg:-}" ] || { kill -TERM "$bg" 2>/dev/null; wait "$bg" 2>/dev/null; } || true
	[ -z "${MOVED_BACK:-}" ] || move_slot $MOVED_BACK || true
	# (a test that set unknown-endpoint and failed: the next ones see ip)
	[ -z "${ENDPOINT_BACK:-}" ] || endpoint_type ip || true
}

# endpoint_type TYPE: cluster-preferred-endpoint-type on every node
endpoint_type() {
	local p
	for p in $CLUSTER_PORTS; do
		redis-cli -p "$p" CONFIG SET cluster-preferred-endpoint-type "$1" >/dev/null || return
	done
}

drive() {
	[ -x "$DRIVER" ] || skip "tests/unit/test_cluster is not built (make check builds it)"
	run "$DRIVER" "$@"
	assert_success # (shows the driver's TAP lines when it fails)
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

@test "harness: a server's stop (_redis_stop_in) ends it, for redis_stop_named and cluster_restart_fresh alike" {
	local dir pid old=""
	redis_start_named SOLO
	dir=$SOLO_DIR
	pid=$(cat "$dir/redis.pid")
	redis_stop_named SOLO
	! kill -0 "$pid" 2>/dev/null || fail "redis_stop_named left server $pid running"
	[ ! -e "$dir" ] || fail "redis_stop_named left $dir"
	for dir in $CLUSTER_DIRS; do
		old="$old $(cat "$dir/redis.pid")"
	done
	cluster_restart_fresh || fail "cluster_restart_fresh failed"
	for pid in $old; do
		! kill -0 "$pid" 2>/dev/null || fail "cluster_restart_fresh left node $pid running"
	done
	for dir in $CLUSTER_DIRS; do
		pid=$(cat "$dir/redis.pid")
		[[ " $old " != *" $pid "* ]] && kill -0 "$pid" || fail "no new node in $dir"
	done
	cluster_ok 30
}

@test "harness: cluster_wait_slot_channels waits for all 16384 slot channels (the watch tests here and in cluster_failover count on it)" {
	local t0
	[ "$(cluster_slot_channels)" = 0 ] || fail "slot channels subscribed with no watch: $(cluster_slot_channels)"
	t0=$SECONDS
	run -1 cluster_wait_slot_channels 1
	assert_output --partial "only 0 of 16384 slot channels subscribed after 1 s"
	[ $((SECONDS - t0)) -ge 1 ] || fail "it returned at once"
}

@test "a node's connection lost: reconnected and the commands sent again" {
	drive lost
}

@test "durable writes: a write whose connection was lost is vouched for by no later write on the reopened one" {
	drive wgen
}

@test "durable writes: a WAIT answered before the write ahead of it (sent again after CLUSTERDOWN) is asked again" {
	drive earlywait
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

@test "functions are per node: the library is loaded on every master when one lacks it, in single calls and pipelines" {
	drive functions
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

@test "a cluster whose nodes do not know their endpoint (unknown-endpoint: CLUSTER SLOTS names none, MOVED an empty host): sessctl works on every master" {
	local p id n
	ENDPOINT_BACK=1
	endpoint_type unknown-endpoint
	# the premise: no endpoint in the map (a NULL where the ip was)
	redis-cli -p "${CLUSTER_PORTS%% *}" --no-raw CLUSTER SLOTS | grep -q '(nil)' || fail "CLUSTER SLOTS still names the nodes"
	export REDIS_URL=$CLUSTER_URL REDIS_CLUSTER=yes XDG_CACHE_HOME=$BATS_TEST_TMPDIR/nocache
	# sessions on all three masters (ids in each third of the slots)
	for n in 1 2 3 4 5 6 7 8 9; do
		run -0 sctl create --agent a --id "ue$n"
		run -0 sctl emit "ue$n" --actor a --type modified
	done
	for n in 1 2 3 4 5 6 7 8 9; do
		run -0 sctl get "ue$n"
		[ "$(json_field seq <<<"$output")" = 1 ] || fail "ue$n: $output"
	done
	run -0 sctl list
	[ "${#lines[@]}" -eq 9 ] || fail "nine sessions expected: $output"
	endpoint_type ip
	[ "$(for n in 1 2 3 4 5 6 7 8 9; do cluster_owner "$(redis-cli -p "${CLUSTER_PORTS%% *}" CLUSTER KEYSLOT "{ue$n}")"; done | sort -u | wc -l)" -eq 3 ] ||
		fail "the sessions were not on all three masters"
}

@test "unknown-endpoint: a slot moved under a cached map, its MOVED (an empty host) is followed to the new master" {
	local slot from to p
	slot=$(redis-cli -p "$(first_port)" cluster keyslot "{uem}")
	from=$(owner_of "{uem}")
	to=$(for p in $(echo "$CLUSTER_PORTS" | cut -d' ' -f1-3); do [ "$p" = "$from" ] || { echo "$p"; break; }; done)
	[ -n "$from" ] && [ -n "$to" ] || fail "no masters found: '$from' '$to'"
	ENDPOINT_BACK=1
	endpoint_type unknown-endpoint
	export REDIS_URL=$CLUSTER_URL REDIS_CLUSTER=yes
	run -0 sctl create --agent a --id uem
	# the map is cached (this test's XDG_CACHE_HOME): the next process
	# sends to the old master, which answers MOVED with no host
	ls "$XDG_CACHE_HOME"/sesskit/* >/dev/null 2>&1 || fail "no slot-map cache written"
	move_slot "$slot" "$from" "$to"
	MOVED_BACK="$slot $to $from"
	run -0 redis-cli -p "$from" GET "{uem}:x"
	assert_output --regexp "^MOVED $slot :$to\$"
	run -0 sctl emit uem --actor a --type modified
	run -0 sctl get uem
	[ "$(json_field seq <<<"$output")" = 1 ] || fail "uem: $output"
	# the cache written again names the node by the host asked, never empty
	run -0 cat "$XDG_CACHE_HOME"/sesskit/*
	refute_line --regexp '^node [^ ]+  '
	assert_line --regexp "^node [0-9a-f]+ 127\.0\.0\.1 $to\$"
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
	# --all walks every master (SCAN on a second connection, the reads
	# of each page pipelined): clean, then a member count changed on
	# three masters found on each, the same as one session at a time
	run -0 sk sess-validate sessions --all --strict
	for num in 2 3 4; do
		redis-cli -c -p "${CLUSTER_PORTS%% *}" HSET "sess:{s$num}:meta" agents 9 >/dev/null
	done
	run -1 sk sess-validate sessions --all --page 2
	assert_equal "$(jq -r 'select(.code == "session.agents_count") | .id' <<<"$output" | sort | paste -sd' ' -)" "s2 s3 s4"
	p=$output
	run -1 sk sess-validate sessions --all --page 2 --serial
	assert_equal "$output" "$p"
}

@test "sess-bench on the cluster: the load spread over every master, each one's ops, latency and server time reported; its keys cleaned up" {
	local m
	export REDIS_URL=$CLUSTER_URL
	run -0 sk sess-bench emit -n 3000 -c 6 --sessions 30
	jq -c 'select(.type == "nodes")' <<<"$output" >"$BATS_TEST_TMPDIR/nodes"
	jq -c 'select(.type == "summary")' <<<"$output" >"$BATS_TEST_TMPDIR/summary"
	assert_equal "$(jq -c '[.total.count, .total.errors]' "$BATS_TEST_TMPDIR/summary")" '[3000,0]'
	assert_equal "$(jq -r '.masters' "$BATS_TEST_TMPDIR/nodes")" 3
	# every master, by its address, and no other node
	assert_equal "$(jq -r '.nodes[].node' "$BATS_TEST_TMPDIR/nodes" | sort | tr '\n' ' ')" \
		"$(for m in $(cluster_masters); do echo "127.0.0.1:$m"; done | sort | tr '\n' ' ')"
	# each did its share: ops, latency, and the server's time for them
	# (each emit one EVALSHA there)
	[ "$(jq '[.nodes[].ops] | add' "$BATS_TEST_TMPDIR/nodes")" = 3000 ] || fail "$(cat "$BATS_TEST_TMPDIR/nodes")"
	[ "$(jq '[.nodes[] | select(.ops >= 500 and .sessions > 0 and .latencyMs.p50 > 0 and .server.calls >= .ops and .server.usec > 0 and .server.cpuSec > 0)] | length' "$BATS_TEST_TMPDIR/nodes")" = 3 ] ||
		fail "a master without its share or its figures: $(cat "$BATS_TEST_TMPDIR/nodes")"
	# the run's keys deleted on every master
	[ "$(jq '.cleanup.deleted' "$BATS_TEST_TMPDIR/summary")" -gt 0 ] || fail "nothing cleaned up: $(cat "$BATS_TEST_TMPDIR/summary")"
	for m in $(cluster_masters); do
		[ "$(redis-cli -p "$m" --scan --pattern 'sessbench:*' | wc -l)" = 0 ] || fail "keys left on $m"
	done
	# create, list and mixed: sess-bench_cluster.bats
}

# ---- session channels (sesskit-layout(7) "notify"): SPUBLISH, SSUBSCRIBE ----

# first_port: the first master's port
first_port() { echo "${CLUSTER_PORTS%% *}"; }
# owner_of KEY: the port of the master serving KEY's slot
owner_of() { cluster_owner "$(redis-cli -p "$(first_port)" cluster keyslot "$1")"; }
# ids_per_master: one session id (s1, s2, ...) served by each master, in
# CLUSTER_PORTS order
ids_per_master() {
	local p k
	for p in $(echo "$CLUSTER_PORTS" | cut -d' ' -f1-3); do
		for k in $(seq 1 200); do
			if [ "$(owner_of "s$k")" = "$p" ]; then
				echo "s$k"
				break
			fi
		done
	done
}
# wait_lines FILE N: until FILE has N lines (20 s at most)
wait_lines() {
	local n
	for n in $(seq 1 400); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "only $(wc -l <"$1") of $2 lines in $1: $(cat "$1")"
	return 1
}
# shard_subs CHANNEL: its SSUBSCRIBE clients on the master serving it
shard_subs() { redis-cli -p "$(owner_of "$1")" pubsub shardnumsub "$1" | sed -n 2p; }
# wait_shard_subs CHANNEL N: until N clients SSUBSCRIBE to it on its master
wait_shard_subs() {
	local n
	for n in $(seq 1 400); do
		[ "$(shard_subs "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "$1: $(shard_subs "$1") shard subscribers on its master $(owner_of "$1"), want $2"
}
# cmdstat PORT CMD: calls of CMD on PORT since the last CONFIG RESETSTAT
cmdstat() {
	redis-cli -p "$1" info commandstats | sed -n "s/^cmdstat_$2:calls=\([0-9]*\),.*/\1/p" | grep . || echo 0
}
resetstat() {
	local p
	for p in $CLUSTER_PORTS; do redis-cli -p "$p" config resetstat >/dev/null; done
}
# move_slot SLOT FROM TO: the slot and its keys from master FROM to TO
move_slot() {
	local slot=$1 from=$2 to=$3 fid tid k p
	fid=$(cluster_node_id "$from") tid=$(cluster_node_id "$to")
	redis-cli -p "$to" cluster setslot "$slot" importing "$fid" >/dev/null
	redis-cli -p "$from" cluster setslot "$slot" migrating "$tid" >/dev/null
	for k in $(redis-cli -p "$from" cluster getkeysinslot "$slot" 1000); do
		redis-cli -p "$from" migrate 127.0.0.1 "$to" "$k" 0 5000 >/dev/null
	done
	for p in $to $from $(echo "$CLUSTER_PORTS" | cut -d' ' -f1-3); do
		redis-cli -p "$p" cluster setslot "$slot" node "$tid" >/dev/null
	done
	cluster_ok 30
}

@test "watch of one session on a cluster: SSUBSCRIBE on its master, its events only; the scripts SPUBLISH, never PUBLISH" {
	local ids a b p out err st
	export REDIS_URL=$CLUSTER_URL
	ids=$(ids_per_master)
	a=$(echo $ids | cut -d' ' -f2) b=$(echo $ids | cut -d' ' -f3)
	run -0 sctl create --id "$a" --agent x
	run -0 sctl create --id "$b" --agent x
	resetstat
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	sk_bg "$out" "$err" sessctl watch "$a"
	bg=$!
	wait_shard_subs "sess:{$a}:notify" 1
	run -0 sctl emit "$a" --actor x --type modified
	run -0 sctl emit "$b" --actor x --type modified
	run -0 sctl emit "$a" --actor x --type fixed
	wait_lines "$out" 2
	kill -TERM "$bg"
	wait "$bg" || st=$?
	bg=
	assert_equal "${st:-0}" 143
	assert_equal "$(jq -r '.sessionId + ":" + .type' <"$out" | tr '\n' ' ')" "$a:modified $a:fixed "
	# no classic PUBLISH (the bus would carry it to every node); each
	# emit SPUBLISHes on its session's and its slot's channel, on the
	# session's master only
	for p in $CLUSTER_PORTS; do
		assert_equal "$(cmdstat "$p" publish)" 0
		assert_equal "$(cmdstat "$p" subscribe)" 0
	done
	assert_equal "$(cmdstat "$(owner_of "$a")" spublish)" 4
	assert_equal "$(cmdstat "$(owner_of "$b")" spublish)" 2
	assert_equal "$(cmdstat "$(owner_of "$a")" ssubscribe)" 1
}

@test "watch of every session on a cluster: each slot's channel on its master, one connection per master, events from every master" {
	local ids id p out st
	export REDIS_URL=$CLUSTER_URL
	ids=$(ids_per_master)
	for id in $ids; do
		run -0 sctl create --id "$id" --agent x
	done
	out=$BATS_TEST_TMPDIR/out
	sk_bg "$out" "$BATS_TEST_TMPDIR/err" sessctl watch
	bg=$!
	cluster_wait_slot_channels 20 || fail "watch did not subscribe every slot channel: $(cat "$BATS_TEST_TMPDIR/err")"
	assert_equal "$(cluster_slot_channels)" 16384
	for p in $(echo "$CLUSTER_PORTS" | cut -d' ' -f1-3); do
		assert_equal "$(redis-cli -p "$p" client list | grep -c ' ssub=[1-9]')" 1
	done
	for id in $ids; do
		run -0 sctl emit "$id" --actor x --type modified
	done
	wait_lines "$out" 3
	kill -TERM "$bg"
	wait "$bg" || st=$?
	bg=
	assert_equal "${st:-0}" 143
	assert_equal "$(jq -r .sessionId <"$out" | sort | tr '\n' ' ')" "$(echo $ids | tr ' ' '\n' | sort | tr '\n' ' ')"
}

@test "watch of every session on a cluster follows a slot moved to another master (sunsubscribe, subscribed again there)" {
	local ids a slot from to out chan p st
	export REDIS_URL=$CLUSTER_URL
	ids=$(ids_per_master)
	a=$(echo $ids | cut -d' ' -f1)
	slot=$(redis-cli -p "$(first_port)" cluster keyslot "$a")
	from=$(owner_of "$a") to=$(echo "$CLUSTER_PORTS" | cut -d' ' -f2)
	run -0 sctl create --id "$a" --agent x
	out=$BATS_TEST_TMPDIR/out
	sk_bg "$out" "$BATS_TEST_TMPDIR/err" sessctl watch
	bg=$!
	cluster_wait_slot_channels 20 || fail "watch did not subscribe every slot channel: $(cat "$BATS_TEST_TMPDIR/err")"
	run -0 sctl emit "$a" --actor x --type modified
	wait_lines "$out" 1
	move_slot "$slot" "$from" "$to"
	MOVED_BACK="$slot $to $from"
	[ "$(owner_of "$a")" = "$to" ] || fail "the slot did not move"
	# the slot's channel (named by its companions' tag) is subscribed
	# again, on its new master
	chan=$(redis-cli -p "$to" cluster getkeysinslot "$slot" 100 | sed -n 's/^\(sess:#{[0-9a-z]*}:\)index$/\1notify/p')
	[ -n "$chan" ] || fail "no companion index in slot $slot"
	wait_shard_subs "$chan" 1
	run -0 sctl emit "$a" --actor x --type fixed
	wait_lines "$out" 2
	kill -TERM "$bg"
	wait "$bg" || st=$?
	bg=
	assert_equal "${st:-0}" 143
	assert_equal "$(jq -r '.sessionId + ":" + .type' <"$out" | tr '\n' ' ')" "$a:modified $a:fixed "
	if grep -q 'subscrib' "$BATS_TEST_TMPDIR/err"; then
		fail "watch subscribed all again instead of following the slot: $(cat "$BATS_TEST_TMPDIR/err")"
	fi
}

@test "events --follow on a cluster: woken by SSUBSCRIBE on the session's master" {
	local a out st
	export REDIS_URL=$CLUSTER_URL
	a=$(ids_per_master | sed -n 3p)
	run -0 sctl create --id "$a" --agent x
	run -0 sctl emit "$a" --actor x --type modified
	out=$BATS_TEST_TMPDIR/out
	sk_bg "$out" "$BATS_TEST_TMPDIR/err" sessctl events "$a" --follow
	bg=$!
	wait_lines "$out" 1
	wait_shard_subs "sess:{$a}:notify" 1
	run -0 sctl emit "$a" --actor x --type fixed
	wait_lines "$out" 2
	kill -TERM "$bg"
	wait "$bg" || st=$?
	bg=
	assert_equal "${st:-0}" 143
	assert_equal "$(jq -r .type <"$out" | tr '\n' ' ')" "modified fixed "
}

@test "an ACL user who may not SPUBLISH on a cluster: emit refused before any write (77, naming +spublish)" {
	local a p
	export REDIS_URL=$CLUSTER_URL
	a=$(ids_per_master | sed -n 2p)
	run -0 sctl create --id "$a" --agent x
	for p in $CLUSTER_PORTS; do
		redis-cli -p "$p" acl setuser nopub on '>pw' '~*' '&*' +@all -spublish >/dev/null
	done
	REDIS_URL=redis://nopub:pw@${CLUSTER_URL#redis://} run -77 sk sessctl emit "$a" --actor x --type modified
	assert_output --partial "+spublish"
	for p in $CLUSTER_PORTS; do
		redis-cli -p "$p" acl deluser nopub >/dev/null
	done
	run -0 sctl get "$a"
	assert_equal "$(json_field seq <<<"$output")" 0
	run -0 sctl events "$a"
	assert_output ""
}

@test "sess-health's pub/sub check on a cluster: SSUBSCRIBE and SPUBLISH on the probe channel's master, healthy" {
	local p chan
	chan='sess:{__sesskit_health__}:notify'
	resetstat
	run -0 env REDIS_URL="$CLUSTER_URL" HOME="$BATS_TEST_TMPDIR" XDG_CONFIG_HOME= SESSKIT_CONFIG= \
		"$SESSKIT_BUILDDIR/sess-health" check --format json
	assert_equal "$(jq -r '.checks["pubsub:roundTrip"][0].level' <<<"$output")" healthy
	assert_equal "$(cmdstat "$(owner_of "$chan")" ssubscribe)" 1
	assert_equal "$(cmdstat "$(owner_of "$chan")" spublish)" 1
	for p in $CLUSTER_PORTS; do
		assert_equal "$(cmdstat "$p" publish)" 0
		assert_equal "$(cmdstat "$p" subscribe)" 0
	done
}

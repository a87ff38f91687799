# Redis Cluster harness (load after helpers/redis): a real cluster of
# three masters (and optionally one replica each), every node a
# redis-server --cluster-enabled yes in its own temp dir on a port from
# port_reserve (whose bus port, +10000, is free too), always stopped.
# One cluster per test file: a cluster suite loads helpers/redis and
# helpers/cluster at its top and runs
#   setup_file() { cluster_suite_setup [--replicas]; }   cluster_start
#   teardown_file() { cluster_suite_teardown; }  the cluster and every named
#                      server stopped (after a failed start too)
#   cluster_test_setup  in setup: the masters flushed, a slot-map cache
#                      of the test's own (XDG_CACHE_HOME)
#   cluster_start [--replicas]   three masters with the 16384 slots split
#                      as redis-cli --cluster create splits them (with
#                      --replicas: three more nodes, one replica each);
#                      waits until every node says cluster_state:ok and
#                      agrees on the slots. Sets and exports
#                      CLUSTER_PORTS ("p1 p2 p3": the masters, then the
#                      replicas), CLUSTER_DIRS, CLUSTER_URL
#                      (redis://127.0.0.1:p1) and CLUSTER_NODES
#                      (127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3)
#   cluster_stop       stops every node (safe after a failed start)
#   cluster_cli PORT ARGS...   redis-cli -c on node PORT
#   cluster_ok [TIMEOUT_S]     until every node says cluster_state:ok
#                      and answers the same CLUSTER SLOTS (default 30 s)
#   cluster_owner SLOT         the port of the master serving SLOT
#   cluster_node_id PORT       CLUSTER MYID of node PORT
#   cluster_flushall   FLUSHALL on every master (in setup)
#   cluster_restart_fresh      stop every node, forget the cluster
#                      (nodes.conf) and make a new cluster on the same
#                      ports: new node ids, same addresses
#   cluster_links_up [TIMEOUT_S]   until every replica's link to its
#                      master is up (cluster_start --replicas waits for it)
#   cluster_masters    the ports of the masters now (after a failover too),
#                      as the live nodes see them
#   cluster_alive_masters   the ports of the nodes answering ROLE master now
#   cluster_slot_channels   how many session slot channels
#                      (sess:#{*}:notify) are SSUBSCRIBEd on the masters
#                      answering now, in all
#   cluster_wait_slot_channels [TIMEOUT_S]   until all 16384 are (a
#                      watch of every session has subscribed; default 20 s)
#   cluster_replica_of PORT    the port of master PORT's replica
#   cluster_pid PORT   the pid of node PORT
#   cluster_respawn PORT       start node PORT again (killed: it comes
#                      back with its nodes.conf, a replica after a failover)
#   cluster_ids_on PORT N [PREFIX]   N session ids (PREFIX1, PREFIX2...)
#                      whose slots master PORT serves
#   master_with_replica SEED MASTERS...   the first of MASTERS that has a
#                      replica (as node SEED sees it), or fails
# Nodes time out after 2 s (cluster-node-timeout 2000) so a failover test
# does not wait long.

: "${CLUSTER_DIRS:=}"

# _cluster_spawn_at DIR PORT: (re)start the node of DIR on PORT.
_cluster_spawn_at() {
	local dir=$1 port=$2 i
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
		--logfile "$dir/redis.log" --enable-debug-command local \
		--cluster-enabled yes --cluster-config-file nodes.conf \
		--cluster-node-timeout 2000 --cluster-replica-validity-factor 0 \
		--repl-diskless-sync-delay 0 >/dev/null 2>&1 3>&-
	for i in $(seq 1 200); do
		redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	echo "cluster node on port $port did not start: $(tail -n 3 "$dir/redis.log" 2>/dev/null)" >&2
	return 1
}

# _cluster_create: join the nodes of CLUSTER_PORTS into one cluster.
_cluster_create() {
	local p addrs="" reps=0 m="" r=""
	for p in $CLUSTER_PORTS; do addrs="$addrs 127.0.0.1:$p"; done
	[ "$(echo "$CLUSTER_PORTS" | wc -w)" -eq 6 ] && reps=1
	# shellcheck disable=SC2086
	redis-cli --cluster create $addrs --cluster-replicas "$reps" --cluster-yes >/dev/null 2>&1 ||
		{ echo "redis-cli --cluster create failed" >&2; return 1; }
	cluster_ok 30 || return 1
	# the masters first, whichever redis-cli chose
	for p in $CLUSTER_PORTS; do
		if [ "$(redis-cli -p "$p" role | head -n 1)" = master ]; then m="$m $p"; else r="$r $p"; fi
	done
	CLUSTER_PORTS=$(echo $m $r)
	[ -z "$r" ] || cluster_links_up 30
}

cluster_links_up() {
	local timeout=${1:-30} i p ok
	for i in $(seq 1 $((timeout * 20))); do
		ok=1
		for p in $CLUSTER_PORTS; do
			redis-cli -p "$p" info replication 2>/dev/null | tr -d '\r' |
				grep -q '^master_link_status:down' && { ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		sleep 0.05
	done
	echo "cluster_links_up: a replica's link is down after $timeout s" >&2
	return 1
}

cluster_start() {
	local n=3 i p
	[ "${1:-}" = --replicas ] && n=6
	CLUSTER_DIRS="" CLUSTER_PORTS=""
	export CLUSTER_DIRS CLUSTER_PORTS # teardown_file stops what a failed start left
	for i in $(seq 1 "$n"); do
		# validity factor 0: a replica fails over however long its link
		# was quiet (a loaded test machine must not stop a failover test)
		_redis_spawn --cluster-enabled yes --cluster-config-file nodes.conf \
			--cluster-node-timeout 2000 --cluster-replica-validity-factor 0 || return 1
		CLUSTER_DIRS="$CLUSTER_DIRS $_RS_DIR"
		CLUSTER_PORTS="$CLUSTER_PORTS $_RS_PORT"
	done
	CLUSTER_DIRS=${CLUSTER_DIRS# } CLUSTER_PORTS=${CLUSTER_PORTS# }
	_cluster_create || return 1
	p=$(echo "$CLUSTER_PORTS" | cut -d' ' -f1)
	CLUSTER_URL="redis://127.0.0.1:$p"
	CLUSTER_NODES=$(echo "$CLUSTER_PORTS" | cut -d' ' -f1-3 | sed 's/\([0-9]*\)/127.0.0.1:\1/g; s/ /,/g')
	export CLUSTER_URL CLUSTER_NODES CLUSTER_PORTS
}

cluster_suite_setup() {
	cluster_start "$@"
}

cluster_suite_teardown() {
	cluster_stop
	redis_stop_named
}

cluster_test_setup() {
	cluster_flushall
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
}

cluster_stop() {
	local dir
	for dir in $CLUSTER_DIRS; do
		_redis_kill "$dir"
	done
	CLUSTER_DIRS=""
	return 0
}

cluster_cli() {
	local port=$1
	shift
	redis-cli -c -p "$port" "$@"
}

cluster_ok() {
	local timeout=${1:-30} i p ok first cur
	for i in $(seq 1 $((timeout * 20))); do
		ok=1 first=""
		for p in $CLUSTER_PORTS; do
			redis-cli -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || { ok=0; break; }
			cur=$(redis-cli -p "$p" cluster slots 2>/dev/null | md5sum)
			[ -z "$first" ] && first=$cur
			[ "$cur" = "$first" ] || { ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		sleep 0.05
	done
	echo "cluster_ok: the cluster is not ok after $timeout s" >&2
	return 1
}

cluster_owner() {
	local slot=$1 p
	p=$(echo "$CLUSTER_PORTS" | cut -d' ' -f1)
	redis-cli -p "$p" cluster slots |
		awk -v s="$slot" 'BEGIN{n=0} {v[n++]=$0} END{
			# flat output: start, end, ip, port, id, [replica ip, port, id]...
			for (i = 0; i + 4 < n; i++)
				if (v[i] ~ /^[0-9]+$/ && v[i+1] ~ /^[0-9]+$/ && v[i+2] ~ /\./ &&
				    v[i] + 0 <= s && s <= v[i+1] + 0) { print v[i+3]; exit }
		}'
}

cluster_node_id() {
	redis-cli -p "$1" cluster myid
}

cluster_flushall() {
	local p
	for p in $CLUSTER_PORTS; do
		redis-cli -p "$p" flushall >/dev/null 2>&1 || true
	done
}

cluster_restart_fresh() {
	local dir port
	for dir in $CLUSTER_DIRS; do
		_redis_stop_in "$dir"
		rm -f "$dir/nodes.conf" "$dir/redis.pid"
	done
	for dir in $CLUSTER_DIRS; do
		port=$(cat "$dir/port")
		_cluster_spawn_at "$dir" "$port" || return 1
	done
	_cluster_create
}

cluster_masters() {
	local p
	for p in $CLUSTER_PORTS; do
		# the first live node answers for all
		redis-cli -p "$p" cluster nodes 2>/dev/null |
			awk '$3 ~ /master/ && $3 !~ /fail/ && NF >= 9 { split($2, a, "[:@]"); print a[2] }' | sort -n |
			grep . && return 0
	done
	return 1
}

cluster_alive_masters() {
	local p
	for p in $CLUSTER_PORTS; do
		if [ "$(redis-cli -p "$p" role 2>/dev/null | head -n 1)" = master ]; then
			echo "$p"
		fi
	done
}

cluster_slot_channels() {
	local p n=0
	for p in $(cluster_alive_masters); do
		n=$((n + $(redis-cli -p "$p" pubsub shardchannels 'sess:#{*}:notify' | { grep -c . || true; })))
	done
	echo "$n"
}

cluster_wait_slot_channels() {
	local timeout=${1:-20} k n
	for k in $(seq 1 $((timeout * 20))); do
		n=$(cluster_slot_channels)
		[ "$n" -ge 16384 ] && return 0
		sleep 0.05
	done
	echo "cluster_wait_slot_channels: only $n of 16384 slot channels subscribed after $timeout s" >&2
	return 1
}

cluster_replica_of() {
	local p
	for p in $CLUSTER_PORTS; do
		if redis-cli -p "$p" role 2>/dev/null | tr -d '\r' | sed -n '1p;3p' | tr '\n' ' ' |
			grep -qx "slave $1 "; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

cluster_pid() {
	local dir
	for dir in $CLUSTER_DIRS; do
		[ "$(cat "$dir/port")" = "$1" ] && { cat "$dir/redis.pid"; return 0; }
	done
	return 1
}

cluster_respawn() {
	local dir
	for dir in $CLUSTER_DIRS; do
		[ "$(cat "$dir/port")" = "$1" ] && { _cluster_spawn_at "$dir" "$1"; return; }
	done
	return 1
}

cluster_ids_on() {
	local port=$1 want=$2 prefix=${3:-s} k=0 n=0 p slots
	p=$(cluster_masters | head -n 1)
	slots=$(redis-cli -p "$p" cluster slots)
	while [ "$n" -lt "$want" ] && [ "$k" -lt 10000 ]; do
		k=$((k + 1))
		if [ "$(echo "$slots" | awk -v s="$(redis-cli -p "$p" cluster keyslot "{$prefix$k}")" 'BEGIN{n=0} {v[n++]=$0} END{
			for (i = 0; i + 4 < n; i++)
				if (v[i] ~ /^[0-9]+$/ && v[i+1] ~ /^[0-9]+$/ && v[i+2] ~ /\./ &&
				    v[i] + 0 <= s && s <= v[i+1] + 0) { print v[i+3]; exit }
		}')" = "$port" ]; then
			echo "$prefix$k"
			n=$((n + 1))
		fi
	done
}

master_with_replica() {
	local seed=$1 k
	shift
	for k in "$@"; do
		if [ -n "$(redis-cli -p "$seed" cluster replicas "$(redis-cli -p "$k" cluster myid)" 2>/dev/null)" ]; then
			echo "$k"
			return 0
		fi
	done
	return 1
}

# Sentinel harness (load after helpers/redis): a primary, a replica and
# three sentinels (redis-server --sentinel) on reserved ports, in temp
# dirs, always stopped (sentinel_stop, in teardown_file).
#   sentinel_start [NAME]   in setup_file: master name NAME (default
#                      mymaster); sets SENT_MASTER_PORT, SENT_REPLICA_PORT,
#                      SENT_PORTS ("p1 p2 p3") and SENT_URL
#                      (redis+sentinel://127.0.0.1:p1,.../?master=NAME);
#                      waits until every sentinel sees the replica and the
#                      other two sentinels
#   sentinel_stop      stops all five (safe after a failed start)
#   sentinel_primary   the port the sentinels name as the primary now
#   sentinel_replica   the port of the other data server
#   sentinel_replica_pid   its pid (kill -STOP / -CONT it)
#   sentinel_cli ARGS  redis-cli on the current primary
#   sentinel_settled [TIMEOUT_S]  until every sentinel names the same
#                      primary, that server says ROLE master and the
#                      other replicates from it (link up), default 30 s
# down-after-milliseconds is 1000 and failover-timeout 10000, so a
# SENTINEL FAILOVER completes in a few seconds even on a loaded machine.
# The data servers start a replica's full sync at once
# (repl-diskless-sync-delay 0, not 5 s). The sentinels keep their own
# timers: shortened by SENTINEL DEBUG (INFO every 1 s, hello every 0.5 s,
# TILT 5 s) a SENTINEL FAILOVER right after another one was once taken
# and never carried out within 60 s in CI.

: "${SENT_NAME:=mymaster}"
: "${_SENT_DIRS:=}"

# _sent_dir_port: a temp dir holding a reserved port (in DIR/port, so
# _redis_kill releases it); prints "DIR PORT".
_sent_dir_port() {
	local dir port
	dir=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/sentinel.XXXXXX") || return 1
	port=$(port_reserve) || return 1
	echo "$port" >"$dir/port"
	echo "$dir $port"
}

# _sent_spawn KIND [ARGS...]: one server (KIND data: redis-server ARGS;
# KIND sentinel: a sentinel monitoring ARGS = "NAME PRIMARY_PORT") on a
# reserved port; a port someone took meanwhile (an ephemeral one) is
# given up and another tried. Sets _SP_DIR and _SP_PORT.
_sent_spawn() {
	local kind=$1 try dir port i
	shift
	for try in $(seq 1 20); do
		read -r dir port < <(_sent_dir_port) || return 1
		_SENT_DIRS="$_SENT_DIRS $dir"
		if [ "$kind" = sentinel ]; then
			cat >"$dir/sentinel.conf" <<-CONF
			port $port
			bind 127.0.0.1
			daemonize yes
			pidfile $dir/redis.pid
			logfile $dir/redis.log
			dir $dir
			sentinel monitor $1 127.0.0.1 $2 2
			sentinel down-after-milliseconds $1 1000
			sentinel failover-timeout $1 10000
			sentinel parallel-syncs $1 1
			CONF
			redis-server "$dir/sentinel.conf" --sentinel >/dev/null 2>&1 3>&-
		else
			redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
				--dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
				--logfile "$dir/redis.log" --repl-diskless-sync-delay 0 "$@" >/dev/null 2>&1 3>&-
		fi
		for i in $(seq 1 200); do
			if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
				_SP_DIR=$dir _SP_PORT=$port
				return 0
			fi
			grep -qs -e "Address already in use" -e "Failed listening" "$dir/redis.log" && break
			sleep 0.05
		done
		grep -qs -e "Address already in use" -e "Failed listening" "$dir/redis.log" || {
			echo "server on port $port did not start: $(tail -n 3 "$dir/redis.log" 2>/dev/null)" >&2
			return 1
		}
		_redis_kill "$dir"
	done
	echo "_sent_spawn: no free port in 20 tries" >&2
	return 1
}

sentinel_start() {
	local name=${1:-mymaster} i s ports="" ok
	SENT_NAME=$name
	_SENT_DIRS=""
	export _SENT_DIRS # teardown_file stops what a failed start left
	_sent_spawn data || return 1
	SENT_MASTER_PORT=$_SP_PORT SENT_MASTER_DIR=$_SP_DIR
	_sent_spawn data --replicaof 127.0.0.1 "$SENT_MASTER_PORT" || return 1
	SENT_REPLICA_PORT=$_SP_PORT SENT_REPLICA_DIR=$_SP_DIR
	for i in 1 2 3; do
		_sent_spawn sentinel "$name" "$SENT_MASTER_PORT" || return 1
		ports="$ports $_SP_PORT"
	done
	SENT_PORTS=${ports# }
	SENT_URL="redis+sentinel://127.0.0.1:${SENT_PORTS// /,127.0.0.1:}/?master=$name"
	export SENT_MASTER_PORT SENT_REPLICA_PORT SENT_PORTS SENT_URL SENT_NAME _SENT_DIRS \
		SENT_MASTER_DIR SENT_REPLICA_DIR
	# every sentinel knows the replica and the two others (a failover
	# needs both); up to 30 s
	for i in $(seq 1 600); do
		ok=1
		for s in $SENT_PORTS; do
			redis-cli -p "$s" sentinel master "$name" 2>/dev/null |
				awk 'p=="num-slaves"{a=$0} p=="num-other-sentinels"{b=$0} {p=$0} END{exit !(a>=1 && b>=2)}' ||
				{ ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		sleep 0.05
	done
	echo "sentinel_start: the sentinels did not find the replica and each other in 30 s" >&2
	return 1
}

sentinel_stop() {
	local dir
	for dir in $_SENT_DIRS; do
		_redis_kill "$dir"
	done
	_SENT_DIRS=""
	return 0
}

sentinel_primary() {
	local s
	for s in $SENT_PORTS; do
		redis-cli -p "$s" sentinel get-master-addr-by-name "$SENT_NAME" 2>/dev/null | sed -n 2p && return 0
	done
	return 1
}

sentinel_replica() {
	local p
	p=$(sentinel_primary) || return 1
	if [ "$p" = "$SENT_MASTER_PORT" ]; then echo "$SENT_REPLICA_PORT"; else echo "$SENT_MASTER_PORT"; fi
}

# sentinel_replica_pid: the pid of the data server that is not the primary
sentinel_replica_pid() {
	local p
	p=$(sentinel_replica) || return 1
	if [ "$p" = "$SENT_MASTER_PORT" ]; then cat "$SENT_MASTER_DIR/redis.pid"; else cat "$SENT_REPLICA_DIR/redis.pid"; fi
}

sentinel_cli() {
	redis-cli -p "$(sentinel_primary)" "$@"
}

sentinel_settled() {
	local timeout=${1:-30} i s p q same
	for ((i = 0; i < timeout * 10; i++)); do
		same=1 p=""
		for s in $SENT_PORTS; do
			q=$(redis-cli -p "$s" sentinel get-master-addr-by-name "$SENT_NAME" 2>/dev/null | sed -n 2p)
			[ -n "$p" ] || p=$q
			[ -n "$q" ] && [ "$q" = "$p" ] || same=0
		done
		if [ $same = 1 ] && redis-cli -p "$p" role 2>/dev/null | head -n 1 | grep -qx master &&
			redis-cli -p "$(sentinel_replica)" info replication 2>/dev/null |
			grep -q -e "master_port:$p" && redis-cli -p "$(sentinel_replica)" info replication |
			grep -q "master_link_status:up"; then
			return 0
		fi
		sleep 0.1
	done
	echo "sentinel_settled: no settled primary after ${timeout}s" >&2
	return 1
}

# Test harness: a private redis-server per test file (temp dir, free TCP
# port and a unix socket), always stopped; never the user's 6379.
# Binaries come from $SESSKIT_BUILDDIR (set by `make check`).

BATS_LIB=${BATS_LIB:-/usr/lib/bats}
load "$BATS_LIB/bats-support/load.bash"
load "$BATS_LIB/bats-assert/load.bash"

: "${SESSKIT_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${SESSKIT_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
SESSCTL="$SESSKIT_BUILDDIR/sessctl"

# Start redis-server on a free port; extra arguments go to redis-server.
# Sets REDIS_DIR, REDIS_PORT_T, REDIS_SOCK.
redis_start() {
	local try port i
	for try in $(seq 1 30); do
		REDIS_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/redis.XXXXXX")
		REDIS_SOCK="$REDIS_DIR/redis.sock"
		port=$(( 20000 + (RANDOM * 7 + try * 131 + $$) % 40000 ))
		redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$REDIS_SOCK" \
			--unixsocketperm 700 --save '' --appendonly no --dir "$REDIS_DIR" \
			--daemonize yes --pidfile "$REDIS_DIR/redis.pid" \
			--logfile "$REDIS_DIR/redis.log" --enable-debug-command local "$@" >/dev/null 2>&1
		# up to 10 s for a slow (sanitizer, loaded CI) machine; a port
		# someone else holds shows in the log at once: try another
		for i in $(seq 1 200); do
			if redis-cli -s "$REDIS_SOCK" ping 2>/dev/null | grep -q PONG; then
				REDIS_PORT_T=$port
				export REDIS_DIR REDIS_PORT_T REDIS_SOCK
				return 0
			fi
			grep -qs -e "Address already in use" -e "Could not create server" "$REDIS_DIR/redis.log" && break
			sleep 0.05
		done
		echo "redis-server on port $port did not start: $(tail -n 2 "$REDIS_DIR/redis.log" 2>/dev/null)" >&2
		redis_stop
	done
	echo "could not start redis-server" >&2
	return 1
}

redis_stop() {
	if [ -n "${REDIS_DIR:-}" ] && [ -f "$REDIS_DIR/redis.pid" ]; then
		local pid
		pid=$(cat "$REDIS_DIR/redis.pid")
		kill "$pid" 2>/dev/null || true
		local i
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	[ -n "${REDIS_DIR:-}" ] && rm -rf "$REDIS_DIR"
	return 0
}

# redis-cli against the private server.
rcli() {
	redis-cli -s "$REDIS_SOCK" "$@"
}

# sessctl against the private server; settings from the environment only.
sctl() {
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME="$BATS_FILE_TMPDIR" \
		SESSKIT_CONFIG= "$SESSCTL" "$@"
}

# A free port nobody listens on (for "Redis down" tests).
dead_port() {
	echo $(( REDIS_PORT_T + 1 ))
}

# jq is optional on a developer's machine; these read one field.
json_field() { # json_field FIELD  (stdin: one JSON object)
	jq -r ".$1"
}

common_setup_file() {
	redis_start
}

common_teardown_file() {
	redis_stop
}

common_setup() {
	rcli FLUSHALL >/dev/null
}

# Test harness: a private redis-server per test file (temp dir, free TCP
# port and a unix socket), always stopped; never the user's 6379.
# Binaries come from $SESSKIT_BUILDDIR (set by `make check`).

BATS_LIB=${BATS_LIB:-/usr/lib/bats}
load "$BATS_LIB/bats-support/load.bash"
load "$BATS_LIB/bats-assert/load.bash"

: "${SESSKIT_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${SESSKIT_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
SESSCTL="$SESSKIT_BUILDDIR/sessctl"

# The user's own settings never reach a test: tests set what they need.
unset REDIS_URL REDIS_HOST REDIS_PORT REDIS_DB REDIS_USERNAME REDIS_PASSWORD \
	SESSION_TTL SESSION_CLEANUP_INTERVAL SESSION_CLEANUP_BATCH_SIZE SESSKIT_PREFIX

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

# _sk_path BINARY: the built binary's path, or why not.
_sk_path() {
	local path="$SESSKIT_BUILDDIR/${1:-}"
	if [ -z "${1:-}" ] || [ ! -f "$path" ] || [ ! -x "$path" ]; then
		echo "sk: ${1:-(no binary named)}: not built in $SESSKIT_BUILDDIR (make ${1:-})" >&2
		return 127
	fi
	if [ -z "${REDIS_URL:-}" ] && [ -z "${REDIS_PORT_T:-}" ]; then
		echo "sk: no private redis-server; call common_setup_file in setup_file" >&2
		return 127
	fi
	echo "$path"
}

# sk BINARY ARGS...: a sesskit binary against the private server, or the
# REDIS_URL the test set (the user's own was unset above); settings from
# the environment only (no user config file, HOME is the file's tmp).
sk() {
	local path
	path=$(_sk_path "${1:-}") || return
	shift
	REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT_T}" HOME="$BATS_FILE_TMPDIR" \
		XDG_CONFIG_HOME= SESSKIT_CONFIG= "$path" "$@"
}

# sk_bg OUT ERR BINARY ARGS...: sk in the background, stdout to OUT and
# stderr to ERR. $! is the binary itself (so signals reach it), and bats'
# fd 3 is closed so bats does not wait for it. Kill it in teardown.
sk_bg() {
	local out=$1 err=$2 path
	shift 2
	path=$(_sk_path "${1:-}") || return
	shift
	env REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT_T}" HOME="$BATS_FILE_TMPDIR" \
		XDG_CONFIG_HOME= SESSKIT_CONFIG= "$path" "$@" >"$out" 2>"$err" 3>&- &
}

# sessctl against the private server.
sctl() {
	sk sessctl "$@"
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

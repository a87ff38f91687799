# Test harness for every sesskit binary's bats suite: a private
# redis-server per test file (temp dir, free TCP port and a unix socket),
# always stopped; never the user's 6379. Binaries come from
# $SESSKIT_BUILDDIR (set by `make check`). See tests/README.md.
#
# What a suite gets (after `load helpers/redis`):
#   common_setup_file / common_teardown_file   in setup_file/teardown_file:
#                      start/stop the private server and the dead port;
#                      teardown also stops every redis_start_named server
#   common_setup       in setup: FLUSHALL on every private server
#   sk BINARY ARGS...  run $SESSKIT_BUILDDIR/BINARY against the private
#                      server (REDIS_URL set unless the test set one;
#                      HOME/config kept out); status 127 and a message
#                      if BINARY is not built
#   sk_bg OUT ERR BINARY ARGS...   the same in the background, stdout to
#                      OUT, stderr to ERR; $! is the binary itself
#   sctl ARGS...       sk sessctl ARGS...
#   rcli ARGS...       redis-cli on the private server
#   wait_subscribers CHANNEL_OR_PATTERN N [TIMEOUT_S]   until N clients
#                      subscribe (default 10 s), else fail with the list
#   dead_port          a 127.0.0.1 port that refuses connections for the
#                      whole file (held bound, never listening)
#   redis_start_named NAME [REDIS-ARGS...]   one more private server (in
#                      setup_file): sets NAME_PORT, NAME_SOCK, NAME_DIR;
#                      redis_stop_named [NAME...] stops it early
#   redis_url [NAME]   redis://127.0.0.1:PORT of the main or a named server
#   redis_start [REDIS-ARGS...] / redis_stop   the main server by hand
#   json_field FIELD   one field of the JSON object on stdin (jq)
#   port_reserve       a TCP port P with P and P+10000 (a cluster node's
#                      bus port) free, reserved under a lock for as long
#                      as this bats process lives (or port_release P), so
#                      suites run side by side (make -j2 check) never
#                      pick the same one; every private server uses it
#   Variables: REDIS_PORT_T, REDIS_SOCK, REDIS_DIR (main server),
#   SESSCTL (path of sessctl), SESSKIT_BUILDDIR, SESSKIT_SRCDIR.
# Loading it unsets the user's REDIS_*, SESSION_* and SESSKIT_PREFIX, and
# GITHUB_STEP_SUMMARY (sess-validate appends to it: a test sets its own).

BATS_LIB=${BATS_LIB:-/usr/lib/bats}
load "$BATS_LIB/bats-support/load.bash"
load "$BATS_LIB/bats-assert/load.bash"

: "${SESSKIT_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${SESSKIT_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
SESSCTL="$SESSKIT_BUILDDIR/sessctl"

# The user's own settings never reach a test: tests set what they need.
unset REDIS_URL REDIS_HOST REDIS_PORT REDIS_DB REDIS_USERNAME REDIS_PASSWORD \
	REDIS_TLS REDIS_CACERT REDIS_CACERTDIR REDIS_CERT REDIS_KEY REDIS_SNI REDIS_INSECURE \
	REDIS_TLS_CIPHERS REDIS_TLS_CIPHERSUITES \
	REDIS_SENTINELS REDIS_SENTINEL_MASTER REDIS_SENTINEL_USERNAME REDIS_SENTINEL_PASSWORD \
	REDIS_WAIT_REPLICAS REDIS_WAIT_TIMEOUT REDIS_CLUSTER REDIS_CLUSTER_NODES REDIS_SCRIPTS \
	SESSION_TTL SESSION_CLEANUP_INTERVAL SESSION_CLEANUP_BATCH_SIZE SESSKIT_PREFIX \
	GITHUB_STEP_SUMMARY
# SESSKIT_TEST_SCRIPTS=eval (or functions): the suite calls the session
# scripts that way (redis.scripts; tests/scripts_paths.bats runs the
# script-heavy suites again on the EVALSHA path)
if [ -n "${SESSKIT_TEST_SCRIPTS:-}" ]; then
	export REDIS_SCRIPTS=$SESSKIT_TEST_SCRIPTS
fi

# Reservations: a file per port in $_SK_PORTS holding the owner's pid;
# one whose owner is gone is free again. The lock makes pick-and-mark one
# step across processes.
_SK_PORTS=${TMPDIR:-/tmp}/sesskit-ports

# _port_listened P: something accepts connections on 127.0.0.1:P.
_port_listened() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_reserve() {
	local fd try p
	mkdir -p "$_SK_PORTS" || return 1
	exec {fd}>>"$_SK_PORTS/.lock" || return 1
	flock -w 30 "$fd" || { exec {fd}>&-; echo "port_reserve: $_SK_PORTS/.lock held for 30 s" >&2; return 1; }
	for try in $(seq 1 300); do
		p=$(( 20000 + (RANDOM * 7 + try * 131 + $$) % 35000 ))
		# p and p+10000 (a cluster node's bus port) are both marked: a
		# port another suite reserved as a bus port, before its node
		# listens there, is taken too
		_port_marked "$p" && continue
		_port_marked $((p + 10000)) && continue
		_port_listened "$p" && continue
		_port_listened $((p + 10000)) && continue
		echo "$$" >"$_SK_PORTS/$p"
		echo "$$" >"$_SK_PORTS/$((p + 10000))"
		exec {fd}>&-
		echo "$p"
		return 0
	done
	exec {fd}>&-
	echo "port_reserve: no free port pair found" >&2
	return 1
}

port_release() { rm -f "$_SK_PORTS/${1:?port}" "$_SK_PORTS/$((${1:?port} + 10000))"; }

# _port_marked P: a live process reserved P (as a port or a bus port).
_port_marked() {
	local owner
	[ -e "$_SK_PORTS/$1" ] || return 1
	owner=$(cat "$_SK_PORTS/$1" 2>/dev/null)
	[ -n "$owner" ] && kill -0 "$owner" 2>/dev/null
}

# _redis_spawn ARGS...: start one redis-server on a free port; extra
# arguments go to redis-server. Sets _RS_DIR, _RS_PORT, _RS_SOCK.
# A replica's full sync starts at once (repl-diskless-sync-delay 0; the
# default waits 5 s for more replicas to share it).
_redis_spawn() {
	local try port i dir sock
	for try in $(seq 1 30); do
		dir=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/redis.XXXXXX")
		sock="$dir/redis.sock"
		port=$(port_reserve) || return 1
		echo "$port" >"$dir/port"
		redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$sock" \
			--unixsocketperm 700 --save '' --appendonly no --dir "$dir" \
			--daemonize yes --pidfile "$dir/redis.pid" \
			--logfile "$dir/redis.log" --enable-debug-command local \
			--repl-diskless-sync-delay 0 "$@" >/dev/null 2>&1
		# up to 10 s for a slow (sanitizer, loaded CI) machine; a port
		# someone else holds shows in the log at once: try another
		for i in $(seq 1 200); do
			# NOAUTH: up, with --requirepass (tests of a wrong password)
			if redis-cli -s "$sock" ping 2>/dev/null | grep -q -e PONG -e NOAUTH; then
				_RS_DIR=$dir _RS_PORT=$port _RS_SOCK=$sock
				return 0
			fi
			grep -qs -e "Address already in use" -e "Could not create server" "$dir/redis.log" && break
			sleep 0.05
		done
		echo "redis-server on port $port did not start: $(tail -n 2 "$dir/redis.log" 2>/dev/null)" >&2
		_redis_kill "$dir"
	done
	echo "could not start redis-server" >&2
	return 1
}

# _redis_stop_in DIR: stop the server whose pidfile is in DIR (TERM, up to
# 2 s to go, then KILL); DIR and its port stay (cluster_restart_fresh
# starts a node there again).
_redis_stop_in() {
	local dir=$1 pid i
	[ -f "$dir/redis.pid" ] || return 0
	pid=$(cat "$dir/redis.pid")
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	kill -9 "$pid" 2>/dev/null || true
	return 0
}

# _redis_kill DIR: stop the server whose pidfile is in DIR; release its
# port; remove DIR.
_redis_kill() {
	local dir=${1:-}
	[ -n "$dir" ] || return 0
	_redis_stop_in "$dir"
	[ ! -f "$dir/port" ] || port_release "$(cat "$dir/port")"
	rm -rf "$dir"
	return 0
}

# Start the main private server; extra arguments go to redis-server.
# Sets REDIS_DIR, REDIS_PORT_T, REDIS_SOCK.
redis_start() {
	_redis_spawn "$@" || return 1
	REDIS_DIR=$_RS_DIR REDIS_PORT_T=$_RS_PORT REDIS_SOCK=$_RS_SOCK
	export REDIS_DIR REDIS_PORT_T REDIS_SOCK
}

redis_stop() {
	_redis_kill "${REDIS_DIR:-}"
}

# redis_start_named NAME [ARGS...]: another private server (e.g. SRC and
# DST for a migration). Sets and exports NAME_PORT, NAME_SOCK, NAME_DIR;
# call it in setup_file, and common_teardown_file stops it (a server
# started inside a test needs redis_stop_named NAME in teardown).
redis_start_named() {
	local name=${1:-}
	shift || true
	if ! [[ $name =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || [ "$name" = REDIS ]; then
		echo "redis_start_named: '$name' is not a usable NAME (REDIS_PORT is a setting)" >&2
		return 1
	fi
	_redis_spawn "$@" || return 1
	printf -v "${name}_DIR" %s "$_RS_DIR"
	printf -v "${name}_PORT" %s "$_RS_PORT"
	printf -v "${name}_SOCK" %s "$_RS_SOCK"
	export "${name}_DIR" "${name}_PORT" "${name}_SOCK"
	SESSKIT_REDIS_NAMES="${SESSKIT_REDIS_NAMES:-} $name"
	export SESSKIT_REDIS_NAMES
}

# redis_stop_named [NAME...]: stop those named servers (default: all).
redis_stop_named() {
	local name dir keep=""
	for name in ${SESSKIT_REDIS_NAMES:-}; do
		if [ $# -eq 0 ] || [[ " $* " == *" $name "* ]]; then
			dir=${name}_DIR
			_redis_kill "${!dir:-}"
		else
			keep="$keep $name"
		fi
	done
	SESSKIT_REDIS_NAMES=$keep
	return 0
}

# redis_url [NAME]: the TCP URL of the main server or of server NAME.
redis_url() {
	local port=REDIS_PORT_T
	[ -z "${1:-}" ] || port=${1}_PORT
	[ -n "${!port:-}" ] || { echo "redis_url: no server ${1:-(main)} started" >&2; return 1; }
	echo "redis://127.0.0.1:${!port}"
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

# rechain ID: the meta's chain head made over to match the stored lists, as
# an attacker who knows the layout would after editing a record
# (sesskit-layout(7): the records in the order they were made, each event
# before the records at its seq, h = sha1hex(h .. record)). An event's seq
# is its "s" when the text opens with it, else its place in the list
# (base + position + 1: an edited event may have none to read).
rechain() {
	local id=$1
	rcli --raw LRANGE "sess:{$id}:events" 0 -1 >"$BATS_TEST_TMPDIR/ev"
	rcli --raw LRANGE "sess:{$id}:history" 0 -1 >"$BATS_TEST_TMPDIR/hi"
	rcli HSET "sess:{$id}:meta" h "$(python3 - "$BATS_TEST_TMPDIR/ev" "$BATS_TEST_TMPDIR/hi" "$(rcli HGET "sess:{$id}:meta" base)" <<'PY'
import hashlib, json, re, sys
ev = [l for l in open(sys.argv[1], "rb").read().split(b"\n") if l.strip()]
hi = [l for l in open(sys.argv[2], "rb").read().split(b"\n") if l.strip()]
base = int(sys.argv[3] or 0)
def seq(i, e):
    m = re.match(rb'{"s":(\d+)', e)
    return int(m.group(1)) if m else base + i + 1
recs = [((seq(i, e), 0, i), e) for i, e in enumerate(ev)]
def at(h):
    try:
        return json.loads(h)["at"]
    except (ValueError, KeyError):  # an edited record: its first "at"
        return int(re.search(rb'"at":(\d+)', h).group(1))
recs += [((at(h), 1, i), h) for i, h in enumerate(hi)]
h = b""
for _, r in sorted(recs, key=lambda x: x[0]):
    h = hashlib.sha1(h + r).hexdigest().encode()
print(h.decode())
PY
)" >/dev/null
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
# OUT and ERR are emptied before the fork: the child truncates them only
# when it gets to run, and a caller polling ERR for a restarted process
# must never read what the previous one wrote there (a stale port).
sk_bg() {
	local out=$1 err=$2 path
	shift 2
	path=$(_sk_path "${1:-}") || return
	shift
	: >"$out" && : >"$err" || return
	env REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT_T}" HOME="$BATS_FILE_TMPDIR" \
		XDG_CONFIG_HOME= SESSKIT_CONFIG= "$path" "$@" >"$out" 2>"$err" 3>&- &
}

# session_of ID N [whole]: a session of N "note" events by two members
# (a1 creates, a2 joins, they alternate), written by sessctl batch; with
# "whole", every key of it that has no TTL gets meta's (a fresh events key
# may have none)
session_of() {
	python3 -c '
import json, sys
i, n = sys.argv[1], int(sys.argv[2])
print(json.dumps({"op": "create", "id": i, "agent": "a1"}))
print(json.dumps({"op": "join", "id": i, "agent": "a2"}))
for e in range(n):
    print(json.dumps({"op": "emit", "id": i, "actor": "a1" if e % 2 else "a2", "type": "note"}))
' "$1" "$2" | sctl batch >/dev/null || return
	[ "${3:-}" = whole ] || return 0
	local k
	for k in events checkpoints history; do
		[ "$(rcli PTTL "sess:{$1}:$k")" != -1 ] || rcli PEXPIRE "sess:{$1}:$k" "$(rcli PTTL "sess:{$1}:meta")" >/dev/null
	done
}

# sessctl against the private server.
sctl() {
	sk sessctl "$@"
}

# _subscribers CHANNEL_OR_PATTERN: how many clients listen. A channel
# counts its SUBSCRIBE clients (PUBSUB NUMSUB). A pattern (has * ? or [)
# counts the clients with any PSUBSCRIBE: PUBSUB NUMPAT counts distinct
# patterns, not clients, and Redis has no per-pattern count.
_subscribers() {
	case $1 in
	*[*?[]*) rcli CLIENT LIST | grep -c ' psub=[1-9]' ;;
	*) rcli PUBSUB NUMSUB "$1" | sed -n 2p ;;
	esac
}

# wait_subscribers CHANNEL_OR_PATTERN N [TIMEOUT_S]: until at least N
# clients listen on it (TIMEOUT_S whole seconds, 10 by default); on
# timeout, say so with the server's client list and fail.
wait_subscribers() {
	local what=$1 want=$2 timeout=${3:-10} n=0 i
	for ((i = 0; i < timeout * 20; i++)); do
		n=$(_subscribers "$what" 2>/dev/null) || true
		[[ $n =~ ^[0-9]+$ ]] || n=0
		[ "$n" -ge "$want" ] && return 0
		sleep 0.05
	done
	echo "wait_subscribers: $n of $want subscribers on $what after ${timeout}s; clients:" >&2
	rcli CLIENT LIST >&2
	return 1
}

# dead_port_start: hold a TCP socket bound to 127.0.0.1 on a port the OS
# picks, never listening: connects are refused and nobody else can bind
# it. Sets DEAD_PORT and DEAD_PORT_PID. The holder also ends by itself
# when the shell that started it goes away (bats killed).
dead_port_start() {
	local f i
	f=$(mktemp "${BATS_FILE_TMPDIR:-/tmp}/dead_port.XXXXXX")
	command -v python3 >/dev/null || { echo "dead_port_start: python3 is needed (tools/check installs it)" >&2; return 1; }
	# (it closes what else it inherits: bats' pipes must not outlive bats)
	python3 -c 'import os, socket, sys, time
os.closerange(3, 65536)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
parent = os.getppid()
while os.getppid() == parent:
    time.sleep(0.2)' "$f" </dev/null >/dev/null 2>"$f.err" 3>&- &
	DEAD_PORT_PID=$!
	export DEAD_PORT_PID
	for i in $(seq 1 200); do
		[ -s "$f" ] && break
		kill -0 "$DEAD_PORT_PID" 2>/dev/null || break
		sleep 0.05
	done
	DEAD_PORT=$(cat "$f" 2>/dev/null) || true
	if ! [[ $DEAD_PORT =~ ^[0-9]+$ ]]; then
		echo "dead_port_start: no port held: $(cat "$f.err" 2>/dev/null)" >&2
		dead_port_stop
		return 1
	fi
	export DEAD_PORT
}

dead_port_stop() {
	if [ -n "${DEAD_PORT_PID:-}" ]; then
		kill "$DEAD_PORT_PID" 2>/dev/null || true
		wait "$DEAD_PORT_PID" 2>/dev/null || true
	fi
	DEAD_PORT= DEAD_PORT_PID=
	return 0
}

# A port nobody listens on (for "Redis down" tests).
dead_port() {
	if [ -z "${DEAD_PORT:-}" ]; then
		echo "dead_port: none held; call common_setup_file (or dead_port_start) in setup_file; it needs python3" >&2
		return 1
	fi
	echo "$DEAD_PORT"
}

# jq is optional on a developer's machine; these read one field.
json_field() { # json_field FIELD  (stdin: one JSON object)
	jq -r ".$1"
}

common_setup_file() {
	redis_start
	# without python3 only the tests that use dead_port fail
	if command -v python3 >/dev/null; then dead_port_start; fi
}

# Stops everything common_setup_file and redis_start_named started, even
# after a failed setup_file (bats runs teardown_file then too).
common_teardown_file() {
	dead_port_stop
	redis_stop_named
	redis_stop
}

common_setup() {
	local name sock
	rcli FLUSHALL >/dev/null
	for name in ${SESSKIT_REDIS_NAMES:-}; do
		sock=${name}_SOCK
		redis-cli -s "${!sock}" FLUSHALL >/dev/null
	done
}

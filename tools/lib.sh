# tools/lib.sh - shared by tools/check, tools/demo and the benchmarks.
# Installs missing Debian packages, builds out of tree in build/.

SESSKIT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SESSKIT_BUILD=${SESSKIT_BUILD:-$SESSKIT_TOP/build}
SESSKIT_PACKAGES="gcc make autoconf automake pkg-config libhiredis-dev libcjson-dev
libedit-dev libzstd-dev libmicrohttpd-dev libssl-dev openssl bats bats-support bats-assert redis-server redis-tools jq tmux
python3 curl prometheus zsh fish
dpkg-dev binutils lintian
libxml2-utils librsvg2-bin python3-jsonschema"
# dpkg-dev, binutils and lintian: make deb and tests/deb.bats (lintian is
# ~60 s to install on a fresh machine, ~6 s a run of the test)
# libxml2-utils (xmllint) and librsvg2-bin (rsvg-convert): the picture tests
# check and render the SVGs of sess-bench --svg and sess-replay timeline
# (tests/sess-bench_pictures.bats, tests/sess-replay_timeline.bats)

say() { printf '%s\n' "$*" >&2; }

# Install what is missing (apt-get; sudo when not root).
sesskit_deps() {
	local missing="" p
	for p in $SESSKIT_PACKAGES "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	command -v apt-get >/dev/null || { say "missing packages:$missing (no apt-get here; install them by hand)"; return 1; }
	say "installing:$missing"
	# prometheus (for promtool) ships a service its postinst starts; in a
	# container or CI there is nothing to start it with, so a policy-rc.d
	# that refuses service starts is put in place for the install (and
	# removed after, unless one was there already)
	local policy=/usr/sbin/policy-rc.d added="" rc=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && added=1
	fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=1
	[ -z "$added" ] || $sudo rm -f "$policy"
	[ $rc -eq 0 ] || { say "apt-get install failed for:$missing"; return 1; }
}

# autoreconf when needed, configure in $SESSKIT_BUILD with "$@", make.
sesskit_build() {
	(cd "$SESSKIT_TOP" && { [ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
		autoreconf -fi >/dev/null 2>&1; }) || { say "autoreconf failed"; return 1; }
	mkdir -p "$SESSKIT_BUILD"
	local want="$*" have=""
	[ -f "$SESSKIT_BUILD/.configured-with" ] && have=$(cat "$SESSKIT_BUILD/.configured-with")
	if [ ! -f "$SESSKIT_BUILD/Makefile" ] || [ "$want" != "$have" ]; then
		(cd "$SESSKIT_BUILD" && "$SESSKIT_TOP/configure" "$@" >configure.out 2>&1) ||
			{ say "configure failed; see $SESSKIT_BUILD/configure.out and config.log"; return 1; }
		echo "$want" >"$SESSKIT_BUILD/.configured-with"
	fi
	make -C "$SESSKIT_BUILD" -j"$(nproc 2>/dev/null || echo 2)" >"$SESSKIT_BUILD/make.out" 2>&1 ||
		{ cat "$SESSKIT_BUILD/make.out" >&2; say "build failed"; return 1; }
}

# Start a throwaway redis-server on a free port in a temp dir; sets
# SESSKIT_REDIS_PORT and SESSKIT_REDIS_DIR. Stop with sesskit_redis_stop.
sesskit_redis_start() {
	SESSKIT_REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sesskit-redis.XXXXXX")
	local try port
	for try in $(seq 1 40); do
		port=$(( 20000 + (RANDOM * 7 + try * 131 + $$) % 40000 ))
		redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
			--dir "$SESSKIT_REDIS_DIR" --daemonize yes \
			--pidfile "$SESSKIT_REDIS_DIR/redis.pid" --logfile "$SESSKIT_REDIS_DIR/redis.log" \
			"$@" >/dev/null 2>&1 || continue
		local i
		for i in $(seq 1 200); do
			if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
				SESSKIT_REDIS_PORT=$port
				return 0
			fi
			grep -qs "Address already in use" "$SESSKIT_REDIS_DIR/redis.log" && break
			sleep 0.05
		done
		sesskit_redis_stop
		SESSKIT_REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sesskit-redis.XXXXXX")
	done
	say "could not start redis-server"
	return 1
}

sesskit_redis_stop() {
	[ -n "${SESSKIT_REDIS_DIR:-}" ] || return 0
	if [ -f "$SESSKIT_REDIS_DIR/redis.pid" ]; then
		local pid
		pid=$(cat "$SESSKIT_REDIS_DIR/redis.pid")
		# callers run this from an EXIT trap under set -e: a kill of a
		# server that is already gone must not turn their status into 1
		kill "$pid" 2>/dev/null || true
		local i
		for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$SESSKIT_REDIS_DIR"
	SESSKIT_REDIS_DIR=
	return 0
}

# ---- fuzzing (tools/fuzz, make fuzz): not part of tools/check or CI ----
SESSKIT_FUZZ_PACKAGES="clang libclang-rt-14-dev"

# The libraries built with clang for libFuzzer, in $SESSKIT_FUZZ_BUILD
# (default build-fuzz/ beside the source): a configure of its own with
# -fsanitize=fuzzer-no-link,address,undefined; only libsesscore.a and
# libsesscli.a are made (the targets link them; tools/fuzz links those).
sesskit_fuzz_build() {
	SESSKIT_FUZZ_BUILD=${SESSKIT_FUZZ_BUILD:-$SESSKIT_TOP/build-fuzz}
	sesskit_deps $SESSKIT_FUZZ_PACKAGES || return 1
	(cd "$SESSKIT_TOP" && { [ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
		autoreconf -fi >/dev/null 2>&1; }) || { say "autoreconf failed"; return 1; }
	mkdir -p "$SESSKIT_FUZZ_BUILD"
	local flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
	if [ ! -f "$SESSKIT_FUZZ_BUILD/Makefile" ]; then
		(cd "$SESSKIT_FUZZ_BUILD" && "$SESSKIT_TOP/configure" CC=clang CFLAGS="$flags" >configure.out 2>&1) ||
			{ say "configure (clang) failed; see $SESSKIT_FUZZ_BUILD/configure.out and config.log"; return 1; }
	fi
	make -C "$SESSKIT_FUZZ_BUILD" -j2 libsesscore.a libsesscli.a >"$SESSKIT_FUZZ_BUILD/make.out" 2>&1 ||
		{ cat "$SESSKIT_FUZZ_BUILD/make.out" >&2; say "build (clang) failed"; return 1; }
}

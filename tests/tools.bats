#!/usr/bin/env bats
# The developer tools in tools/: what they share in tools/lib.sh.

load helpers/redis

@test "lib.sh: a throwaway redis-server stopped from an EXIT trap leaves exit status 0" {
	# tools/demo and the benchmarks run under set -e with this trap; a
	# failing command in the trap (kill of a server already gone) used to
	# turn a good run into exit 1
	run bash -c 'set -eu
		. "$1/tools/lib.sh"
		sesskit_redis_start
		trap sesskit_redis_stop EXIT
		redis-cli -p "$SESSKIT_REDIS_PORT" ping
		echo "dir=$SESSKIT_REDIS_DIR"' _ "$SESSKIT_SRCDIR"
	assert_success
	assert_line PONG
	dir=$(echo "$output" | sed -n 's/^dir=//p')
	[ -n "$dir" ]
	[ ! -e "$dir" ]
}

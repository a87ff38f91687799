#!/usr/bin/env bats
# The cluster client through a failover: a real cluster of three masters
# with a replica each (helpers/cluster.bash), a master killed with -9.
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	load helpers/cluster
	cluster_start --replicas
}
teardown_file() {
	load helpers/redis
	load helpers/cluster
	cluster_stop
}
setup() {
	load helpers/redis
	load helpers/cluster
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	DRIVER="$SESSKIT_BUILDDIR/tests/unit/test_cluster"
	[ -x "$DRIVER" ] || skip "tests/unit/test_cluster is not built (make check builds it)"
}

@test "the seed master killed: reopen finds another master; the command waits for the promotion and lands there" {
	run "$DRIVER" failover
	assert_success # (assert_ shows the driver's TAP lines when it fails)
	refute_output --partial "not ok"
}

#!/usr/bin/env bats
# sess-health on a real three-master Redis Cluster (one per file): healthy
# in every format from any seed (cluster detected in "auto"), a stopped
# master critical and named, uncovered slots critical and counted, broken
# sessions counted across the slots, every cluster metric documented in
# man/sess-health.1.
bats_require_minimum_version 1.5.0

load helpers/redis
load helpers/cluster

setup_file() { cluster_suite_setup; }
teardown_file() { cluster_suite_teardown; }
setup() {
	# an empty slot-map cache: "auto" must find the cluster by itself
	cluster_test_setup
	STOPPED="" DELETED="" SPID=""
}
teardown() {
	local p
	[ -z "${SPID:-}" ] || { kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; } || true
	[ -z "${STOPPED:-}" ] || kill -CONT "$STOPPED" 2>/dev/null || true
	if [ -n "${DELETED:-}" ]; then
		for p in $CLUSTER_PORTS; do redis-cli -p "$p" cluster delslots $DELETED >/dev/null 2>&1 || true; done
		redis-cli -p "$DELETED_OWNER" cluster addslots $DELETED >/dev/null
	fi
	if [ -n "${STOPPED:-}${DELETED:-}" ]; then cluster_ok 30; fi
}

# hc PORT ARGS...: sess-health at master PORT (REDIS_CLUSTER unset: auto),
# under a time limit so a hang fails (124)
hc() {
	local port=$1
	shift
	timeout 60 env REDIS_URL="redis://127.0.0.1:$port" REDIS_CLUSTER= HOME="$BATS_FILE_TMPDIR" \
		XDG_CONFIG_HOME= SESSKIT_CONFIG= "$SESSKIT_BUILDDIR/sess-health" "$@"
}

level() { # level JSON KEY: .checks[KEY][0].level
	jq -r --arg k "$2" '.checks[$k][0].level' <<<"$1"
}

@test "a healthy cluster is healthy from every master, in json, prometheus and nagios (exit 0)" {
	local p q i
	for i in 1 2 3 4 5 6; do
		REDIS_URL=$CLUSTER_URL REDIS_CLUSTER=yes sk sessctl create --agent a1 --id "s$i" >/dev/null
	done
	# two broken, in the indexes of their own slots
	for i in 2 5; do
		REDIS_URL=$CLUSTER_URL REDIS_CLUSTER=yes sk sessctl emit "s$i" --actor a1 --type broke \
			--transition '{"from":"working","to":"broken"}' >/dev/null
	done
	for p in $CLUSTER_PORTS; do
		run -0 hc "$p" check --format json
		assert_equal "$(jq -r .level <<<"$output")" healthy
		assert_equal "$(jq -r .components.cluster <<<"$output")" healthy
		assert_equal "$(level "$output" cluster:state)" healthy
		assert_equal "$(jq -r '.checks["cluster:state"][0].observedValue' <<<"$output")" ok
		assert_equal "$(jq -r '.checks["cluster:slots"][0].observedValue' <<<"$output")" 16384
		assert_equal "$(jq -r '.checks["cluster:masters"][0].observedValue' <<<"$output")" 3
		assert_equal "$(jq -r '.checks["cluster:knownNodes"][0].observedValue' <<<"$output")" 3
		for q in $CLUSTER_PORTS; do
			assert_equal "$(level "$output" "cluster:127.0.0.1:$q:reachable")" healthy
			assert_equal "$(level "$output" "cluster:127.0.0.1:$q:responseTime")" healthy
			assert_equal "$(jq -r --arg k "cluster:127.0.0.1:$q:role" '.checks[$k][0].observedValue' <<<"$output")" master
		done
		# the session metrics follow the slots: all six, wherever the index is
		assert_equal "$(jq -r '.checks["sessions:active"][0].observedValue' <<<"$output")" 6
		assert_equal "$(level "$output" sessions:active)" healthy
		run -0 hc "$p" check --format prometheus
		assert_line 'sess_cluster_state_ok 1'
		assert_line 'sess_cluster_slots_ok 16384'
		assert_line 'sess_cluster_slots_fail 0'
		assert_line 'sess_cluster_masters 3'
		for q in $CLUSTER_PORTS; do
			assert_line "sess_cluster_node_up{node=\"127.0.0.1:$q\"} 1"
		done
		assert_line 'sess_health_status{component="cluster"} 0'
		assert_line 'sess_sessions_active 6'
		assert_line 'sess_sessions_state_scanned 6'
		assert_line 'sess_sessions_broken 2'
		run -0 hc "$p" check --format nagios
		assert_output --regexp '^SESS-HEALTH OK - .*slots_ok=16384;;;0;16384 .*masters_up=3;;;0;3 '
	done
	# without the session checks, the cluster is still checked (after the PINGs)
	run -0 hc "${CLUSTER_PORTS##* }" check --no-sessions --format json
	assert_equal "$(jq -r .components.cluster <<<"$output")" healthy
	assert_equal "$(level "$output" cluster:slots)" healthy
}

@test "broken sessions over many slots (several pipelines of tags' indexes): every one counted, from every master" {
	local p n
	# 700 sessions, each in its own slot's index (more tags than one
	# pipeline of 256 asks for), five broken spread over them
	for n in $(seq 1 700); do echo "{\"op\":\"create\",\"id\":\"w$n\",\"agent\":\"a1\"}"; done >"$BATS_TEST_TMPDIR/in"
	for n in 3 250 333 512 699; do
		echo "{\"op\":\"emit\",\"id\":\"w$n\",\"actor\":\"a1\",\"type\":\"broke\",\"stateTransition\":{\"from\":\"working\",\"to\":\"broken\"}}"
	done >>"$BATS_TEST_TMPDIR/in"
	REDIS_URL=$CLUSTER_URL REDIS_CLUSTER=yes sk sessctl batch <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out"
	run -0 jq -s 'map(select(.ok != true)) | length' "$BATS_TEST_TMPDIR/out"
	assert_output 0
	n=0
	for p in $CLUSTER_PORTS; do
		n=$((n + $(redis-cli -p "$p" --scan --pattern 'sess:#{*}:index' | { grep -c . || true; })))
	done
	[ "$n" -gt 512 ] || fail "only $n tags' indexes"
	for p in $CLUSTER_PORTS; do
		run -0 hc "$p" check --format prometheus
		assert_line 'sess_sessions_active 700'
		assert_line 'sess_sessions_state_scanned 700'
		assert_line 'sess_sessions_broken 5'
	done
}

@test "a stopped master: critical, named, within the command timeout; then the cluster's own verdict" {
	local p3 i
	p3=$(echo "$CLUSTER_PORTS" | cut -d' ' -f3)
	STOPPED=$(cat "$(echo "$CLUSTER_DIRS" | cut -d' ' -f3)/redis.pid")
	kill -STOP "$STOPPED"
	run -2 hc "${CLUSTER_PORTS%% *}" check --format json --timeout 1
	assert_equal "$(jq -r .level <<<"$output")" critical
	assert_equal "$(level "$output" "cluster:127.0.0.1:$p3:reachable")" critical
	jq -r .output <<<"$output" | grep -q "master 127.0.0.1:$p3 does not answer" || fail "not named: $output"
	run -2 hc "${CLUSTER_PORTS%% *}" check --format prometheus --timeout 1
	assert_line "sess_cluster_node_up{node=\"127.0.0.1:$p3\"} 0"
	assert_line 'sess_health_status{component="cluster"} 3'
	# cluster-node-timeout is 2 s: the others agree it failed soon after
	for i in $(seq 1 200); do
		redis-cli -p "${CLUSTER_PORTS%% *}" cluster info | grep -q '^cluster_state:fail' && break
		sleep 0.05
	done
	run -2 hc "${CLUSTER_PORTS%% *}" check --format json --timeout 1
	assert_equal "$(level "$output" cluster:state)" critical
	assert_equal "$(jq -r '.checks["cluster:state"][0].observedValue' <<<"$output")" fail
	assert_equal "$(level "$output" cluster:slots)" critical
	run -2 hc "${CLUSTER_PORTS%% *}" check --format nagios --timeout 1
	assert_output --regexp '^SESS-HEALTH CRITICAL - .*cluster:state: the cluster is down'
}

@test "slots assigned to no master: critical, with their count" {
	local p
	DELETED="0 1 2"
	DELETED_OWNER=$(cluster_owner 0)
	for p in $CLUSTER_PORTS; do
		redis-cli -p "$p" cluster delslots $DELETED >/dev/null 2>&1 || true
	done
	run -2 hc "${CLUSTER_PORTS%% *}" check --format json --timeout 1
	assert_equal "$(level "$output" cluster:slots)" critical
	assert_equal "$(jq -r '.checks["cluster:slots"][0].observedValue' <<<"$output")" 16381
	jq -r '.checks["cluster:slots"][0].output' <<<"$output" | grep -q '^3 of 16384 slots are not served: 3 assigned to no master' ||
		fail "no count: $output"
	run -2 hc "${CLUSTER_PORTS%% *}" check --format prometheus --timeout 1
	assert_line 'sess_cluster_slots_assigned 16381'
	assert_line 'sess_cluster_state_ok 0'
}

@test "every metric of a cluster check is documented in man/sess-health.1" {
	local m
	hc "${CLUSTER_PORTS%% *}" check --format prometheus >"$BATS_TEST_TMPDIR/m.txt" || fail "the check failed"
	grep -q '^sess_cluster_node_up' "$BATS_TEST_TMPDIR/m.txt" || fail "no cluster metrics"
	while read -r m; do
		grep -qx "\.B $m" "$SESSKIT_SRCDIR/man/sess-health.1" || fail "$m is not in man/sess-health.1's METRICS"
	done < <(grep -v '^#' "$BATS_TEST_TMPDIR/m.txt" | sed 's/[{ ].*//' | sort -u)
}

@test "serve: /health/redis carries the cluster's checks, and fails with its slots" {
	local i p base=""
	REDIS_URL=$CLUSTER_URL sk_bg "$BATS_TEST_TMPDIR/s.out" "$BATS_TEST_TMPDIR/s.err" sess-health serve \
		--listen 127.0.0.1:0 --timeout 1 --cache-ms 0
	SPID=$!
	for i in $(seq 1 200); do
		base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$BATS_TEST_TMPDIR/s.err" 2>/dev/null) && break
		sleep 0.05
	done
	[ -n "$base" ] || fail "serve did not start: $(cat "$BATS_TEST_TMPDIR/s.err")"
	run -0 curl -s --max-time 30 -o "$BATS_TEST_TMPDIR/r.json" -w '%{http_code}' "$base/health/redis"
	assert_output 200
	assert_equal "$(jq -r '.checks["cluster:state"][0].level' "$BATS_TEST_TMPDIR/r.json")" healthy
	DELETED="0 1 2"
	DELETED_OWNER=$(cluster_owner 0)
	for p in $CLUSTER_PORTS; do
		redis-cli -p "$p" cluster delslots $DELETED >/dev/null 2>&1 || true
	done
	run -0 curl -s --max-time 30 -o "$BATS_TEST_TMPDIR/r.json" -w '%{http_code}' "$base/health/redis"
	assert_output 503
	assert_equal "$(jq -r '.checks["cluster:slots"][0].level' "$BATS_TEST_TMPDIR/r.json")" critical
}

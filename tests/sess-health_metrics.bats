#!/usr/bin/env bats
# sess-health's Prometheus metrics: serve's /metrics (keep-alive), the
# build info, events by type (labels escaped), the migration fence, broken
# sessions, a sync task's lag, every exposition clean under promtool;
# health+json's statuses; the Grafana dashboard in contrib/grafana names
# only metrics sess-health exports.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() {
	[ -z "${SPID:-}" ] || { kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; } || true
	[ -z "${SYNC:-}" ] || { kill -9 "$SYNC" 2>/dev/null; wait "$SYNC" 2>/dev/null; } || true
	[ -z "${REPLICA_DIR:-}" ] || redis_stop_named REPLICA
	[ -z "${DST_DIR:-}" ] || redis_stop_named DST
}

# start_serve ARGS...: serve on a free loopback port; sets SPID and BASE
start_serve() {
	sk_bg "$BATS_TEST_TMPDIR/s.out" "$BATS_TEST_TMPDIR/s.err" sess-health serve --listen 127.0.0.1:0 "$@"
	SPID=$!
	local i
	for i in $(seq 1 200); do
		BASE=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$BATS_TEST_TMPDIR/s.err" 2>/dev/null) && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	fail "serve did not start: $(cat "$BATS_TEST_TMPDIR/s.err")"
}

# promtool_clean FILE: promtool check metrics finds nothing in FILE
promtool_clean() {
	run promtool check metrics <"$1"
	assert_success
	assert_output ''
}

@test "/metrics: the Prometheus text, 200 with its content type, promtool clean" {
	start_serve
	run -0 curl -s --max-time 30 -o "$BATS_TEST_TMPDIR/m.txt" -w '%{http_code} %{content_type}' "$BASE/metrics"
	assert_output '200 text/plain; version=0.0.4; charset=utf-8'
	run -0 cat "$BATS_TEST_TMPDIR/m.txt"
	assert_line 'sess_up 1'
	promtool_clean "$BATS_TEST_TMPDIR/m.txt"
	run -0 cat "$BATS_TEST_TMPDIR/s.err"
	assert_output --partial '(/metrics, /health,'
}

@test "keep-alive: two requests on one connection" {
	start_serve
	# num_connects: connections curl opened for each transfer (0: reused)
	run -0 curl -s --max-time 30 -o /dev/null -o /dev/null -w '%{num_connects} %{http_code}\n' \
		"$BASE/metrics" "$BASE/health/metrics"
	assert_equal "${lines[*]}" "1 200 0 200"
	run -0 curl -s --max-time 30 -o /dev/null -o /dev/null -w '%{num_connects} %{http_code}\n' \
		"$BASE/livez" "$BASE/metrics"
	assert_equal "${lines[*]}" "1 200 0 200"
}

@test "sesskit_build_info carries the version, also with Redis down" {
	version=$(sk sess-health --version | grep -o '[0-9][0-9.]*' | head -n 1)
	[ -n "$version" ] || fail "no version from sess-health --version"
	run -0 sk sess-health --format prometheus
	assert_line "sesskit_build_info{version=\"$version\"} 1"
	assert_line '# TYPE sesskit_build_info gauge'
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run -2 sk sess-health --format prometheus
	assert_line "sesskit_build_info{version=\"$version\"} 1"
}

@test "events by type: one counter with a type label, values escaped" {
	sctl create --agent a1 --id s1 >/dev/null
	sctl emit s1 --actor a1 --type modified >/dev/null
	sctl emit s1 --actor a1 --type modified >/dev/null
	sctl emit s1 --actor a1 --type fixed >/dev/null
	# a field no sesskit writer makes, as an older client or a hand may
	rcli HSET sess:#{all}:stats "$(printf 'type:we"ird\\x\nnl')" 7 >/dev/null
	sk sess-health --format prometheus >"$BATS_TEST_TMPDIR/m.txt"
	run -0 cat "$BATS_TEST_TMPDIR/m.txt"
	assert_line '# TYPE sess_events_by_type_total counter'
	assert_line 'sess_events_by_type_total{type="modified"} 2'
	assert_line 'sess_events_by_type_total{type="fixed"} 1'
	assert_line 'sess_events_by_type_total{type="we\"ird\\x\nnl"} 7'
	assert_line 'sess_events_total 3'
	promtool_clean "$BATS_TEST_TMPDIR/m.txt"
}

@test "the fence of a sess-migrate cutover: sess_fence_active and its target" {
	run -0 sk sess-health --format prometheus
	assert_line 'sess_fence_active 0'
	refute_line --partial 'sess_fence_info{'
	rcli SET sess:#{all}:fence 'redis://new:6379 "b"' >/dev/null
	sk sess-health --format prometheus >"$BATS_TEST_TMPDIR/m.txt"
	run -0 cat "$BATS_TEST_TMPDIR/m.txt"
	assert_line 'sess_fence_active 1'
	assert_line 'sess_fence_info{target="redis://new:6379 \"b\""} 1'
	promtool_clean "$BATS_TEST_TMPDIR/m.txt"
	run -0 sk sess-health --format json
	assert_equal "$(jq -r '.checks["sessions:fence"][0].observedValue' <<<"$output")" 'redis://new:6379 "b"'
}

@test "broken sessions: a gauge of the live sessions in state broken, exact while all are read" {
	local n
	for n in 1 2 3 4; do sctl create --agent a1 --id "b$n" >/dev/null; done
	run -0 sk sess-health --format prometheus
	assert_line 'sess_sessions_broken 0'
	assert_line 'sess_sessions_state_scanned 4'
	for n in 1 2 3; do
		sctl emit "b$n" --actor a1 --type broke --transition '{"from":"working","to":"broken"}' >/dev/null
	done
	# fixed again, completed while broken, and one broken that expires:
	# none of them is broken now
	sctl emit b1 --actor a1 --type fixed --transition '{"from":"broken","to":"working"}' >/dev/null
	sctl complete b2 >/dev/null
	[ "$(rcli HGET 'sess:{b3}:meta' state)" = broken ] || fail "b3 is not broken"
	sctl create --agent a1 --id b5 --ttl 1 >/dev/null
	sctl emit b5 --actor a1 --type broke --transition '{"from":"working","to":"broken"}' >/dev/null
	sk sess-health --format prometheus >"$BATS_TEST_TMPDIR/m.txt"
	run -0 cat "$BATS_TEST_TMPDIR/m.txt"
	assert_line 'sess_sessions_broken 2'
	assert_line '# TYPE sess_sessions_broken gauge'
	promtool_clean "$BATS_TEST_TMPDIR/m.txt"
	for n in $(seq 1 40); do rcli EXISTS 'sess:{b5}:meta' | grep -qx 0 && break; sleep 0.1; done
	run -0 sk sess-health --format prometheus
	assert_line 'sess_sessions_broken 1'
	assert_line 'sess_sessions_state_scanned 4'
	run -0 sk sess-health --format json
	assert_equal "$(jq '.checks["sessions:broken"][0].observedValue' <<<"$output")" 1
}

@test "broken sessions past the bound: 10000 states read, the count a lower bound and said so" {
	# 10002 sessions; the index is read in expiry order: m1 expires
	# first (read), m10002 last (past the bound)
	awk 'BEGIN { for (n = 1; n <= 10002; n++)
		printf "{\"op\":\"create\",\"id\":\"m%d\",\"agent\":\"a\",\"ttl\":%d}\n", n, n == 1 ? 600 : n == 10002 ? 7200 : 3600 }' |
		sctl batch >/dev/null
	[ "$(rcli TTL 'sess:{m1}:meta')" -le 600 ] && [ "$(rcli TTL 'sess:{m10002}:meta')" -gt 3600 ] || # lint: ok (a predicate)
		fail "the TTLs were not taken"
	for id in m1 m10002; do
		sctl emit "$id" --actor a --type broke --transition '{"from":"working","to":"broken"}' >/dev/null
	done
	run -0 sk sess-health --format prometheus
	assert_line 'sess_sessions_active 10002'
	assert_line 'sess_sessions_state_scanned 10000'
	assert_line 'sess_sessions_broken 1'
	run -0 sk sess-health --format json
	assert_equal "$(jq -r '.checks["sessions:broken"][0] | "\(.observedValue) \(.note)"' <<<"$output")" \
		"1 at least: the states of the first 10000 of 10002 live sessions were read"
	# a session whose meta is gone while its index entry stays (drift):
	# the read still stopped at the bound, the count still a lower bound
	rcli DEL 'sess:{m2}:meta' >/dev/null
	run -0 sk sess-health --format prometheus
	assert_line 'sess_sessions_active 10002'
	assert_line 'sess_sessions_state_scanned 9999'
	run -0 sk sess-health --format json
	assert_equal "$(jq -r '.checks["sessions:broken"][0] | "\(.observedValue) \(.note)"' <<<"$output")" \
		"1 at least: the states of the first 9999 of 10002 live sessions were read"
}

@test "sync lag: a sync task on the target gives sess_sync_* gauges (what its last lag line said); nothing without one" {
	redis_start_named DST
	dst=$(redis_url DST)
	sctl create --agent a1 --id s1 >/dev/null
	run -0 sk sess-health --url "$dst" --format prometheus
	refute_line --partial 'sess_sync_'
	run -0 sk sess-health --url "$dst" --format json
	assert_equal "$(jq '.checks | has("sessions:syncTasks")' <<<"$output")" false
	sk_bg "$BATS_TEST_TMPDIR/sync.out" "$BATS_TEST_TMPDIR/sync.err" sess-migrate sync --all --to "$dst" --interval 1 --task live1
	SYNC=$!
	for n in $(seq 1 300); do
		[ -n "$(redis-cli -s "$DST_SOCK" HGET sess:migrate:live1 lagAt)" ] && break
		sleep 0.1
	done
	[ -n "$(redis-cli -s "$DST_SOCK" HGET sess:migrate:live1 lagAt)" ] || fail "no lag kept: $(cat "$BATS_TEST_TMPDIR/sync.err")"
	sk sess-health --url "$dst" --format prometheus >"$BATS_TEST_TMPDIR/m.txt"
	run -0 cat "$BATS_TEST_TMPDIR/m.txt"
	assert_line 'sess_sync_running{task="live1"} 1'
	assert_line '# TYPE sess_sync_lag_seconds gauge'
	assert_line --regexp '^sess_sync_lag_seconds\{task="live1"\} [0-9.]+$'
	assert_line --regexp '^sess_sync_pending_sessions\{task="live1"\} [0-9]+$'
	assert_line --regexp '^sess_sync_events_behind\{task="live1"\} [0-9]+$'
	at=$(sed -n 's/^sess_sync_lag_timestamp_seconds{task="live1"} //p' "$BATS_TEST_TMPDIR/m.txt")
	[ -n "$at" ] || fail "no sess_sync_lag_timestamp_seconds"
	awk -v at="$at" -v now="$(date +%s)" 'BEGIN { exit !(at > now - 60 && at <= now + 1) }' || fail "lag timestamp $at is not recent"
	promtool_clean "$BATS_TEST_TMPDIR/m.txt"
	# stopped: the task stays (resume continues it), not running; the
	# gauges hold what its last lag line said
	kill -INT "$SYNC"
	wait "$SYNC" || true
	SYNC=
	last=$(grep '"lag":true' "$BATS_TEST_TMPDIR/sync.out" | tail -n 1)
	run -0 sk sess-migrate status live1 --to "$dst"
	assert_equal "$(jq -r .status <<<"$output")" interrupted
	assert_equal "$(jq .lagPending <<<"$output")" "$(jq .pending <<<"$last")"
	assert_equal "$(jq .lagEvents <<<"$output")" "$(jq .eventsBehind <<<"$last")"
	# (kept to the millisecond)
	assert_equal "$(jq .lagSeconds <<<"$output")" "$(jq '.secondsBehind * 1000 | round / 1000' <<<"$last")"
	# what the hash says is what is exported
	redis-cli -s "$DST_SOCK" HSET sess:migrate:live1 lagSeconds 12.5 lagPending 3 lagEvents 40 >/dev/null
	sk sess-health --url "$dst" --format prometheus >"$BATS_TEST_TMPDIR/m.txt"
	run -0 cat "$BATS_TEST_TMPDIR/m.txt"
	assert_line 'sess_sync_running{task="live1"} 0'
	assert_line 'sess_sync_lag_seconds{task="live1"} 12.5'
	assert_line 'sess_sync_pending_sessions{task="live1"} 3'
	assert_line 'sess_sync_events_behind{task="live1"} 40'
	# sess-migrate status's table has it too
	run -0 sk sess-migrate status live1 --to "$dst" --tsv
	assert_equal "$(awk -F'\t' 'NR == 1 { for (c = 1; c <= NF; c++) if ($c == "lag") col = c } NR == 2 { print $col }' <<<"$output")" 12.5
	run -0 sk sess-health --url "$dst" --format json
	assert_equal "$(jq -c '.checks["sessions:syncTasks"][0].observedValue[0] | [.task, .status, .secondsBehind, .pending]' <<<"$output")" '["live1","interrupted",12.5,3]'
	# a sync that stopped on an error (mig_stop: status failed) is not
	# ended either (resume continues it): not running, its lag kept
	redis-cli -s "$DST_SOCK" HSET sess:migrate:live1 status failed >/dev/null
	run -0 sk sess-health --url "$dst" --format prometheus
	assert_line 'sess_sync_running{task="live1"} 0'
	assert_line 'sess_sync_lag_seconds{task="live1"} 12.5'
	run -0 sk sess-health --url "$dst" --format json
	assert_equal "$(jq -c '.checks["sessions:syncTasks"][0].observedValue[0] | [.task, .status]' <<<"$output")" '["live1","failed"]'
	# a task that is not a sync, or a sync its cutover ended: nothing
	redis-cli -s "$DST_SOCK" HSET sess:migrate:live1 status cutover >/dev/null
	run -0 sk sess-health --url "$dst" --format prometheus
	refute_line --partial 'sess_sync_'
}

@test "sync lag: a sync going on with its task shows no lag of its previous run before its first lag line" {
	local n
	redis_start_named DST
	dst=$(redis_url DST)
	for n in $(seq 1 20); do echo "{\"op\":\"create\",\"id\":\"g$n\",\"agent\":\"a\"}"; done | sctl batch >/dev/null
	sk_bg "$BATS_TEST_TMPDIR/sync.out" "$BATS_TEST_TMPDIR/sync.err" sess-migrate sync --all --to "$dst" --interval 1 --task again1
	SYNC=$!
	for n in $(seq 1 300); do
		[ -n "$(redis-cli -s "$DST_SOCK" HGET sess:migrate:again1 lagAt)" ] && break
		sleep 0.1
	done
	kill -INT "$SYNC"
	wait "$SYNC" || true
	SYNC=
	[ "$(redis-cli -s "$DST_SOCK" HGET sess:migrate:again1 status)" = interrupted ] || fail "not interrupted"
	# what its last lag line said, as if the target had been behind then
	redis-cli -s "$DST_SOCK" HSET sess:migrate:again1 lagSeconds 7.5 lagPending 2 >/dev/null
	# the same task again: a snapshot pass held to 2 sessions a second
	sk_bg "$BATS_TEST_TMPDIR/sync.out" "$BATS_TEST_TMPDIR/sync.err" sess-migrate sync --all --to "$dst" --interval 1 \
		--task again1 --batch 1 --rate 2
	SYNC=$!
	for n in $(seq 1 300); do
		[ "$(redis-cli -s "$DST_SOCK" HGET sess:migrate:again1 status)" = running ] && break
		sleep 0.1
	done
	# running, in its snapshot (no lag line yet): the last run's lag is
	# not this one's
	if grep -q '"lag":true' "$BATS_TEST_TMPDIR/sync.out"; then fail "the snapshot pass ended before the check"; fi
	run -0 sk sess-health --url "$dst" --format prometheus
	assert_line 'sess_sync_running{task="again1"} 1'
	refute_line --partial 'sess_sync_lag_seconds'
	refute_line --partial 'sess_sync_lag_timestamp_seconds'
	if grep -q '"lag":true' "$BATS_TEST_TMPDIR/sync.out"; then fail "the snapshot pass ended before the check"; fi
	# its first lag line is kept again
	for n in $(seq 1 300); do
		[ -n "$(redis-cli -s "$DST_SOCK" HGET sess:migrate:again1 lagAt)" ] && break
		sleep 0.1
	done
	[ -n "$(redis-cli -s "$DST_SOCK" HGET sess:migrate:again1 lagAt)" ] || fail "no lag kept: $(cat "$BATS_TEST_TMPDIR/sync.err")"
}

@test "health+json: every status is pass, warn or fail (the Nagios words are in level), in the check and from serve" {
	sctl create --agent a1 --id s1 >/dev/null
	# statuses_ok DOC: every "status" member of the document, at any depth
	statuses_ok() {
		jq -e '[.. | objects | select(has("status")) | .status] | length > 0 and all(. == "pass" or . == "warn" or . == "fail")' \
			<<<"$1" >/dev/null || fail "a status other than pass/warn/fail: $1"
	}
	run -0 sk sess-health --format json
	statuses_ok "$output"
	assert_equal "$(jq -r '[.status, .level, .checks["redis:reachable"][0].status]|join(" ")' <<<"$output")" 'pass healthy pass'
	# warning: one threshold crossed
	run -1 sk sess-health --format json -w sessions=0
	statuses_ok "$output"
	assert_equal "$(jq -r '[.status, .level, .checks["sessions:active"][0].status]|join(" ")' <<<"$output")" 'warn warning warn'
	# critical and down are both fail
	run -2 sk sess-health --format json -c sessions=0
	statuses_ok "$output"
	assert_equal "$(jq -r '[.status, .level]|join(" ")' <<<"$output")" 'fail critical'
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run -2 sk sess-health --format json
	statuses_ok "$output"
	assert_equal "$(jq -r '[.status, .level]|join(" ")' <<<"$output")" 'fail down'
	start_serve
	for path in /health /health/detailed /health/components /health/redis /health/sessions /livez /readyz /nosuch; do
		curl -s --max-time 30 -o "$BATS_TEST_TMPDIR/h.json" -w '%{content_type}' "$BASE$path" >"$BATS_TEST_TMPDIR/ct" || fail "curl $path"
		assert_equal "$(cat "$BATS_TEST_TMPDIR/ct")" 'application/health+json'
		statuses_ok "$(cat "$BATS_TEST_TMPDIR/h.json")"
	done
}

@test "every metric of a standalone check is documented in man/sess-health.1's METRICS" {
	local m
	sctl create --agent a1 --id s1 >/dev/null
	sctl emit s1 --actor a1 --type modified >/dev/null
	rcli SET sess:#{all}:fence redis://new:6379 >/dev/null
	rcli ZADD sess:migrate:tasks 1 doc >/dev/null
	rcli HSET sess:migrate:doc kind sync status running lagAt 1 lagSeconds 0 lagPending 0 lagEvents 0 \
		beatAt 1 beatEvery 1000 >/dev/null
	sk sess-health --format prometheus >"$BATS_TEST_TMPDIR/m.txt" || true
	grep -q '^sess_sync_lag_seconds{' "$BATS_TEST_TMPDIR/m.txt" || fail "no sync metrics: $(cat "$BATS_TEST_TMPDIR/m.txt")"
	grep -q '^sess_up 1' "$BATS_TEST_TMPDIR/m.txt" || fail "no scrape: $(cat "$BATS_TEST_TMPDIR/m.txt")"
	while read -r m; do
		grep -qx "\.B $m" "$SESSKIT_SRCDIR/man/sess-health.1" || fail "$m is not in man/sess-health.1's METRICS"
	done < <(grep -v '^#' "$BATS_TEST_TMPDIR/m.txt" | sed 's/[{ ].*//' | sort -u)
}

@test "the README's scrape configuration names a path serve answers with metrics" {
	path=$(sed -n '/^# prometheus.yml for sess-health serve/,/^```/s/^ *metrics_path: *//p' "$SESSKIT_SRCDIR/README.md")
	[ -n "$path" ] || fail "no metrics_path in README.md's scrape configuration"
	start_serve
	run -0 curl -s --max-time 30 -o "$BATS_TEST_TMPDIR/m.txt" -w '%{http_code} %{content_type}' "$BASE$path"
	assert_output '200 text/plain; version=0.0.4; charset=utf-8'
	run -0 cat "$BATS_TEST_TMPDIR/m.txt"
	assert_line 'sess_up 1'
}

# dashboard_metrics DASHBOARD: each metric name its PromQL expressions (the
# panels' expr fields, the template variables' queries) name, one a line;
# exits 1 naming an expression in which it finds none
dashboard_metrics() {
	python3 - "$1" <<'EOF'
import json, re, sys

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "and", "or", "unless", "offset", "inf", "nan"}

def exprs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)

def names(e):
    e = re.sub(r'"(?:\\.|[^"\\])*"', '""', e)  # strings
    e = re.sub(r"\{[^}]*\}", "", e)             # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)            # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    out = []
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        if e[m.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        if m.group(0).lower() not in KEYWORDS:
            out.append(m.group(0))
    return out

d = json.load(open(sys.argv[1]))
found = []
for e in exprs(d.get("panels", [])):
    n = names(e)
    if not n:
        sys.exit("no metric in expr: " + e)
    found += n
for v in d.get("templating", {}).get("list", []):
    q = v.get("query")
    q = q.get("query") if isinstance(q, dict) else q
    if v.get("type") == "query":
        m = re.match(r"\s*label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,", q or "")
        if not m:
            sys.exit("template variable %s: not label_values(METRIC, LABEL): %s" % (v.get("name"), q))
        found.append(m.group(1))
if len(found) < 10:
    sys.exit("only %d metric references found" % len(found))
print("\n".join(sorted(set(found))))
EOF
}

@test "contrib/grafana/sesskit.json: valid JSON; its expressions name only metrics serve exports" {
	dash="$SESSKIT_SRCDIR/contrib/grafana/sesskit.json"
	run -0 jq -e '.panels | length > 0' "$dash"
	# every metric sess-health can export here: sessions with events of two
	# types, a replica attached (replication lag), the fence, a sync task
	redis_start_named REPLICA
	redis-cli -s "$REPLICA_SOCK" REPLICAOF 127.0.0.1 "$REDIS_PORT_T" >/dev/null
	for i in $(seq 1 200); do
		rcli INFO replication | tr -d '\r' | grep -q '^slave0:.*state=online' && break
		sleep 0.05
	done
	rcli INFO replication | tr -d '\r' | grep -q '^slave0:.*state=online' || fail "the replica did not attach"
	sctl create --agent a1 --id s1 >/dev/null
	sctl emit s1 --actor a1 --type modified >/dev/null
	sctl emit s1 --actor a1 --type fixed >/dev/null
	rcli SET sess:#{all}:fence redis://new:6379 >/dev/null
	# a sync task's hash as sess-migrate sync keeps it (the sync lag test
	# runs a real one)
	rcli ZADD sess:migrate:tasks 1 dash >/dev/null
	rcli HSET sess:migrate:dash kind sync status running lagAt "$(($(date +%s) * 1000))" lagSeconds 0.5 \
		lagPending 1 lagEvents 2 lagEstimate 0 beatAt "$(($(date +%s) * 1000))" beatEvery 5000 >/dev/null
	start_serve
	curl -sf --max-time 30 "$BASE/metrics" >"$BATS_TEST_TMPDIR/m.txt" || fail "no scrape"
	promtool_clean "$BATS_TEST_TMPDIR/m.txt"
	grep -v '^#' "$BATS_TEST_TMPDIR/m.txt" | sed 's/[{ ].*//' | sort -u >"$BATS_TEST_TMPDIR/exported"
	dashboard_metrics "$dash" >"$BATS_TEST_TMPDIR/used" 2>"$BATS_TEST_TMPDIR/dm.err" || fail "$(cat "$BATS_TEST_TMPDIR/dm.err")"
	run -0 comm -23 "$BATS_TEST_TMPDIR/used" "$BATS_TEST_TMPDIR/exported"
	assert_output ''
	# the checker itself: a misspelt name is caught
	jq '.panels[1].targets[0].expr = "sess_upp"' "$dash" >"$BATS_TEST_TMPDIR/bad.json"
	dashboard_metrics "$BATS_TEST_TMPDIR/bad.json" >"$BATS_TEST_TMPDIR/used"
	run -0 comm -23 "$BATS_TEST_TMPDIR/used" "$BATS_TEST_TMPDIR/exported"
	assert_output sess_upp
}

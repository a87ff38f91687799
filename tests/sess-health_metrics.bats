#!/usr/bin/env bats
# sess-health's Prometheus metrics: serve's /metrics (keep-alive), the
# build info, events by type (labels escaped), the migration fence, every
# exposition clean under promtool; the Grafana dashboard in contrib/grafana
# names only metrics sess-health exports.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() {
	[ -z "${SPID:-}" ] || { kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; } || true
	[ -z "${REPLICA_DIR:-}" ] || redis_stop_named REPLICA
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

@test "every metric of a standalone check is documented in man/sess-health.1's METRICS" {
	local m
	sctl create --agent a1 --id s1 >/dev/null
	sctl emit s1 --actor a1 --type modified >/dev/null
	rcli SET sess:#{all}:fence redis://new:6379 >/dev/null
	sk sess-health --format prometheus >"$BATS_TEST_TMPDIR/m.txt" || true
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
	# types, a replica attached (replication lag), then the fence
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

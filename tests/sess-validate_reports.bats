#!/usr/bin/env bats
# sess-validate's CI reports as CI systems read them: JUnit valid against
# Jenkins xUnit's schema (tests/data/junit-10.xsd), SARIF 2.1.0 (GitHub
# code scanning), GitLab's code-quality JSON, the GitHub job summary
# ($GITHUB_STEP_SUMMARY); hostile names, unique test cases, counts.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; cd "$BATS_TEST_TMPDIR"; }

sv() { sk sess-validate "$@"; }
XSD() { printf '%s/data/junit-10.xsd' "$BATS_TEST_DIRNAME"; }

# fx NAME JSON: a fixture file, private (mode 600)
fx() { printf '%s\n' "$2" >"$1"; chmod 600 "$1"; }

# A name with what XML 1.0 cannot hold (C0, U+FFFE), a byte that is not
# UTF-8, markup, a Markdown table's bar, a newline and a forged link
HOSTILE=$'h\x01\x1b[31m\xef\xbf\xbe\xff<&>"|`*_[x](e)\n::error::x.json'

# fixtures: ok.json clean, bad.json two errors and a warning, and the same
# content under $HOSTILE
fixtures() {
	fx ok.json '{}'
	fx bad.json '{"graceTTL": 9999,
 "redis": {"prot": 1},
 "defaultTTL": 1, "defaultTTL": 2}'
	cp bad.json "$HOSTILE"
}

# junit_check FILE: valid against the schema; each suite's counts equal
# its cases and failures, the root's the sum; names unique in a suite;
# prints "TESTS FAILURES"
junit_check() {
	run xmllint --noout --schema "$(XSD)" "$1"
	assert_success
	run python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
t = f = 0
for s in root.findall("testsuite"):
    cases = s.findall("testcase")
    assert int(s.get("tests")) == len(cases), (s.get("name"), s.get("tests"), len(cases))
    nf = len(s.findall("testcase/failure"))
    assert int(s.get("failures")) == nf, (s.get("name"), s.get("failures"), nf)
    assert int(s.get("errors")) == len(s.findall("testcase/error"))
    names = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(names) == len(set(names)), ("names collide", names)
    t += len(cases); f += nf
assert int(root.get("tests")) == t, (root.get("tests"), t)
assert int(root.get("failures")) == f, (root.get("failures"), f)
print(t, f)' "$1"
	assert_success
}

@test "junit: valid against Jenkins xUnit's schema, hostile file names escaped visibly, counts equal the cases" {
	fixtures
	run -1 bash -c "REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config --format junit ok.json bad.json \"\$1\" >out.xml" _ "$HOSTILE"
	junit_check out.xml
	assert_output "7 4"
	# visible: the escapes are there, and no raw control character
	grep -q 'h\\x01\\x1b\[31m' out.xml || fail "not escaped visibly: $(cat out.xml)"
	! grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f]' out.xml || fail "a raw control character"
	! grep -q $'\xef\xbf\xbe' out.xml || fail "a raw U+FFFE"
	# --strict: the warning fails too, the counts still agree
	run -1 bash -c "REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config --format junit --strict bad.json >s.xml"
	junit_check s.xml
	assert_output "3 3"
}

@test "junit: two findings of one code on one session, or two stray keys, never share a test case name" {
	# clean: one passing case, not an empty report
	run -0 bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sess-validate' sessions --all --format junit >clean.xml"
	junit_check clean.xml
	assert_output "1 0"
	sctl create --id s1 --agent a1 >/dev/null
	local i
	for i in 1 2 3; do sctl emit s1 --actor a1 --type note >/dev/null; done
	rcli PERSIST 'sess:{s1}:meta' >/dev/null
	rcli PERSIST 'sess:{s1}:events' >/dev/null
	run -1 sv sessions s1
	[ "$(jq -r 'select(.code == "session.no_ttl") | .id' <<<"$output" | grep -c s1)" -eq 2 ] ||
		fail "the fixture does not give two session.no_ttl: $output"
	run -1 bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sess-validate' sessions --format junit s1 >one.xml"
	junit_check one.xml
	# keys sesskit does not write, named with hostile bytes: two findings
	# of one code without a session id
	rcli SET $'sess:zz\x01<\xef\xbf\xbe' x >/dev/null
	rcli SET $'sess:zz\x01<\xef\xbf\xbf' x >/dev/null
	run -1 bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sess-validate' sessions --all --format junit >all.xml"
	junit_check all.xml
	# the server's report too
	run -0 bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sess-validate' server --format junit >srv.xml"
	junit_check srv.xml
}

@test "sarif: config findings as SARIF 2.1.0, each result with its rule, file and line" {
	fixtures
	run -1 bash -c "REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config --format sarif ok.json bad.json ./\"\$1\" >out.sarif" _ "$HOSTILE"
	run -0 python3 -c '
import json, sys, urllib.parse
d = json.load(open("out.sarif"))
assert d["version"] == "2.1.0", d["version"]
assert d["$schema"].startswith("https://") and "sarif" in d["$schema"] and "2.1.0" in d["$schema"], d["$schema"]
assert len(d["runs"]) == 1
run = d["runs"][0]
drv = run["tool"]["driver"]
assert drv["name"] == "sess-validate", drv
rules = [r["id"] for r in drv["rules"]]
assert len(rules) == len(set(rules)), rules
res = run["results"]
assert len(res) == 6, len(res)
uris = set()
for r in res:
    assert r["ruleId"] in rules, r["ruleId"]
    assert rules[r["ruleIndex"]] == r["ruleId"]
    assert r["level"] in ("error", "warning", "note"), r["level"]
    assert r["message"]["text"]
    loc = r["locations"][0]["physicalLocation"]
    uri = loc["artifactLocation"]["uri"]
    uris.add(urllib.parse.unquote_to_bytes(uri))
    assert all(0x20 < ord(c) < 0x7f for c in uri), uri
    assert isinstance(loc["region"]["startLine"], int) and loc["region"]["startLine"] >= 1
assert {r["ruleId"] for r in res} == {"config.unknown_key", "config.grace_ttl", "config.duplicate_key"}, res
assert sorted(r["level"] for r in res) == ["error"] * 4 + ["warning"] * 2
hostile = sys.argv[1].encode("utf-8", "surrogateescape")
assert uris == {b"bad.json", hostile}, uris
g = [r for r in res if r["ruleId"] == "config.unknown_key"][0]
assert g["locations"][0]["physicalLocation"]["region"]["startLine"] == 2, g
print("ok")' "$HOSTILE"
	assert_output ok
	# a file that is missing still gets a result (line 1) and exit 66
	run -66 bash -c "REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config --format sarif nosuch.json >m.sarif"
	run -0 python3 -c '
import json
r = json.load(open("m.sarif"))["runs"][0]["results"]
assert [x["ruleId"] for x in r] == ["config.missing"], r
assert r[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
print("ok")'
	# clean: a run with no results, exit 0
	run -0 sv config --format sarif ok.json
	run -0 jq -c '[.runs[0].results, .version]' <<<"$output"
	assert_output '[[],"2.1.0"]'
}

@test "codequality: GitLab's fields; a fingerprint stable across runs, different for different findings" {
	fixtures
	fx dup.json '{"defaultTTL": 1, "defaultTTL": 2, "x": 1, "x": 2}'
	run -1 bash -c "REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config --format codequality ok.json bad.json dup.json \"\$1\" >a.json" _ "$HOSTILE"
	run -1 bash -c "REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config --format codequality ok.json bad.json dup.json \"\$1\" >b.json" _ "$HOSTILE"
	run -0 python3 -c '
import json
a, b = json.load(open("a.json")), json.load(open("b.json"))
assert isinstance(a, list) and len(a) == 11, len(a)
for i in a:
    for k in ("description", "check_name", "fingerprint", "severity"):
        assert isinstance(i[k], str) and i[k], (k, i)
    assert i["severity"] in ("info", "minor", "major", "critical", "blocker"), i
    assert isinstance(i["location"]["path"], str) and i["location"]["path"]
    assert isinstance(i["location"]["lines"]["begin"], int) and i["location"]["lines"]["begin"] >= 1
fa = [i["fingerprint"] for i in a]
assert len(fa) == len(set(fa)), fa
assert fa == [i["fingerprint"] for i in b], "not stable"
assert {i["location"]["path"] for i in a} >= {"bad.json", "dup.json"}
print("ok")'
	assert_output ok
	# clean: an empty array, exit 0
	run -0 sv config --format codequality ok.json
	run -0 jq -c . <<<"$output"
	assert_output '[]'
}

@test "sarif and codequality are config's (findings with a file and line): a usage error elsewhere" {
	run -64 sv server --format sarif
	assert_output --partial 'config'
	run -64 sv sessions --all --format codequality
	assert_output --partial 'config'
	run -0 sv __complete config --format ''
	assert_line sarif
	assert_line codequality
	run -0 sv __complete server --format ''
	refute_line sarif
}

@test "GITHUB_STEP_SUMMARY: a Markdown summary appended (never truncated) in any format, hostile names escaped" {
	fixtures
	printf 'earlier step\n' >summary.md
	run -1 env GITHUB_STEP_SUMMARY="$PWD/summary.md" REDIS_URL=x "$SESSKIT_BUILDDIR/sess-validate" config --format github ok.json bad.json "$HOSTILE"
	grep -c '^::error ' <<<"$output" | grep -qx 4 || fail "annotations changed: $output"
	run -1 env GITHUB_STEP_SUMMARY="$PWD/summary.md" REDIS_URL=x "$SESSKIT_BUILDDIR/sess-validate" config --format json bad.json
	run -0 python3 -c '
import sys
t = open("summary.md", encoding="utf-8", errors="strict").read()
assert t.startswith("earlier step\n"), "truncated: " + t[:40]
lines = t.split("\n")
heads = [l for l in lines if l.startswith("### ")]
assert len(heads) == 2, heads
assert "4 errors, 2 warnings" in heads[0] and "2 errors, 1 warning" in heads[1], heads
rows = [l for l in lines if l.startswith("| ") and not l.startswith("| Severity")]
assert len(rows) == 9, rows
for r in rows:
    # a bar inside a cell is escaped, so every row has the same cells
    cells = r.replace("\\|", "").split("|")
    assert len(cells) == 6, r
assert not any(0 < ord(c) < 0x20 and c not in "\n" for c in t), "a raw control character"
assert "\ufffe" not in t
assert "](e)" not in t and "`*_" not in t, "live Markdown"
print("ok")'
	assert_output ok
	# unset or empty: nothing written
	cp summary.md before.md
	run -1 env -u GITHUB_STEP_SUMMARY REDIS_URL=x "$SESSKIT_BUILDDIR/sess-validate" config bad.json
	run -1 env GITHUB_STEP_SUMMARY= REDIS_URL=x "$SESSKIT_BUILDDIR/sess-validate" config bad.json
	cmp -s before.md summary.md || fail "written without the variable"
	# a summary that cannot be written: the report is whole, one line on stderr, exit 74
	run -74 --separate-stderr env GITHUB_STEP_SUMMARY="$PWD/nodir/summary.md" REDIS_URL=x "$SESSKIT_BUILDDIR/sess-validate" config --format json bad.json
	[ "$(grep -c . <<<"$output")" -eq 3 ] || fail "the report is not whole: $output"
	[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "$stderr"
	[[ $stderr == *GITHUB_STEP_SUMMARY* ]] || fail "$stderr"
}

@test "sessions that cannot be checked (Redis down): junit has an error case, the job summary says stopped, exit 69" {
	local url
	url="redis://127.0.0.1:$(dead_port)"
	run -69 bash -c "GITHUB_STEP_SUMMARY='$PWD/summary.md' REDIS_URL=$url '$SESSKIT_BUILDDIR/sess-validate' sessions --all --format junit >down.xml"
	assert_output --partial 'cannot connect'
	junit_check down.xml
	assert_output "1 0"
	run -0 python3 -c '
import xml.etree.ElementTree as ET
r = ET.parse("down.xml").getroot()
assert r.get("errors") == "1" and len(r.findall("testsuite/testcase/error")) == 1, ET.tostring(r)
print("ok")'
	assert_output ok
	run -0 grep -c '^### sess-validate sessions: stopped' summary.md
	assert_output 1
}

# An OpenSSL configuration whose only provider is "base": libcrypto then
# gives no SHA-1 (as a FIPS-only or a broken setup would)
no_sha1_conf() {
	printf 'openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n[provider_sect]\nbase = base_sect\n[base_sect]\nactivate = 1\n' >nosha1.cnf
}

@test "libcrypto without SHA-1: the check stops with 70 and one line; no session is called damaged, no report loops" {
	no_sha1_conf
	fx bad.json '{"prefix": "a b", "defaultTTL": 0}'

	OPENSSL_CONF=$PWD/nosha1.cnf run -70 --separate-stderr timeout 20 "$SESSKIT_BUILDDIR/sess-validate" config --format codequality bad.json
	[[ "$stderr" == *"gives no SHA-1"* ]] || fail "the reason is not said: $stderr"
	run -0 sk sessctl create --agent a --id ns1
	run -0 sk sessctl emit ns1 --actor a --type modified
	OPENSSL_CONF=$PWD/nosha1.cnf run -70 --separate-stderr sv sessions ns1
	[[ "$output" != *'"code"'* ]] || fail "a finding for an intact session: $output"
	# with SHA-1, the same session is intact
	run -0 sv sessions ns1
}

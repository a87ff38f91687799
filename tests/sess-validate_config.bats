#!/usr/bin/env bats
# sess-validate config and schema: every rule with a fixture that breaks
# it, bad input, every format, and the schema against the validator.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; cd "$BATS_TEST_TMPDIR"; }

sv() { sk sess-validate "$@"; }

# fx NAME JSON: a fixture file, private (mode 600)
fx() { printf '%s\n' "$2" >"$1"; chmod 600 "$1"; }

# codes: the finding codes in $output, sorted, comma-separated
codes() { jq -r .code <<<"$output" | sort | paste -sd, -; }

@test "a clean file: no findings, exit 0" {
	fx ok.json '{"defaultTTL": 7200, "graceTTL": 600, "checkpointInterval": 20,
 "maxEventsPerSession": 5000, "prefix": "app", "redis": {"url": "redis://cache:6380/2", "connectTimeout": 500}}'
	run sv config ok.json
	assert_success
	assert_output ""
}

@test "\$schema (editors add it): a string is taken by the tools, the validator and the schema; anything else is refused" {
	fx s.json '{"$schema": "https://sesskit.invalid/schemas/config.json", "defaultTTL": 7200}'
	run -0 sv config s.json
	assert_output ""
	run -0 sctl --config "$BATS_TEST_TMPDIR/s.json" create --agent a --id sch1
	ttl=$(rcli PTTL 'sess:{sch1}:meta')
	[ "$ttl" -gt 7190000 ] && [ "$ttl" -le 7200000 ] || fail "the file's defaultTTL was not read: PTTL $ttl"
	run -0 sv schema
	assert_equal "$(jq -c '.properties["$schema"].type' <<<"$output")" '"string"'
	fx n.json '{"$schema": 7}'
	run -1 sv config n.json
	assert_equal "$(codes)" "config.type"
	run -78 sctl --config "$BATS_TEST_TMPDIR/n.json" list
	assert_output --partial '$schema must be a string'
	# only at the top, as editors put it
	fx g.json '{"redis": {"$schema": "x"}}'
	run -1 sv config g.json
	assert_equal "$(codes)" "config.unknown_key"
}

@test "unknown keys: error with a did-you-mean, pointer and line" {
	fx f.json '{
  "defaultTtl": 100,
  "redis": {
    "prot": 6380
  },
  "host": "x",
  "zzzzqqqq": 1
}'
	run sv config f.json
	assert_failure 1
	assert_equal "$(codes)" "config.unknown_key,config.unknown_key,config.unknown_key,config.unknown_key"
	run -0 jq -c 'select(.pointer == "/redis/prot") | [.line, .severity, .file, (.fix | test("redis.port"))]' <<<"$output"
	assert_output '[4,"error","f.json",true]'
	run -1 sv config f.json
	jq -s -e '[.[] | select(.pointer == "/defaultTtl") | .line == 2 and (.message | test("did you mean defaultTTL"))] | any' <<<"$output" >/dev/null ||
		fail "no suggestion for defaultTtl: $output"
	jq -s -e '[.[] | select(.pointer == "/host") | .fix | test("redis.host")] | any' <<<"$output" >/dev/null || fail "host: $output"
	jq -s -e '[.[] | select(.pointer == "/zzzzqqqq") | .message | test("did you mean") | not] | any' <<<"$output" >/dev/null ||
		fail "a far name got a suggestion: $output"
}

@test "types: strings, numbers, booleans and objects where the table says" {
	fx f.json '{"checkpointInterval": "10", "enableFailureSnapshots": 1, "prefix": 5, "redis": 6379}'
	run sv config f.json
	assert_failure 1
	assert_equal "$(codes)" "config.type,config.type,config.type,config.type"
	jq -s -e '[.[] | select(.pointer == "/checkpointInterval") | .message | test("whole number, not a string")] | any' <<<"$output" >/dev/null ||
		fail "$output"
}

@test "ranges: TTLs positive, ports, fractions, whole numbers" {
	fx f.json '{"defaultTTL": 0, "redis": {"port": 70000, "db": -1}, "cleanupBatchSize": 1.5}'
	run sv config f.json
	assert_failure 1
	assert_equal "$(codes)" "config.range,config.range,config.range,config.range"
	jq -s -e '[.[] | select(.pointer == "/redis/port") | .fix | test("1 to 65535")] | any' <<<"$output" >/dev/null || fail "$output"
}

@test "strings: too long, bad prefix, bad environment, bad URL" {
	long=$(printf 'a%.0s' $(seq 1 300))
	fx f.json "{\"redis\": {\"host\": \"$long\", \"url\": \"http://x\"}, \"prefix\": \"a b\", \"environment\": \"prod\"}"
	run sv config f.json
	assert_failure 1
	assert_equal "$(codes)" "config.bad_url,config.bad_value,config.bad_value,config.too_long"
	fx g.json '{"redis": {"url": "redis://h:notaport"}}'
	run sv config g.json
	assert_failure 1
	assert_equal "$(codes)" "config.bad_url"
}

@test "not an object, and duplicate keys (a warning; --strict fails on it)" {
	fx f.json '[1, 2]'
	run sv config f.json
	assert_failure 1
	assert_equal "$(codes)" "config.not_object"
	fx d.json '{"defaultTTL": 1000,
"defaultTTL": 2000}'
	run sv config d.json
	assert_success
	assert_equal "$(jq -r '[.code, .severity, .line] | join(" ")' <<<"$output")" "config.duplicate_key warning 2"
	run sv config --strict d.json
	assert_failure 1
}

@test "graceTTL must be below defaultTTL" {
	fx f.json '{"defaultTTL": 300, "graceTTL": 300}'
	run sv config f.json
	assert_failure 1
	assert_equal "$(codes)" "config.grace_ttl"
	# the default defaultTTL (3600) counts when only graceTTL is given
	fx g.json '{"graceTTL": 4000}'
	run sv config g.json
	assert_failure 1
	assert_equal "$(codes)" "config.grace_ttl"
}

@test "checkpointInterval 0: a warning in development, an error in production" {
	fx f.json '{"checkpointInterval": 0, "maxEventsPerSession": 100}'
	run sv config f.json
	assert_success
	assert_equal "$(jq -r '.code + " " + .severity' <<<"$output")" "config.checkpoints_off warning"
	REDIS_PASSWORD=x run sv config --env production f.json
	assert_failure 1
	jq -s -e '[.[] | select(.code == "config.checkpoints_off") | .severity == "error"] | any' <<<"$output" >/dev/null || fail "$output"
}

@test "maxEventsPerSession below checkpointInterval" {
	fx f.json '{"checkpointInterval": 50, "maxEventsPerSession": 20}'
	run sv config f.json
	assert_failure 1
	assert_equal "$(codes)" "config.max_events"
	# unlimited (0) is fine against any interval
	fx g.json '{"checkpointInterval": 50, "maxEventsPerSession": 0}'
	run sv config g.json
	assert_success
}

@test "production: authentication required (file, URL or REDIS_PASSWORD)" {
	fx f.json '{"environment": "production", "redis": {"host": "db"}}'
	run sv config f.json
	assert_failure 1
	jq -s -e '[.[] | select(.code == "config.auth_missing") | .severity == "error"] | any' <<<"$output" >/dev/null || fail "$output"
	REDIS_PASSWORD=s3cret run sv config f.json
	assert_success
	fx u.json '{"environment": "production", "redis": {"url": "redis://:pw@db:6379"}}'
	run sv config u.json
	assert_success
	# staging: a warning; development: nothing
	run sv config --env staging f.json
	assert_success
	assert_equal "$(jq -r 'select(.code == "config.auth_missing") | .severity' <<<"$output")" warning
	run sv config --env development f.json
	assert_success
	assert_output ""
}

@test "a password in a file others can read: error in production, warning elsewhere" {
	fx f.json '{"redis": {"password": "s3cret"}}'
	chmod 644 f.json
	run sv config --env production f.json
	assert_failure 1
	assert_equal "$(jq -r 'select(.code == "config.password_readable") | .severity + " " + .pointer' <<<"$output")" "error /redis/password"
	[[ $output != *s3cret* ]] || fail "the password was printed"
	run sv config f.json
	assert_success
	assert_equal "$(codes)" "config.password_readable"
	chmod 600 f.json
	run sv config --env production f.json
	assert_success
	fx u.json '{"redis": {"url": "redis://u:hunter2@db"}}'
	chmod 640 u.json
	run -0 sv config u.json
	assert_equal "$(jq -r .pointer <<<"$output")" /redis/url
	[[ $output != *hunter2* ]] || fail "the password was printed"
}

@test "TLS: off in production is flagged; rediss:// or tls.enabled is quiet; tls.insecure is an error in production" {
	fx f.json '{"redis": {"url": "redis://:pw@db"}}'
	run sv config --env production f.json
	assert_success
	run -0 jq -r .code <<<"$output"
	assert_output config.tls_off
	fx t.json '{"redis": {"url": "rediss://:pw@db"}}'
	run -0 sv config --env production t.json
	assert_equal "$(codes)" ""
	fx e.json '{"redis": {"url": "redis://:pw@db"}, "tls": {"enabled": true, "cacert": "/etc/ca.pem"}}'
	run -0 sv config --env production e.json
	assert_equal "$(codes)" ""
	fx i.json '{"redis": {"url": "rediss://:pw@db"}, "tls": {"insecure": true}}'
	run -1 sv config --env production i.json
	assert_equal "$(codes)" "config.tls_insecure"
}

@test "production: settings that cost memory or speed warn; staging recommends; development is quiet" {
	fx f.json '{"defaultTTL": 2592000, "checkpointInterval": 2, "maxEventsPerSession": 0, "cleanupBatchSize": 50000}'
	REDIS_PASSWORD=x run sv config --env production f.json
	assert_success
	assert_equal "$(jq -r 'select(.code == "config.cost") | .pointer' <<<"$output" | sort | paste -sd, -)" \
		"/checkpointInterval,/cleanupBatchSize,/defaultTTL,/maxEventsPerSession"
	assert_equal "$(jq -r 'select(.code == "config.cost") | .severity' <<<"$output" | sort -u)" warning
	REDIS_PASSWORD=x run sv config --env production --strict f.json
	assert_failure 1
	REDIS_PASSWORD=x run sv config --env staging f.json
	assert_equal "$(jq -r 'select(.code == "config.cost") | .severity' <<<"$output" | sort -u)" recommendation
	run sv config --env development f.json
	assert_success
	assert_output ""
}

@test "malformed JSON: line and column, exit 65" {
	printf '{\n  "defaultTTL": 10,\n  "graceTTL": 5,,\n}\n' >f.json
	run sv config f.json
	assert_failure 65
	# the second comma is column 17; cJSON may stop one byte past it
	[[ $(jq -r '[.code, .line, .column] | join(" ")' <<<"$output") =~ ^config\.bad_json\ 3\ 1[78]$ ]] || fail "$output"
	printf '{"a": 1} trailing' >g.json
	run sv config g.json
	assert_failure 65
	printf '' >e.json
	run sv config e.json
	assert_failure 65
}

@test "bad input: missing 66, a directory 66, unreadable 66" {
	run sv config nope.json
	assert_failure 66
	assert_equal "$(codes)" "config.missing"
	mkdir d
	run sv config d
	assert_failure 66
	assert_equal "$(codes)" "config.unreadable"
	fx f.json '{}'
	if [ "$(id -u)" -ne 0 ]; then
		chmod 000 f.json
		run sv config f.json
		assert_failure 66
		assert_equal "$(codes)" "config.unreadable"
	fi
	# (root reads any mode) a path through a file cannot be opened either
	run sv config f.json/x
	assert_failure 66
	assert_equal "$(codes)" "config.unreadable"
}

@test "bad input: a 100 MB file is refused unread, exit 65" {
	truncate -s 100M big.json
	run sv config big.json
	assert_failure 65
	assert_equal "$(codes)" "config.too_large"
	# through a pipe too (no size to ask): read up to the limit only
	run bash -c "set -o pipefail; head -c 3000000 /dev/zero | tr '\\0' ' ' | REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config -"
	assert_failure 65
	assert_equal "$(codes)" "config.too_large"
}

@test "bad input: deep nesting, non-UTF-8 bytes and NUL bytes, exit 65 with a line" {
	python3 -c 'print("{\"a\":" + "[" * 5000 + "]" * 5000 + "}")' >deep.json
	run sv config deep.json
	assert_failure 65
	assert_equal "$(codes)" "config.too_deep"
	printf '{\n"prefix": "caf\xe9"}\n' >latin1.json
	run sv config latin1.json
	assert_failure 65
	assert_equal "$(jq -r '[.code, .line] | join(" ")' <<<"$output")" "config.not_utf8 2"
	printf '{"a":\0 1}' >nul.json
	run sv config nul.json
	assert_failure 65
	assert_equal "$(codes)" "config.not_text"
}

@test "several files and stdin: every file checked, the worst exit wins" {
	fx ok.json '{}'
	fx bad.json '{"defaultTTL": -5}'
	printf '{' >broken.json
	run sv config ok.json bad.json
	assert_failure 1
	run sv config bad.json broken.json
	assert_failure 65
	run sv config broken.json missing.json bad.json
	assert_failure 66
	assert_equal "$(jq -r .file <<<"$output" | paste -sd, -)" "broken.json,missing.json,bad.json"
	run bash -c "echo '{\"prefx\": \"a\"}' | REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config -"
	assert_failure 1
	assert_equal "$(jq -r '.file + " " + .code' <<<"$output")" "<stdin> config.unknown_key"
}

@test "usage: no file, a bad --env or --format: exit 64" {
	run sv config
	assert_failure 64
	fx ok.json '{}'
	run sv config --env prod ok.json
	assert_failure 64
	run sv config --format xml ok.json
	assert_failure 64
}

@test "format text: FILE:LINE:COL, severity, code, fix" {
	printf '{\n "graceTTL": 9999}\n' >f.json
	chmod 600 f.json
	run sv config --format text f.json
	assert_failure 1
	assert_line --index 0 --regexp '^f\.json:2: error: graceTTL .* \[config\.grace_ttl at /graceTTL\]$'
	assert_line --index 1 --regexp '^    fix: set graceTTL below defaultTTL'
	assert_line --index 2 "config: 1 error, 0 warnings, 0 recommendations"
}

@test "format github: workflow annotations" {
	printf '{\n "graceTTL": 9999,\n "redis": {"prot": 1}}\n' >f.json
	chmod 600 f.json
	run sv config --format github f.json
	assert_failure 1
	assert_line --regexp '^::error file=f\.json,line=2,title=config\.grace_ttl::/graceTTL: graceTTL .*\(fix: .*\)$'
	assert_line --regexp '^::error file=f\.json,line=3,title=config\.unknown_key::/redis/prot: '
	printf '{"defaultTTL": 1000, "defaultTTL": 1000}' >w.json
	chmod 600 w.json
	run sv config --format github w.json
	assert_success
	assert_line --regexp '^::warning file=w\.json,line=1,title=config\.duplicate_key::'
	# a file name with the separators GitHub reserves is escaped
	printf '{"x": 1}' >'a,b:c.json'
	run -1 sv config --format github 'a,b:c.json'
	assert_line --regexp '^::error file=a%2Cb%3Ac\.json,line=1,'
}

@test "control characters in file and key names are escaped in text and github (issue 17)" {
	local nl=$'n\n::error title=forged::x.json' esc=$'e\e[31mred.json' c1=$'c\xc2\x9b2J.json'
	printf '{"x\\u001b[2J\\n::error title=forged::k": 1, "y\\u0001": 2}' >"$nl"
	cp "$nl" "$esc"
	cp "$nl" "$c1"
	chmod 600 "$nl" "$esc" "$c1"
	for fmt in text github; do
		run sv config --format "$fmt" "$nl" "$esc" "$c1"
		assert_failure 1
		! grep -q $'[\x01-\x08\x0b-\x1f\x7f]' <<<"$output" || fail "$fmt: a raw control character: $(od -c <<<"$output" | head)"
		! grep -q $'\xc2\x9b' <<<"$output" || fail "$fmt: a raw C1 control"
		! grep -q '^::error title=forged' <<<"$output" || fail "$fmt: a forged line: $output"
		[ "$(grep -c . <<<"$output")" -eq "$(grep -c -e '^    fix:' -e '^::' -e 'unknown key' -e '^config:' <<<"$output")" ] ||
			fail "$fmt: a line that is no finding: $output"
		assert_output --partial '\x1b'
	done
}

@test "a path to a file that is no config file: its content is never quoted (issue 17)" {
	# a symlink to a secret (as to /etc/shadow)
	printf 'root:$6$s3cr3tsalt$hashhashhash:19000:0:99999:7:::\n' >secret
	chmod 600 secret
	ln -s secret link.json
	for fmt in json text github junit; do
		run sv config --format "$fmt" link.json
		assert_failure 65
		[[ $output != *s3cr3t* && $output != *root:* ]] || fail "$fmt quotes the file: $output"
	done
	run -65 sv config link.json
	assert_equal "$(codes)" config.bad_json
	# a config file with a syntax error is still quoted near it, escaped
	printf '{"defaultTTL": 10,\n "x": oo\x01ps}' >f.json
	run sv config f.json
	assert_failure 65
	[[ $(jq -r .message <<<"$output") == *'near "oo\x01ps}"'* ]] || fail "$output"
	# a device is not read
	run sv config /dev/zero
	assert_failure 66
	assert_equal "$(codes)" config.unreadable
}

@test "health.warn and health.crit: the rule sess-health applies them by (issue 17)" {
	local v
	for v in 'latency' 'nosuch=5' 'latency=abc' 'memory=10:5' 'latency=5,=3'; do
		fx h.json "{\"health\": {\"warn\": \"$v\"}}"
		run sv config h.json
		assert_failure 1
		assert_equal "$(codes)" config.bad_value
		# and sess-health refuses it too
		run sk sess-health --config h.json
		[ "$status" -ne 0 ] && [ "$status" -ne 1 ] || fail "sess-health took health.warn=$v (exit $status)"
		fx c.json "{\"health\": {\"crit\": \"$v\"}}"
		run sv config c.json
		assert_failure 1
		assert_equal "$(codes)" config.bad_value
	done
	fx h.json '{"health": {"warn": "latency=100,memory=70:,drift=", "crit": "lag=@5:10"}}'
	run sv config h.json
	assert_success
	run sk sess-health --config h.json
	[ "$status" -le 1 ] || fail "sess-health refused a list sess-validate took: $output"
}

@test "format junit: well-formed XML, a failure per error, a passing case per clean file" {
	fx ok.json '{}'
	printf '{"graceTTL": 9999, "redis": {"prot": "<&>\\"x"}}' >bad.json
	chmod 600 bad.json
	fx w.json '{"defaultTTL": 1000, "defaultTTL": 1000}'
	run bash -c "REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config --format junit ok.json bad.json w.json >out.xml"
	assert_failure 1
	run python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse("out.xml").getroot()
assert root.tag == "testsuites", root.tag
suites = {s.get("name"): s for s in root.findall("testsuite")}
assert set(suites) == {"ok.json", "bad.json", "w.json"}, suites
assert len(suites["ok.json"].findall("testcase")) == 1
assert suites["ok.json"].find("testcase/failure") is None
assert int(suites["bad.json"].get("failures")) == 2, suites["bad.json"].get("failures")
assert len(suites["bad.json"].findall("testcase/failure")) == 2
assert suites["w.json"].find("testcase/failure") is None
assert int(root.get("failures")) == 2
print("ok")'
	assert_success
	assert_output ok
	run -0 bash -c "REDIS_URL=x '$SESSKIT_BUILDDIR/sess-validate' config --format junit --strict w.json | python3 -c 'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.stdin).getroot(); print(r.get(\"failures\"))'"
	assert_output 1
}

# schema_check SCHEMA FILE: "valid" or "invalid", by python3-jsonschema
# when installed, else by a checker of the keywords the schema uses
schema_check() {
	python3 - "$1" "$2" <<'PY'
import json, re, sys
schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
try:
    import jsonschema
    v = jsonschema.Draft202012Validator(schema)
    print("valid" if v.is_valid(doc) else "invalid"); sys.exit(0)
except ImportError:
    pass
def ok(s, d):
    if "anyOf" in s:
        return any(ok(x, d) for x in s["anyOf"])
    t = s.get("type")
    if t == "object":
        if not isinstance(d, dict): return False
        p = s.get("properties", {})
        if s.get("additionalProperties") is False and any(k not in p for k in d): return False
        return all(ok(p[k], v) for k, v in d.items() if k in p)
    if t == "integer":
        return isinstance(d, int) and not isinstance(d, bool) and s["minimum"] <= d <= s["maximum"]
    if t == "boolean": return isinstance(d, bool)
    if t == "string":
        if not isinstance(d, str) or len(d) > s.get("maxLength", len(d)): return False
        if "enum" in s and d not in s["enum"]: return False
        return "pattern" not in s or re.search(s["pattern"], d) is not None
    return True
print("valid" if ok(schema, doc) else "invalid")
PY
}

@test "schema: draft 2020-12, every key of the table, agrees with the validator" {
	run sv schema
	assert_success
	printf '%s\n' "$output" >schema.json
	assert_equal "$(jq -r '."$schema"' schema.json)" "https://json-schema.org/draft/2020-12/schema"
	assert_equal "$(jq -r '.properties.redis.properties.port | [.type, .minimum, .maximum] | join(" ")' schema.json)" "integer 1 65535"
	assert_equal "$(jq -r '.properties.environment.enum | join(",")' schema.json)" "development,staging,production"
	assert_equal "$(jq -r '.properties.redis.additionalProperties' schema.json)" false
	# every fixture the validator accepts, the schema accepts
	fx a1.json '{}'
	fx a2.json '{"defaultTTL": 7200, "graceTTL": 600, "checkpointInterval": 20, "maxEventsPerSession": 5000, "prefix": "app:x", "enableFailureSnapshots": false, "cleanupInterval": 60, "cleanupBatchSize": 10, "environment": "staging", "health": {"warn": "latency=20"}, "redis": {"url": "redis://h:1/2", "host": "h", "port": 6380, "db": 3, "username": "u", "socket": "/s", "connectTimeout": 100, "commandTimeout": 100}}'
	fx a3.json '{"redis": {"url": "unix:///run/redis.sock?db=1"}, "maxEventsPerSession": 0}'
	fx a4.json '{"defaultTTL": "2h", "graceTTL": "600", "redis": {"commandTimeout": "1s500ms", "waitTimeout": "250ms"}}'
	for f in a1 a2 a3 a4; do
		run sv config "$f.json"
		assert_success
		assert_equal "$(schema_check schema.json "$f.json")" valid
	done
	# and the type, range and key errors it rejects, the schema rejects
	fx r1.json '{"checkpointInterval": "10"}'
	fx r2.json '{"redis": {"port": 70000}}'
	fx r3.json '{"enableFailureSnapshots": 1}'
	fx r4.json '{"redis": {"prot": 1}}'
	fx r5.json '{"prefx": "a"}'
	fx r6.json '{"prefix": "a b"}'
	fx r7.json '{"environment": "prod"}'
	fx r8.json '{"defaultTTL": 0}'
	fx r9.json '{"redis": {"url": "http://x"}}'
	fx r10.json '{"cleanupBatchSize": 1.5}'
	fx r11.json '{"redis": 1}'
	fx r12.json '{"defaultTTL": "2 hours"}'
	for f in r1 r2 r3 r4 r5 r6 r7 r8 r9 r10 r11 r12; do
		run sv config "$f.json"
		assert_failure 1
		assert_equal "$f: $(schema_check schema.json "$f.json")" "$f: invalid"
	done
}

@test "a config the validator accepts loads in sessctl too" {
	fx ok.json '{"defaultTTL": 7200, "graceTTL": 600, "environment": "development", "prefix": "app"}'
	run -0 sv config ok.json
	run sk sessctl --config ok.json create --agent a1
	assert_success
}

#!/usr/bin/env bats
# The config file's JSON Schema (sess-validate schema) against the
# validator (sess-validate config) and the tools' setter: a differential
# over a table of hostile strings and URLs, checked by python3-jsonschema
# and by sess-validate; they must agree on every one. No server.
bats_require_minimum_version 1.5.0

setup() { load helpers/redis; cd "$BATS_TEST_TMPDIR"; }

# no server: the URL is a port nothing listens on
sv() { REDIS_URL=redis://127.0.0.1:1 sk sess-validate "$@"; }
# scu NAME: sessctl list with REDIS_USERNAME=NAME
scu() { REDIS_USERNAME=$1 REDIS_URL=redis://127.0.0.1:1 sk sessctl list; }

# The table: KEY<TAB>VALUE, VALUE a JSON string (so \n, \u00e9 and the
# like can be written); python adds the long ones (see differ).
table() {
	cat <<'TABLE'
redis.url	"redis://h"
redis.url	"redis://h:6379"
redis.url	"redis://h:1"
redis.url	"redis://h:65535"
redis.url	"redis://h:65536"
redis.url	"redis://h:99999"
redis.url	"redis://h:0"
redis.url	"redis://h:00080"
redis.url	"redis://h:"
redis.url	"redis://h:+80"
redis.url	"redis://h:-1"
redis.url	"redis://h: 80"
redis.url	"redis://h:80 "
redis.url	"redis://h:80\n"
redis.url	"redis://h:8o"
redis.url	"redis://h:1:2"
redis.url	"redis://"
redis.url	"redis://:6380"
redis.url	"redis://h/"
redis.url	"redis://h/0"
redis.url	"redis://h/2147483647"
redis.url	"redis://h/2147483648"
redis.url	"redis://h/99999999999"
redis.url	"redis://h/-1"
redis.url	"redis://h/+1"
redis.url	"redis://h/1/2"
redis.url	"redis://h/x"
redis.url	"redis://h?db=3"
redis.url	"redis://h?db=3&db=4"
redis.url	"redis://h?db="
redis.url	"redis://h?"
redis.url	"redis://h?db=1&"
redis.url	"redis://h?password=x"
redis.url	"redis://h?db=1/2"
redis.url	"redis://h?sni=x"
redis.url	"redis://[::1]"
redis.url	"redis://[::1]:6379/1"
redis.url	"redis://[::1"
redis.url	"redis://[::1]x"
redis.url	"redis://[::1]:"
redis.url	"redis://[]"
redis.url	"redis://a[b]:1"
redis.url	"redis://u:p@h:6379/0"
redis.url	"redis://:p@h"
redis.url	"redis://p@h"
redis.url	"redis://u:p@ss@h"
redis.url	"redis://u:p/?#@h"
redis.url	"redis://u:%41%42@h"
redis.url	"redis://u:%4@h"
redis.url	"redis://u:%zz@h"
redis.url	"redis://u:%+1@h"
redis.url	"redis://u:% 1@h"
redis.url	"redis://u:%00@h"
redis.url	"redis://u:p%@h"
redis.url	"redis://u@h?db=1@x"
redis.url	"redis://u@h?db=x@:99999"
redis.url	"redis://h#frag"
redis.url	"redis://h x"
redis.url	"redis://h\nx"
redis.url	"redis://h\u00e9:1"
redis.url	"rediss://h:6380"
redis.url	"rediss://h?insecure"
redis.url	"rediss://h?insecure=true&cacert=/etc/ca.pem"
redis.url	"rediss://h?insecure=maybe"
redis.url	"rediss://h?insecureKeyFile=no&db=2"
redis.url	"rediss://h?enabled=true"
redis.url	"rediss://h?e"
redis.url	"rediss://h?cacertz=/x"
redis.url	"rediss://h?sni=a=b/c?d"
redis.url	"rediss://u@h?sni=x@:99999"
redis.url	"rediss://h?=x"
redis.url	"rediss://h?ciphers=HIGH&ciphersuites=TLS_AES_128_GCM_SHA256"
redis.url	"unix:///run/redis.sock"
redis.url	"unix:///run/redis.sock?db=2"
redis.url	"unix:///run/redis.sock?db=2&db=3"
redis.url	"unix:///run/redis.sock?db=x"
redis.url	"unix:///run/redis.sock?"
redis.url	"unix://run/redis.sock"
redis.url	"unix://"
redis.url	"unix:///a@b#c"
redis.url	"unix:///s?db=1?x"
redis.url	"redis+sentinel://a:26379,b:26380?master=m"
redis.url	"redis+sentinel://a,b?master=m"
redis.url	"redis+sentinel://a:99999?master=m"
redis.url	"redis+sentinel://a:0?master=m"
redis.url	"redis+sentinel://a:?master=m"
redis.url	"redis+sentinel://a:x?master=m"
redis.url	"redis+sentinel://a"
redis.url	"redis+sentinel://a?master="
redis.url	"redis+sentinel://a?master=m&master="
redis.url	"redis+sentinel://a?masterName=m"
redis.url	"redis+sentinel://a?sentinelMasterId=m&db=3"
redis.url	"redis+sentinel://a?master=m&db=+3"
redis.url	"redis+sentinel://a?master=m&db=%33"
redis.url	"redis+sentinel://a?master=m&db="
redis.url	"redis+sentinel://a?master=m&bogus=1"
redis.url	"redis+sentinel://a?master"
redis.url	"redis+sentinel://a?master=%zz"
redis.url	"redis+sentinel://a?master=m%41"
redis.url	"redis+sentinel://a?master=m&&sentinelPassword=&"
redis.url	"redis+sentinel://a?"
redis.url	"redis+sentinel://a?#m"
redis.url	"redis-sentinel://p@a:26379/2#mymaster"
redis.url	"redis-sentinel://a#"
redis.url	"redis-sentinel://a#m@x"
redis.url	"redis-sentinel://a#m?x/y,z"
redis.url	"redis-sentinel://a#m%00"
redis.url	"redis+sentinel://u:p@a,,b,/5?master=m"
redis.url	"redis+sentinel://:26379?master=m"
redis.url	"redis+sentinel://?master=m"
redis.url	"redis+sentinel://[::1]:26379?master=m"
redis.url	"redis+sentinel://[::1]?master=m"
redis.url	"redis+sentinel://a/x?master=m"
redis.url	"redis+sentinel://u?master=x@a"
redis.url	"redis+sentinel://a?master=m\n"
redis.url	"http://h"
redis.url	"REDIS://h"
redis.url	" redis://h"
redis.url	"redis:/h"
redis.url	""
redis.sentinels	"a:26379,b:26380"
redis.sentinels	"a,b"
redis.sentinels	"a,"
redis.sentinels	",a"
redis.sentinels	"a,,b"
redis.sentinels	","
redis.sentinels	""
redis.sentinels	"a:99999"
redis.sentinels	"a:0"
redis.sentinels	"a:"
redis.sentinels	"a:+80"
redis.sentinels	"a: 80"
redis.sentinels	"a:x"
redis.sentinels	"[::1]:26379"
redis.sentinels	"[::1]"
redis.sentinels	"a]:80"
redis.sentinels	"h\u00e9:1"
redis.sentinels	"a:1\n"
redis.clusterNodes	"a:7000,b:7001"
redis.clusterNodes	"a,,b"
redis.clusterNodes	",a"
redis.clusterNodes	"a,"
redis.clusterNodes	","
redis.clusterNodes	""
redis.clusterNodes	"a\n"
prefix	"app"
prefix	"app:x-1"
prefix	"app\n"
prefix	"-app"
prefix	"a b"
prefix	"\u00e9"
prefix	""
tls.cacert	"/etc/ssl/\u00e9t\u00e9.pem"
tls.cacert	"/\u00e9\u00e9\n"
redis.host	"h\u00f6st"
redis.username	"\u00fc"
redis.password	"p\u00e4ss\u20ac\ud83d\ude00"
TABLE
}

@test "schema and validator agree on every value of a table of hostile strings and URLs" {
	python3 -c 'import jsonschema' || fail "python3-jsonschema is missing (tools/lib.sh installs it)"
	run -0 sv schema
	printf '%s\n' "$output" >schema.json
	table >table.tsv
	# the files, one value each, and the schema's verdict on each
	run -0 python3 - <<'PY'
import json, jsonschema
schema = json.load(open("schema.json"))
rows = [l.split("\t", 1) for l in open("table.tsv").read().splitlines() if l]
rows = [(k, json.loads(v)) for k, v in rows]
# lengths on either side of each limit: ASCII, 2-, 3- and 4-byte characters
for key, size in (("tls.cacert", 1024), ("redis.host", 256), ("redis.username", 128),
                  ("redis.password", 512), ("health.warn", 512), ("redis.url", 1024)):
    m = size - 1
    for ch, lim in (("a", m), ("\u00e9", m // 4), ("\u20ac", m // 4), ("\U0001f600", m // 4)):
        for n in (lim - 1, lim, lim + 1):
            if key == "redis.url":
                rows.append((key, "rediss://h?cacert=/" + ch * (n - 19)))
            elif key == "health.warn":
                continue
            else:
                rows.append((key, "/" + ch * (n - 1)))
    rows.append((key, "a" * (m // 4) + "\u00e9"))  # mostly ASCII, one other
    rows.append((key, "a" * (m - 1) + "\u00e9"))
v = jsonschema.Draft202012Validator(schema)
with open("verdicts.schema", "w") as out:
    for n, (key, val) in enumerate(rows):
        doc = {}
        d = doc
        parts = key.split(".")
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = val
        with open("f%d.json" % n, "w") as f:
            json.dump(doc, f)
        out.write("f%d.json\t%s\t%s\n" % (n, "valid" if v.is_valid(doc) else "invalid", json.dumps(val)[:80]))
print(len(rows))
PY
	n=$output
	[ "$n" -gt 150 ] || fail "only $n values"
	chmod 600 f*.json
	# the validator's verdict: a file with an error finding is invalid
	run -1 sv config f*.json
	printf '%s\n' "$output" >findings.jsonl
	run -0 python3 - <<'PY'
import json
bad = {}
for line in open("findings.jsonl"):
    if line.strip():
        f = json.loads(line)
        if f["severity"] == "error":
            bad.setdefault(f["file"], f["code"])
differ = []
rows = [l.rstrip("\n").split("\t") for l in open("verdicts.schema")]
for name, verdict, shown in rows:
    mine = "invalid" if name in bad else "valid"
    if mine != verdict:
        differ.append("%s: schema %s, validator %s (%s)" % (shown, verdict, mine, bad.get(name, "")))
print("\n".join(differ) if differ else "agree on %d" % len(rows))
PY
	assert_output "agree on $n"
}

@test "what only the validator checks (a URL's parts' lengths) is what the man page names" {
	run -0 sv schema
	printf '%s\n' "$output" >schema.json
	# a user name of 200 characters: the URL's pattern and length take it, the 127-byte field not
	url="redis://$(printf 'u%.0s' $(seq 200)):p@h"
	printf '{"redis": {"url": "%s"}}\n' "$url" >u.json
	chmod 600 u.json
	run -0 python3 -c 'import json, sys, jsonschema; print(jsonschema.Draft202012Validator(json.load(open("schema.json"))).is_valid(json.load(open("u.json"))))'
	assert_output True
	run -1 sv config u.json
	assert_output --partial '"code":"config.bad_url"'
	assert_output --partial "URL user name is too long"
	run -0 tr '\n' ' ' <"$BATS_TEST_DIRNAME/../man/sess-validate.1"
	assert_output --partial "user name 127, password 511, host 255"
}

@test "a Sentinel URL's sentinels are counted as the tools count them when they connect (16 at most)" {
	local list16
	list16=$(printf 's%d:26379,' $(seq 16))
	list16=${list16%,}
	printf '{"redis": {"url": "redis+sentinel://%s?master=m"}}\n' "$list16" >s16.json
	printf '{"redis": {"url": "redis+sentinel://%s,s17?master=m"}}\n' "$list16" >s17.json
	chmod 600 s16.json s17.json
	run -0 sv config s16.json
	run -1 sv config s17.json
	assert_output --partial '"code":"config.bad_url"'
	assert_output --partial "at most 16"
	# what a tool does with that URL: refuses it (78) before it connects
	REDIS_URL="redis+sentinel://$list16,s17?master=m" run -78 sk sessctl list
	assert_output --partial "at most 16"
}

@test "the tools' setter counts characters as the schema does (an environment variable)" {
	# redis.username: 127 characters of ASCII, 31 of any others
	u31=$(python3 -c 'print("\u00e9" * 31)')
	u32=$(python3 -c 'print("\u00e9" * 32)')
	a127=$(printf 'a%.0s' $(seq 127))
	run -78 scu "$u32"
	assert_output --partial "REDIS_USERNAME is too long (32 characters, not all ASCII; the limit is 31, or 127 of ASCII only)"
	run -69 scu "$u31"
	run -69 scu "$a127"
	run -78 scu "${a127}a"
	assert_output --partial "too long (128 characters; the limit is 127)"
}

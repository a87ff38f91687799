# The sess-migrate suites' shared helpers (load it at the top of the
# file; the tests run them after `load helpers/redis` with servers SRC and
# DST started by redis_start_named, and REDIS_URL naming SRC):
#
#   src ARGS... / dst ARGS...   redis-cli on SRC / DST
#   mk N [PREFIX [TYPE]]        N sessions PREFIX1..PREFIXN (default s1..)
#                               on SRC, each of 2 agents (alice, bob) and 3
#                               events: modified, fixed, then TYPE
#                               (default verified)
#   copies N PREFIX [ARGS...]   N copies PREFIX0..PREFIX(N-1) of the first
#                               session of $BATS_TEST_TMPDIR/one (an export)
#                               imported to SRC with the import ARGS
#   clone N [PREFIX]            N copies (m0.. or PREFIX0..) of SRC's first
#                               session, through export and import on SRC
#                               itself (quick), as the import task "load"

src() { redis-cli -s "$SRC_SOCK" "$@"; }
dst() { redis-cli -s "$DST_SOCK" "$@"; }

mk() {
	local i n=$1 p=${2:-s} t=${3:-verified}
	for ((i = 1; i <= n; i++)); do
		sk sessctl create --agent alice --id "$p$i" >/dev/null
		sk sessctl join "$p$i" bob >/dev/null
		printf '%s\n' "{\"op\":\"emit\",\"id\":\"$p$i\",\"actor\":\"alice\",\"type\":\"modified\"}" \
			"{\"op\":\"emit\",\"id\":\"$p$i\",\"actor\":\"bob\",\"type\":\"fixed\"}" \
			"{\"op\":\"emit\",\"id\":\"$p$i\",\"actor\":\"alice\",\"type\":\"$t\"}" | sk sessctl batch >/dev/null
	done
}

copies() {
	local n=$1 p=$2
	shift 2
	python3 - "$BATS_TEST_TMPDIR/one" "$n" "$p" >"$BATS_TEST_TMPDIR/many" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).readline())
for i in range(int(sys.argv[2])):
    s["id"] = "%s%d" % (sys.argv[3], i)
    print(json.dumps(s))
PY
	sk sess-migrate import "$BATS_TEST_TMPDIR/many" --to "$REDIS_URL" "$@" >/dev/null
}

clone() {
	sk sess-migrate export --all >"$BATS_TEST_TMPDIR/one"
	copies "$1" "${2:-m}" --task load
}

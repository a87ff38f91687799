#!/usr/bin/env bats
# sess-replay verify --all reads a page of sessions in one pipeline (one
# MULTI each) and verifies each as its replies arrive (issue 19): the
# same lines, in the same order, as verifying the same ids one at a time
# (named ids are read as before, one session after the other), over
# sessions damaged in every way verify finds, long ones and ones it
# cannot read among them.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

rp() { sk sess-replay "$@"; }

# mk ID N: a session of N events by two members
mk() { session_of "$1" "$2"; }
ev() { rcli LINDEX "sess:{$1}:events" "$2"; }

@test "verify --all gives what verifying its ids one at a time gives, line for line" {
	local n
	for n in $(seq 1 8); do mk "c$n" 3; done
	mk gap 12
	rcli LSET 'sess:{gap}:events' 4 "$(ev gap 4 | sed 's/"s":5,/"s":7,/')" >/dev/null
	mk bad 5
	rcli LSET 'sess:{bad}:events' 2 'not json' >/dev/null
	mk cpmiss 25
	rcli HDEL 'sess:{cpmiss}:checkpoints' 1 >/dev/null
	mk cpbad 25
	rcli HSET 'sess:{cpbad}:checkpoints' 2 "$(rcli HGET 'sess:{cpbad}:checkpoints' 2 | sed 's/"state":"working"/"state":"broken"/')" >/dev/null
	mk cporph 25
	rcli HSET 'sess:{cporph}:checkpoints' 9 '{"id":9,"seq":15,"state":"working"}' >/dev/null
	mk cpjunk 25
	rcli HSET 'sess:{cpjunk}:checkpoints' 1 'not json' >/dev/null
	mk chain 5
	rcli LSET 'sess:{chain}:events' 1 "$(ev chain 1 | sed 's/"t":"note"/"t":"edit"/')" >/dev/null
	mk hist 12
	rcli LSET 'sess:{hist}:history' 0 '{"k":"create"' >/dev/null
	mk short 26
	rcli HSET 'sess:{short}:meta' seq 40 >/dev/null
	mk extra 26
	rcli RPUSH 'sess:{extra}:events' "$(rcli --raw LINDEX 'sess:{extra}:events' -1 | sed 's/"s":26,/"s":27,/')" >/dev/null
	mk lay 2
	rcli HSET 'sess:{lay}:meta' v 1 >/dev/null
	# long: read on its own after the page's replies, in its place
	mk big 1100
	rcli LSET 'sess:{big}:events' 1050 "$(ev big 1050 | sed 's/"t":"note"/"t":"edit"/')" >/dev/null
	mk big2 1001
	for n in $(seq 9 14); do mk "c$n" 2; done
	rcli ZADD 'sess:#{all}:index' 1 ghost >/dev/null
	run -1 rp verify --all
	local all=$output ids
	ids=$(jq -r 'select(.source or .code == "session.not_found" or .code == "session.layout") | .id' <<<"$all" | awk '!seen[$0]++')
	[ "$(wc -l <<<"$ids")" -eq 28 ] || fail "28 sessions expected: $ids"
	# a named session of another layout ends verify (78); in --all it is
	# that session's finding
	jq -se 'any(.[]; .id == "lay" and .code)' <<<"$all" >/dev/null || fail "lay: $all"
	# shellcheck disable=SC2086
	run -1 rp verify $(grep -vx lay <<<"$ids")
	diff <(printf '%s\n' "$output") <(jq -c 'select(.id != "lay")' <<<"$all") ||
		fail "verify --all differs from one at a time (above)"
	for code in seq_gap corrupt_record checkpoint_missing checkpoint_mismatch checkpoint_orphan chain_mismatch \
		log_short log_extra not_found; do
		jq -se --arg c "$code" 'any(.[]; .code == "session." + $c and .legacyCode == $c)' <<<"$all" >/dev/null || fail "no $code in $all"
	done
	jq -se 'any(.[]; .id == "big" and .code == "session.chain_mismatch")' <<<"$all" >/dev/null || fail "big: $all"
}

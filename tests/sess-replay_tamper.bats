#!/usr/bin/env bats
# sess-replay against tampered and hostile data (issue 17): nothing derived
# from unverified data is shown or exported as verified, stored JSON is
# read by its structure, bad input is refused.

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

rp() { sk sess-replay "$@"; }
# the same, killed after 10 s (a spin is a failure, not a hang)
rpt() { timeout 10 env REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME="$BATS_FILE_TMPDIR" SESSKIT_CONFIG= "$SESSKIT_BUILDDIR/sess-replay" "$@"; }

# Recompute a session's chain head (meta h) from its two lists, as an
# attacker who knows the layout would after editing a record.
rechain() {
	local id=$1
	rcli --raw LRANGE "sess:{$id}:events" 0 -1 >"$BATS_TEST_TMPDIR/ev"
	rcli --raw LRANGE "sess:{$id}:history" 0 -1 >"$BATS_TEST_TMPDIR/hi"
	rcli HSET "sess:{$id}:meta" h "$(python3 - "$BATS_TEST_TMPDIR/ev" "$BATS_TEST_TMPDIR/hi" <<'PY'
import hashlib, re, sys
ev = [l for l in open(sys.argv[1], "rb").read().split(b"\n") if l.strip()]
hi = [l for l in open(sys.argv[2], "rb").read().split(b"\n") if l.strip()]
recs = [((int(re.match(rb'{"s":(\d+)', e).group(1)), 0, i), e) for i, e in enumerate(ev)]
recs += [((int(re.search(rb'"at":(\d+)', h).group(1)), 1, i), h) for i, h in enumerate(hi)]
h = b""
for _, r in sorted(recs, key=lambda x: x[0]):
    h = hashlib.sha1(h + r).hexdigest().encode()
print(h.decode())
PY
)" >/dev/null
}

@test "fork reads an event's id by its structure: an impact holding \"eid\" is no event id" {
	sctl create --agent a1 --id f1 >/dev/null
	sctl emit f1 --actor a1 --type modified --impact '{"eid":"job-7"}' --event-id real-1 >/dev/null
	sctl emit f1 --actor a1 --type modified >/dev/null
	run rp fork f1 --at 2 --id f1b
	assert_success
	# a retry of real-1 on the fork is a duplicate, not appended again
	run sctl emit f1b --actor a1 --type modified --event-id real-1
	assert_success
	assert_equal "$(sctl get f1b | jq -r .seq)" 2
	# a new event with id job-7 is appended, not swallowed
	run sctl emit f1b --actor a1 --type modified --event-id job-7
	assert_success
	assert_equal "$(sctl get f1b | jq -r .seq)" 3
	assert_equal "$(rcli HKEYS 'sess:{f1b}:eventids' | sort | tr '\n' ' ')" "job-7 real-1 "
}

@test "play --actor matches a lifecycle record's own agent, not one inside its metadata" {
	sctl create --agent a1 --id p1 --metadata '{"a":"zed","x":{"a":"zed"}}' >/dev/null
	sctl join p1 zed >/dev/null
	sctl emit p1 --actor a1 --type modified --impact '{"a":"zed"}' >/dev/null
	run rp play p1 --actor zed
	assert_success
	assert_equal "$(jq -rc '[.frame, .kind // .type, .agent // .actor]' <<<"$output" | tr '\n' ' ')" '["lifecycle","join","zed"] '
}

@test "play --speed: out of range is a usage error (64), not a spin" {
	sctl create --agent a1 --id sp1 >/dev/null
	sctl emit sp1 --actor a1 --type modified >/dev/null
	sleep 0.01
	sctl emit sp1 --actor a1 --type modified >/dev/null
	for s in 1e-300 0.0001 1e300 inf nan -1 0 abc; do
		run rpt play sp1 --speed "$s"
		assert_failure 64
		assert_output --partial "--speed"
	done
	run rpt play sp1 --speed 1000
	assert_success
}

@test "play writes bytes that are not UTF-8 as U+FFFD, never raw" {
	sctl create --agent a1 --id u1 >/dev/null
	sctl emit u1 --actor a1 --type modified --change '{"elementType":"file","entityIds":["src/x.ts"],"operation":"modified"}' >/dev/null
	ev=$(rcli --raw LINDEX 'sess:{u1}:events' 0)
	printf '%s' "$ev" | sed 's|src/x.ts|src/\xff\xfe.ts|' > "$BATS_TEST_TMPDIR/bad"
	rcli -x LSET 'sess:{u1}:events' 0 < "$BATS_TEST_TMPDIR/bad" >/dev/null
	rechain u1
	for args in "" "--with-state" "--type modified"; do
		rp play u1 $args > "$BATS_TEST_TMPDIR/out" || true
		python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' < "$BATS_TEST_TMPDIR/out" || fail "play $args printed invalid UTF-8"
		grep -q 'src/��.ts' "$BATS_TEST_TMPDIR/out" || fail "play $args: no U+FFFD in $(cat "$BATS_TEST_TMPDIR/out")"
	done
}

#!/usr/bin/env bats
# Every key of a session expires together (DESIGN.md, sesskit-layout(7)):
# after each lifecycle command all the session's keys have the same TTL,
# and sess-validate agrees (issue 16); a checkpoints hash a checkpoint
# recreates gets it too (issue 17).
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

# together ID STEP: every key the session has carries a TTL, all within
# 1.5 s of each other (a command restarts them all in one script; the
# emit restarts them at most once a second), and sess-validate --strict
# finds no TTL problem
together() {
	local id=$1 step=$2 k t lo= hi= n=0 out
	for k in meta events checkpoints eventids history; do
		t=$(rcli PTTL "sess:{$id}:$k")
		[ "$t" = -2 ] && continue
		[ "$t" -gt 0 ] || fail "after $step: sess:{$id}:$k has no TTL ($t)"
		n=$((n + 1))
		out="$out $k=$t"
		[ -z "$lo" ] || [ "$t" -ge "$lo" ] || lo=$t
		: "${lo:=$t}"
		[ -z "$hi" ] || [ "$t" -le "$hi" ] || hi=$t
		: "${hi:=$t}"
	done
	[ "$n" -ge 2 ] || fail "after $step: only $n keys of $id"
	[ $((hi - lo)) -le 1500 ] || fail "after $step: the TTLs of $id differ by $((hi - lo)) ms:$out"
	run -0 sk sess-validate sessions --strict "$id"
	[[ $output != *ttl* ]] || fail "after $step: sess-validate: $output"
}

@test "every key of a session has the same TTL after each lifecycle command (issue 16)" {
	sctl create --id t1 --agent a1 --ttl 5000 >/dev/null
	together t1 create
	sctl join t1 a2 >/dev/null
	together t1 join
	sctl join t1 a3 >/dev/null
	sctl emit t1 --actor a1 --type note --event-id e1 >/dev/null
	together t1 emit
	sctl checkpoint t1 >/dev/null
	together t1 checkpoint
	[ "$(rcli EXISTS 'sess:{t1}:checkpoints' 'sess:{t1}:eventids' 'sess:{t1}:events')" = 3 ] || fail "keys missing"
	sctl touch t1 --ttl 7000 >/dev/null
	together t1 touch
	[ "$(rcli PTTL 'sess:{t1}:events')" -gt 6000000 ] || fail "touch did not restart the TTLs"
	sctl leave t1 a3 >/dev/null
	together t1 "leave (not the last)"
	sctl emit t1 --actor a2 --type note >/dev/null
	together t1 "emit (a second one)"
	sctl complete t1 >/dev/null
	together t1 complete
	sctl leave t1 a1 >/dev/null
	sctl leave t1 a2 >/dev/null
	together t1 "leave (the last)"
	# the last one put every key on the grace TTL
	[ "$(rcli PTTL 'sess:{t1}:checkpoints')" -lt 5000000 ] || fail "the grace TTL did not reach every key"
}

@test "a checkpoint that recreates a lost checkpoints hash gives it the session's TTL (issue 17)" {
	sctl create --id t2 --agent a1 --ttl 5000 >/dev/null
	sctl emit t2 --actor a1 --type note >/dev/null
	sctl checkpoint t2 >/dev/null
	sctl checkpoint t2 >/dev/null
	rcli DEL 'sess:{t2}:checkpoints' >/dev/null
	run sctl checkpoint t2
	assert_success
	t=$(rcli PTTL 'sess:{t2}:checkpoints')
	[ "$t" -gt 4000000 ] || fail "the recreated checkpoints hash has TTL $t"
	# and one an emit's automatic checkpoint recreates
	sctl create --id t3 --agent a1 --ttl 5000 >/dev/null
	for i in 1 2 3; do sctl emit t3 --actor a1 --type note >/dev/null; done
	sctl checkpoint t3 >/dev/null
	rcli DEL 'sess:{t3}:checkpoints' >/dev/null
	echo '{"checkpointInterval": 4}' > "$BATS_TEST_TMPDIR/c.json"
	sctl --config "$BATS_TEST_TMPDIR/c.json" emit t3 --actor a1 --type note >/dev/null
	[ "$(rcli HLEN 'sess:{t3}:checkpoints')" = 1 ] || fail "no automatic checkpoint: $(rcli HKEYS 'sess:{t3}:checkpoints')"
	t=$(rcli PTTL 'sess:{t3}:checkpoints')
	[ "$t" -gt 4000000 ] || fail "the checkpoints hash an emit recreated has TTL $t"
}

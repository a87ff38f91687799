#!/usr/bin/env bats
# Layout 2: every change leaves a record (events, and lifecycle records in
# the history list), the hash chain over them, expected-seq appends, and
# the in-place upgrade from layout 1.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

# chain_of ID: the chain recomputed from the stored lists
chain_of() {
	rcli --raw LRANGE "sess:{$1}:events" 0 -1 > "$BATS_TEST_TMPDIR/ev"
	rcli --raw LRANGE "sess:{$1}:history" 0 -1 > "$BATS_TEST_TMPDIR/hi"
	python3 "$BATS_TEST_DIRNAME/helpers/chain.py" "$BATS_TEST_TMPDIR/ev" "$BATS_TEST_TMPDIR/hi"
}

@test "every lifecycle change is recorded, with the seq it follows" {
	sctl create --agent a1 --id h1 --ttl 600 --metadata '{"f":"x"}' >/dev/null
	sctl join h1 a2 >/dev/null
	sctl join h1 a2 >/dev/null # a no-op: no record
	sctl emit h1 --actor a1 --type modified >/dev/null
	sctl leave h1 a2 >/dev/null
	sctl touch h1 --ttl 900 >/dev/null
	sctl checkpoint h1 --reason mid >/dev/null
	sctl emit h1 --actor a1 --type broke --transition '{"from":"working","to":"broken"}' >/dev/null
	sctl complete h1 >/dev/null
	sctl complete h1 >/dev/null # already: no record
	run -0 rcli --raw LRANGE 'sess:{h1}:history' 0 -1
	assert_equal "$(echo "$output" | jq -c '[.k, .at] + ([.a, .ttl, .n, .r] | map(select(. != null)))' | tr '\n' ' ')" \
		'["create",0,"a1",600] ["join",0,"a2"] ["leave",1,"a2"] ["touch",1,900] ["checkpoint",1,1,"mid"] ["checkpoint",2,2,"failure"] ["complete",2] '
	assert_equal "$(echo "$output" | head -1 | jq -c .m)" '{"f":"x"}'
	# the history expires with the session
	t=$(rcli PTTL 'sess:{h1}:history')
	[ "$t" -gt 800000 ] && [ "$t" -le 900000 ] || fail "history PTTL $t"
	# what users see is unchanged: seq numbers events only
	assert_equal "$(sctl events h1 | jq -r .seq | tr '\n' ' ')" "1 2 "
	assert_equal "$(sctl get h1 | jq -r .seq)" 2
}

@test "an emit right after create: the new log gets the session's TTL at once" {
	sctl create --agent a1 --id q1 --ttl 500 >/dev/null
	sctl emit q1 --actor a1 --type modified --event-id e1 >/dev/null
	local k t
	for k in meta events eventids history; do
		t=$(rcli PTTL "sess:{q1}:$k")
		[ "$t" -gt 0 ] && [ "$t" -le 500000 ] || fail "sess:{q1}:$k PTTL $t"
	done
}

@test "the hash chain is sha1 over every record in order, as the layout page says" {
	echo '{"checkpointInterval": 3}' > "$BATS_TEST_TMPDIR/c.json"
	sctl create --agent a1 --id h2 >/dev/null
	assert_equal "$(rcli HGET 'sess:{h2}:meta' h)" "$(chain_of h2)"
	sctl join h2 a2 >/dev/null
	for i in 1 2 3 4 5 6 7; do sctl --config "$BATS_TEST_TMPDIR/c.json" emit h2 --actor a2 --type modified >/dev/null; done
	# a batch: many events per script call, checkpoints inside the call
	for i in $(seq 1 20); do echo '{"op":"emit","id":"h2","actor":"a1","type":"modified"}'; done |
		sctl --config "$BATS_TEST_TMPDIR/c.json" batch >/dev/null
	sctl leave h2 a2 >/dev/null
	h=$(rcli HGET 'sess:{h2}:meta' h)
	[ ${#h} -eq 40 ] || fail "chain head '$h'"
	assert_equal "$h" "$(chain_of h2)"
	# every checkpoint holds the chain before its own record, which
	# follows the event at its seq
	assert_equal "$(rcli HLEN 'sess:{h2}:checkpoints')" 9
	run -0 rcli HGET 'sess:{h2}:checkpoints' 2
	ch=$(echo "$output" | jq -r .ch)
	[ ${#ch} -eq 40 ] || fail "checkpoint ch '$ch'"
	# an edited record no longer matches the head
	rcli LSET 'sess:{h2}:events' 4 "$(rcli --raw LINDEX 'sess:{h2}:events' 4 | sed 's/modified/MODIFIED/')" >/dev/null
	[ "$(chain_of h2)" != "$h" ] || fail "an edit did not change the chain"
}

@test "emit --expect-seq: appends only on the expected last seq" {
	sctl create --agent a1 --id x1 >/dev/null
	run sctl emit x1 --actor a1 --type modified --expect-seq 0
	assert_success
	assert_equal "$(echo "$output" | jq -r .seq)" 1
	run sctl emit x1 --actor a1 --type modified --expect-seq 0
	assert_failure 1
	assert_output --partial "expected the last seq to be 0 but it is 1"
	assert_equal "$(rcli LLEN 'sess:{x1}:events')" 1
	# a retry with an event id stays a no-op, whatever the expected seq
	sctl emit x1 --actor a1 --type modified --event-id e1 --expect-seq 1 >/dev/null
	run sctl emit x1 --actor a1 --type modified --event-id e1 --expect-seq 1
	assert_success
	assert_equal "$(echo "$output" | jq -r .duplicate)" true
	# batch: expectSeq per line, inside one group
	run bash -c "printf '%s\n' \
		'{\"op\":\"emit\",\"id\":\"x1\",\"actor\":\"a1\",\"type\":\"modified\",\"expectSeq\":2}' \
		'{\"op\":\"emit\",\"id\":\"x1\",\"actor\":\"a1\",\"type\":\"modified\",\"expectSeq\":2}' \
		'{\"op\":\"emit\",\"id\":\"x1\",\"actor\":\"a1\",\"type\":\"modified\",\"expectSeq\":3}' \
		'{\"op\":\"emit\",\"id\":\"x1\",\"actor\":\"a1\",\"type\":\"modified\",\"expectSeq\":\"3\"}' \
		| REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSCTL' batch"
	assert_failure
	assert_equal "$(echo "$output" | jq -r '.result.seq // .error.code' | tr '\n' ' ')" "3 seq_mismatch 4 bad_input "
	assert_equal "$(rcli LLEN 'sess:{x1}:events')" 4
	run sctl emit x1 --actor a1 --type modified --expect-seq -1
	assert_failure 64
}

# v1 NAME: a session as sesskit layout 1 stored it (what the old create,
# join and emit scripts wrote), with 3 events.
v1() {
	local id=$1
	rcli HSET "sess:{$id}:meta" v 1 state working created 1700000000000 updated 1700000000500 \
		seq 3 base 0 ttl 3600 agents 2 creator a1 cps 0 lastcp 0 ref 1700000000500 \
		agent:a1 1700000000000 agent:a2 1700000000100 metadata '{"f":"old"}' >/dev/null
	for i in 1 2 3; do
		rcli RPUSH "sess:{$id}:events" "{\"s\":$i,\"ts\":170000000010$i,\"t\":\"modified\",\"a\":\"a1\"}" >/dev/null
	done
	rcli EXPIRE "sess:{$id}:meta" 3600 >/dev/null
	rcli EXPIRE "sess:{$id}:events" 3600 >/dev/null
	# layout 1's global index
	rcli ZADD sess:index 9999999999999 "$id" >/dev/null
}

@test "layout 1 data: refused with the fix, upgraded in place, safe to rerun" {
	v1 old1
	v1 old2
	rcli SET sess:layout 1 >/dev/null
	run sctl emit old1 --actor a1 --type modified
	assert_failure 78
	assert_output --partial "sessctl upgrade"
	run sctl list
	assert_failure 78
	assert_output --partial "layout version 1"
	run sctl upgrade --check
	assert_failure 1
	assert_equal "$(echo "$output" | jq -c '[.dryRun, .scanned, .pending]')" '[true,2,2]'
	assert_equal "$(rcli HGET 'sess:{old1}:meta' v)" 1
	run sctl upgrade --dry-run
	assert_success
	assert_equal "$(rcli HGET 'sess:{old1}:meta' v)" 1
	run sctl upgrade
	assert_success
	assert_equal "$(echo "$output" | jq -c '[.scanned, .upgraded, .layoutBefore, .layout]')" '[2,2,"1","3"]'
	assert_equal "$(rcli GET sess:layout)" 3
	# the global index became the companion index (layout 3)
	assert_equal "$(rcli EXISTS sess:index)" 0
	assert_equal "$(rcli ZCARD 'sess:#{all}:index')" 2
	assert_equal "$(rcli ZRANGE 'sess:#{all}:agent:a2' 0 -1 | sort | tr '\n' ' ')" "old1 old2 "
	# the history starts at the upgrade, with the state then
	run -0 rcli --raw LRANGE 'sess:{old1}:history' 0 -1
	assert_equal "$(echo "$output" | jq -c '[.k, .at, .from, .state, .agents, .creator, .m]')" \
		'["upgrade",3,"1","working",["a1","a2"],"a1",{"f":"old"}]'
	assert_equal "$(rcli HGET 'sess:{old1}:meta' h)" "$(echo -n "$output" | sha1sum | cut -c1-40)"
	t=$(rcli PTTL 'sess:{old1}:history')
	[ "$t" -gt 3500000 ] || fail "history PTTL $t"
	# rerun: nothing to do; check passes
	run -0 sctl upgrade
	assert_equal "$(echo "$output" | jq -c '[.upgraded, .current]')" '[0,2]'
	run sctl upgrade --check
	assert_success
	# the session works, events keep numbering on
	run sctl emit old1 --actor a2 --type fixed
	assert_success
	assert_equal "$(echo "$output" | jq -r .seq)" 4
	assert_equal "$(sctl events old1 | jq -r .seq | tr '\n' ' ')" "1 2 3 4 "
}

# to_layout2: this server's layout-3 data as layout 2 stored it: meta v 2,
# the companions as global keys (sess:index, sess:stats, sess:agents,
# sess:agent:A, sess:replays, sess:fence), the marker 2.
to_layout2() {
	local k id
	for k in $(rcli --scan --pattern 'sess:{*}:meta'); do rcli HSET "$k" v 2 >/dev/null; done
	for k in $(rcli --scan --pattern 'sess:#{all}:*'); do
		rcli RENAME "$k" "sess:${k#sess:#\{all\}:}" >/dev/null
	done
	rcli SET sess:layout 2 >/dev/null
}

@test "layout 2 data: upgraded to 3 in place, the global keys moved into the companions, every answer the same" {
	sctl create --id l1 --agent a1 >/dev/null
	sctl create --id l2 --agent a2 >/dev/null
	sctl join l1 a2 >/dev/null
	sctl emit l1 --actor a1 --type modified >/dev/null
	sctl emit l1 --actor a2 --type viewed >/dev/null
	sctl emit l2 --actor a2 --type modified >/dev/null
	sctl complete l2 >/dev/null
	sctl create --id l3 --agent a1 >/dev/null
	sctl delete l3 >/dev/null
	# (expiresAt apart: create scored the index by the script's clock, the
	# upgrade by the keys' own PEXPIRETIME, which may be 1 ms off it)
	before_list=$(sctl list | jq -c 'del(.cursor, .expiresAt)')
	before_agent=$(sctl list --agent a2 | jq -c 'del(.cursor, .expiresAt)')
	before_exp=$(sctl list | jq -r '.id + " " + (.expiresAt | tostring)' | sort)
	before_stats=$(sctl stats | jq -cS 'del(.activeSessions)')
	before_h=$(rcli HGET 'sess:{l1}:meta' h)
	before_hist=$(rcli LRANGE 'sess:{l1}:history' 0 -1)
	to_layout2
	assert_equal "$(rcli EXISTS 'sess:#{all}:index' sess:index sess:stats 'sess:agent:a2')" 3
	run sctl emit l1 --actor a1 --type modified
	assert_failure 78
	assert_output --partial "sessctl upgrade"
	run sctl upgrade --check
	assert_failure 1
	assert_equal "$(jq -c '[.scanned, .pending, .layoutBefore]' <<<"$output")" '[2,2,"2"]'
	run -0 sctl upgrade
	assert_equal "$(jq -c '[.scanned, .upgraded, .layoutBefore, .layout]' <<<"$output")" '[2,2,"2","3"]'
	# no global key left; the companions hold what they held
	assert_equal "$(rcli EXISTS sess:index sess:stats sess:agents 'sess:agent:a1' 'sess:agent:a2')" 0
	assert_equal "$(rcli GET sess:layout)" 3
	assert_equal "$(sctl list | jq -c 'del(.cursor, .expiresAt)')" "$before_list"
	assert_equal "$(sctl list --agent a2 | jq -c 'del(.cursor, .expiresAt)')" "$before_agent"
	# each expiry the same (create and upgrade both score the index by
	# PEXPIRETIME: exact)
	join <(echo "$before_exp") <(sctl list | jq -r '.id + " " + (.expiresAt | tostring)' | sort) |
		awk '{ if ($2 != $3) bad = bad " " $1 } END { if (bad) { print "expiry moved:" bad; exit 1 } }' ||
		fail "expiries differ after the upgrade"
	assert_equal "$(sctl stats | jq -cS 'del(.activeSessions)')" "$before_stats"
	# the sessions themselves unchanged: no record, the same chain
	assert_equal "$(rcli HGET 'sess:{l1}:meta' h)" "$before_h"
	assert_equal "$(rcli LRANGE 'sess:{l1}:history' 0 -1)" "$before_hist"
	assert_equal "$(rcli HGET 'sess:{l1}:meta' v)" 3
	run -0 sctl upgrade --check
	run -0 sctl emit l1 --actor a1 --type modified
	assert_equal "$(jq -r .seq <<<"$output")" 3
	assert_equal "$(rcli HGET 'sess:#{all}:stats' events)" 4
	# layout-2 data without a marker: --check counts the global keys, the
	# upgrade moves them all the same
	to_layout2
	rcli DEL sess:layout >/dev/null
	run -1 sctl upgrade --check
	assert_equal "$(jq -c '[.pending > 0, .globalKeys > 0]' <<<"$output")" '[true,true]'
	run -0 sctl upgrade
	assert_equal "$(rcli EXISTS sess:index sess:stats sess:agents)" 0
	assert_equal "$(sctl stats | jq -r .totalEvents)" 4
	# sess-replay reading every session of an older layout: refused, no crash
	rcli SET sess:layout 2 >/dev/null
	run -78 sk sess-replay verify --all
	run -78 sk sess-replay save --completed
}

@test "upgrade: a layout it does not know is refused, nothing changed" {
	v1 old3
	rcli HSET 'sess:{old3}:meta' v 9 >/dev/null
	run sctl upgrade
	assert_failure 78
	assert_equal "$(rcli HGET 'sess:{old3}:meta' v)" 9
	assert_equal "$(rcli EXISTS 'sess:{old3}:history')" 0
}

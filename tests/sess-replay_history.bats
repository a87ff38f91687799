#!/usr/bin/env bats
# sess-replay: play, state, diff, verify, fork over a live session's
# history (the saved replays are in sess-replay_saved.bats).
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

rp() { sk sess-replay "$@"; }

# A scripted session: after each step, `sessctl get` as it was then, with
# the time, one JSON line in $BATS_TEST_TMPDIR/snaps.
scripted() {
	local id=$1 step
	echo '{"checkpointInterval": 3}' > "$BATS_TEST_TMPDIR/c.json"
	: > "$BATS_TEST_TMPDIR/snaps"
	for step in \
		"create --agent a1 --id $id --metadata {\"feature\":\"auth\"}" \
		"join $id a2" \
		"emit $id --actor a1 --type modified" \
		"emit $id --actor a2 --type modified" \
		"join $id a3" \
		"emit $id --actor a3 --type broke --transition {\"from\":\"working\",\"to\":\"broken\"}" \
		"leave $id a2" \
		"emit $id --actor a1 --type fixed --transition {\"from\":\"broken\",\"to\":\"working\"}" \
		"touch $id --ttl 7200" \
		"checkpoint $id --reason mid" \
		"emit $id --actor a3 --type modified" \
		"emit $id --actor a1 --type modified" \
		"complete $id"; do
		sctl --config "$BATS_TEST_TMPDIR/c.json" $step >/dev/null
		sctl get "$id" | jq -c --arg t "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" \
			'{t: $t, state, seq, agents: [.agents[].id], checkpoints, ttl, metadata}' >> "$BATS_TEST_TMPDIR/snaps"
		sleep 0.005
	done
}

# shape of state --at's output, as the snapshots hold it
shape='{state, seq, agents: [.agents[].id], checkpoints, ttl, metadata}'

@test "state --at SEQ and --at TIME rebuild what sessctl get showed at each point" {
	scripted s1
	local n=0 line seq t want
	while read -r line; do
		n=$((n + 1))
		t=$(jq -r .t <<<"$line")
		want=$(jq -c 'del(.t)' <<<"$line")
		run rp state s1 --at "$t"
		assert_success
		assert_equal "$(jq -c "$shape" <<<"$output")" "$want"
	done < "$BATS_TEST_TMPDIR/snaps"
	[ "$n" -eq 13 ] || fail "$n snapshots"
	# by seq: the last snapshot taken at each seq
	for seq in 0 1 2 3 4 5; do
		want=$(jq -c "select(.seq == $seq) | del(.t)" "$BATS_TEST_TMPDIR/snaps" | tail -1)
		run rp state s1 --at "$seq"
		assert_success
		assert_equal "$(jq -c "$shape" <<<"$output")" "$want"
	done
}

@test "play: every record in order, each marked; filters" {
	scripted s2
	run rp play s2
	assert_success
	assert_equal "$(jq -r '.frame + ":" + (.kind // .type)' <<<"$output" | tr '\n' ' ')" \
		"lifecycle:create lifecycle:join event:modified event:modified lifecycle:join event:broke lifecycle:checkpoint lifecycle:leave event:fixed lifecycle:touch lifecycle:checkpoint event:modified event:modified lifecycle:checkpoint lifecycle:complete "
	assert_equal "$(jq -r .seq <<<"$output" | tr '\n' ' ')" "0 0 1 2 2 3 3 3 4 4 4 5 6 6 6 "
	run -0 rp play s2 --events-only
	assert_equal "$(jq -r .seq <<<"$output" | tr '\n' ' ')" "1 2 3 4 5 6 "
	run -0 rp play s2 --type modified --actor a1
	assert_equal "$(jq -r .seq <<<"$output" | tr '\n' ' ')" "1 6 "
	run -0 rp play s2 --from 3 --to 4 --events-only
	assert_equal "$(jq -r .seq <<<"$output" | tr '\n' ' ')" "3 4 "
	run -0 rp play s2 --actor a2
	assert_equal "$(jq -r '.frame + ":" + (.kind // .type)' <<<"$output" | tr '\n' ' ')" "lifecycle:join event:modified lifecycle:leave "
	# by time: from the 6th snapshot's time on
	t=$(sed -n 6p "$BATS_TEST_TMPDIR/snaps" | jq -r .t)
	run -0 rp play s2 --from "$t" --events-only
	assert_equal "$(jq -r .seq <<<"$output" | tr '\n' ' ')" "4 5 6 "
	run -0 rp play s2 --with-state --events-only
	assert_equal "$(jq -c '[.seq, .state.state, (.state.agents | length)]' <<<"$output" | tr '\n' ' ')" \
		"[1,\"working\",2] [2,\"working\",2] [3,\"broken\",3] [4,\"working\",2] [5,\"working\",2] [6,\"working\",2] "
	# the event frames are what sessctl events prints, plus the frame
	assert_equal "$(rp play s2 --events-only | jq -c 'del(.frame)')" "$(sctl events s2)"
}

@test "diff: state, agents, events by type and actor between two points" {
	scripted s3
	run rp diff s3 --from 2 --to 4
	assert_success
	assert_equal "$(jq -c '[.stateChanged, .agents.joined, .agents.left, .events.count, .events.byType, .events.byActor, .lifecycle]' <<<"$output")" \
		'[null,[],["a2"],2,{"broke":1,"fixed":1},{"a3":1,"a1":1},{"checkpoint":2,"leave":1,"touch":1}]'
	# a3 joined after event 2: in the state at 2 already (a record
	# counts at the seq of the event before it); from 1 it is a change
	run -0 rp diff s3 --from 1 --to 4
	assert_equal "$(jq -c '[.agents.joined, .agents.left, .events.count]' <<<"$output")" '[["a3"],["a2"],3]'
}

@test "verify: a clean history passes; an edited, removed or inserted record is found" {
	scripted s4
	run rp verify s4
	assert_success
	assert_equal "$(jq -c '[.ok, .events, .findings]' <<<"$output")" '[true,6,0]'
	# an event edited in place: the chain no longer matches
	rcli LSET 'sess:{s4}:events' 1 "$(rcli --raw LINDEX 'sess:{s4}:events' 1 | sed 's/a2/a9/')" >/dev/null
	run rp verify s4
	assert_failure 1
	# every checkpoint after it, and the head, no longer match
	assert_equal "$(jq -r 'select(.code) | .code' <<<"$output" | sort -u)" session.chain_mismatch
	# the code before the one code set, for one release
	assert_equal "$(jq -r 'select(.code) | .legacyCode' <<<"$output" | sort -u)" chain_mismatch
	assert_equal "$(jq -r 'select(.source) | .findings' <<<"$output")" 4
	# a lifecycle record removed
	sctl create --agent a1 --id s5 >/dev/null
	sctl join s5 a2 >/dev/null
	sctl emit s5 --actor a2 --type modified >/dev/null
	rcli LREM 'sess:{s5}:history' 1 "$(rcli --raw LINDEX 'sess:{s5}:history' 1)" >/dev/null
	run rp verify s5
	assert_failure 1
	assert_equal "$(jq -r 'select(.code) | .code' <<<"$output")" session.chain_mismatch
	# an event removed: a gap
	sctl create --agent a1 --id s6 >/dev/null
	for i in 1 2 3; do sctl emit s6 --actor a1 --type modified >/dev/null; done
	rcli LREM 'sess:{s6}:events' 1 "$(rcli --raw LINDEX 'sess:{s6}:events' 1)" >/dev/null
	run rp verify s6
	assert_failure 1
	assert_equal "$(jq -r 'select(.code) | .code' <<<"$output")" session.seq_gap
	# a gap deep in a long log (read in pages, several in flight)
	sctl create --agent a1 --id s6b >/dev/null
	awk 'BEGIN { for (i = 1; i <= 3500; i++) print "{\"op\":\"emit\",\"id\":\"s6b\",\"actor\":\"a1\",\"type\":\"modified\"}" }' |
		sctl batch >/dev/null
	rcli LREM 'sess:{s6b}:events' 1 "$(rcli --raw LINDEX 'sess:{s6b}:events' 2499)" >/dev/null
	run rp verify s6b
	assert_failure 1
	# (event 2500 took a checkpoint: its record is the first out of place)
	assert_equal "$(jq -r 'select(.code) | "\(.code) \(.message)"' <<<"$output")" \
		"session.seq_gap a checkpoint record at seq 2500 comes after seq 2499; history and log disagree (an event is missing or extra)"
	# a checkpoint that does not hold the state folded up to it
	scripted s7
	rcli HSET 'sess:{s7}:checkpoints' 1 "$(rcli --raw HGET 'sess:{s7}:checkpoints' 1 | sed 's/"state":"broken"/"state":"working"/')" >/dev/null
	run rp verify s7
	assert_failure 1
	assert_equal "$(jq -r 'select(.code) | .code' <<<"$output" | sort -u | tr '\n' ' ')" "session.checkpoint_mismatch "
	# ids on stdin, and --all
	run bash -c "printf 's4\ns1\n' | REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sess-replay' verify -"
	assert_failure 1
	assert_output --partial '"code":"session.not_found"'
	run rp verify --all
	assert_failure 1
	assert_equal "$(jq -r 'select(.source) | "\(.id):\(.ok)"' <<<"$output" | sort | tr '\n' ' ')" "s4:false s5:false s6:false s6b:false s7:false "
}

@test "state --proof: the chain digest at that point, which verify's head matches at the end" {
	scripted s8
	run rp state s8 --at 6 --proof
	assert_success
	assert_equal "$(jq -r .proof.chain <<<"$output")" "$(rcli HGET 'sess:{s8}:meta' h)"
	# an earlier point: the chain of the records up to it (events 1-2 and
	# the lifecycle records at 0-2), computed apart from sesskit
	rcli --raw LRANGE 'sess:{s8}:events' 0 1 >"$BATS_TEST_TMPDIR/ev"
	rcli --raw LRANGE 'sess:{s8}:history' 0 -1 | grep -E '"at":[0-2],' >"$BATS_TEST_TMPDIR/hi"
	run rp state s8 --at 2 --proof
	assert_success
	assert_equal "$(jq -r .proof.chain <<<"$output")" \
		"$(python3 "$BATS_TEST_DIRNAME/helpers/chain.py" "$BATS_TEST_TMPDIR/ev" "$BATS_TEST_TMPDIR/hi")"
	assert_not_equal "$(jq -r .proof.chain <<<"$output")" "$(rcli HGET 'sess:{s8}:meta' h)"
	sd=$(rcli --raw HGET 'sess:{s8}:checkpoints' 2 | jq -r .sd)
	seq=$(rcli --raw HGET 'sess:{s8}:checkpoints' 2 | jq -r .seq)
	run -0 rp state s8 --at "$seq" --proof
	assert_equal "$(jq -r .proof.stateDigest <<<"$output")" "$sd"
}

@test "fork: a new live session holding the history up to the point, recording where it came from" {
	scripted s9
	run rp fork s9 --at 3 --id s9-retry
	assert_success
	assert_equal "$(jq -c '[.from, .seq, .state, .agents]' <<<"$output")" '["s9",3,"broken",["a1","a3"]]'
	run -0 sctl get s9-retry
	assert_equal "$(jq -c "$shape" <<<"$output")" "$(rp state s9 --at 3 | jq -c "$shape")"
	assert_equal "$(sctl events s9-retry | jq -c 'del(.sessionId)')" "$(sctl events s9 --to 3 | jq -c 'del(.sessionId)')"
	# it lives on: emits continue its numbering, and its history verifies
	run -0 sctl emit s9-retry --actor a1 --type fixed --transition '{"from":"broken","to":"working"}'
	assert_equal "$(jq -r .seq <<<"$output")" 4
	run rp verify s9-retry
	assert_success
	assert_equal "$(rp play s9-retry | jq -r 'select(.kind == "fork") | .from')" s9
	# the index has it; its agents' indexes too
	assert_equal "$(sctl list | jq -r 'select(.id == "s9-retry") | .id')" s9-retry
	assert_equal "$(sctl agents a3 | jq -r .id | sort | tr '\n' ' ')" "s9 s9-retry "
	# over a session that exists: refused, nothing written
	run rp fork s9 --at 2 --id s9
	assert_failure 1
	assert_output --partial "exists"
	assert_equal "$(sctl get s9 | jq -r .seq)" 6
}

@test "fork at the last seq stores the source's records byte for byte: events, event ids, checkpoints, history (and its own fork record after)" {
	run -0 sctl create --agent a1 --id s11 --metadata '{"feature":"auth","n":[1,2]}'
	run -0 sctl join s11 a2
	run -0 sctl emit s11 --actor a1 --type modified --event-id retry-1
	run -0 sctl emit s11 --actor a2 --type broke --transition '{"from":"working","to":"broken"}'
	run -0 sctl checkpoint s11 --reason mid
	run -0 sctl leave s11 a2
	run -0 sctl emit s11 --actor a1 --type fixed --transition '{"from":"broken","to":"working"}' --event-id retry-2
	last=$(sctl get s11 | jq .seq)
	run -0 rp fork s11 --at "$last" --id s11f
	local k
	[ "$(rcli LRANGE 'sess:{s11}:events' 0 -1)" = "$(rcli LRANGE 'sess:{s11f}:events' 0 -1)" ] || fail "events differ"
	[ "$(rcli LRANGE 'sess:{s11}:history' 0 -1)" = "$(rcli LRANGE 'sess:{s11f}:history' 0 -2)" ] || fail "history differs"
	[ "$(rcli LINDEX 'sess:{s11f}:history' -1 | jq -r .k)" = fork ] || fail "no fork record last"
	for k in checkpoints eventids; do
		[ "$(rcli HGETALL "sess:{s11}:$k" | paste - - | sort)" = "$(rcli HGETALL "sess:{s11f}:$k" | paste - - | sort)" ] ||
			fail "$k differs"
	done
	[ "$(rcli HLEN 'sess:{s11f}:eventids')" = 2 ] || fail "the event ids were not carried"
	# the meta the fold gives: every field but the fork's own (updated,
	# ref, chain: its record is one more)
	[ "$(rcli HGETALL 'sess:{s11}:meta' | paste - - | grep -v -e '^updated' -e '^ref' -e '^h	' | sort)" = \
	  "$(rcli HGETALL 'sess:{s11f}:meta' | paste - - | grep -v -e '^updated' -e '^ref' -e '^h	' | sort)" ] ||
		fail "meta differs: $(diff <(rcli HGETALL 'sess:{s11}:meta' | paste - - | sort) <(rcli HGETALL 'sess:{s11f}:meta' | paste - - | sort))"
	run -0 rp verify s11f
}

@test "fork counts its events: the stats' events and type:* counters, as for events emitted; validate finds no drift" {
	scripted s10
	ev=$(rcli HGET sess:#{all}:stats events)
	mod=$(rcli HGET sess:#{all}:stats type:modified)
	run -0 rp fork s10 --at 4 --id s10-f
	n=$(jq -r .events <<<"$output")
	nmod=$(sctl events s10-f | jq -s '[.[] | select(.type == "modified")] | length')
	[ "$n" -gt 0 ] && [ "$nmod" -gt 0 ] || fail "fork holds $n events, $nmod modified"
	assert_equal "$(rcli HGET sess:#{all}:stats events)" "$((ev + n))"
	assert_equal "$(rcli HGET sess:#{all}:stats type:modified)" "$((mod + nmod))"
	run -0 sk sess-validate sessions --all --strict
	# a fork of a completed session is a completed session, counted so
	cd=$(rcli HGET sess:#{all}:stats completed)
	run -0 rp fork s10 --at "$(sctl get s10 | jq .seq)" --id s10-g
	assert_equal "$(jq -r .state <<<"$output")" completed
	assert_equal "$(rcli HGET sess:#{all}:stats completed)" "$((cd + 1))"
	run -0 sk sess-validate sessions --all --strict
}

@test "a trimmed log replays from the checkpoint covering its first event, and says so" {
	# the default checkpointInterval (10) takes one at seq 10
	echo '{"maxEventsPerSession": 5}' > "$BATS_TEST_TMPDIR/t.json"
	sctl create --agent a1 --id t1 >/dev/null
	for i in $(seq 1 12); do sctl emit t1 --actor a1 --type modified >/dev/null; done
	sctl --config "$BATS_TEST_TMPDIR/t.json" maintenance >/dev/null
	assert_equal "$(rcli LLEN 'sess:{t1}:events')" 5
	run rp play t1 --events-only
	assert_success
	# the first event kept is 8; the checkpoint covering it is 10's
	assert_equal "$(grep '^{' <<<"$output" | jq -r .seq | tr '\n' ' ')" "11 12 "
	assert_output --partial "trimmed: the history starts at checkpoint 1 (seq 10)"
	run rp verify t1
	assert_success
	assert_equal "$(jq -c '[.ok, .historyFrom]' <<<"$output")" '[true,11]'
	run rp state t1 --at 11
	assert_success
	assert_equal "$(jq -r .seq <<<"$output")" 11
	run rp state t1 --at 3
	assert_failure 1
	assert_output --partial "before the history"
}

@test "a session upgraded from layout 1: history from the upgrade on, earlier state unknown" {
	rcli HSET 'sess:{u1}:meta' v 1 state working created 1700000000000 updated 1700000000500 \
		seq 2 base 0 ttl 3600 agents 1 creator a1 cps 0 lastcp 0 ref 1700000000500 agent:a1 1 >/dev/null
	rcli RPUSH 'sess:{u1}:events' '{"s":1,"ts":1700000000101,"t":"modified","a":"a1"}' \
		'{"s":2,"ts":1700000000102,"t":"modified","a":"a1"}' >/dev/null
	rcli EXPIRE 'sess:{u1}:meta' 3600 >/dev/null
	sctl upgrade >/dev/null
	sctl emit u1 --actor a1 --type fixed >/dev/null
	run rp verify u1
	assert_success
	run rp state u1 --at 3
	assert_success
	assert_equal "$(jq -c '[.state, .seq, [.agents[].id]]' <<<"$output")" '["working",3,["a1"]]'
	run rp state u1 --at 1
	assert_failure 1
}

@test "bad input: unknown id, bad points, Redis down" {
	run rp state nosuch --at 1
	assert_failure 1
	assert_output --partial "no session nosuch"
	sctl create --agent a1 --id b1 >/dev/null
	run rp state b1 --at yesterday
	assert_failure 64
	assert_output --partial "RFC 3339"
	run rp state b1
	assert_failure 64
	run rp play b1 --speed 0
	assert_failure 64
	run rp diff b1 --from 5 --to 2
	assert_failure 64
	run rp verify
	assert_failure 64
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run "$SESSKIT_BUILDDIR/sess-replay" play b1
	assert_failure 69
}

@test "the README's walkthrough as written: diff --from 179 shows the join recorded after seq 180, --from 180 does not" {
	python3 - "$BATS_TEST_TMPDIR/ops" <<'PY'
import json, sys
ops = [{"op": "create", "id": "S1", "agent": "frontend-agent"},
       {"op": "join", "id": "S1", "agent": "backend-agent"},
       {"op": "join", "id": "S1", "agent": "testing-agent"}]
first = ["frontend-agent", "backend-agent", "testing-agent"]
ops += [{"op": "emit", "id": "S1", "actor": first[n % 3], "type": "modified"} for n in range(1, 181)]
ops.append({"op": "join", "id": "S1", "agent": "refactor-agent"})
ops += [{"op": "emit", "id": "S1", "actor": "refactor-agent", "type": "modified"}] * 29
ops += [{"op": "emit", "id": "S1", "actor": "testing-agent", "type": t} for t in ("modified", "modified", "broke")]
open(sys.argv[1], "w").write("".join(json.dumps(o) + "\n" for o in ops))
PY
	run -0 sctl batch <"$BATS_TEST_TMPDIR/ops"
	run -0 rp play S1 --events-only --type broke
	assert_equal "$(jq -c '{seq, actor}' <<<"$output")" '{"seq":212,"actor":"testing-agent"}'
	run -0 rp state S1 --at 179
	assert_equal "$(jq -c '[.agents[].id]' <<<"$output")" '["frontend-agent","backend-agent","testing-agent"]'
	run -0 rp diff S1 --from 180 --to 212
	assert_equal "$(jq -c .agents.joined <<<"$output")" '[]'
	run -0 rp diff S1 --from 179 --to 212
	got=$(jq -c '{agents, byActor: .events.byActor, lifecycle} | .agents.at = "AT"' <<<"$output")
	assert_equal "$got" '{"agents":{"joined":["refactor-agent"],"left":[],"at":"AT"},"byActor":{"frontend-agent":1,"refactor-agent":29,"testing-agent":3},"lifecycle":{"checkpoint":5,"join":1}}'
	# the README shows that command and that line (its "at" elided)
	readme=$SESSKIT_SRCDIR/README.md
	grep -qxF "\$ sess-replay diff S1 --from 179 --to 212 | jq -c '{agents, byActor: .events.byActor, lifecycle}'" "$readme" ||
		fail "README.md does not show diff --from 179"
	grep -qxF "${got/\"AT\"/[...]}" "$readme" || fail "README.md does not show its output: ${got/\"AT\"/[...]}"
}

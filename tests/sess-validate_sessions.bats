#!/usr/bin/env bats
# sess-validate sessions: a corrupted-session fixture for each integrity
# finding, its repair (--repair and --repair --dry-run), --all's stray
# keys, index and counters, long sessions, ids from stdin, formats.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

sv() { sk sess-validate "$@"; }
codes() { jq -r 'select(.code) | .code' <<<"$output" | sort | paste -sd, -; }
repairs() { jq -r 'select(.repair) | .repair' <<<"$output" | sort | paste -sd, -; }

# mk ID N: a session of N events by two members (auto checkpoints every
# 10), with its keys' TTLs made whole (a fresh events key may have none:
# see "a fresh session's events key" below)
mk() { session_of "$1" "$2" whole; }

# clean ID...: the sessions check clean
clean() {
	run sv sessions "$@"
	assert_success
	assert_output ""
}

# ev ID INDEX: the stored event at INDEX
ev() { rcli LINDEX "sess:{$1}:events" "$2"; }

@test "clean sessions: no findings, exit 0; --all too" {
	mk s1 25
	mk s2 3
	clean s1 s2
	run sv sessions --all
	assert_success
	assert_output ""
}

@test "a fresh session's events key without a TTL is found (the leak) and repaired" {
	sctl create --id f1 --agent a >/dev/null
	sctl emit f1 --actor a --type x >/dev/null
	rcli PERSIST 'sess:{f1}:events' >/dev/null
	run sv sessions f1
	assert_failure 1
	assert_equal "$(codes)" session.no_ttl
	run -1 sv sessions --repair --dry-run f1
	assert_equal "$(repairs)" ttl
	assert_equal "$(rcli PTTL 'sess:{f1}:events')" -1
	run sv sessions --repair f1
	assert_failure 1
	assert_equal "$(jq -r 'select(.repair) | .command[0]' <<<"$output")" PEXPIRE
	[ "$(rcli PTTL 'sess:{f1}:events')" -gt 0 ] || fail "no TTL after the repair"
	clean f1
}

@test "seq gap: an event renumbered" {
	mk s1 12
	rcli LSET 'sess:{s1}:events' 4 "$(ev s1 4 | sed 's/"s":5,/"s":7,/')" >/dev/null
	run sv sessions s1
	assert_failure 1
	[[ $(codes) == *session.seq_gap* ]] || fail "$output"
	assert_equal "$(jq -r 'select(.code == "session.seq_gap") | .seq' <<<"$output")" 5
}

@test "events well formed: a damaged event" {
	mk s1 5
	rcli LSET 'sess:{s1}:events' 2 'not json' >/dev/null
	run sv sessions s1
	assert_failure 1
	[[ $(codes) == *session.corrupt_record* ]] || fail "$output"
}

# append ID TEXT: store TEXT as the session's next event as an emit would
# (seq, chain head and all), so only the text itself can be found wrong
append() {
	rcli EVAL "
		local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
		local ev = string.gsub(ARGV[1], 'SEQ', seq)
		redis.call('RPUSH', KEYS[2], ev)
		redis.call('HSET', KEYS[1], 'h', redis.sha1hex(redis.call('HGET', KEYS[1], 'h') .. ev))
		return ev" 2 "sess:{$1}:meta" "sess:{$1}:events" "$2" >/dev/null
}

@test "a stored text naming a key twice is damaged: every reader says so (issue 17, S1)" {
	local body
	for body in '"t":"modified","a":"intruder","a":"a1"' '"t":"broke","a":"a1","st":{"from":"working","to":"completed"},"st":{"from":"working","to":"broken"}' \
		'"t":"note","a":"a1","c":{"e":"x","\u0065":"y"}' '"t":"note","a":"a1","imp":[{"k":1,"k":2}]' \
		'"t":"note","a":"a1","imp":{"n":0x10}' '"t":"note","a":"a1","imp":[1,inf]'; do
		rcli DEL 'sess:{s1}:meta' 'sess:{s1}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:history' >/dev/null
		mk s1 3
		append s1 "{\"s\":SEQ,\"ts\":1,$body}"
		run sv sessions s1
		assert_failure 1
		[[ $(codes) == *session.corrupt_record* ]] || fail "$body: $output"
		jq -r 'select(.code == "session.corrupt_record") | .message' <<<"$output" | grep -q 'names a key twice' || fail "$output"
		run sctl events s1
		assert_failure 65
		assert_output --partial 'names a key twice'
		[[ $output != *intruder* ]] || fail "shown: $output"
		run sk sess-replay verify s1
		assert_failure
		# the same event named once is clean
	done
	# a stored checkpoint naming a key twice: damaged, not merely missing
	mk s2 12
	rcli HSET 'sess:{s2}:checkpoints' 1 "$(rcli HGET 'sess:{s2}:checkpoints' 1 | sed 's/^{/{"state":"broken",/')" >/dev/null
	run sv sessions s2
	assert_failure 1
	assert_equal "$(codes)" session.corrupt_record
	run sctl checkpoint show s2 1
	assert_failure 65
	rcli DEL 'sess:{s1}:meta' 'sess:{s1}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:history' >/dev/null
	mk s1 3
	append s1 '{"s":SEQ,"ts":1,"t":"note","a":"a1","c":{"e":"x","a":"y"},"imp":[{"k":1},{"k":2}]}'
	clean s1
	run sk sess-replay verify s1
	assert_success
	# JSON's whitespace between tokens, which the emit script's cjson
	# takes: the C readers read the same record, not a damaged one
	append s1 $'{"s":SEQ,"ts":1, "t" : "note" ,\t"a" :"a2" ,"c" : { "e" : "x" , "o":"y" } , "imp" : [ {"k" : 1} ] }'
	clean s1
	run sctl events s1 --from 5
	assert_success
	assert_equal "$(jq -c '[.seq, .type, .actor, .changeInfo.elementType, .impact[0].k]' <<<"$output")" '[5,"note","a2","x",1]'
	run sk sess-replay verify s1
	assert_success
}

@test "metadata holding a checkpoint record's words is no checkpoint (issue 17, S5)" {
	sctl create --id m1 --agent a1 --metadata '{"task":{"k":"checkpoint","n":7,"at":3},"x":"\"k\":\"checkpoint\",\"n\":2"}' >/dev/null
	sctl emit m1 --actor a1 --type note >/dev/null
	sctl checkpoint m1 >/dev/null
	sctl emit m1 --actor a1 --type note >/dev/null
	rcli PEXPIRE 'sess:{m1}:events' "$(rcli PTTL 'sess:{m1}:meta')" >/dev/null
	clean m1
	run sk sess-replay verify m1
	assert_success
}

@test "every actor a member when it emitted" {
	mk s1 5
	rcli LSET 'sess:{s1}:events' 3 "$(ev s1 3 | sed 's/"a":"a[12]"/"a":"intruder"/')" >/dev/null
	run sv sessions s1
	assert_failure 1
	assert_equal "$(jq -r 'select(.code == "session.not_member") | [.seq, (.message | test("intruder"))] | @text' <<<"$output")" '[4,true]'
}

@test "state, seq, creator, members, counters: meta against the history; derived ones repaired" {
	mk s1 12
	rcli HSET 'sess:{s1}:meta' state broken agents 9 cps 0 >/dev/null
	run sv sessions s1
	assert_failure 1
	assert_equal "$(codes)" "session.agents_count,session.cps_count,session.state_mismatch"
	run -1 sv sessions --repair --dry-run s1
	assert_equal "$(repairs)" "agents,cps,state"
	assert_equal "$(jq -r 'select(.repair) | .dryRun' <<<"$output" | sort -u)" true
	assert_equal "$(rcli HGET 'sess:{s1}:meta' state)" broken
	run -1 sv sessions --repair s1
	assert_equal "$(jq -r 'select(.repair) | .dryRun' <<<"$output" | sort -u)" false
	assert_equal "$(rcli HGET 'sess:{s1}:meta' state)" working
	assert_equal "$(rcli HGET 'sess:{s1}:meta' agents)" 2
	assert_equal "$(rcli HGET 'sess:{s1}:meta' cps)" 1
	clean s1
	# a counter above the history's is never lowered: the next checkpoint
	# would take a number a stored one may have (issue 17, S8)
	rcli HSET 'sess:{s1}:meta' cps 7 >/dev/null
	run sv sessions --repair s1
	assert_failure 1
	assert_equal "$(codes)" session.cps_count
	assert_equal "$(repairs)" ""
	assert_equal "$(rcli HGET 'sess:{s1}:meta' cps)" 7
	# not derivable safely: reported, never repaired
	rcli HSET 'sess:{s1}:meta' seq 99 creator mallory 'agent:ghost' 1 >/dev/null
	run sv sessions --repair s1
	assert_failure 1
	[[ $(codes) == *session.seq_mismatch*session.creator_mismatch* || $(codes) == *session.creator_mismatch*session.seq_mismatch* ]] || fail "$output"
	[[ $(codes) == *session.members_mismatch* ]] || fail "$output"
	assert_equal "$(rcli HGET 'sess:{s1}:meta' seq)" 99
}

@test "metadata edited from outside sesskit is found (compared with the create record as JSON, key order aside); never repaired" {
	run -0 sctl create --agent a1 --id md1 --metadata '{"team":"red","n":[1,2]}'
	run -0 sv sessions md1
	# the same object written with other spacing and key order: the same
	rcli HSET 'sess:{md1}:meta' metadata '{ "n" : [1,2], "team":"red" }' >/dev/null
	run -0 sv sessions md1
	rcli HSET 'sess:{md1}:meta' metadata '{"team":"blue","n":[1,2]}' >/dev/null
	run -1 sv sessions --repair md1
	assert_equal "$(codes)" session.metadata_mismatch
	assert_equal "$(repairs)" ""
	rcli HDEL 'sess:{md1}:meta' metadata >/dev/null
	run -1 sv sessions md1
	assert_equal "$(codes)" session.metadata_mismatch
	# a session created without metadata that gained some
	run -0 sctl create --agent a1 --id md2
	rcli HSET 'sess:{md2}:meta' metadata '{"x":1}' >/dev/null
	run -1 sv sessions md2
	assert_equal "$(codes)" session.metadata_mismatch
}

@test "--repair derives nothing from a history that does not verify (issue 17, S7, S8)" {
	# S7: an event edited to complete the session: the chain fails, and
	# the state it implies must not be written (the session would refuse
	# every write)
	mk s1 12
	rcli LSET 'sess:{s1}:events' 5 "$(ev s1 5 | sed 's/"t":"note"/"t":"done","st":{"from":"working","to":"completed"}/')" >/dev/null
	run sv sessions --repair s1
	assert_failure 1
	[[ $(codes) == *session.chain_mismatch* && $(codes) == *session.repair_refused* ]] || fail "$output"
	assert_equal "$(repairs)" ""
	assert_equal "$(rcli HGET 'sess:{s1}:meta' state)" working
	run sctl emit s1 --actor a1 --type note
	assert_success
	# S8: a checkpoint's history record removed: the counter stays, so
	# the next checkpoint cannot overwrite a stored one
	mk s2 25
	rcli LREM 'sess:{s2}:history' 1 "$(rcli LRANGE 'sess:{s2}:history' 0 -1 | grep '"n":2,')" >/dev/null
	local cp2
	cp2=$(rcli HGET 'sess:{s2}:checkpoints' 2)
	run sv sessions --repair s2
	assert_failure 1
	[[ $(codes) == *session.cps_count* && $(codes) == *session.repair_refused* ]] || fail "$output"
	assert_equal "$(rcli HGET 'sess:{s2}:meta' cps)" 2
	sctl checkpoint s2 >/dev/null
	assert_equal "$(rcli HGET 'sess:{s2}:checkpoints' 2)" "$cp2"
	# the same counter lowered by hand below a stored checkpoint, the
	# history intact: raised to the highest stored number
	mk s3 25
	rcli HSET 'sess:{s3}:meta' cps 1 >/dev/null
	run -1 sv sessions --repair s3
	assert_equal "$(rcli HGET 'sess:{s3}:meta' cps)" 2
	clean s3
}

@test "checkpoints consistent with the log: missing, mismatched, orphan" {
	mk s1 25
	rcli HDEL 'sess:{s1}:checkpoints' 1 >/dev/null
	run sv sessions s1
	assert_failure 1
	assert_equal "$(codes)" session.checkpoint_missing
	mk s2 25
	rcli HSET 'sess:{s2}:checkpoints' 2 "$(rcli HGET 'sess:{s2}:checkpoints' 2 | sed 's/"state":"working"/"state":"broken"/')" >/dev/null
	run sv sessions s2
	assert_failure 1
	[[ $(codes) == *session.checkpoint_mismatch* ]] || fail "$output"
	mk s3 25
	rcli HSET 'sess:{s3}:checkpoints' 9 '{"id":9,"seq":15,"state":"working"}' >/dev/null
	run sv sessions s3
	assert_failure 1
	assert_equal "$(codes)" session.checkpoint_orphan
}

# set_cp_agents ID JSON: checkpoint 1's "agents" replaced by JSON (DEL:
# removed), the rest of the stored object as it was
set_cp_agents() {
	rcli HSET "sess:{$1}:checkpoints" 1 "$(python3 -c '
import json, sys
o = json.loads(sys.argv[1])
if sys.argv[2] == "DEL":
    del o["agents"]
else:
    o["agents"] = "@@"
print(json.dumps(o, separators=(",", ":")).replace("\"@@\"", sys.argv[2]))' "$(rcli HGET "sess:{$1}:checkpoints" 1)" "$2")" >/dev/null
}

@test "a checkpoint's agents: each way of differing from the members sorted is found, and named as before (issue 19)" {
	# the same findings as the printed-form comparison made before the
	# direct one (sorted, distinct, members, as many), case by case
	local n=0 a want got
	for a in '["a1","a2"]' '["a\u0031","a2"]' '["a2","a1"]' '["a1"]' '["a1","a2","a3"]' '["a1","a1"]' \
		'["a1",2]' '"a1,a2"' '[]' '["a0","a2"]' DEL '{"a1":"a2"}' '[["a1"],"a2"]' '["a1","a2","a2"]'; do
		n=$((n + 1))
		mk "g$n" 12
		set_cp_agents "g$n" "$a"
	done
	run -1 sv sessions g1 g2 g3 g4 g5 g6 g7 g8 g9 g10 g11 g12 g13 g14
	got=$(jq -r '[.id, .code, .message] | join(" ")' <<<"$output")
	want=$(cat <<'EOF'
g3 session.checkpoint_mismatch checkpoint 1 lists agents ["a2","a1"]; the history has ["a1","a2"]
g4 session.checkpoint_mismatch checkpoint 1 lists agents ["a1"]; the history has ["a1","a2"]
g5 session.checkpoint_mismatch checkpoint 1 lists agents ["a1","a2","a3"]; the history has ["a1","a2"]
g6 session.checkpoint_mismatch checkpoint 1 lists agents ["a1","a1"]; the history has ["a1","a2"]
g7 session.checkpoint_mismatch checkpoint 1 lists agents ["a1",2]; the history has ["a1","a2"]
g8 session.checkpoint_mismatch checkpoint 1 lists agents "a1,a2"; the history has ["a1","a2"]
g9 session.checkpoint_mismatch checkpoint 1 lists agents []; the history has ["a1","a2"]
g10 session.checkpoint_mismatch checkpoint 1 lists agents ["a0","a2"]; the history has ["a1","a2"]
g11 session.checkpoint_mismatch checkpoint 1 lists agents none; the history has ["a1","a2"]
g12 session.checkpoint_mismatch checkpoint 1 lists agents {"a1":"a2"}; the history has ["a1","a2"]
g13 session.checkpoint_mismatch checkpoint 1 lists agents [["a1"],"a2"]; the history has ["a1","a2"]
g14 session.checkpoint_mismatch checkpoint 1 lists agents ["a1","a2","a2"]; the history has ["a1","a2"]
EOF
)
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") || fail "the findings differ (above)"
}

@test "events read in one pass with their duplicate-key check: the same findings as two passes, shape by shape (issue 19)" {
	# each text replaces a one-member session's second event (seq 2;
	# @SP@ is a space); the findings are main's before the check joined
	# the scan, but for e13 and e14 (a comma before "}", two commas), which
	# the member scanner once passed over (e14 then read as intact but for
	# its chain): damaged events since it is strict; e13, e14 and e17 (a
	# member with no value) are no object at the event's own level, damaged
	# as such (not "a key twice, or a value that is no JSON")
	local n=0 t want got
	python3 -c '
import json
for s in range(28):
    i = "e%d" % s
    print(json.dumps({"op": "create", "id": i, "agent": "a1"}))
    for k in range(3):
        print(json.dumps({"op": "emit", "id": i, "actor": "a1", "type": "note"}))' | sctl batch >/dev/null
	while IFS= read -r t; do
		rcli LSET "sess:{e$n}:events" 1 "${t//@SP@/ }" >/dev/null
		n=$((n + 1))
	done <<'EOF'
{"s":2,"ts":1,"t":"note","a":"a1"}
{"s":2,"ts":1,"t":"note","a":"a1","s":2}
{"s":2,"ts":1,"t":"note","a":"a1","\u0073":2}
{"s":2,"ts":1,"t":"note","a":"a1","c":{"x":1,"x":2}}
{"s":2,"ts":1,"t":"note","a":"a1","c":[{"x":1},{"y":1,"y":2}]}
{"s":2,"ts":1,"t":"note","a":"a1","c":{"x":01}}
{"s":2,"ts":1,"t":"note","a":"a1","k":0x10}
{"s":2,"ts":1,"t":"note","a":"a1","k":inf}
{"s":2,"ts":1,"t":"note","a":"a1","k":+1}
{"s":2,"ts":1,"t":"note","a":"a1","k1":1,"k2":1,"k3":1,"k4":1,"k5":1,"k6":1,"k7":1,"k8":1,"k9":1,"k10":1,"k11":1,"k12":1,"k13":1,"k14":1,"k1":2}
{"s":2,"ts":1,"t":"note","a":"a1","k1":1,"k2":1,"k3":1,"k4":1,"k5":1,"k6":1,"k7":1,"k8":1,"k9":1,"k10":1,"k11":1,"k12":1,"k13":1,"k14":1}
{ "s" : 2 , "ts":1,"t":"note","a":"a1" }@SP@@SP@
{"s":2,"ts":1,"t":"note","a":"a1"} x
{"s":2,"ts":1,"t":"note","a":"a1",}
{"s":2,"ts":1,"t":"note","a":"a1",,"b":1}
{"s":2,"ts":1,"t":"note","a":"a1","st":{"to":"x","to":"y"}}
{"s":2,"ts":1,"t":"note","a":"a1","st":{"to":5}}
{"s":2,"ts":1,"t":"note","a":"a1","c":}
{"s":2,"ts":1,"t":"note","a":"a1","c":"x\"y"}
{"s":2,"ts":1,"t":"note","a":"a1","c":{"a\u0062":1,"ab":2}}
{"s":2,"ts":1,"t":"note","a":"a\u0031"}
{"s":2,"ts":1,"t":"note"}
{"s":"2","ts":1,"t":"note","a":"a1"}
{"s":2,"ts":1,"t":"note","a":"a1","x":[1,2,[3,{"q":1,"q":1}]]}
{"s":2,"ts":1,"t":"note","a":"a1","x":tru}
{"s":2,"ts":1,"t":"note","a":"a1","x":null,"y":false,"z":-1.5e3}
{"s":2,"ts":1,"t":"note","a":"a1","x":1.}
{"s":2,"ts":1,"t":"note","a":"a1","\"":1,"\"":2}
EOF
	[ "$n" = 28 ] || fail "$n texts"
	run -1 sv sessions $(seq -f 'e%g' 0 27)
	got=$(jq -r '[.id, (.seq | tostring), .code, (.message | if test("fold to chain") then "(chain)" else sub(" \\(.*"; "") end)] | join(" ")' <<<"$output")
	want=$(cat <<'EOF'
e0 3 session.chain_mismatch (chain)
e1 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e2 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e3 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e4 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e5 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e6 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e7 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e8 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e9 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e10 3 session.chain_mismatch (chain)
e11 3 session.chain_mismatch (chain)
e12 2 session.corrupt_record a stored event is damaged
e13 2 session.corrupt_record a stored event is damaged
e14 2 session.corrupt_record a stored event is damaged
e15 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e16 2 session.corrupt_record a stored event is damaged
e17 2 session.corrupt_record a stored event is damaged
e18 3 session.chain_mismatch (chain)
e19 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e20 2 session.not_member event 2 was emitted by a\u0031, who was not a member then
e20 3 session.chain_mismatch (chain)
e21 2 session.corrupt_record a stored event is damaged
e22 2 session.corrupt_record a stored event is damaged
e23 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e24 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e25 3 session.chain_mismatch (chain)
e26 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
e27 2 session.corrupt_record a stored event names a key twice in one object, or holds a value that is no JSON
EOF
)
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") || fail "the findings differ (above)"
}

@test "the hash chain: a record edited under an intact seq" {
	mk s1 5
	rcli LSET 'sess:{s1}:events' 1 "$(ev s1 1 | sed 's/"t":"note"/"t":"edit"/')" >/dev/null
	run sv sessions s1
	assert_failure 1
	assert_equal "$(codes)" session.chain_mismatch
}

@test "TTLs of one session's keys together: skew found and repaired" {
	mk s1 12
	rcli PEXPIRE 'sess:{s1}:history' 99000000 >/dev/null
	run sv sessions s1
	assert_success
	run sv sessions --strict s1
	assert_failure 1
	assert_equal "$(codes)" session.ttl_skew
	assert_equal "$(jq -r .severity <<<"$output")" warning
	# repaired to the longest: the others raised, the history untouched
	run -0 sv sessions --repair --dry-run s1
	assert_equal "$(jq -r 'select(.repair) | .key' <<<"$output" | sort | paste -sd, -)" 'sess:{s1}:checkpoints,sess:{s1}:events,sess:{s1}:meta'
	run -0 sv sessions --repair s1
	clean s1
	[ "$(rcli PTTL 'sess:{s1}:meta')" -gt 90000000 ] || fail "not raised: $(rcli PTTL 'sess:{s1}:meta')"
	# a live session's meta cut to 60 s: its keys are never cut to it
	# (the session expired a minute later, issue 17)
	mk s2 12
	rcli EXPIRE 'sess:{s2}:meta' 60 >/dev/null
	run -0 sv sessions --repair s2
	local k
	for k in meta events checkpoints history; do
		[ "$(rcli PTTL "sess:{s2}:$k")" -gt 3000000 ] || fail "$k: $(rcli PTTL "sess:{s2}:$k")"
	done
	clean s2
}

@test "index: a session missing from it, an entry without a session; both repaired" {
	mk s1 3
	mk s2 3
	rcli ZREM sess:#{all}:index s1 >/dev/null
	rcli ZADD sess:#{all}:index 1 ghost >/dev/null
	run sv sessions s1
	assert_failure 1
	assert_equal "$(codes)" session.index_missing
	run sv sessions --all
	assert_failure 1
	assert_equal "$(codes)" "session.index_missing,session.index_orphan"
	run -1 sv sessions --all --repair --dry-run
	assert_equal "$(repairs)" "index_add,index_remove"
	assert_equal "$(rcli ZSCORE sess:#{all}:index ghost)" 1
	run -1 sv sessions --all --repair
	assert_equal "$(repairs)" "index_add,index_remove"
	assert_equal "$(rcli ZSCORE sess:#{all}:index ghost)" ""
	[ -n "$(rcli ZSCORE sess:#{all}:index s1)" ] || fail "s1 not indexed"
	run sv sessions --all
	assert_success
}

@test "--all: keys with the prefix that belong to no session, never deleted" {
	mk s1 3
	rcli SET 'sess:{gone}:events' x >/dev/null
	rcli SET 'sess:whatever' 1 >/dev/null
	rcli SET 'other:key' 1 >/dev/null
	run sv sessions --all --repair
	assert_success
	assert_equal "$(codes)" "session.orphan_key,session.unknown_key"
	assert_equal "$(rcli EXISTS 'sess:{gone}:events')" 1
	run sv sessions --all --strict
	assert_failure 1
}

@test "--all: counters below what is stored drift; repaired upwards" {
	mk s1 12
	rcli HSET sess:#{all}:stats events 2 type:note 1 sessions 0 >/dev/null
	run sv sessions --all
	assert_success
	assert_equal "$(codes)" "session.stats_drift,session.stats_drift,session.stats_drift"
	run -0 sv sessions --all --repair
	assert_equal "$(rcli HGET sess:#{all}:stats events)" 12
	assert_equal "$(rcli HGET sess:#{all}:stats type:note)" 12
	run -0 sv sessions --all
	assert_output ""
}

@test "layout: a session of another layout; an unknown id" {
	mk s1 2
	rcli HSET 'sess:{s1}:meta' v 1 >/dev/null
	run sv sessions s1 nope
	assert_failure 1
	assert_equal "$(codes)" "session.layout,session.not_found"
}

@test "a long session (over a page of records) is streamed and checked the same" {
	mk big 1500
	clean big
	local orig
	orig=$(ev big 1200)
	rcli LSET 'sess:{big}:events' 1200 "$(sed 's/"t":"note"/"t":"edit"/' <<<"$orig")" >/dev/null
	run sv sessions big
	assert_failure 1
	# the head, and every checkpoint after the edit
	assert_equal "$(jq -r .code <<<"$output" | sort -u)" session.chain_mismatch
	rcli HSET 'sess:{big}:meta' state completed >/dev/null
	# nothing derived from a history that does not verify
	run -1 sv sessions --repair big
	[[ $(codes) == *session.repair_refused* ]] || fail "$output"
	assert_equal "$(repairs)" ""
	rcli LSET 'sess:{big}:events' 1200 "$orig" >/dev/null
	run -1 sv sessions --repair big
	[[ $(repairs) == state ]] || fail "$output"
	clean big
}

@test "many sessions across pages, ids from stdin" {
	for i in $(seq 1 30); do echo "{\"op\":\"create\",\"id\":\"m$i\",\"agent\":\"a\"}"; done | sctl batch >/dev/null
	rcli HSET 'sess:{m17}:meta' agents 5 >/dev/null
	run sv sessions --all --page 7
	assert_failure 1
	assert_equal "$(jq -r 'select(.code) | .id + " " + .code' <<<"$output")" "m17 session.agents_count"
	run bash -c "printf 'm1\n\"m17\"\n{\"id\":\"m3\"}\n' | REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sess-validate' sessions -"
	assert_failure 1
	assert_equal "$(codes)" session.agents_count
}

@test "formats: text, github and junit for sessions" {
	mk s1 3
	rcli HSET 'sess:{s1}:meta' agents 5 >/dev/null
	run sv sessions --format github s1
	assert_failure 1
	assert_line --regexp '^::error title=session\.agents_count::session s1: '
	run -1 sv sessions --format text s1
	assert_line --regexp '^session s1: error: .* \[session\.agents_count\]$'
	run -0 bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sess-validate' sessions --format junit s1 | python3 -c 'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.stdin).getroot(); print(r.get(\"failures\"), len(r.findall(\"testsuite/testcase/failure\")))'"
	assert_output "1 1"
}

@test "usage and Redis down" {
	run sv sessions
	assert_failure 64
	run sv sessions --all s1
	assert_failure 64
	run sv sessions --dry-run s1
	assert_failure 64
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run sv sessions s1
	assert_failure 69
}

@test "--all over many SCAN pages with some metas deleted: every orphan key and index orphan is still found" {
	mk t0 3
	keys=$(rcli --scan --pattern 'sess:{t0}:*' | sed 's/^sess:{t0}://' | sort)
	[ "$(wc -l <<<"$keys")" -ge 3 ] || fail "t0's keys: $keys"
	# 1200 copies of t0 (about 5 SCAN pages of 1000 keys), each indexed;
	# every 5th loses its meta: its other keys and index entry are orphans
	{
		for n in $(seq 1 1200); do
			for k in $keys; do echo "COPY sess:{t0}:$k sess:{c$n}:$k"; done
			echo "ZADD sess:#{all}:index 1 c$n"
		done
		for n in $(seq 5 5 1200); do echo "DEL sess:{c$n}:meta"; done
	} | rcli >/dev/null
	want_keys=$(for n in $(seq 5 5 1200); do for k in $keys; do [ "$k" = meta ] || echo "sess:{c$n}:$k"; done; done | sort)
	want_ids=$(seq 5 5 1200 | sed 's/^/c/' | sort)
	run -1 sv sessions --all
	got_keys=$(jq -r 'select(.code == "session.orphan_key") | .message | split(" ")[0]' <<<"$output" | sort)
	got_ids=$(jq -r 'select(.code == "session.index_orphan") | .id' <<<"$output" | sort)
	[ -n "$want_keys" ] && [ "$got_keys" = "$want_keys" ] || fail "orphan keys: $(diff <(echo "$want_keys") <(echo "$got_keys") | head)"
	[ "$got_ids" = "$want_ids" ] || fail "index orphans: $(diff <(echo "$want_ids") <(echo "$got_ids") | head)"
}

@test "--all: a key that only starts like a meta key (a NUL byte after :meta) owns no session's keys or index entry" {
	rcli SET 'sess:{n1}:events' x >/dev/null
	rcli ZADD 'sess:#{all}:index' 1 n1 >/dev/null
	printf 'SET "sess:{n1}:meta\\x00x" 1\n' | rcli >/dev/null
	[ "$(rcli EXISTS 'sess:{n1}:meta')" = 0 ] || fail "setup: n1 has a meta"
	run -1 sv sessions --all
	got=$(jq -r 'select(.code == "session.orphan_key" or .code == "session.index_orphan") | .code' <<<"$output" | sort | paste -sd, -)
	assert_equal "$got" "session.index_orphan,session.orphan_key"
}

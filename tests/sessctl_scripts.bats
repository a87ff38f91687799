#!/usr/bin/env bats
# The Lua scripts driven directly (EVALSHA through redis-cli), as another
# client or a bug in ours could call them: every script checks all its
# arguments, and the meta fields it computes with, before its first write,
# so a call it refuses (SESSBADARG) has changed nothing at all.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }

setup() {
	load helpers/redis
	common_setup
	# one session with a member, an event, a checkpoint and an event id,
	# so every kind of key exists; a TTL long enough to compare in buckets
	sctl create --agent a1 --id s1 --ttl 1000 --metadata '{"f":"x"}' >/dev/null
	sctl emit s1 --actor a1 --type modified --event-id e1 >/dev/null
	sctl checkpoint s1 >/dev/null
	sctl create --agent a1 --id s2 --ttl 1000 >/dev/null
	K5=('sess:{s1}:meta' 'sess:{s1}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:eventids'
		'sess:{s1}:history')
	# and the companions (layout 3) the scripts that keep them take
	K8=("${K5[@]}" 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents')
}

# load NAME: SCRIPT LOAD NAME as the build embeds it (the schema's
# constants, the prelude, the script: lua-full/ in the build); sets SHA.
load_lua() {
	SHA=$(rcli -x SCRIPT LOAD < "$SESSKIT_BUILDDIR/src/core/lua-full/$1.lua")
	[ ${#SHA} -eq 40 ]
}

# Every key, its serialised value (DUMP: byte for byte, field order and
# encoding included) and its TTL in 100-second buckets (a script that
# restarted or changed a TTL moves it; the clock running does not).
snapshot() {
	rcli --no-raw EVAL "
		local ks = redis.call('KEYS', '*')
		table.sort(ks)
		local out = {}
		for _, k in ipairs(ks) do
			local p = redis.call('PTTL', k)
			if p > 0 then p = 'b' .. math.floor((p + 50000) / 100000) end
			out[#out + 1] = k .. ' ' .. p
			out[#out + 1] = redis.call('DUMP', k)
		end
		return out" 0
}

# refused NKEYS KEY... ARG...: EVALSHA the loaded script; it must answer
# SESSBADARG (naming what is wrong) and leave every key as it was.
refused() {
	local before after
	before=$(snapshot)
	run -0 rcli EVALSHA "$SHA" "$@"
	after=$(snapshot)
	if [[ $output != SESSBADARG* ]]; then
		echo "not refused with SESSBADARG: EVALSHA $* -> $output"
		return 1
	fi
	if [ "$before" != "$after" ]; then
		echo "EVALSHA $* -> $output, but it changed:"
		diff <(echo "$before") <(echo "$after")
		return 1
	fi
}

# works NKEYS KEY... ARG...: the loaded script accepts this call.
works() {
	run -0 rcli EVALSHA "$SHA" "$@"
	if [[ $output == *ERR* || $output == SESS* ]]; then
		echo "EVALSHA $* failed: $output"
		return 1
	fi
}

huge=100000000000000

@test "create: checks ttl, agent, metadata, keys and count before writing" {
	load_lua create
	local k='sess:{n1}:meta'
	local KN=("$k" 'sess:{n1}:events' 'sess:{n1}:checkpoints' 'sess:{n1}:eventids' 'sess:{n1}:history'
		'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents')
	for ttl in abc -5 0 $huge 315360001 1.5 1e3 ' 5' 0x10 '' inf nan; do
		refused 8 "${KN[@]}" agent:a1 a1 "$ttl" ''
		assert_output --partial ttl
	done
	refused 8 "${KN[@]}" agent:a1 a1 100
	refused 8 "${KN[@]}" agent:a1 a1 100 '' extra
	refused 8 "${KN[@]}" agent:a2 a1 100 ''
	refused 8 "${KN[@]}" 'agent:a b' 'a b' 100 ''
	refused 8 "${KN[@]}" agent: '' 100 ''
	for meta in '[1]' '{bad' '"str"' 7; do
		refused 8 "${KN[@]}" agent:a1 a1 100 "$meta"
		assert_output --partial metadata
	done
	# a key twice in one object, at any depth or spelt another way: Lua's
	# cjson keeps the last, the C readers the first (issue 17, S1)
	for meta in '{"f":1,"f":2}' '{"o":{"x":1,"x":2}}' '{"l":[{"x":1,"\u0078":2}]}' '{"n":0x1F}' '{"n":[nan]}'; do
		refused 8 "${KN[@]}" agent:a1 a1 100 "$meta"
		assert_output --partial "names each key once"
	done
	refused 0 agent:a1 a1 100 ''
	refused 1 "$k" agent:a1 a1 100 ''
	refused 8 'sess:{n1}:events' "${KN[@]:1}" agent:a1 a1 100 ''
	refused 8 "${KN[@]:0:4}" 'sess:{n2}:history' "${KN[@]:5}" agent:a1 a1 100 ''
	# the companions (layout 3): this prefix's, the three of one tag, after
	# the five session keys
	refused 8 "${KN[@]:0:5}" 'other:#{all}:index' 'other:#{all}:stats' 'other:#{all}:agents' agent:a1 a1 100 ''
	assert_output --partial "companion index"
	refused 8 "${KN[@]:0:5}" 'sess:#{all}:index' 'sess:#{x1}:stats' 'sess:#{all}:agents' agent:a1 a1 100 ''
	refused 8 "${KN[@]:0:5}" 'sess:#{all}:index' 'sess:#{all}:agents' 'sess:#{all}:stats' agent:a1 a1 100 ''
	refused 8 "${KN[@]:0:5}" 'sess:{n1}:index' 'sess:{n1}:stats' 'sess:{n1}:agents' agent:a1 a1 100 ''
	refused 8 "${KN[@]:0:5}" 'sess:x:#{all}:index' 'sess:x:#{all}:stats' 'sess:x:#{all}:agents' agent:a1 a1 100 ''
	refused 5 "${KN[@]:0:5}" agent:a1 a1 100 ''
	assert_equal "$(rcli EXISTS "$k")" 0
	works 8 "${KN[@]}" agent:a1 a1 100 '{"f":1,"o":{"f":1},"l":[{"f":1},{"f":2}],"s":"\\\":"}'
	# and kept them in the same call
	[ -n "$(rcli ZSCORE 'sess:#{all}:index' n1)" ] || fail "n1 is not in the companion index"
	[ -n "$(rcli ZSCORE 'sess:#{all}:agent:a1' n1)" ] || fail "n1 is not in a1's index"
	[ -n "$(rcli ZSCORE 'sess:#{all}:agents' a1)" ] || fail "a1 is not in the registry"
	assert_equal "$(rcli HGET 'sess:#{all}:stats' sessions)" 3
}

@test "join: checks the agent field, keys and the stored ttl and count" {
	load_lua join
	refused 8 "${K8[@]}"
	refused 8 "${K8[@]}" agent:a2 extra
	for f in '' agent: bogus 'agent:a b' 'agent:-x'; do
		refused 8 "${K8[@]}" "$f"
	done
	refused 7 "${K8[@]:0:7}" agent:a2
	refused 8 'sess:{s1}:meta' 'sess:{s2}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:eventids' 'sess:{s1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents' agent:a2
	refused 8 'sess:{s1}:events' 'sess:{s1}:meta' 'sess:{s1}:checkpoints' 'sess:{s1}:eventids' 'sess:{s1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents' agent:a2
	refused 8 "${K8[@]:0:4}" 'sess:{s2}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents' agent:a2
	rcli HSET 'sess:{s1}:meta' ttl $huge >/dev/null
	refused 8 "${K8[@]}" agent:a2
	assert_output --partial ttl
	rcli HSET 'sess:{s1}:meta' ttl 100 agents x >/dev/null
	refused 8 "${K8[@]}" agent:a2
	assert_output --partial agents
	rcli HSET 'sess:{s1}:meta' agents 1 >/dev/null
	works 8 "${K8[@]}" agent:a2
}

@test "leave: checks the agent field, grace, keys and the stored ttl and count" {
	load_lua leave
	rcli HSET 'sess:{s1}:meta' agent:a2 1 agents 2 >/dev/null
	for grace in x -1 0 $huge 1.5 ''; do
		refused 8 "${K8[@]}" agent:a2 "$grace"
		assert_output --partial grace
	done
	refused 8 "${K8[@]}" agent:a2
	refused 8 "${K8[@]}" agent:a2 300 extra
	refused 8 "${K8[@]}" bogus 300
	refused 7 "${K8[@]:0:7}" agent:a2 300
	rcli HSET 'sess:{s1}:meta' ttl -3 >/dev/null
	refused 8 "${K8[@]}" agent:a2 300
	rcli HSET 'sess:{s1}:meta' ttl 100 agents -1 >/dev/null
	refused 8 "${K8[@]}" agent:a2 300
	rcli HSET 'sess:{s1}:meta' agents 2 >/dev/null
	works 8 "${K8[@]}" agent:a2 300
}

@test "emit: checks the header, every event's two arguments and body, and the stored fields" {
	load_lua emit
	local H=(10 1 'sess:{s1}:notify' s1)
	local B='"t":"modified","a":"a1"}'
	local E=('' "$B")
	refused 8 "${K8[@]}" "${H[@]}"
	refused 8 "${K8[@]}" "${H[@]}" ''
	refused 8 "${K8[@]}" "${H[@]}" "${E[@]}" extra
	refused 8 "${K8[@]}" "${H[@]:0:3}"
	for interval in x -1 100000001 1.5; do
		refused 8 "${K8[@]}" "$interval" 1 'sess:{s1}:notify' s1 "${E[@]}"
		assert_output --partial interval
	done
	refused 8 "${K8[@]}" 10 2 'sess:{s1}:notify' s1 "${E[@]}"
	refused 8 "${K8[@]}" 10 1 'sess:{s2}:notify' s1 "${E[@]}"
	refused 8 "${K8[@]}" 10 1 'sess:{s1}:notify' s2 "${E[@]}"
	refused 8 "${K8[@]}" 10 1 'sess:{s1}:notify' 'a b' "${E[@]}"
	refused 8 'sess:{s1}:meta' 'sess:{s2}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:eventids' 'sess:{s1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents' "${H[@]}" "${E[@]}"
	refused 7 "${K8[@]:0:7}" "${H[@]}" "${E[@]}"
	long=$(printf 't%.0s' $(seq 1 65))
	# the type and actor the body names
	for bad in '"t":"bad type","a":"a1"}' '"t":"9lives","a":"a1"}' "\"t\":\"$long\",\"a\":\"a1\"}" \
		'"t":"","a":"a1"}' '"t":1,"a":"a1"}' '"a":"a1"}' '"t":"modified","a":"a b"}' \
		'"t":"modified","a":""}' '"t":"modified"}' '"t":"modified","a":["a1"]}'; do
		refused 8 "${K8[@]}" "${H[@]}" '' "$bad"
	done
	# the transition and the event id
	for bad in '"t":"broke","a":"a1","st":{"from":"nope","to":"broken"}}' \
		'"t":"broke","a":"a1","st":{"to":"broken"}}' '"t":"broke","a":"a1","st":{"from":"working"}}' \
		'"t":"broke","a":"a1","st":"working"}' '"t":"broke","a":"a1","st":null}' \
		'"t":"modified","a":"a1","eid":"e 2"}' '"t":"modified","a":"a1","eid":7}' \
		'"t":"modified","a":"a1","eid":null}'; do
		refused 8 "${K8[@]}" "${H[@]}" '' "$bad"
	done
	for expect in x -1 1.5 ' 1' "$huge$huge"; do
		refused 8 "${K8[@]}" "${H[@]}" "$expect" "$B"
		assert_output --partial "expected seq"
	done
	# not JSON, not an object, carrying the server's s or ts, or more than
	# one line (a raw newline in a string would split the pub/sub message)
	for body in garbage '' '}' '1}' '"t":"modified","a":"a1"}}' \
		'"t":"modified","a":"a1","s":7}' '"t":"modified","a":"a1","ts":7}' '"t":"modified","a":"a1","s":null}' \
		$'"t":"modified","a":"a1","c":"line\nbreak"}' $'"t":"modified",\n"a":"a1"}'; do
		refused 8 "${K8[@]}" "${H[@]}" '' "$body"
		assert_output --partial body
	done
	# a key twice in one object (issue 17, S1): stored, the emit script
	# checked one actor or transition and sessctl events would show the other
	for body in '"t":"modified","a":"intruder","a":"a1"}' '"t":"modified","a":"a1","a":"intruder"}' \
		'"t":"broke","a":"a1","st":{"from":"working","to":"broken"},"st":{"from":"working","to":"completed"}}' \
		'"t":"broke","a":"a1","st":{"from":"working","to":"broken","to":"completed"}}' \
		'"t":"modified","a":"a1","\u0061":"intruder"}' '"t":"modified","a":"a1","c":{"e":"x","e":"y"}}' \
		'"t":"modified","a":"a1","imp":[1,{"k":{"z":1,"z":2}}]}' '"t":"modified","t":"modified","a":"a1"}'; do
		refused 8 "${K8[@]}" "${H[@]}" '' "$body"
		assert_output --partial "names a key twice"
	done
	# what cjson takes and the C readers refuse or read otherwise: numbers
	# that are no JSON numbers, infinite ones, a NUL in a string
	for body in '"t":"modified","a":"a1","imp":0x10}' '"t":"modified","a":"a1","imp":[inf]}' \
		'"t":"modified","a":"a1","imp":{"n":nan}}' '"t":"modified","a":"a1","imp":01}' \
		'"t":"modified","a":"a1","imp":+1}' '"t":"modified","a":"a1","imp":1e999}' \
		'"t":"modified","a":"a1","imp":1.}' '"t":"modified","a":"a1","imp":"x\u0000y"}' '"t":"modified","a":"a1","i\u0000":1}'; do
		refused 8 "${K8[@]}" "${H[@]}" '' "$body"
		assert_output --partial "body holds"
	done
	# the same names in different objects, and keys' text inside strings
	# (in s2: s1's seqs are asserted below)
	works 8 "${K8[@]//s1/s2}" 10 1 'sess:{s2}:notify' s2 '' \
		'"t":"modified","a":"a1","c":{"a":"a1","t":"x"},"imp":[{"e":1},{"e":2}],"x":"\\\"a\":"}'
	assert_equal "$(rcli LINDEX 'sess:{s2}:events' -1 | jq -c .imp)" '[{"e":1},{"e":2}]'
	works 8 "${K8[@]//s1/s2}" 10 1 'sess:{s2}:notify' s2 '' \
		'"t":"modified","a":"a1","imp":[-0,0,1.5e-3,2E+2,-12.25,true,false,null,"\\u0000"]}'
	assert_equal "$(rcli LINDEX 'sess:{s2}:events' -1 | jq -c .imp)" '[-0,0,0.0015,200,-12.25,true,false,null,"\\u0000"]'
	# a bad second event: the good first one is not applied either
	refused 8 "${K8[@]}" "${H[@]}" "${E[@]}" '' garbage
	for f in 'seq x' 'seq -1' 'state weird' "ttl $huge" 'ref x' 'cps x' 'metadata {bad' 'h nothex' 'creator a*b'; do
		local saved
		saved=$(rcli HGET 'sess:{s1}:meta' "${f%% *}")
		rcli HSET 'sess:{s1}:meta' ${f%% *} "${f#* }" >/dev/null
		refused 8 "${K8[@]}" "${H[@]}" "${E[@]}"
		assert_output --partial "${f%% *}"
		rcli HSET 'sess:{s1}:meta' ${f%% *} "$saved" >/dev/null
	done
	works 8 "${K8[@]}" "${H[@]}" "${E[@]}"
	# the reply: now, ttl, then seq, duplicate, state, checkpoint per event
	# (seq 1 was emitted in setup, seq 2 just now)
	run rcli EVALSHA "$SHA" 8 "${K8[@]}" "${H[@]}" '' '"t":"modified","a":"a1","eid":"x1"}' \
		'' '"t":"modified","a":"a1","eid":"x1"}' '' '"t":"modified","a":"nobody"}'
	assert_success
	assert_equal "$(sed -n '3,6p;7,10p' <<<"$output" | tr '\n' ' ')" "3 0 working 0 3 1 working 0 "
	assert_equal "$(sed -n 11p <<<"$output")" "SESSNOTMEMBER actor is not a member of this session; join it first"
}

@test "checkpoint: checks the reason and the stored fields it snapshots" {
	load_lua checkpoint
	long=$(printf 'r%.0s' $(seq 1 65))
	for reason in '' "$long" "$(printf 'a\nb')"; do
		refused 5 "${K5[@]}" "$reason"
		assert_output --partial reason
	done
	refused 5 "${K5[@]}"
	refused 5 "${K5[@]}" manual extra
	refused 4 "${K5[@]:0:4}" manual
	for f in 'seq x' 'cps -2' 'created x' 'metadata [1' 'state weird'; do
		local saved
		saved=$(rcli HGET 'sess:{s1}:meta' "${f%% *}")
		rcli HSET 'sess:{s1}:meta' ${f%% *} "${f#* }" >/dev/null
		refused 5 "${K5[@]}" manual
		assert_output --partial "${f%% *}"
		rcli HSET 'sess:{s1}:meta' ${f%% *} "$saved" >/dev/null
	done
	works 5 "${K5[@]}" manual
}

@test "complete: takes no arguments; checks keys and the stored state and seq" {
	load_lua complete
	refused 8 "${K8[@]}" extra
	refused 7 "${K8[@]:0:7}"
	rcli HSET 'sess:{s1}:meta' state weird >/dev/null
	refused 8 "${K8[@]}"
	rcli HSET 'sess:{s1}:meta' state working seq 1.5 >/dev/null
	refused 8 "${K8[@]}"
	rcli HSET 'sess:{s1}:meta' seq 1 >/dev/null
	works 8 "${K8[@]}"
}

@test "touch: checks the new ttl, and the stored one when it keeps it" {
	load_lua touch
	for ttl in x -1 $huge 315360001 1.5 ''; do
		refused 8 "${K8[@]}" "$ttl"
		assert_output --partial ttl
	done
	refused 8 "${K8[@]}"
	refused 8 "${K8[@]}" 100 extra
	refused 7 "${K8[@]:0:7}" 100
	rcli HSET 'sess:{s1}:meta' ttl $huge >/dev/null
	refused 8 "${K8[@]}" 0
	assert_output --partial ttl
	# a new ttl repairs it
	works 8 "${K8[@]}" 900
	assert_equal "$(rcli HGET 'sess:{s1}:meta' ttl)" 900
}

@test "delete: takes no arguments; refuses keys of another session" {
	load_lua delete
	refused 8 "${K8[@]}" extra
	refused 7 "${K8[@]:0:7}"
	refused 8 'sess:{s1}:meta' 'sess:{s2}:events' 'sess:{s1}:checkpoints' 'sess:{s1}:eventids' 'sess:{s1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents'
	refused 8 'sess:{s1}:meta' 'sess:{s1}:events' 'sess:{s1}:checkpoints' 'sess:{s2}:meta' 'sess:{s1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents'
	rcli HSET 'sess:{s1}:meta' state weird >/dev/null
	refused 8 "${K8[@]}"
	rcli HSET 'sess:{s1}:meta' state working >/dev/null
	works 8 "${K8[@]}"
	assert_equal "$(rcli EXISTS 'sess:{s2}:meta')" 1
}

@test "events: checks from, to, limit and the stored base and seq" {
	load_lua events
	local K2=("${K5[@]:0:2}")
	for a in 'x 0 0' '-1 0 0' '1 x 0' '1 -1 0' '1 0 x' '1 0 -1' "1 0 $huge$huge" '1.5 0 0'; do
		set -- $a
		refused 2 "${K2[@]}" "$1" "$2" "$3"
	done
	refused 2 "${K2[@]}" 1 0
	refused 2 "${K2[@]}" 1 0 0 extra
	refused 1 "${K5[0]}" 1 0 0
	refused 2 "${K5[1]}" "${K5[0]}" 1 0 0
	rcli HSET 'sess:{s1}:meta' base x >/dev/null
	refused 2 "${K2[@]}" 1 0 0
	rcli HSET 'sess:{s1}:meta' base 5 >/dev/null
	refused 2 "${K2[@]}" 1 0 0
	assert_output --partial base
	rcli HSET 'sess:{s1}:meta' base 0 >/dev/null
	works 2 "${K2[@]}" 1 0 0
}

@test "trim: checks max and the stored base, seq and lastcp" {
	load_lua trim
	for max in x -1 1.5 '' 1000000001; do
		refused 5 "${K5[@]}" "$max"
		assert_output --partial max
	done
	refused 5 "${K5[@]}"
	refused 5 "${K5[@]}" 5 extra
	refused 4 "${K5[@]:0:4}" 5
	for f in 'base x' 'base 9' 'seq x' 'lastcp x' 'cps x' 'metadata {'; do
		local saved
		saved=$(rcli HGET 'sess:{s1}:meta' "${f%% *}")
		rcli HSET 'sess:{s1}:meta' ${f%% *} "${f#* }" >/dev/null
		refused 5 "${K5[@]}" 0
		assert_output --partial "${f%% *}"
		rcli HSET 'sess:{s1}:meta' ${f%% *} "$saved" >/dev/null
	done
	works 5 "${K5[@]}" 0
}

@test "upgrade: takes no arguments; checks keys and the fields it snapshots" {
	load_lua upgrade
	local KO=('sess:{o1}:meta' 'sess:{o1}:events' 'sess:{o1}:checkpoints' 'sess:{o1}:eventids'
		'sess:{o1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents')
	rcli HSET 'sess:{o1}:meta' v 1 state working created 1 updated 1 seq 0 base 0 ttl 100 \
		agents 1 creator a1 agent:a1 1 >/dev/null
	refused 8 "${KO[@]}" extra
	refused 7 "${KO[@]:0:7}"
	refused 8 "${KO[@]:0:4}" 'sess:{s1}:history' 'sess:#{all}:index' 'sess:#{all}:stats' 'sess:#{all}:agents'
	for f in 'seq x' 'state weird' 'ttl 0' 'creator a*b' 'metadata [1' 'metadata {"a":1,"a":2}'; do
		local saved
		saved=$(rcli HGET 'sess:{o1}:meta' "${f%% *}")
		rcli HSET 'sess:{o1}:meta' ${f%% *} "${f#* }" >/dev/null
		refused 8 "${KO[@]}"
		assert_output --partial "${f%% *}"
		if [ -n "$saved" ]; then rcli HSET 'sess:{o1}:meta' ${f%% *} "$saved" >/dev/null
		else rcli HDEL 'sess:{o1}:meta' ${f%% *} >/dev/null; fi
	done
	works 8 "${KO[@]}"
	assert_equal "$(rcli HGET 'sess:{o1}:meta' v)" 3
	# its entries in the companions, in the same call
	[ -n "$(rcli ZSCORE 'sess:#{all}:index' o1)" ] || fail "o1 is not in the companion index"
	[ -n "$(rcli ZSCORE 'sess:#{all}:agent:a1' o1)" ] || fail "o1 is not in a1's index"
	# a layout-2 session: v and its entries, no record, the chain as it was
	rcli HSET 'sess:{s2}:meta' v 2 >/dev/null
	rcli ZREM 'sess:#{all}:index' s2 >/dev/null
	h=$(rcli HGET 'sess:{s2}:meta' h)
	n=$(rcli LLEN 'sess:{s2}:history')
	works 8 "${K8[@]//s1/s2}"
	assert_equal "$(rcli HGET 'sess:{s2}:meta' v)" 3
	assert_equal "$(rcli HGET 'sess:{s2}:meta' h)" "$h"
	assert_equal "$(rcli LLEN 'sess:{s2}:history')" "$n"
	[ -n "$(rcli ZSCORE 'sess:#{all}:index' s2)" ] || fail "s2 is not back in the companion index"
}

@test "sessctl reports a script's refusal as bad_argument, exit 65, nothing written" {
	rcli HSET 'sess:{s1}:meta' ttl $huge >/dev/null
	before=$(snapshot)
	run sctl join s1 a2
	assert_failure 65
	assert_output --partial "ttl"
	[ "$before" = "$(snapshot)" ]
	echo '{"op":"join","id":"s1","agent":"a2"}' > "$BATS_TEST_TMPDIR/in"
	run sctl batch < "$BATS_TEST_TMPDIR/in"
	assert_failure 65
	assert_equal "$(echo "$output" | jq -r .error.code)" bad_argument
	# touch with a new ttl repairs the session
	run sctl touch s1 --ttl 600
	assert_success
	run sctl join s1 a2
	assert_success
}

@test "sessctl refuses a key named twice before sending: emit, batch, create (issue 17, S1)" {
	before=$(snapshot)
	run sctl emit s1 --actor a1 --type modified --change '{"elementType":"x","elementType":"y"}'
	assert_failure 65
	assert_output --partial '"elementType" twice'
	run sctl emit s1 --event '{"type":"modified","actor":"intruder","actor":"a1"}'
	assert_failure 65
	assert_output --partial '"actor" twice'
	run sctl emit s1 --actor a1 --type modified --impact '{"k":{"z":1,"\u007a":2}}'
	assert_failure 65
	assert_output --partial '"z" twice'
	echo '{"op":"emit","id":"s1","actor":"a1","type":"modified","impact":{"a":1,"a":2}}' > "$BATS_TEST_TMPDIR/in"
	run sctl batch < "$BATS_TEST_TMPDIR/in"
	assert_failure 65
	[[ $output == *twice* ]] || fail "$output"
	run sctl create --id n9 --agent a1 --metadata '{"task":"a","task":"b"}'
	assert_failure 65
	assert_output --partial '"task" twice'
	[ "$before" = "$(snapshot)" ] || fail "something was written"
}

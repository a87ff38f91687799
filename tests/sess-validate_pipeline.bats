#!/usr/bin/env bats
# sess-validate sessions: the reads of the next page in flight while a page
# is checked (issue 19) give the same findings in the same order as reading
# and checking one session at a time (--serial): a differential over a set
# of damaged sessions of every kind, long (streamed) ones among them, stray
# keys and index entries seen by --all while pages fill, several page sizes.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

sv() { sk sess-validate "$@"; }

# mk ID N: a session of N events by two members, its TTLs made whole
mk() { session_of "$1" "$2" whole; }
ev() { rcli LINDEX "sess:{$1}:events" "$2"; }

# every kind of damage sess-validate sessions finds, spread among clean
# sessions so that pages mix them
damaged_set() {
	local n
	for n in $(seq 1 12); do mk "c$n" 3; done
	mk gap 12
	rcli LSET 'sess:{gap}:events' 4 "$(ev gap 4 | sed 's/"s":5,/"s":7,/')" >/dev/null
	mk bad 5
	rcli LSET 'sess:{bad}:events' 2 'not json' >/dev/null
	mk intr 5
	rcli LSET 'sess:{intr}:events' 3 "$(ev intr 3 | sed 's/"a":"a[12]"/"a":"intruder"/')" >/dev/null
	mk meta 12
	rcli HSET 'sess:{meta}:meta' state broken agents 9 cps 0 seq 99 creator mallory 'agent:ghost' 1 >/dev/null
	mk cpmiss 25
	rcli HDEL 'sess:{cpmiss}:checkpoints' 1 >/dev/null
	mk cpbad 25
	rcli HSET 'sess:{cpbad}:checkpoints' 2 "$(rcli HGET 'sess:{cpbad}:checkpoints' 2 | sed 's/"state":"working"/"state":"broken"/')" >/dev/null
	mk cporph 25
	rcli HSET 'sess:{cporph}:checkpoints' 9 '{"id":9,"seq":15,"state":"working"}' >/dev/null
	mk chain 5
	rcli LSET 'sess:{chain}:events' 1 "$(ev chain 1 | sed 's/"t":"note"/"t":"edit"/')" >/dev/null
	mk skew 12
	rcli PEXPIRE 'sess:{skew}:history' 99000000 >/dev/null
	mk nottl 3
	rcli PERSIST 'sess:{nottl}:events' >/dev/null
	mk noidx 3
	rcli ZREM 'sess:#{all}:index' noidx >/dev/null
	mk lay 2
	rcli HSET 'sess:{lay}:meta' v 1 >/dev/null
	mk md 2
	rcli HSET 'sess:{md}:meta' metadata '{"x":1}' >/dev/null
	# long ones: streamed after their page's other sessions
	mk big 1100
	rcli LSET 'sess:{big}:events' 1050 "$(ev big 1050 | sed 's/"t":"note"/"t":"edit"/')" >/dev/null
	mk big2 1050
	rcli HSET 'sess:{big2}:meta' state completed >/dev/null
	for n in $(seq 13 20); do mk "c$n" 2; done
	# what --all finds besides sessions
	rcli ZADD 'sess:#{all}:index' 1 ghost >/dev/null
	rcli SET 'sess:{gone}:events' x >/dev/null
	rcli SET 'sess:{gone2}:history' x >/dev/null
	rcli SET 'sess:whatever' 1 >/dev/null
	rcli HSET 'sess:#{all}:stats' events 2 >/dev/null
}

# TTLs and expiry times in messages and repairs move between two runs
norm() { sed -E 's/[0-9]{5,}/N/g' <<<"$1"; }

ids() { rcli --scan --pattern 'sess:{*}:meta' | sed 's/^sess:{\(.*\)}:meta$/\1/' | sort; }

@test "the findings of pipelined pages equal one session at a time's, in the same order: --all, ids, page sizes" {
	damaged_set
	local page serial piped
	for page in 1 3 7 200; do
		run -1 sv sessions --all --page "$page" --serial
		serial=$(norm "$output")
		run -1 sv sessions --all --page "$page"
		piped=$output
		diff <(printf '%s\n' "$serial") <(norm "$piped") || fail "page $page: the pipelined findings differ (above)"
		# every kind is there (the set is what it says)
		for code in seq_gap corrupt_record not_member state_mismatch seq_mismatch creator_mismatch \
			members_mismatch agents_count checkpoint_missing checkpoint_mismatch checkpoint_orphan \
			chain_mismatch ttl_skew no_ttl index_missing layout metadata_mismatch index_orphan orphan_key \
			unknown_key stats_drift; do
			jq -se --arg c "session.$code" 'any(.[]; .code == $c)' <<<"$piped" >/dev/null ||
				fail "page $page: no $code in $piped"
		done
		jq -se 'any(.[]; .id == "big" and .code == "session.chain_mismatch")' <<<"$piped" >/dev/null ||
			fail "page $page: the long session's damage is not found"
	done
	# ids on the command line and on stdin, unknown ones among them
	# shellcheck disable=SC2046
	run -1 sv sessions --page 4 --serial $(ids) nosuch
	serial=$(norm "$output")
	# shellcheck disable=SC2046
	run -1 sv sessions --page 4 $(ids) nosuch
	assert_equal "$(norm "$output")" "$serial"
	run -1 sv sessions --page 5 --serial - < <(ids; echo '"bad id!"'; echo nosuch2)
	serial=$(norm "$output")
	run -1 sv sessions --page 5 - < <(ids; echo '"bad id!"'; echo nosuch2)
	assert_equal "$(norm "$output")" "$serial"
	jq -se 'any(.[]; .code == "session.not_found" and .id == "nosuch2")' <<<"$output" >/dev/null || fail "$output"
}

@test "--repair reads a page at a time: the same findings and repairs as --serial" {
	damaged_set
	run -1 sv sessions --all --page 3 --repair --dry-run --serial
	local serial
	serial=$(norm "$output")
	run -1 sv sessions --all --page 3 --repair --dry-run
	assert_equal "$(norm "$output")" "$serial"
	jq -se 'any(.[]; .repair)' <<<"$output" >/dev/null || fail "no repair listed: $output"
}

#!/usr/bin/env bats
# sess-migrate: copy, export/import, verify, tasks, resume, rollback,
# the TypeScript layout and faults, between private redis-servers.
bats_require_minimum_version 1.5.0
load helpers/migrate

setup_file() {
	load helpers/redis
	common_setup_file
	redis_start_named SRC
	redis_start_named DST
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	common_setup
	export REDIS_URL=$(redis_url SRC)
	DST=$(redis_url DST)
}

# copy_bg TASK BATCH RATE MARKS: copy --all to DST in the background (pid
# in $pid, output in $BATS_TEST_TMPDIR/out and err), slowed by --rate;
# returns once the task marked more than MARKS sessions done
copy_bg() {
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate copy --all --to "$DST" --task "$1" --batch "$2" --rate "$3"
	pid=$!
	for i in $(seq 1 100); do [ "$(dst HLEN "sess:migrate:$1:done" 2>/dev/null)" -gt "$4" ] && break; sleep 0.05; done
}

@test "copy --all: every session arrives whole, indexed, with its expiry; verify agrees" {
	mk 5
	sk sessctl checkpoint s1 >/dev/null
	run sk sess-migrate copy --all --to "$DST" --task t1
	assert_success
	[ "$(echo "$output" | grep -c '"status":"copied"')" -eq 5 ] || fail "$output"
	echo "$output" | tail -n 1 | jq -e '.summary and .copied == 5 and (.method | startswith("dump"))'
	[ "$(dst ZCARD sess:#{all}:index)" = 5 ] && [ "$(dst ZCARD sess:#{all}:agent:bob)" = 5 ] || fail "indexes"
	[ "$(dst HGET 'sess:{s1}:meta' h)" = "$(src HGET 'sess:{s1}:meta' h)" ] || fail "chain head"
	# absolute expiry: the target's within a second of the source's
	a=$(src PEXPIRETIME 'sess:{s3}:meta') b=$(dst PEXPIRETIME 'sess:{s3}:events')
	[ $((a - b)) -le 1000 ] && [ $((b - a)) -le 1000 ] || fail "expiry $a vs $b"
	REDIS_URL=$DST run sk sessctl events s2
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	run sk sess-migrate verify --all --to "$DST"
	assert_success
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
	echo "$output" | jq -e '.equal == 5'
}

@test "a batch's index, agent indexes, registry and counters equal one session at a time's" {
	# sessions interleaving creators and members, one completed, one
	# without events: agent "c" joins several at different times, so the
	# registry's last-wins score depends on the order kept
	local i
	for i in 1 2 3 4 5 6 7 8 9; do
		sk sessctl create --agent "a$((i % 3))" --id "m$i" >/dev/null
		if [ $((i % 2)) = 1 ]; then sk sessctl join "m$i" c >/dev/null; fi
		if [ "$i" != 9 ]; then
			printf '{"op":"emit","id":"m%s","actor":"a%s","type":"modified"}\n' "$i" "$((i % 3))" | sk sessctl batch >/dev/null
		fi
	done
	sk sessctl complete m4 >/dev/null
	state() {
		dst ZRANGE sess:#{all}:index 0 -1
		local k
		for k in a0 a1 a2 c; do echo "== $k"; dst ZRANGE "sess:#{all}:agent:$k" 0 -1; done
		dst ZRANGE sess:#{all}:agents 0 -1 WITHSCORES
		dst HGETALL sess:#{all}:stats | paste - - | sort
	}
	run sk sess-migrate copy --all --to "$DST" --batch 1
	assert_success
	one=$(state) one_idx=$(dst ZRANGE sess:#{all}:index 0 -1 WITHSCORES)
	dst FLUSHALL >/dev/null
	run sk sess-migrate copy --all --to "$DST" --batch 50
	assert_success
	[ "$(state)" = "$one" ] || fail "batched: $(state) vs one at a time: $one"
	# the expiry scores: absolute, so within a few ms of each other
	paste <(echo "$one_idx" | paste - -) <(dst ZRANGE sess:#{all}:index 0 -1 WITHSCORES | paste - -) |
		awk '$1 != $3 || $2 - $4 > 3 || $4 - $2 > 3 { bad = 1 } END { exit bad }' || fail "index scores"
	# and both are the source's sessions, members and counters
	[ "$(dst ZCARD sess:#{all}:index)" = 9 ] && [ "$(dst ZCARD sess:#{all}:agent:c)" = 5 ] && [ "$(dst ZCARD sess:#{all}:agent:a1)" = 3 ] || fail "members: $(state)"
	[ "$(dst HGET sess:#{all}:stats events)" = 8 ] && [ "$(dst HGET sess:#{all}:stats sessions)" = 9 ] && [ "$(dst HGET sess:#{all}:stats completed)" = 1 ] || fail "counters: $(dst HGETALL sess:#{all}:stats)"
	[ "$(dst ZCARD sess:#{all}:agents)" = 4 ] || fail "registry"
}

@test "structural method gives the same sessions" {
	mk 3
	run sk sess-migrate copy --all --method structural --to "$DST"
	assert_success
	echo "$output" | tail -n 1 | jq -e '.method | startswith("structural")'
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
}

@test "--dry-run asks the target: would_copy, would_skip, would_replace or conflict as --conflict decides; nothing written" {
	mk 3 d
	printf 'd1\nd2\n' >"$BATS_TEST_TMPDIR/ids"
	run -0 sk sess-migrate copy --ids "$BATS_TEST_TMPDIR/ids" --to "$DST"
	sk sessctl emit d2 --actor alice --type modified >/dev/null # the source's d2 is newer now
	local digest
	digest=$(dst DEBUG DIGEST)
	# status_of OUTPUT ID: the status of ID's line
	status_of() { jq -r --arg id "$2" 'select(.id == $id) | .status' <<<"$1"; }
	run -0 sk sess-migrate copy --all --to "$DST" --dry-run
	[ "$(status_of "$output" d1)/$(status_of "$output" d2)/$(status_of "$output" d3)" = would_skip/would_skip/would_copy ] || fail "$output"
	run -0 sk sess-migrate copy --all --to "$DST" --dry-run --conflict newer
	[ "$(status_of "$output" d1)/$(status_of "$output" d2)/$(status_of "$output" d3)" = would_skip/would_replace/would_copy ] || fail "$output"
	run -0 sk sess-migrate copy --all --to "$DST" --dry-run --conflict replace
	[ "$(status_of "$output" d1)/$(status_of "$output" d2)" = would_replace/would_replace ] || fail "$output"
	run -1 sk sess-migrate copy --all --to "$DST" --dry-run --conflict fail
	[ "$(echo "$output" | jq -rs 'map(select(.status == "conflict")) | length')" -ge 1 ] || fail "$output"
	# a bad id in the list: its record and 65, as without --dry-run
	printf 'd1\nno such/id\n' >"$BATS_TEST_TMPDIR/ids2"
	run -65 --separate-stderr sk sess-migrate copy --ids "$BATS_TEST_TMPDIR/ids2" --to "$DST" --dry-run
	assert_equal "$(jq -r 'select(.ok == false) | .error.code' <<<"$output")" bad_id
	[ "$(status_of "$output" d1)" = would_skip ] || fail "$output"
	# the import's dry run asks the target the same way
	sk sess-migrate export --all >"$BATS_TEST_TMPDIR/all"
	run -0 sk sess-migrate import "$BATS_TEST_TMPDIR/all" --to "$DST" --dry-run
	[ "$(status_of "$output" d1)/$(status_of "$output" d3)" = would_skip/would_copy ] || fail "$output"
	[ "$(dst DEBUG DIGEST)" = "$digest" ] || fail "a dry run wrote to the target"
}

@test "selection: --match, --state, --ids from sessctl list, --since" {
	mk 3 a
	mk 2 b
	sk sessctl complete b1 >/dev/null
	run sk sess-migrate copy --match 'a*' --to "$DST" --dry-run
	assert_success
	[ "$(echo "$output" | grep -c would_copy)" -eq 3 ]
	[ "$(dst DBSIZE)" = 0 ] || fail "dry run wrote"
	run sk sess-migrate copy --state completed --to "$DST"
	assert_success
	[ "$(echo "$output" | grep -c '"status":"copied"')" -eq 1 ]
	run bash -c "'$SESSKIT_BUILDDIR/sessctl' list --agent bob | '$SESSKIT_BUILDDIR/sess-migrate' copy --ids - --to '$DST' --task ids1"
	assert_success
	echo "$output" | tail -n 1 | jq -e '.copied == 4 and .skipped == 1'
	dst FLUSHALL >/dev/null
	t=$(( $(date +%s%3N) ))
	sleep 1.1
	sk sessctl emit a2 --actor alice --type modified >/dev/null
	run sk sess-migrate copy --since "$t" --to "$DST"
	assert_success
	[ "$(echo "$output" | grep -c '"status":"copied"')" -eq 1 ] || fail "$output"
	echo "$output" | grep -q '"a2"'
}

@test "ids as every tool takes them: copy ID..., copy - (stdin), sync ID...; --ids FILE|- still; not both" {
	mk 3 a
	# ids as arguments: those, and no other
	run -0 sk sess-migrate copy a1 a3 --to "$DST" --task args1
	assert_equal "$(jq -c 'select(.summary) | [.copied, .missing]' <<<"$output")" '[2,0]'
	assert_equal "$(dst EXISTS 'sess:{a1}:meta' 'sess:{a2}:meta' 'sess:{a3}:meta')" 2
	dst FLUSHALL >/dev/null
	# - alone: ids on stdin, a listing's JSON lines as the other tools read them
	run -0 bash -c "'$SESSKIT_BUILDDIR/sessctl' list | '$SESSKIT_BUILDDIR/sess-migrate' copy - --to '$DST' --task args2"
	assert_equal "$(tail -n 1 <<<"$output" | jq -c '[.copied, .missing]')" '[3,0]'
	dst FLUSHALL >/dev/null
	# --ids - as before
	run -0 bash -c "echo a2 | '$SESSKIT_BUILDDIR/sess-migrate' copy --ids - --to '$DST' --task args3"
	assert_equal "$(tail -n 1 <<<"$output" | jq -c '[.copied, .missing]')" '[1,0]'
	# a bad id among the arguments: its record, the rest go on, 65
	run -65 --separate-stderr sk sess-migrate copy a1 'no such/id' --to "$DST" --task args4
	assert_equal "$(jq -r 'select(.ok == false) | .error.code' <<<"$output")" bad_id
	assert_equal "$(jq -c 'select(.summary) | .copied' <<<"$output")" 1
	# sync takes them too (its copy, then stopped: the task says what it follows)
	dst FLUSHALL >/dev/null
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync a3 --to "$DST" --task args5
	local bg=$! k
	for k in $(seq 1 100); do [ "$(dst EXISTS 'sess:{a3}:meta')" = 1 ] && break; sleep 0.05; done
	kill -INT "$bg"
	wait "$bg" || true
	assert_equal "$(dst EXISTS 'sess:{a1}:meta' 'sess:{a3}:meta')" 1
	# one way only, and - alone: usage errors, nothing written
	dst FLUSHALL >/dev/null
	run -64 --separate-stderr sk sess-migrate copy a1 --ids - --to "$DST" </dev/null
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$stderr" "sess-migrate copy: ids as arguments and --ids -: give them one way; see 'sess-migrate copy --help'"
	run -64 --separate-stderr sk sess-migrate copy a1 - --to "$DST" </dev/null
	assert_equal "${#stderr_lines[@]}" 1
	# a stray word beside --all narrows nothing: refused, as --ids with --all
	run -64 --separate-stderr sk sess-migrate copy --all --to "$DST" t1
	assert_equal "$stderr" "sess-migrate copy: --all and ids as arguments: give one of them; see 'sess-migrate copy --help'"
	run -64 --separate-stderr sk sess-migrate sync --all a1 --to "$DST"
	assert_equal "${#stderr_lines[@]}" 1
	run -64 --separate-stderr sk sess-migrate copy --all --ids - --to "$DST" </dev/null
	assert_equal "$stderr" "sess-migrate copy: --all and --ids: give one of them; see 'sess-migrate copy --help'"
	assert_equal "$(dst DBSIZE)" 0
	# verify and export take no ids, as before
	run -64 --separate-stderr sk sess-migrate verify a1 --to "$DST"
}

@test "--conflict skip, fail, replace, newer" {
	mk 2
	sk sess-migrate copy --all --to "$DST" >/dev/null
	sk sessctl emit s1 --actor alice --type modified >/dev/null
	run sk sess-migrate copy --all --to "$DST" --conflict fail
	assert_failure 1
	echo "$output" | grep -q '"conflict"'
	run sk sess-migrate copy --all --to "$DST" --conflict newer
	assert_success
	echo "$output" | grep '"s1"' | grep -q replaced
	echo "$output" | grep '"s2"' | grep -q skipped
	[ "$(dst HGET 'sess:{s1}:meta' seq)" = 4 ]
	run sk sess-migrate copy --all --to "$DST" --conflict replace
	assert_success
	[ "$(echo "$output" | grep -c '"status":"replaced"')" -eq 2 ]
	run sk sess-migrate copy --all --to "$DST" --conflict bogus
	assert_failure 64
}

@test "expired during the copy is reported expired, never missing; unknown ids are missing" {
	mk 2
	src PEXPIRE 'sess:{s2}:meta' 1 >/dev/null
	sleep 0.05
	run sk sess-migrate copy --all --to "$DST"
	assert_success
	echo "$output" | grep '"s2"' | grep -q '"expired"'
	printf 's1\nnope\n' >"$BATS_TEST_TMPDIR/ids"
	run -0 sk sess-migrate copy --ids "$BATS_TEST_TMPDIR/ids" --to "$DST" --conflict replace
	echo "$output" | grep '"nope"' | grep -q '"missing"'
}

@test "rollback removes what the task wrote and restores what it replaced, nothing else" {
	mk 3
	REDIS_URL=$DST sk sessctl create --agent zed --id s1 >/dev/null
	REDIS_URL=$DST sk sessctl create --agent zed --id other >/dev/null
	before=$(dst HGET 'sess:{s1}:meta' h)
	run sk sess-migrate copy --all --to "$DST" --conflict replace --task rb
	assert_success
	[ "$(dst HGET 'sess:{s1}:meta' creator)" = alice ]
	run sk sess-migrate rollback rb --to "$DST"
	assert_success
	echo "$output" | tail -n 1 | jq -e '.removed == 2 and .restored == 1'
	[ "$(dst HGET 'sess:{s1}:meta' h)" = "$before" ] || fail "s1 not restored"
	[ "$(dst EXISTS 'sess:{s2}:meta')" = 0 ] && [ "$(dst EXISTS 'sess:{other}:meta')" = 1 ] || fail "wrong keys"
	[ "$(dst ZSCORE sess:#{all}:index s2)" = "" ] || fail "index left"
	run sk sess-migrate rollback rb --to "$DST"
	assert_success
	echo "$output" | tail -n 1 | jq -e '.removed == 0'
}

@test "sessions sharing one expiry (a bulk import's): the walk takes each once, filtered or not" {
	mk 1
	clone 2000
	# the 2000 clones and their original share one score (the index is
	# scored by PEXPIRETIME: exactly the keys' expiry)
	[ "$(src ZCOUNT sess:#{all}:index "$(src ZSCORE sess:#{all}:index m0)" "$(src ZSCORE sess:#{all}:index m0)")" -eq 2001 ] || fail "not tied"
	# --match: most pages hold nothing wanted (m1, m10-m19, m100-m199, m1000-m1999)
	run sk sess-migrate copy --all --match 'm1*' --to "$DST" --batch 7
	assert_success
	[ "$(echo "$output" | grep -c '"status":"copied"')" = 1111 ] || fail "$(echo "$output" | tail -n 1)"
	! echo "$output" | grep '"status"' | cut -d'"' -f4 | sort | uniq -d | grep -q . || fail "a session twice"
	run sk sess-migrate copy --all --to "$DST" --batch 7 --conflict skip
	assert_success
	echo "$output" | tail -n 1 | jq -e '.copied == 890 and .skipped == 1111'
	! echo "$output" | grep '"status"' | cut -d'"' -f4 | sort | uniq -d | grep -q . || fail "a session twice"
	[ "$(dst ZCARD sess:#{all}:index)" = 2001 ]
}

@test "kill -9 mid-copy, resume: source and target equal, nothing copied twice" {
	mk 1
	clone 3000
	copy_bg k9 10 3000 50
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	n=$(dst ZCARD sess:#{all}:index)
	[ "$n" -lt 3001 ] || fail "finished before the kill"
	run sk sess-migrate resume k9 --to "$DST"
	assert_success
	echo "$output" | tail -n 1 | jq -e '.copied + .alreadyDone == 3001'
	! echo "$output" | grep '"status"' | cut -d'"' -f4 | sort | uniq -d | grep -q . || fail "a session twice"
	run -0 sk sess-migrate status k9 --to "$DST"
	echo "$output" | jq -e '.copied == 3001 and .status == "done"'
	run sk sess-migrate verify --all --to "$DST"
	assert_success
}

@test "the target losing its scripts mid-copy (SCRIPT FLUSH): every session arrives once, nothing staged is left" {
	mk 1
	clone 3000
	copy_bg sf 20 4000 100
	for i in 1 2 3 4 5; do dst SCRIPT FLUSH >/dev/null; sleep 0.1; done
	wait "$pid" || fail "copy failed: $(cat "$BATS_TEST_TMPDIR/err")"
	tail -n 1 "$BATS_TEST_TMPDIR/out" | jq -e '.copied == 3001 and .failed == 0' || fail "$(tail -n 1 "$BATS_TEST_TMPDIR/out")"
	[ "$(grep -c '"status":"copied"' "$BATS_TEST_TMPDIR/out")" = 3001 ]
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left: $(dst --scan --pattern '*arriving*' | head -3)"
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
}

@test "a payload the target refuses: the session is failed, nothing it had is changed, nothing staged is left" {
	mk 1
	sha=$(dst -x SCRIPT LOAD <"$SESSKIT_BUILDDIR/src/core/lua-full/migput.lua")
	dst HSET 'sess:{s1}:meta' v 2 keep me >/dev/null
	before=$(dst DUMP 'sess:{s1}:meta' | od -c)
	k='sess:{s1}:'
	out=$(printf '%s\n' MULTI "DEL ${k}arriving:meta ${k}arriving:events" \
		"RESTORE ${k}arriving:events 600000 not-a-payload REPLACE" \
		"EVALSHA $sha 13 sess:migrate:x:done sess:migrate:x:backup sess:migrate:x:upkeep ${k}meta ${k}events ${k}checkpoints ${k}eventids ${k}history ${k}arriving:meta ${k}arriving:events ${k}arriving:checkpoints ${k}arriving:eventids ${k}arriving:history replace s1 c 0 0 010000" \
		EXEC | dst)
	echo "$out" | grep -q "^refused$" || fail "$out"
	[ "$(dst DUMP 'sess:{s1}:meta' | od -c)" = "$before" ] || fail "the target's session changed"
	[ "$(dst EXISTS 'sess:{s1}:events' sess:migrate:x:done sess:migrate:x:backup sess:migrate:x:upkeep)" = 0 ] || fail "written"
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left"
	# the arguments are checked before anything is written
	out=$(dst EVALSHA "$sha" 13 d b u ${k}meta ${k}events ${k}checkpoints ${k}eventids ${k}history ${k}arriving:meta ${k}arriving:events ${k}arriving:checkpoints ${k}arriving:eventids ${k}arriving:history sideways s1 c 0 0 010000 2>&1)
	echo "$out" | grep -q "SESSBADARG" || fail "$out"
	[ "$(dst DUMP 'sess:{s1}:meta' | od -c)" = "$before" ] || fail "changed by a refused call"
}

@test "one put of three sessions: each judged alone (copied, skipped, a refused payload), marks and counts per session, nothing staged left" {
	sha=$(dst -x SCRIPT LOAD <"$SESSKIT_BUILDDIR/src/core/lua-full/migput.lua")
	dst HSET 'sess:{a2}:meta' v 3 keep me >/dev/null
	before=$(dst DUMP 'sess:{a2}:meta' | od -c)
	keys= staged=
	# the caller's plain RENAMEs after the script, one a staged key written
	renames=("RENAME sess:{a1}:arriving:meta sess:{a1}:meta" "RENAME sess:{a2}:arriving:meta sess:{a2}:meta"
		"RENAME sess:{a3}:arriving:events sess:{a3}:events")
	for id in a1 a2 a3; do
		for x in meta events checkpoints eventids history; do
			keys="$keys sess:{$id}:$x" staged="$staged sess:{$id}:arriving:$x"
		done
	done
	out=$(printf '%s\n' MULTI "DEL$staged" \
		"HSET sess:{a1}:arriving:meta v 3 state working seq 0 h abc" \
		"HSET sess:{a2}:arriving:meta v 3 state working seq 0 h def" \
		"RESTORE sess:{a3}:arriving:events 600000 not-a-payload REPLACE" \
		"EVALSHA $sha 33 sess:migrate:x:done sess:migrate:x:backup sess:migrate:x:upkeep$keys$staged skip a1 cabc a2 cdef a3 c 0 0 100000 0 0 100000 0 0 010000" \
		"${renames[@]}" EXEC | dst)
	# (the reply's statuses, each with an empty detail, then the RENAMEs'
	# replies: only the session put has its staged key left to rename)
	[ "$(printf '%s\n' "$out" | grep -v '^$' | tail -n 6 | tr '\n' ' ')" = "copied skipped refused OK ERR no such key ERR no such key " ] || fail "$out"
	[ "$(dst HGET 'sess:{a1}:meta' state)" = working ] && [ "$(dst TTL 'sess:{a1}:meta')" = -1 ] || fail "a1 not copied whole"
	[ "$(dst DUMP 'sess:{a2}:meta' | od -c)" = "$before" ] || fail "a2 changed"
	[ "$(dst EXISTS 'sess:{a3}:meta' 'sess:{a3}:events')" = 0 ] || fail "a3 written"
	[ "$(dst HGET sess:migrate:x:done a1)" = cabc ] && [ "$(dst HGET sess:migrate:x:done a2)" = s ] || fail "marks: $(dst HGETALL sess:migrate:x:done)"
	[ "$(dst HEXISTS sess:migrate:x:done a3)" = 0 ] || fail "a3 marked"
	[ "$(dst HGET sess:migrate:x:done '#c')" = 1 ] && [ "$(dst HGET sess:migrate:x:done '#s')" = 1 ] || fail "counts: $(dst HGETALL sess:migrate:x:done)"
	[ "$(dst SMEMBERS sess:migrate:x:upkeep)" = a1 ] || fail "upkeep set: $(dst SMEMBERS sess:migrate:x:upkeep)"
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left: $(dst --scan --pattern '*arriving*')"
	# again (a resumed task): each is done, with its mark; nothing changes
	out=$(printf '%s\n' MULTI "DEL$staged" "HSET sess:{a1}:arriving:meta v 3 other x" \
		"HSET sess:{a2}:arriving:meta v 3 other x" \
		"RESTORE sess:{a3}:arriving:events 600000 not-a-payload REPLACE" \
		"EVALSHA $sha 33 sess:migrate:x:done sess:migrate:x:backup sess:migrate:x:upkeep$keys$staged skip a1 cabc a2 cdef a3 c 0 0 100000 0 0 100000 0 0 010000" \
		"${renames[@]}" EXEC | dst)
	[ "$(printf '%s\n' "$out" | grep -v '^$' | tail -n 8 | tr '\n' ' ')" = "done cabc done s refused ERR no such key ERR no such key ERR no such key " ] || fail "$out"
	[ "$(dst HGET 'sess:{a1}:meta' state)" = working ] || fail "a1 written twice"
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left"
}

@test "migput: an id twice in one put shares its staged keys: the first is put by its RENAME, the second is done and leaves the keys to it" {
	sha=$(dst -x SCRIPT LOAD <"$SESSKIT_BUILDDIR/src/core/lua-full/migput.lua")
	k='sess:{d1}:'
	keys="${k}meta ${k}events ${k}checkpoints ${k}eventids ${k}history"
	staged="${k}arriving:meta ${k}arriving:events ${k}arriving:checkpoints ${k}arriving:eventids ${k}arriving:history"
	# (each sends its meta: the second's HSET is on the same staged key)
	out=$(printf '%s\n' MULTI "DEL $staged" "HSET ${k}arriving:meta v 3 state working seq 0 h abc" \
		"HSET ${k}arriving:meta seq 0" \
		"EVALSHA $sha 23 sess:migrate:x:done sess:migrate:x:backup sess:migrate:x:upkeep $keys $keys $staged $staged skip d1 cabc d1 cdef 0 0 100000 0 0 100000" \
		"RENAME ${k}arriving:meta ${k}meta" "RENAME ${k}arriving:meta ${k}meta" EXEC | dst)
	[ "$(printf '%s\n' "$out" | grep -v '^$' | tail -n 5 | tr '\n' ' ')" = "copied done cabc OK ERR no such key " ] || fail "$out"
	[ "$(dst HGET "${k}meta" h)" = abc ] && [ "$(dst TTL "${k}meta")" = -1 ] || fail "d1 not put"
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left: $(dst --scan --pattern '*arriving*')"
	[ "$(dst HGET sess:migrate:x:done d1)" = cabc ] && [ "$(dst HGET sess:migrate:x:done '#c')" = 1 ] || fail "marks: $(dst HGETALL sess:migrate:x:done)"
}

# putargs ID...: the keys and staged keys of the sessions ID (as $keys, $staged)
putargs() {
	local id x
	keys= staged=
	for id in "$@"; do
		for x in meta events checkpoints eventids history; do
			keys="$keys sess:{$id}:$x" staged="$staged sess:{$id}:arriving:$x"
		done
	done
}

@test "migput: an error in a later session's checks (newer, a target meta that is no hash) leaves an earlier one it would replace untouched" {
	sha=$(dst -x SCRIPT LOAD <"$SESSKIT_BUILDDIR/src/core/lua-full/migput.lua")
	dst HSET 'sess:{w1}:meta' v 3 updated 1 keep me >/dev/null
	dst RPUSH 'sess:{w1}:events' old >/dev/null
	dst SET 'sess:{w2}:meta' not-a-hash >/dev/null
	before=$(dst DUMP 'sess:{w1}:meta' | od -c)
	putargs w1 w2
	out=$(printf '%s\n' MULTI "DEL$staged" "HSET sess:{w1}:arriving:meta v 3 updated 5 state working" \
		"HSET sess:{w2}:arriving:meta v 3 updated 5 state working" \
		"EVALSHA $sha 23 sess:migrate:w:done sess:migrate:w:backup sess:migrate:w:upkeep$keys$staged newer w1 c w2 c 5 0 100000 5 0 100000" \
		"RENAME sess:{w1}:arriving:meta sess:{w1}:meta" "RENAME sess:{w2}:arriving:meta sess:{w2}:meta" EXEC | dst 2>&1)
	echo "$out" | grep -q WRONGTYPE || fail "$out"
	[ "$(dst DUMP 'sess:{w1}:meta' | od -c)" = "$before" ] || fail "w1's meta changed: $(dst HGETALL 'sess:{w1}:meta')"
	[ "$(dst LRANGE 'sess:{w1}:events' 0 -1)" = old ] || fail "w1's events changed"
	[ "$(dst EXISTS sess:migrate:w:done sess:migrate:w:backup sess:migrate:w:upkeep)" = 0 ] || fail "the task's keys were written"
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left"
}

@test "migput: a task key of the wrong kind (upkeep set, a count) fails the call before a replaced session is deleted or marked" {
	sha=$(dst -x SCRIPT LOAD <"$SESSKIT_BUILDDIR/src/core/lua-full/migput.lua")
	putargs v1
	for bad in "HSET sess:migrate:v:done '#r' x" "SET sess:migrate:v:upkeep x"; do
		dst DEL sess:migrate:v:done sess:migrate:v:backup sess:migrate:v:upkeep >/dev/null
		dst HSET 'sess:{v1}:meta' v 3 updated 1 keep me >/dev/null
		before=$(dst DUMP 'sess:{v1}:meta' | od -c)
		eval "dst $bad" >/dev/null
		out=$(printf '%s\n' MULTI "DEL$staged" "HSET sess:{v1}:arriving:meta v 3 updated 5 state working" \
			"EVALSHA $sha 13 sess:migrate:v:done sess:migrate:v:backup sess:migrate:v:upkeep$keys$staged replace v1 c 5 0 100000" \
			"RENAME sess:{v1}:arriving:meta sess:{v1}:meta" EXEC | dst 2>&1)
		printf '%s\n' "$out" | grep -q "no such key" || fail "($bad) renamed: $out"
		[ "$(dst DUMP 'sess:{v1}:meta' | od -c)" = "$before" ] || fail "($bad) v1 changed: $(dst HGETALL 'sess:{v1}:meta')"
		[ "$(dst HEXISTS sess:migrate:v:done v1)" = 0 ] || fail "($bad) v1 marked"
		[ "$(dst EXISTS sess:migrate:v:backup)" = 0 ] || fail "($bad) a backup written"
		[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "($bad) staged keys left"
	done
}

@test "migput: an id twice, the first expired (its drop takes the shared staged keys): the second is refused, the target's session untouched" {
	sha=$(dst -x SCRIPT LOAD <"$SESSKIT_BUILDDIR/src/core/lua-full/migput.lua")
	dst HSET 'sess:{x1}:meta' v 3 keep me >/dev/null
	before=$(dst DUMP 'sess:{x1}:meta' | od -c)
	putargs x1
	k='sess:{x1}:'
	out=$(printf '%s\n' MULTI "DEL $staged" "HSET ${k}arriving:meta v 3 state working seq 0 h def" \
		"EVALSHA $sha 23 sess:migrate:x2:done sess:migrate:x2:backup sess:migrate:x2:upkeep $keys $keys $staged $staged replace x1 cabc x1 cdef 0 1 100000 0 0 100000" \
		"RENAME ${k}arriving:meta ${k}meta" "RENAME ${k}arriving:meta ${k}meta" EXEC | dst)
	[ "$(printf '%s\n' "$out" | grep -v '^$' | tail -n 4 | tr '\n' ' ')" = "expired refused ERR no such key ERR no such key " ] || fail "$out"
	[ "$(dst DUMP "${k}meta" | od -c)" = "$before" ] || fail "x1 changed: $(dst HGETALL "${k}meta")"
	[ "$(dst EXISTS sess:migrate:x2:done sess:migrate:x2:backup sess:migrate:x2:upkeep)" = 0 ] || fail "the task's keys: $(dst HGETALL sess:migrate:x2:done)"
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left"
}

@test "migput refuses a malformed staged-key flag string or argument count before any write but its staged keys' drop" {
	sha=$(dst -x SCRIPT LOAD <"$SESSKIT_BUILDDIR/src/core/lua-full/migput.lua")
	k='sess:{f1}:'
	keys="${k}meta ${k}events ${k}checkpoints ${k}eventids ${k}history"
	staged="${k}arriving:meta ${k}arriving:events ${k}arriving:checkpoints ${k}arriving:eventids ${k}arriving:history"
	dst HSET "${k}meta" v 3 keep me >/dev/null
	dst HSET "${k}arriving:meta" v 3 state working >/dev/null
	before=$(dst DUMP "${k}meta" | od -c)
	# six characters, each 0 or 1: anything else is refused; so is an
	# argument count that is not 1 + 5 a session
	# (a refusal once the argument count is known drops the call's staged
	# keys, so that the caller's RENAMEs after it put nothing: a staged
	# key is made again for each)
	for args in "c 0 0 10000" "c 0 0 1000000" "c 0 0 1x0000" "c 0 0 ''" "c 0 0 100000 extra" "c 0 0"; do
		dst HSET "${k}arriving:meta" v 3 state working >/dev/null
		out=$(eval "dst EVALSHA $sha 13 d b u $keys $staged replace f1 $args" 2>&1)
		echo "$out" | grep -q "SESSBADARG" || fail "accepted ($args): $out"
		case $args in *extra | "c 0 0") ;; *) [ "$(dst EXISTS "${k}arriving:meta")" = 0 ] || fail "staged key kept ($args)" ;; esac
	done
	[ "$(dst DUMP "${k}meta" | od -c)" = "$before" ] || fail "the session changed"
	[ "$(dst EXISTS d b u)" = 0 ] || fail "the task's keys were written"
	# the same call well formed is taken (the refusals above were the flags'),
	# with the caller's RENAME after it
	dst HSET "${k}arriving:meta" v 3 state working >/dev/null
	out=$(printf '%s\n' MULTI "EVALSHA $sha 13 d b u $keys $staged replace f1 c 0 0 100000" \
		"RENAME ${k}arriving:meta ${k}meta" EXEC | dst 2>&1)
	[ "$(printf '%s\n' "$out" | grep -v '^$' | tail -n 2 | tr '\n' ' ')" = "replaced OK " ] || fail "$out"
	[ "$(dst HGET "${k}meta" state)" = working ] || fail "not put"
}

@test "SIGINT finishes the batch, prints the resume command, exits 130; resume completes" {
	mk 1
	sk sess-migrate export --all >"$BATS_TEST_TMPDIR/one"
	python3 -c 'import json,sys
s=json.loads(open(sys.argv[1]).readline())
for i in range(2000):
    s["id"]="q%d"%i; print(json.dumps(s))' "$BATS_TEST_TMPDIR/one" >"$BATS_TEST_TMPDIR/many"
	sk sess-migrate import "$BATS_TEST_TMPDIR/many" --to "$REDIS_URL" >/dev/null
	copy_bg si 10 2000 20
	kill -INT "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" = 130 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	grep -q "sess-migrate resume si" "$BATS_TEST_TMPDIR/err"
	run sk sess-migrate resume si --to "$DST"
	assert_success
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
}

@test "kill -9 mid-rollback, rollback again: exactly the task's sessions gone" {
	mk 1
	sk sess-migrate export --all >"$BATS_TEST_TMPDIR/one"
	python3 -c 'import json,sys
s=json.loads(open(sys.argv[1]).readline())
for i in range(3000):
    s["id"]="r%d"%i; print(json.dumps(s))' "$BATS_TEST_TMPDIR/one" >"$BATS_TEST_TMPDIR/many"
	REDIS_URL=$DST sk sessctl create --agent zed --id keep >/dev/null
	sk sess-migrate import "$BATS_TEST_TMPDIR/many" --to "$DST" --task imp >/dev/null
	[ "$(dst ZCARD sess:#{all}:index)" = 3001 ]
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate rollback imp --to "$DST" --batch 10
	pid=$!
	for i in $(seq 1 100); do [ "$(dst ZCARD sess:#{all}:index)" -lt 2990 ] && break; sleep 0.02; done
	kill -9 "$pid"; wait "$pid" 2>/dev/null || true
	run sk sess-migrate rollback imp --to "$DST"
	assert_success
	[ "$(dst ZCARD sess:#{all}:index)" = 1 ] && [ "$(dst EXISTS 'sess:{keep}:meta')" = 1 ] || fail "left: $(dst ZCARD sess:#{all}:index)"
	[ "$(dst --scan --pattern 'sess:{r*' | wc -l)" = 0 ] || fail "keys left"
}

@test "export | import through a pipe; bad lines are records, the rest go on (65)" {
	mk 3
	run bash -c "'$SESSKIT_BUILDDIR/sess-migrate' export --all | { cat; echo 'not json'; echo '{\"id\":\"x\",\"layout\":\"9\",\"meta\":{}}'; } | '$SESSKIT_BUILDDIR/sess-migrate' import - --to '$DST'"
	assert_failure 65
	[ "$(echo "$output" | grep -c '"status":"copied"')" -eq 3 ]
	echo "$output" | grep '"line":4' | grep -q bad_json
	echo "$output" | grep '"line":5' | grep -q bad_layout
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
	run sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/f.jsonl"
	assert_success
	[ "$(wc -l <"$BATS_TEST_TMPDIR/f.jsonl")" = 3 ]
	run sk sess-migrate import "$BATS_TEST_TMPDIR/nope.jsonl" --to "$DST"
	assert_failure 66
}

@test "verify reports missing, extra, different (naming what) and exits 1" {
	mk 3
	sk sess-migrate copy --all --to "$DST" >/dev/null
	dst DEL 'sess:{s1}:meta' 'sess:{s1}:events' 'sess:{s1}:history' >/dev/null
	dst HSET 'sess:{s2}:meta' state broken >/dev/null
	REDIS_URL=$DST sk sessctl create --agent zed --id extra1 >/dev/null
	run sk sess-migrate verify --all --to "$DST"
	assert_failure 1
	echo "$output" | grep '"s1"' | grep -q '"missing"'
	echo "$output" | grep '"s2"' | grep -q 'meta.state'
	echo "$output" | grep '"extra1"' | grep -q '"extra"'
	dst RPUSH 'sess:{s3}:events' '{"s":9}' >/dev/null
	run sk sess-migrate verify --all --deep --match 's3' --to "$DST"
	assert_failure 1
	echo "$output" | grep '"s3"' | grep -q '"events"'
}

# A node-redis client of the seeds writes the TypeScript layout like this
# (hMSet, zAdd with score seq, sAdd, expire on each key).
ts_session() { # ID STATE SERIALISATION(full|compact)
	local id=$1 st=$2 form=$3 i ev
	src HSET "session:$id" agentIds '["alice","bob"]' state "$st" created 1767225600000 updated 1767225660000 >/dev/null
	for i in 1 2 3; do
		if [ "$form" = full ]; then
			ev="{\"type\":\"modified\",\"seq\":$i,\"timestamp\":$((1767225600000 + i)),\"actor\":\"alice\",\"changeInfo\":{\"elementType\":\"node\",\"entityIds\":[\"n$i\"],\"operation\":\"update\"}}"
		else
			ev="{\"t\":\"fixed\",\"s\":$i,\"ts\":$((1767225600000 + i)),\"a\":\"bob\",\"c\":{\"e\":\"node\",\"i\":[\"n$i\"],\"o\":\"update\"},\"imp\":{\"severity\":\"low\"}}"
		fi
		src ZADD "events:$id" "$i" "$ev" >/dev/null
	done
	src SADD "agents:$id" alice bob >/dev/null
	for k in session events agents; do src EXPIRE "$k:$id" 7200 >/dev/null; done
}

@test "--from-layout legacy: the TypeScript layout becomes valid layout-3 sessions" {
	ts_session ts1 working full
	ts_session ts2 broken compact
	src HSET session:bad agentIds '["alice"]' state working created 1 updated 1 >/dev/null
	src ZADD events:bad 1 '{"type":"modified","seq":1,"timestamp":1,"actor":"alice"}' 5 '{"type":"modified","seq":5,"timestamp":2,"actor":"alice"}' >/dev/null
	run sk sess-migrate copy --all --from-layout legacy --to "$DST"
	[ "$status" -eq 65 ] || fail "status $status: $output"
	[ "$(echo "$output" | grep -c '"status":"copied"')" -eq 2 ]
	echo "$output" | grep '"bad"' | grep -q contiguous
	REDIS_URL=$DST run sk sessctl get ts2 --events
	assert_success
	echo "$output" | jq -e '.state == "broken" and .seq == 3 and (.agents | length) == 2 and .events[2].impact.severity == "low"'
	[ "$(dst HGET 'sess:{ts1}:meta' created)" = 1767225600000 ]
	pt=$(dst PTTL 'sess:{ts1}:meta')
	[ "$pt" -gt 7000000 ] && [ "$pt" -le 7200000 ] || fail "ttl $pt"
	# the converted session is a working sesskit session: its chain is valid
	REDIS_URL=$DST run sk sessctl emit ts1 --actor alice --type modified
	assert_success
	echo "$output" | jq -e '.seq == 4'
	[ "$(dst LINDEX 'sess:{ts1}:history' 0 | jq -r '.k + "/" + .from')" = upgrade/legacy ]
	run sk sess-migrate verify --all --from-layout legacy --match 'ts*' --to "$DST"
	assert_failure 1   # ts1 got one more event on the target
	echo "$output" | grep '"ts1"' | grep -q different
}

@test "faults: unreachable target 69, wrong password 77, read-only target, bad type, unknown layout" {
	mk 2
	run sk sess-migrate copy --all --to "redis://127.0.0.1:$(dead_port)"
	assert_failure 69
	[ "${#lines[@]}" -ge 1 ]
	run sk sess-migrate copy --all --to "redis://:wrong@127.0.0.1:$DST_PORT"
	assert_failure 77
	src SET 'sess:{bad}:meta' x >/dev/null
	src ZADD sess:#{all}:index 99999999999999 bad >/dev/null
	src HSET 'sess:{old}:meta' v 9 state working >/dev/null
	src ZADD sess:#{all}:index 99999999999999 old >/dev/null
	run -65 sk sess-migrate copy --all --to "$DST" --task f1
	echo "$output" | grep '"bad"' | grep -q bad_type
	echo "$output" | grep '"old"' | grep -q bad_layout
	[ "$(echo "$output" | grep -c '"status":"copied"')" -eq 2 ]
	dst CONFIG SET replica-read-only yes >/dev/null
	dst FLUSHALL >/dev/null
	dst REPLICAOF 127.0.0.1 "$(dead_port)" >/dev/null
	run sk sess-migrate copy --all --to "$DST" --task ro
	dst REPLICAOF NO ONE >/dev/null
	assert_failure 69
	# the fix names the flag that chose the target
	assert_output --partial "is a read-only replica; point --to at the primary"
}

@test "target out of memory mid-copy: stops with 75, resumable; resume after more memory" {
	mk 1
	sk sess-migrate export --all >"$BATS_TEST_TMPDIR/one"
	python3 -c 'import json,sys
s=json.loads(open(sys.argv[1]).readline())
for i in range(2000):
    s["id"]="o%d"%i; print(json.dumps(s))' "$BATS_TEST_TMPDIR/one" >"$BATS_TEST_TMPDIR/many"
	sk sess-migrate import "$BATS_TEST_TMPDIR/many" --to "$REDIS_URL" >/dev/null
	used=$(dst INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | tr -d '\r')
	dst CONFIG SET maxmemory $((used + 1500000)) >/dev/null
	run sk sess-migrate copy --all --to "$DST" --task oom
	dst CONFIG SET maxmemory 0 >/dev/null
	assert_failure 75
	echo "$output" | grep -q "resume oom"
	run sk sess-migrate resume oom --to "$DST"
	assert_success
	run sk sess-migrate verify --all --to "$DST"
	assert_success
}

@test "help, usage errors and every command's --help" {
	run sk sess-migrate --help
	assert_success
	for c in copy resume status tasks rollback verify export import; do
		run sk sess-migrate "$c" --help
		assert_success
	done
	run sk sess-migrate copy --all
	assert_failure 64
	run sk sess-migrate copy --to "$DST"
	assert_failure 64
	run sk sess-migrate status nosuch --to "$DST"
	assert_failure 1
}

@test "a side with layout-2 data: refused (78) naming sessctl upgrade, nothing written; after the upgrade the copy runs" {
	mk 2
	src SET sess:layout 2 >/dev/null
	run -78 sk sess-migrate copy --all --to "$DST"
	assert_output --partial "--from"
	assert_output --partial "sessctl upgrade"
	assert_equal "$(dst DBSIZE)" 0
	src SET sess:layout 3 >/dev/null
	dst SET sess:layout 2 >/dev/null
	run -78 sk sess-migrate copy --all --to "$DST"
	assert_output --partial "--to"
	assert_equal "$(dst DBSIZE)" 1
	dst SET sess:layout 3 >/dev/null
	run -0 sk sess-migrate copy --all --to "$DST"
	assert_equal "$(dst ZCARD 'sess:#{all}:index')" 2
}

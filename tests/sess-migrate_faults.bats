#!/usr/bin/env bats
# sess-migrate: what the adversarial report of issue 17 found. Every
# printed result line is the truth about what was stored; partial results
# are never success; nothing unverified is written as verified.

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

# the summary line of $output, by its structure
summary() { printf '%s\n' "$output" | jq -c 'select(.summary)'; }

@test "export: a session that cannot be read is a failure: named in the summary, exit non-zero (S9)" {
	mk 3
	src DEL 'sess:{s2}:events' >/dev/null
	src SET 'sess:{s2}:events' notalist >/dev/null
	run sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/f.jsonl"
	assert_failure 65
	summary | jq -e '.exported == 2 and .failed == 1' || fail "$output"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/f.jsonl")" = 2 ] || fail "lines"
	# to stdout: the data stays data, the failure and summary go to stderr
	run --separate-stderr sk sess-migrate export --all
	assert_failure 65
	[ "$(printf '%s\n' "$output" | jq -r .id | sort | tr '\n' ' ')" = "s1 s3 " ] || fail "stdout: $output"
	printf '%s\n' "$stderr" | grep -v '^sess-migrate:' | jq -e 'select(.summary) | .failed == 1' || fail "stderr: $stderr"
}

@test "export verifies each session's hash chain: a tampered session is a failed line, not backed up, exit 65" {
	mk 3
	ev=$(src LINDEX 'sess:{s2}:events' 0)
	src LSET 'sess:{s2}:events' 0 "${ev/modified/deleted}" >/dev/null
	run sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/f.jsonl"
	assert_failure 65
	summary | jq -e '.exported == 2 and .failed == 1' || fail "$output"
	printf '%s\n' "$output" | grep -v '^sess-migrate:' | jq -se 'any(.[]; .id == "s2" and .status == "failed" and (.error.code | test("chain")))' || fail "$output"
	[ "$(jq -r .id "$BATS_TEST_TMPDIR/f.jsonl" | sort | tr '\n' ' ')" = "s1 s3 " ] || fail "file: $(cat "$BATS_TEST_TMPDIR/f.jsonl")"
	printf '%s\n' "$output" | grep -v '^sess-migrate:' | jq -se 'all(.[]; .error.message == null or (.error.message | test("backup")))' || fail "advice: $output"
}

@test "export: a user who may not read (no MULTI) exports nothing and says so, exit 77 (S9)" {
	mk 2
	src ACL SETUSER nomulti on '>pw' '~*' '+@all' '-multi' >/dev/null
	run sk sess-migrate export --all --from "redis://nomulti:pw@$(echo "$REDIS_URL" | sed 's|^redis://||')" -o "$BATS_TEST_TMPDIR/f.jsonl"
	src ACL DELUSER nomulti >/dev/null
	assert_failure 77
	[ ! -e "$BATS_TEST_TMPDIR/f.jsonl" ] || fail "a file of nothing was written"
}

@test "export -o FILE on a full disk: the old file is kept, no temp file left, exit 66" {
	mk 1
	clone 200
	echo OLD >"$BATS_TEST_TMPDIR/backup.jsonl"
	mkdir -p "$BATS_TEST_TMPDIR/d"
	echo OLD >"$BATS_TEST_TMPDIR/d/backup.jsonl"
	# a file size limit: writes past 16 KiB fail (EFBIG) as on a full disk
	run bash -c "trap '' XFSZ; ulimit -f 16; exec '$SESSKIT_BUILDDIR/sess-migrate' export --all -o '$BATS_TEST_TMPDIR/d/backup.jsonl'"
	assert_failure 66
	[ "$(cat "$BATS_TEST_TMPDIR/d/backup.jsonl")" = OLD ] || fail "the old backup was overwritten"
	[ "$(ls -A "$BATS_TEST_TMPDIR/d")" = backup.jsonl ] || fail "left: $(ls -A "$BATS_TEST_TMPDIR/d")"
	assert_output --partial "backup.jsonl"
	# and with room, the new file replaces the old one whole
	run sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/d/backup.jsonl"
	assert_success
	[ "$(wc -l <"$BATS_TEST_TMPDIR/d/backup.jsonl")" = 201 ] || fail "lines"
	[ "$(ls -A "$BATS_TEST_TMPDIR/d")" = backup.jsonl ] || fail "left: $(ls -A "$BATS_TEST_TMPDIR/d")"
}

# calls of CMD on SRC since the last CONFIG RESETSTAT (0 when none)
calls() {
	src INFO commandstats | tr -d '\r' | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p" | grep . || echo 0
}

@test "copy reads every source session once (one MULTI each), the counts add up" {
	mk 1
	clone 300
	src CONFIG RESETSTAT >/dev/null
	run sk sess-migrate copy --all --to "$DST" --batch 40 --task once
	assert_success
	[ "$(calls multi)" = 301 ] || fail "the source was read $(calls multi) times for 301 sessions"
	summary | jq -e '.copied == 301 and .alreadyDone == 0 and .expired == 0' || fail "$(summary)"
	[ "$(printf '%s\n' "$output" | jq -r 'select(.status) | .id' | sort | uniq -d | wc -l)" = 0 ] || fail "a session reported twice"
	# resumed when done: nothing read again, each counted once
	src CONFIG RESETSTAT >/dev/null
	run sk sess-migrate resume once --to "$DST" --batch 40
	assert_success
	[ "$(calls multi)" = 0 ] || fail "resume read $(calls multi) sessions again"
	summary | jq -e '.copied == 0 and .alreadyDone == 301' || fail "$(summary)"
	# a dry run too
	src CONFIG RESETSTAT >/dev/null
	run sk sess-migrate copy --all --to "$DST" --batch 40 --dry-run
	assert_success
	[ "$(calls multi)" = 301 ] || fail "dry run: $(calls multi) reads"
}

@test "killed between a batch's puts and its index upkeep, resume: every session indexed and counted (S6)" {
	mk 1 s fixed
	clone 300
	# exits hard once 150 sessions were put, before their batch's upkeep
	SESSKIT_FAULT_EXIT_AFTER_PUTS=150 run sk sess-migrate copy --all --to "$DST" --task s6 --batch 40
	assert_failure 137
	marks=$(dst HLEN sess:migrate:s6:done)
	[ "$marks" -ge 150 ] && [ "$(dst ZCARD sess:#{all}:index)" -lt "$marks" ] || fail "the fault did not hit between put and upkeep"
	src CONFIG RESETSTAT >/dev/null
	run sk sess-migrate resume s6 --to "$DST" --batch 40
	assert_success
	summary | jq -e '.copied + .alreadyDone == 301' || fail "$(summary)"
	done=$(summary | jq .alreadyDone)
	[ "$(calls multi)" = $((301 - done)) ] || fail "resume read $(calls multi) sessions for $((301 - done)) to copy"
	[ "$(dst ZCARD sess:#{all}:index)" = 301 ] || fail "index: $(dst ZCARD sess:#{all}:index) of 301"
	[ "$(dst ZCARD sess:#{all}:agent:bob)" = 301 ] || fail "agent index: $(dst ZCARD sess:#{all}:agent:bob)"
	[ "$(dst HGET sess:#{all}:stats sessions)" = 301 ] && [ "$(dst HGET sess:#{all}:stats events)" = 903 ] || fail "counters: $(dst HGETALL sess:#{all}:stats)"
	[ "$(dst HGET sess:#{all}:stats type:fixed)" = 602 ] && [ "$(dst HGET sess:#{all}:stats type:modified)" = 301 ] || fail "type counters: $(dst HGETALL sess:#{all}:stats)"
	[ "$(dst SCARD sess:migrate:s6:upkeep)" = 0 ] || fail "upkeep still pending"
	REDIS_URL=$DST run sk sessctl list --limit 1000
	assert_success
	[ "$(printf '%s\n' "$output" | jq -r .id | sort -u | wc -l)" = 301 ] || fail "sessctl list"
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
}

# Every session key on DST (sess:{ID}:SUFFIX, staged ones too) with its
# bytes and absolute expiry: what a rollback must give back exactly.
session_keys() {
	local k
	dst --scan --pattern 'sess:{*' | sort | while read -r k; do
		printf '%s %s %s\n' "$k" "$(dst PEXPIRETIME "$k")" "$(dst --no-raw DUMP "$k" | sha1sum | cut -c1-40)"
	done
}

@test "killed inside a batch's put, resume: the batch is whole or absent, nothing staged is left, marks and counters exact" {
	mk 1 s fixed
	clone 120
	# exits once the 75th session is staged: inside the second batch's
	# MULTI, which the server drops with the connection
	SESSKIT_FAULT_EXIT_MID_PUT=75 run sk sess-migrate copy --all --to "$DST" --task mb --batch 50
	assert_failure 137
	[ "$(dst --scan --pattern 'sess:{*}:meta' | wc -l)" = 50 ] || fail "not the first batch alone: $(dst --scan --pattern 'sess:{*}:meta' | wc -l) sessions"
	[ "$(dst HGET sess:migrate:mb:done '#c')" = 50 ] && [ "$(dst HLEN sess:migrate:mb:done)" = 51 ] || fail "marks: $(dst HGET sess:migrate:mb:done '#c') of $(dst HLEN sess:migrate:mb:done)"
	[ "$(dst SCARD sess:migrate:mb:upkeep)" = 50 ] || fail "upkeep set: $(dst SCARD sess:migrate:mb:upkeep)"
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left: $(dst --scan --pattern '*arriving*' | head -3)"
	run sk sess-migrate resume mb --to "$DST" --batch 50
	assert_success
	summary | jq -e '.copied == 71 and .alreadyDone == 50 and .upkeepCompleted == 50 and .failed == 0' || fail "$(summary)"
	[ "$(dst HGET sess:migrate:mb:done '#c')" = 121 ] && [ "$(dst HLEN sess:migrate:mb:done)" = 122 ] || fail "marks after resume"
	[ "$(dst SCARD sess:migrate:mb:upkeep)" = 0 ] || fail "upkeep still pending"
	[ "$(dst ZCARD sess:#{all}:index)" = 121 ] && [ "$(dst ZCARD sess:#{all}:agent:bob)" = 121 ] || fail "index: $(dst ZCARD sess:#{all}:index)"
	[ "$(dst HGET sess:#{all}:stats sessions)" = 121 ] && [ "$(dst HGET sess:#{all}:stats events)" = 363 ] || fail "counters: $(dst HGETALL sess:#{all}:stats)"
	[ "$(dst HGET sess:#{all}:stats type:fixed)" = 242 ] && [ "$(dst HGET sess:#{all}:stats type:modified)" = 121 ] || fail "type counters: $(dst HGETALL sess:#{all}:stats)"
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left after resume"
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_success
}

@test "rollback after a batched copy that replaced some sessions and created others: every session key on the target exactly as before" {
	mk 1 s fixed
	clone 40
	# the target has 12 of the ids (its own sessions, other contents and
	# expiries, one of them in each batch of 7 or so) and one of its own
	for id in m0 m3 m6 m9 m12 m15 m18 m21 m24 m27 m30 m33 other; do
		REDIS_URL=$DST sk sessctl create --agent zed --id "$id" --ttl 7200 >/dev/null
		REDIS_URL=$DST sk sessctl emit "$id" --actor zed --type tested >/dev/null
	done
	before=$(session_keys)
	[ "$(printf '%s\n' "$before" | wc -l)" -ge 39 ] || fail "setup: $before"
	run sk sess-migrate copy --all --to "$DST" --conflict replace --task rb --batch 7
	assert_success
	summary | jq -e '.copied == 29 and .replaced == 12' || fail "$(summary)"
	[ "$(session_keys)" != "$before" ] || fail "the copy changed nothing"
	run sk sess-migrate rollback rb --to "$DST" --batch 7
	assert_success
	printf '%s\n' "$output" | tail -n 1 | jq -e '.removed == 29 and .restored == 12' || fail "$(printf '%s\n' "$output" | tail -n 1)"
	diff <(printf '%s\n' "$before") <(session_keys) || fail "the target's session keys differ from before the copy"
	[ "$(dst ZCARD sess:#{all}:index)" = 13 ] || fail "index: $(dst ZRANGE sess:#{all}:index 0 -1)"
}

@test "rollback of a backup whose keys' expiries are fields ID:x1..x5 (as some builds wrote them): each key gets its own back" {
	mk 3
	# the target's own s1..s3, each key with its own expiry, none the meta's
	for id in s1 s2 s3; do
		REDIS_URL=$DST sk sessctl create --agent zed --id "$id" --ttl 7200 >/dev/null
		REDIS_URL=$DST sk sessctl emit "$id" --actor zed --type tested >/dev/null
		dst PEXPIRE "sess:{$id}:events" 9000000 >/dev/null
		dst PEXPIRE "sess:{$id}:history" 8000000 >/dev/null
	done
	before=$(session_keys)
	run sk sess-migrate copy --all --to "$DST" --conflict replace --task ox
	assert_success
	summary | jq -e '.replaced == 3' || fail "$(summary)"
	# the backup as such a build left it: ID:xN, no ID:tN
	for id in s1 s2 s3; do
		for n in 1 2 3 4 5; do
			v=$(dst HGET sess:migrate:ox:backup "$id:t$n")
			[ -z "$v" ] || dst HSET sess:migrate:ox:backup "$id:x$n" "$v" >/dev/null
			dst HDEL sess:migrate:ox:backup "$id:t$n" >/dev/null
		done
	done
	[ "$(dst HGET sess:migrate:ox:backup s1:x2)" -gt 0 ] || fail "no ID:x2 in the backup: $(dst HKEYS sess:migrate:ox:backup)"
	run sk sess-migrate rollback ox --to "$DST"
	assert_success
	printf '%s\n' "$output" | tail -n 1 | jq -e '.restored == 3' || fail "$(printf '%s\n' "$output" | tail -n 1)"
	diff <(printf '%s\n' "$before") <(session_keys) || fail "the target's session keys differ from before the copy"
}

@test "verify notices a session on the target that the target's index lacks (S6)" {
	mk 3
	run sk sess-migrate copy --all --to "$DST"
	assert_success
	dst ZREM sess:#{all}:index s2 >/dev/null
	run sk sess-migrate verify --all --deep --to "$DST"
	assert_failure 1
	printf '%s\n' "$output" | jq -se 'any(.[]; .id == "s2" and .status == "different" and any(.what[]?; . == "index"))' || fail "$output"
	run sk sess-migrate verify --all --to "$DST"
	assert_failure 1
}

@test "copy and import carry the type:* counters (events per type)" {
	mk 2 s fixed
	sk sessctl create --agent zed --id e0 >/dev/null
	run sk sess-migrate copy --all --to "$DST"
	assert_success
	[ "$(dst HGET sess:#{all}:stats type:fixed)" = 4 ] && [ "$(dst HGET sess:#{all}:stats type:modified)" = 2 ] || fail "copy: $(dst HGETALL sess:#{all}:stats)"
	dst FLUSHALL >/dev/null
	run sk sess-migrate copy --all --to "$DST" --method structural
	assert_success
	[ "$(dst HGET sess:#{all}:stats type:fixed)" = 4 ] && [ "$(dst HGET sess:#{all}:stats type:modified)" = 2 ] || fail "structural: $(dst HGETALL sess:#{all}:stats)"
	dst FLUSHALL >/dev/null
	sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/f.jsonl" >/dev/null
	run sk sess-migrate import "$BATS_TEST_TMPDIR/f.jsonl" --to "$DST"
	assert_success
	[ "$(dst HGET sess:#{all}:stats type:fixed)" = 4 ] && [ "$(dst HGET sess:#{all}:stats type:modified)" = 2 ] || fail "import: $(dst HGETALL sess:#{all}:stats)"
	# and sess-validate finds no counter drift on the target
	REDIS_URL=$DST run sk sess-validate sessions --all
	assert_success
}

@test "rollback keeps a session changed on the target since the copy, and says so" {
	mk 3
	REDIS_URL=$DST sk sessctl create --agent zed --id s3 >/dev/null
	run sk sess-migrate copy --all --to "$DST" --task rb2 --conflict replace
	assert_success
	# written on the target after the copy: an event in s2, a join in s3
	printf '{"op":"emit","id":"s2","actor":"bob","type":"late"}\n' | REDIS_URL=$DST sk sessctl batch >/dev/null
	REDIS_URL=$DST sk sessctl join s3 carol >/dev/null
	h2=$(dst HGET 'sess:{s2}:meta' h)
	run --separate-stderr sk sess-migrate rollback rb2 --to "$DST"
	assert_failure 1
	summary | jq -e '.removed == 1 and .kept == 2 and .restored == 0' || fail "$(summary)"
	printf '%s\n' "$output" | jq -se 'any(.[]; .id == "s2" and .status == "kept")' || fail "$output"
	printf '%s\n' "$output" | jq -se 'any(.[]; .id == "s3" and .status == "kept")' || fail "$output"
	[ "$(dst HGET 'sess:{s2}:meta' h)" = "$h2" ] || fail "s2 was touched"
	[ "$(dst ZSCORE sess:#{all}:index s2)" != "" ] || fail "s2's index entry went"
	[ "$(dst HGET 'sess:{s3}:meta' agent:carol)" != "" ] || fail "s3 was restored over the change"
	[ "$(dst EXISTS 'sess:{s1}:meta')" = 0 ] || fail "s1 not removed"
	REDIS_URL=$DST run sk sessctl events s2
	assert_success
	assert_output --partial late
	[ "$(dst HGET sess:migrate:rb2 status)" = rolled-back-partly ] || fail "status"
	# run again: the same answer, nothing more undone
	run --separate-stderr sk sess-migrate rollback rb2 --to "$DST"
	assert_failure 1
	summary | jq -e '.removed == 0 and .kept == 2' || fail "$(summary)"
	[ "$(dst HGET 'sess:{s2}:meta' h)" = "$h2" ] || fail "s2 was touched"
}

@test "rollback: a kept session deleted on the target since is gone, not removed: not counted deleted again" {
	mk 3
	REDIS_URL=$DST sk sessctl create --agent zed --id s3 >/dev/null
	run sk sess-migrate copy --all --to "$DST" --task rbg --conflict replace
	assert_success
	# s1 (created by the task) and s3 (replaced by it) changed on the target
	printf '{"op":"emit","id":"s1","actor":"bob","type":"late"}\n{"op":"emit","id":"s3","actor":"bob","type":"late"}\n' |
		REDIS_URL=$DST sk sessctl batch >/dev/null
	run --separate-stderr sk sess-migrate rollback rbg --to "$DST"
	assert_failure 1
	summary | jq -e '.removed == 1 and .kept == 2' || fail "$(summary)"
	# the user deals with them as the kept lines say: deletes them
	REDIS_URL=$DST sk sessctl delete s1 >/dev/null
	REDIS_URL=$DST sk sessctl delete s3 >/dev/null
	del=$(dst HGET sess:#{all}:stats deleted)
	run --separate-stderr sk sess-migrate rollback rbg --to "$DST"
	assert_success
	summary | jq -e '.removed == 0 and .restored == 0 and .kept == 0 and .gone == 2' || fail "$(summary)"
	printf '%s\n' "$output" | jq -se '[.[] | select(.status == "gone") | .id] | sort == ["s1", "s3"]' || fail "$output"
	[ "$(dst HGET sess:#{all}:stats deleted)" = "$del" ] || fail "deleted counted again: $del -> $(dst HGET sess:#{all}:stats deleted)"
	[ "$(dst EXISTS 'sess:{s3}:meta')" = 0 ] || fail "s3 was restored over the user's delete"
	[ "$(dst EXISTS sess:migrate:rbg:backup)" = 0 ] || fail "backup left: $(dst HKEYS sess:migrate:rbg:backup)"
	[ "$(dst HGET sess:migrate:rbg status)" = rolled-back ] || fail "status"
}

@test "rollback: sessions the task skipped are counted skipped, not kept: exit 0, status rolled-back" {
	mk 3
	REDIS_URL=$DST sk sessctl create --agent zed --id s3 >/dev/null
	run sk sess-migrate copy --all --to "$DST" --task rbs --conflict skip
	assert_success
	summary | jq -e '.copied == 2 and .skipped == 1' || fail "$(summary)"
	run --separate-stderr sk sess-migrate rollback rbs --to "$DST"
	assert_success
	summary | jq -e '.removed == 2 and .kept == 0 and .skipped == 1' || fail "$(summary)"
	[ "$(dst HGET 'sess:{s3}:meta' creator)" = zed ] || fail "s3 was touched: $(dst HGETALL 'sess:{s3}:meta')"
	[ "$(dst HGET sess:migrate:rbs status)" = rolled-back ] || fail "status"
}

@test "import: a duplicate id is an error record for its line, even the newer one under --conflict newer" {
	mk 2
	sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/f.jsonl" >/dev/null
	printf '{"op":"emit","id":"s1","actor":"bob","type":"late"}\n' | sk sessctl batch >/dev/null
	sk sess-migrate export --match s1 >"$BATS_TEST_TMPDIR/newer" 2>/dev/null
	cat "$BATS_TEST_TMPDIR/newer" >>"$BATS_TEST_TMPDIR/f.jsonl"
	run --separate-stderr sk sess-migrate import "$BATS_TEST_TMPDIR/f.jsonl" --to "$DST" --conflict newer
	assert_failure 65
	printf '%s\n' "$output" | jq -se 'any(.[]; .ok == false and .line == 3 and .id == "s1" and .error.code == "duplicate")' || fail "$output"
	summary | jq -e '.copied == 2 and .failed == 1' || fail "$(summary)"
}

@test "import verifies each session's hash chain and refuses one that fails" {
	mk 3
	sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/f.jsonl" >/dev/null
	# s2: an event's text changed (its type), the chain no longer holds
	python3 - "$BATS_TEST_TMPDIR/f.jsonl" >"$BATS_TEST_TMPDIR/bad.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    s = json.loads(line)
    if s["id"] == "s2":
        s["events"][0] = s["events"][0].replace('"modified"', '"deleted"')
    print(json.dumps(s))
PY
	run --separate-stderr sk sess-migrate import "$BATS_TEST_TMPDIR/bad.jsonl" --to "$DST"
	assert_failure 65
	printf '%s\n' "$output" | jq -se 'any(.[]; .ok == false and .id == "s2" and (.error.code | test("chain")))' || fail "$output"
	[ "$(dst EXISTS 'sess:{s2}:meta')" = 0 ] || fail "s2 was written"
	summary | jq -e '.copied == 2 and .failed == 1' || fail "$(summary)"
	# the meta's derived fields must be what the history says: a state
	# edited in the line (not in the chain) is refused
	python3 - "$BATS_TEST_TMPDIR/f.jsonl" >"$BATS_TEST_TMPDIR/state.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    s = json.loads(line)
    s["id"] = "m" + s["id"]
    if s["id"] == "ms1":
        s["meta"]["state"] = "completed"
    print(json.dumps(s))
PY
	run --separate-stderr sk sess-migrate import "$BATS_TEST_TMPDIR/state.jsonl" --to "$DST"
	assert_failure 65
	printf '%s\n' "$output" | jq -se 'any(.[]; .ok == false and .id == "ms1" and .error.code == "state_mismatch")' || fail "$output"
	[ "$(dst EXISTS 'sess:{ms1}:meta')" = 0 ] || fail "ms1 was written"
	# a meta without a chain head cannot be verified: refused too
	python3 - "$BATS_TEST_TMPDIR/f.jsonl" >"$BATS_TEST_TMPDIR/noh.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    s = json.loads(line)
    s["id"] = "n" + s["id"]
    if s["id"] == "ns3":
        del s["meta"]["h"]
    print(json.dumps(s))
PY
	run --separate-stderr sk sess-migrate import "$BATS_TEST_TMPDIR/noh.jsonl" --to "$DST"
	assert_failure 65
	printf '%s\n' "$output" | jq -se 'any(.[]; .ok == false and .id == "ns3" and .error.code == "no_chain")' || fail "$output"
	# a trimmed log with checkpoints verifies too
	dst FLUSHALL >/dev/null
	for i in $(seq 1 12); do printf '{"op":"emit","id":"s1","actor":"bob","type":"more"}\n'; done | sk sessctl batch >/dev/null
	echo '{"maxEventsPerSession": 5}' >"$BATS_TEST_TMPDIR/t.json"
	sk sessctl --config "$BATS_TEST_TMPDIR/t.json" maintenance >/dev/null
	[ "$(src HGET 'sess:{s1}:meta' base)" -gt 0 ] || fail "not trimmed"
	sk sess-migrate export --match s1 -o "$BATS_TEST_TMPDIR/t.jsonl" >/dev/null
	run sk sess-migrate import "$BATS_TEST_TMPDIR/t.jsonl" --to "$DST"
	assert_success
	run sk sess-migrate verify --match s1 --deep --to "$DST"
	assert_success
}

@test "import: a line without expiry gets the session's ttl from now, never an immortal session" {
	mk 1
	sk sess-migrate export --all >"$BATS_TEST_TMPDIR/f.jsonl" 2>/dev/null
	python3 - "$BATS_TEST_TMPDIR/f.jsonl" >"$BATS_TEST_TMPDIR/noexp.jsonl" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).readline())
del s["expireAt"]; del s["pttl"]
print(json.dumps(s))
PY
	run sk sess-migrate import "$BATS_TEST_TMPDIR/noexp.jsonl" --to "$DST"
	assert_success
	ttl=$(src HGET 'sess:{s1}:meta' ttl)
	for k in meta events history; do
		t=$(dst PTTL "sess:{s1}:$k")
		[ "$t" -gt 0 ] && [ "$t" -le $((ttl * 1000)) ] && [ "$t" -gt $((ttl * 1000 - 60000)) ] || fail "$k: pttl $t (ttl ${ttl}s)"
	done
}

@test "a session expired before the copy reads it is reported once, as expired" {
	mk 3
	src PEXPIRE 'sess:{s2}:meta' 1 >/dev/null
	sleep 0.05
	run sk sess-migrate copy --all --to "$DST"
	assert_success
	[ "$(printf '%s\n' "$output" | jq -r 'select(.id == "s2") | .status' | tr '\n' ' ')" = "expired " ] || fail "$output"
	summary | jq -e '.copied == 2 and .expired == 1' || fail "$(summary)"
}

@test "copy --ids: an id listed twice is an error record for its line, copied once, never counted as already done" {
	mk 2
	printf 's1\ns2\n{"id":"s1"}\n' >"$BATS_TEST_TMPDIR/ids"
	run sk sess-migrate copy --ids "$BATS_TEST_TMPDIR/ids" --to "$DST" --task dup
	assert_failure 65
	printf '%s\n' "$output" | jq -se 'any(.[]; .ok == false and .line == 3 and .error.code == "duplicate")' || fail "$output"
	summary | jq -e '.copied == 2 and .alreadyDone == 0' || fail "$(summary)"
}

# fake_target SOCK ERROR: a stand-in target on a unix socket that answers
# like a Redis until a transaction's EXEC, which it refuses with ERROR
# (what a real server says when a transaction is refused at EXEC time:
# memory crossed maxmemory while it was queued, a replica, ...). Real
# servers do that only by timing; this one does it every time.
fake_target() {
	python3 - "$1" "$2" <<'PY' &
import os, socket, sys
path, err = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX); srv.bind(path); srv.listen(4)
def commands(buf):
    out = []
    while buf.startswith(b"*"):
        try:
            n, rest = buf[1:].split(b"\r\n", 1); args = []
            for _ in range(int(n)):
                ln, rest = rest[1:].split(b"\r\n", 1); ln = int(ln)
                if len(rest) < ln + 2: raise ValueError
                args.append(rest[:ln]); rest = rest[ln + 2:]
        except ValueError:
            break
        out.append(args); buf = rest
    return out, buf
while True:
    c, _ = srv.accept(); buf = b""; multi = False
    while True:
        d = c.recv(65536)
        if not d: break
        cmds, buf = commands(buf + d); rep = b""
        for a in cmds:
            name = a[0].upper()
            if multi and name != b"EXEC": rep += b"+QUEUED\r\n"
            elif name == b"MULTI": multi = True; rep += b"+OK\r\n"
            elif name == b"EXEC": multi = False; rep += b"-" + err.encode() + b"\r\n"
            elif name == b"INFO": v = b"redis_version:7.0.15\r\n"; rep += b"$%d\r\n%s\r\n" % (len(v), v)
            elif name in (b"ZADD", b"HSET", b"DEL"): rep += b":1\r\n"
            else: rep += b"+OK\r\n"
        c.sendall(rep)
    c.close()
PY
	FAKE=$!
	for i in $(seq 1 50); do [ -S "$1" ] && break; sleep 0.05; done
}

@test "a transaction refused at EXEC (EXECABORT ... because of: OOM / NOPERM) exits by its cause: 75 / 77, resumable" {
	mk 3
	fake_target "$BATS_TEST_TMPDIR/oom.sock" "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'."
	run sk sess-migrate copy --all --to "unix://$BATS_TEST_TMPDIR/oom.sock" --task ex
	kill "$FAKE"
	assert_failure 75
	assert_output --partial "out of memory"
	assert_output --partial "resume ex"
	fake_target "$BATS_TEST_TMPDIR/perm.sock" "EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run the 'evalsha' command"
	run sk sess-migrate copy --all --to "unix://$BATS_TEST_TMPDIR/perm.sock" --task ex
	kill "$FAKE"
	assert_failure 77
	assert_output --partial "may not run evalsha"
}

@test "rollback with a --batch larger than a run of undos: every mark undone, none skipped" {
	# an HSCAN page of --batch 5000 holds far more marks than one run of
	# undos (1000): the rest of the page used to be skipped, the task
	# reported rolled back with sessions still on the target
	mk 1
	clone 1500
	run -0 sk sess-migrate copy --all --to "$DST" --task big --batch 2000
	[ "$(dst ZCARD sess:#{all}:index)" -ge 1500 ] || fail "copy: $(dst ZCARD sess:#{all}:index)"
	run -0 sk sess-migrate rollback big --to "$DST" --batch 5000
	summary | jq -e '.removed == 1501' >/dev/null || fail "$(summary)"
	assert_equal "$(dst ZCARD sess:#{all}:index)" 0
	assert_equal "$(dst --scan --pattern 'sess:{*}:meta' | wc -l)" 0
}

@test "each side's password is its own: the source's is never sent to the target" {
	redis_start_named PWSRC --requirepass srcpw
	redis_start_named PWDST --requirepass dstpw
	local from="redis://127.0.0.1:$PWSRC_PORT"
	REDIS_PASSWORD=srcpw run -0 sk sessctl --url "$from" create --agent a --id p1
	# a target without a password: the source's REDIS_PASSWORD used to be
	# sent to it too (77, "has no password set")
	REDIS_PASSWORD=srcpw run -0 sk sess-migrate copy --all --url "$from" --to "$DST"
	assert_equal "$(dst EXISTS 'sess:{p1}:meta')" 1
	# a target with its own password: REDIS_TO_PASSWORD, not the source's
	REDIS_PASSWORD=srcpw run -77 sk sess-migrate copy --all --url "$from" --to "redis://127.0.0.1:$PWDST_PORT"
	REDIS_PASSWORD=srcpw REDIS_TO_PASSWORD=dstpw run -0 sk sess-migrate copy --all --url "$from" --to "redis://127.0.0.1:$PWDST_PORT"
	assert_equal "$(redis-cli -s "$PWDST_SOCK" -a dstpw --no-auth-warning EXISTS 'sess:{p1}:meta')" 1
	redis_stop_named PWSRC PWDST
}

@test "import: a checkpoint that names a key twice, or is no JSON, is refused as corrupt_record (65), nothing written" {
	mk 1
	sk sessctl checkpoint s1 >/dev/null
	sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/f.jsonl" >/dev/null
	for bad in twice garbage; do
		python3 - "$BATS_TEST_TMPDIR/f.jsonl" "$bad" >"$BATS_TEST_TMPDIR/$bad.jsonl" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).readline())
s["id"] = "c" + sys.argv[2]
cp = s["checkpoints"]["1"]
s["checkpoints"]["1"] = cp[:-1] + ',"state":"completed"}' if sys.argv[2] == "twice" else "{garbage"
print(json.dumps(s))
PY
		run --separate-stderr sk sess-migrate import "$BATS_TEST_TMPDIR/$bad.jsonl" --to "$DST"
		assert_failure 65
		printf '%s\n' "$output" | jq -se "any(.[]; .ok == false and .id == \"c$bad\" and .error.code == \"corrupt_record\")" || fail "$bad: $output"
		[ "$(dst EXISTS "sess:{c$bad}:meta")" = 0 ] || fail "c$bad was written"
	done
}

@test "import: an event part emit refuses (\"c\":{}, a confidence of 9) is refused (65), nothing written, even with the chain made again" {
	mk 1
	sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/f.jsonl" >/dev/null
	for bad in c st; do
		python3 - "$BATS_TEST_TMPDIR/f.jsonl" "$bad" >"$BATS_TEST_TMPDIR/$bad.jsonl" <<'PY'
import hashlib, json, sys
s = json.loads(open(sys.argv[1]).readline())
s["id"] = "e" + sys.argv[2]
ev = s["events"][0]
assert ev.endswith("}")
s["events"][0] = ev[:-1] + (',"c":{}}' if sys.argv[2] == "c" else ',"st":{"from":"working","to":"working","confidence":9}}')
# the chain head made again, as an attacker who knows the layout would
recs = [((json.loads(e)["s"], 0, i), e) for i, e in enumerate(s["events"])]
recs += [((json.loads(h)["at"], 1, i), h) for i, h in enumerate(s["history"])]
h = ""
for _, r in sorted(recs, key=lambda x: x[0]):
    h = hashlib.sha1((h + r).encode()).hexdigest()
s["meta"]["h"] = h
print(json.dumps(s))
PY
		run --separate-stderr sk sess-migrate import "$BATS_TEST_TMPDIR/$bad.jsonl" --to "$DST"
		assert_failure 65
		printf '%s\n' "$output" | jq -se "any(.[]; .ok == false and .id == \"e$bad\" and .error.code == \"bad_event\")" || fail "$bad: $output"
		[ "$(dst EXISTS "sess:{e$bad}:meta")" = 0 ] || fail "e$bad was written"
	done
	# the file unedited imports (the check takes what emit stores)
	run sk sess-migrate import "$BATS_TEST_TMPDIR/f.jsonl" --to "$DST"
	assert_success
}

@test "import: a record's \"at\" is its top-level member, not one nested before it (a join with \"m\":{\"at\":5}): imported, verified alike" {
	mk 1
	sk sess-migrate export --all -o "$BATS_TEST_TMPDIR/f.jsonl" >/dev/null
	python3 - "$BATS_TEST_TMPDIR/f.jsonl" >"$BATS_TEST_TMPDIR/nested.jsonl" <<'PY'
import hashlib, json, sys
s = json.loads(open(sys.argv[1]).readline())
s["id"] = "nat"
j = [i for i, h in enumerate(s["history"]) if json.loads(h)["k"] == "join"]
assert len(j) == 1 and json.loads(s["history"][j[0]])["at"] == 0
# the record reader takes members it does not use: a nested "at" first
s["history"][j[0]] = s["history"][j[0]].replace('{"k":"join",', '{"k":"join","m":{"at":5},', 1)
assert json.loads(s["history"][j[0]])["at"] == 0
# the chain made again (records by their top-level "at")
recs = [((json.loads(e)["s"], 0, i), e) for i, e in enumerate(s["events"])]
recs += [((json.loads(h)["at"], 1, i), h) for i, h in enumerate(s["history"])]
h = ""
for _, r in sorted(recs, key=lambda x: x[0]):
    h = hashlib.sha1((h + r).encode()).hexdigest()
s["meta"]["h"] = h
print(json.dumps(s))
PY
	# (a text search for "at": took 5: the join folded after seq 3, seq_gap)
	run --separate-stderr sk sess-migrate import "$BATS_TEST_TMPDIR/nested.jsonl" --to "$DST"
	assert_success
	printf '%s\n' "$output" | jq -se 'any(.[]; .id == "nat" and .status == "copied")' || fail "$output"
	[ "$(dst HGET 'sess:{nat}:meta' agents)" = 2 ] || fail "agents: $(dst HGETALL 'sess:{nat}:meta')"
	# the tools that verify a stored session agree: it holds
	REDIS_URL=$DST run sk sess-replay verify nat
	assert_success
	REDIS_URL=$DST run sk sess-validate sessions --all
	assert_success
}

@test "copy --conflict replace as the user sess-validate acl gives a target: replaced with its backup; without +rename: 77, nothing written or staged" {
	mk 2
	line=$(sk sess-validate acl sess-migrate target | jq -r .setuser)
	[[ $line == "ACL SETUSER USER "* ]] || fail "not a setuser line: $line"
	dst ACL SETUSER mtgt on '>pw' ${line#ACL SETUSER USER } >/dev/null
	url="redis://mtgt:pw@${DST#redis://}"
	dst HSET 'sess:{s1}:meta' v 3 updated 1 keep me >/dev/null
	run -0 sk sess-migrate copy --all --to "$url" --task acl1 --conflict replace
	[ "$(printf '%s\n' "$output" | grep -v '^sess-migrate:' | jq -r 'select(.id) | .id + ":" + .status' | sort | tr '\n' ' ')" = "s1:replaced s2:copied " ] || fail "$output"
	[ "$(dst HEXISTS sess:migrate:acl1:backup s1:1)" = 1 ] || fail "no backup of s1"
	# RENAME refused when queued: the whole transaction is
	dst ACL SETUSER mtgt -rename >/dev/null
	dst HSET 'sess:{s1}:meta' keep again >/dev/null
	before=$(dst DUMP 'sess:{s1}:meta' | od -c)
	run -77 sk sess-migrate copy --all --to "$url" --task acl2 --conflict replace
	dst ACL DELUSER mtgt >/dev/null
	[ "$(dst DUMP 'sess:{s1}:meta' | od -c)" = "$before" ] || fail "s1 changed"
	[ "$(dst EXISTS sess:migrate:acl2:done sess:migrate:acl2:backup sess:migrate:acl2:upkeep)" = 0 ] || fail "acl2's marks written"
	[ -z "$(dst --scan --pattern '*arriving*')" ] || fail "staged keys left"
}

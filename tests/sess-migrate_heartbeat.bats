#!/usr/bin/env bats
# A sess-migrate sync's heartbeat (core/model/syncbeat.h): a sync killed
# -9 (before or after its lag lines) is stale once its heartbeat is older
# than 3 x --interval (at least 10 s): sess-health exports it as not
# running and says "stale", sess-migrate status/tasks too, the last lag
# numbers kept and marked; a live idle sync stays running past the bound;
# a sync held back by --rate beats while it waits, one whose --match
# skips much of the index while it walks it, a cutover while it fences
# a big source, one blocked in a long WAIT (its period raised for it);
# one killed as soon as its task exists is stale too (the
# task is created with a heartbeat), one reading a slow --ids input beats
# as its lines come; one that stops before
# it starts is failed, one stopped while it reconnects interrupted; a
# task hash from before the heartbeat reads as "unknown". Every wait
# polls with a deadline.
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	common_setup_file
	redis_start_named DST
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	common_setup
	redis-cli -s "$DST_SOCK" FLUSHALL >/dev/null
	PIDS=""
}
teardown() {
	local p
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	# (a source of the test's own, stopped mid-test)
	[ -z "${SRC_DIR:-}" ] || redis_stop_named SRC
}

# dst_hget DB TASK FIELD: a field of a task's hash on DST's database DB
dst_hget() {
	redis-cli -s "$DST_SOCK" -n "$1" HGET "sess:migrate:$2" "$3"
}

# until_set DB TASK FIELD: wait (30 s at most) until the field is set
until_set() {
	local n
	for n in $(seq 1 300); do
		[ -n "$(dst_hget "$1" "$2" "$3")" ] && return 0
		sleep 0.1
	done
	fail "task $2 never set $3"
}

# past_bound T0: wait until 11 s after T0 (ms since the epoch): past the
# 10 s a heartbeat is trusted at least (syncbeat.h), however short its period
past_bound() {
	while [ $(($(date +%s%3N) - $1)) -le 11000 ]; do sleep 0.1; done
}

# task_state DB TASK: what sess-health's JSON says of a sync task
task_state() {
	sk sess-health --url "$(redis_url DST)/$1" --format json |
		jq -c --arg t "$2" '.checks["sessions:syncTasks"][0].observedValue[] | select(.task == $t)'
}

@test "a sync killed -9 before and after its lag lines is stale past the bound; a live idle one stays running" {
	local n t0 dst
	dst=$(redis_url DST)
	for n in $(seq 1 30); do echo "{\"op\":\"create\",\"id\":\"h$n\",\"agent\":\"a\"}"; done | sctl batch >/dev/null
	# 1: killed in its snapshot pass (held to 2 sessions a second: no lag line yet)
	sk_bg "$BATS_TEST_TMPDIR/s1.out" "$BATS_TEST_TMPDIR/s1.err" sess-migrate sync --all --to "$dst/1" \
		--interval 1 --task early --batch 1 --rate 2
	PIDS="$PIDS $!"
	early=$!
	# 2: killed in its live phase, after lag lines
	sk_bg "$BATS_TEST_TMPDIR/s2.out" "$BATS_TEST_TMPDIR/s2.err" sess-migrate sync --all --to "$dst/2" \
		--interval 1 --task late
	PIDS="$PIDS $!"
	late=$!
	# 3: left running, idle (nothing changes on the source)
	sk_bg "$BATS_TEST_TMPDIR/s3.out" "$BATS_TEST_TMPDIR/s3.err" sess-migrate sync --all --to "$dst/3" \
		--interval 1 --task idle
	PIDS="$PIDS $!"
	t0=$(date +%s%3N)
	until_set 2 late lagAt
	until_set 3 idle lagAt
	for n in $(seq 1 300); do
		[ -s "$BATS_TEST_TMPDIR/s1.out" ] && break
		sleep 0.1
	done
	[ -s "$BATS_TEST_TMPDIR/s1.out" ] || fail "the early sync copied nothing: $(cat "$BATS_TEST_TMPDIR/s1.err")"
	if grep -q '"lag":true' "$BATS_TEST_TMPDIR/s1.out"; then fail "the early sync's snapshot pass ended before the kill"; fi
	kill -9 "$early" "$late"
	wait "$early" "$late" 2>/dev/null || true
	[ -z "$(dst_hget 1 early lagAt)" ] || fail "the early sync wrote a lag line"
	# right after the kill both are still within the bound: running
	run -0 sk sess-health --url "$dst/2" --format prometheus
	assert_line 'sess_sync_running{task="late"} 1'
	# past the bound (3 x 1 s, at least 10 s) from their last heartbeat
	for n in $(seq 1 300); do
		[ "$(task_state 2 late | jq -r .state)" = stale ] && [ "$(task_state 1 early | jq -r .state)" = stale ] && break
		sleep 0.1
	done
	for db in 1 2; do
		sk sess-health --url "$dst/$db" --format prometheus >"$BATS_TEST_TMPDIR/m$db.txt"
	done
	run -0 cat "$BATS_TEST_TMPDIR/m1.txt"
	assert_line 'sess_sync_running{task="early"} 0'
	assert_line --regexp '^sess_sync_heartbeat_timestamp_seconds\{task="early"\} [0-9.]+$'
	refute_line --partial 'sess_sync_lag_seconds'
	run -0 cat "$BATS_TEST_TMPDIR/m2.txt"
	assert_line 'sess_sync_running{task="late"} 0'
	# its last lag numbers still exported (the timestamps say how old)
	assert_line --regexp '^sess_sync_lag_seconds\{task="late"\} [0-9.]+$'
	assert_line --regexp '^sess_sync_lag_timestamp_seconds\{task="late"\} [0-9.]+$'
	run -0 task_state 1 early
	assert_equal "$(jq -r '[.status, .state, (.staleAfter|tostring), (.heartbeatAge > 10|tostring), has("lagStale")] | join(" ")' <<<"$output")" \
		"running stale 10 true false"
	run -0 task_state 2 late
	assert_equal "$(jq -r '[.status, .state, .lagStale, (.secondsBehind|type)] | map(tostring) | join(" ")' <<<"$output")" \
		"running stale true number"
	jq -e '.note | test("killed")' <<<"$output" >/dev/null || fail "no note: $output"
	# sess-migrate status and tasks say it too
	run -0 sk sess-migrate status late --to "$dst/2"
	assert_equal "$(jq -r '[.status, .state, .lagStale, (.lagSeconds|type)] | map(tostring) | join(" ")' <<<"$output")" \
		"running stale true number"
	run -0 sk sess-migrate tasks --to "$dst/1" --tsv
	assert_equal "$(awk -F'\t' 'NR == 1 { for (c = 1; c <= NF; c++) if ($c == "state") col = c } NR == 2 { print $col }' <<<"$output")" stale
	# the idle one has run past the bound and is running
	# (started before t0: past the bound once 10.5 s have passed since)
	while [ $(($(date +%s%3N) - t0)) -le 10500 ]; do sleep 0.1; done
	kill -0 "${PIDS##* }" || fail "the idle sync is gone: $(cat "$BATS_TEST_TMPDIR/s3.err")"
	run -0 sk sess-health --url "$dst/3" --format prometheus
	assert_line 'sess_sync_running{task="idle"} 1'
	run -0 task_state 3 idle
	assert_equal "$(jq -r '[.state, has("lagStale"), (.heartbeatAge < 5)] | map(tostring) | join(" ")' <<<"$output")" \
		"running false true"
	run -0 sk sess-migrate status idle --to "$dst/3"
	assert_equal "$(jq -r .state <<<"$output")" running
}

@test "a task hash from before the heartbeat (or with a bad one) reads as unknown, running; a bad interval takes the default bound" {
	local dst now
	dst=$(redis_url DST)
	now=$(($(date +%s) * 1000))
	redis-cli -s "$DST_SOCK" ZADD sess:migrate:tasks 1 old 2 odd >/dev/null
	redis-cli -s "$DST_SOCK" HSET sess:migrate:old kind sync status running from x to y lagAt "$now" \
		lagSeconds 0.5 lagPending 1 lagEvents 2 lagEstimate 0 >/dev/null
	# a heartbeat 12 s old, its interval not a number: the default 5 s,
	# a 15 s bound
	redis-cli -s "$DST_SOCK" HSET sess:migrate:odd kind sync status running from x to y \
		beatAt "$((now - 12000))" beatEvery soon >/dev/null
	run -0 sk sess-health --url "$dst" --format prometheus
	assert_line 'sess_sync_running{task="old"} 1'
	assert_line 'sess_sync_lag_seconds{task="old"} 0.5'
	assert_line 'sess_sync_running{task="odd"} 1'
	run -0 task_state 0 old
	assert_equal "$(jq -r '[.state, has("heartbeatAge"), has("lagStale")] | map(tostring) | join(" ")' <<<"$output")" \
		"unknown false false"
	run -0 task_state 0 odd
	assert_equal "$(jq -r '[.state, .staleAfter] | map(tostring) | join(" ")' <<<"$output")" "running 15"
	run -0 sk sess-migrate status old --to "$dst"
	assert_equal "$(jq -r .state <<<"$output")" unknown
	# past 15 s: stale
	redis-cli -s "$DST_SOCK" HSET sess:migrate:odd beatAt "$((now - 16000))" >/dev/null
	run -0 sk sess-health --url "$dst" --format prometheus
	assert_line 'sess_sync_running{task="odd"} 0'
	# a stopped sync is what its status says, whatever its heartbeat
	redis-cli -s "$DST_SOCK" HSET sess:migrate:odd status interrupted >/dev/null
	run -0 sk sess-migrate status odd --to "$dst"
	assert_equal "$(jq -r .state <<<"$output")" interrupted
	# a copy task has no state
	redis-cli -s "$DST_SOCK" HSET sess:migrate:odd kind copy >/dev/null
	run -0 sk sess-migrate status odd --to "$dst"
	assert_equal "$(jq 'has("state")' <<<"$output")" false
}

@test "a sync held back by --rate longer than the bound keeps beating while it waits: running, not stale" {
	local n t0 dst pid
	dst=$(redis_url DST)
	for n in $(seq 1 30); do echo "{\"op\":\"create\",\"id\":\"r$n\",\"agent\":\"a\"}"; done | sctl batch >/dev/null
	# 12 sessions a batch at 1 a second: 12 s between two batches, past
	# the 10 s bound (--interval 1)
	sk_bg "$BATS_TEST_TMPDIR/r.out" "$BATS_TEST_TMPDIR/r.err" sess-migrate sync --all --to "$dst/4" \
		--interval 1 --task slow --batch 12 --rate 1
	pid=$!
	PIDS="$PIDS $pid"
	t0=$(date +%s%3N)
	until_set 4 slow beatAt
	# 11 s after the start: in the wait after the first batch
	past_bound "$t0"
	kill -0 "$pid" || fail "the sync is gone: $(cat "$BATS_TEST_TMPDIR/r.err")"
	[ -z "$(dst_hget 4 slow lagAt)" ] || fail "the snapshot pass ended already"
	run -0 task_state 4 slow
	assert_equal "$(jq -r '[.status, .state, (.heartbeatAge < 5)] | map(tostring) | join(" ")' <<<"$output")" \
		"running running true"
	run -0 sk sess-health --url "$dst/4" --format prometheus
	assert_line 'sess_sync_running{task="slow"} 1'
}

@test "a sync that stops before it starts (its --ids file unreadable) leaves its task failed, not running" {
	local dst
	dst=$(redis_url DST)
	run -66 sk sess-migrate sync --ids "$BATS_TEST_TMPDIR/none" --to "$dst/5" --task noids
	assert_output --partial "cannot read --ids file"
	run -0 sk sess-migrate status noids --to "$dst/5"
	assert_equal "$(jq -r '[.status, .state] | join(" ")' <<<"$output")" "failed failed"
	run -0 sk sess-health --url "$dst/5" --format prometheus
	assert_line 'sess_sync_running{task="noids"} 0'
}

@test "a sync stopped (SIGINT) while it reconnects to a source gone marks its task interrupted, not running" {
	local dst n pid
	dst=$(redis_url DST)
	redis_start_named SRC
	REDIS_URL=$(redis_url SRC) sctl create --id i1 --agent a >/dev/null
	sk_bg "$BATS_TEST_TMPDIR/i.out" "$BATS_TEST_TMPDIR/i.err" sess-migrate sync --all --from "$(redis_url SRC)" \
		--to "$dst/6" --interval 1 --task intr
	pid=$!
	PIDS="$PIDS $pid"
	until_set 6 intr lagAt
	redis_stop_named SRC
	for n in $(seq 1 300); do
		grep -q reconnecting "$BATS_TEST_TMPDIR/i.err" && break
		sleep 0.1
	done
	grep -q reconnecting "$BATS_TEST_TMPDIR/i.err" || fail "the sync did not reconnect: $(cat "$BATS_TEST_TMPDIR/i.err")"
	kill -INT "$pid"
	for n in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then fail "the sync did not stop on SIGINT"; fi
	run -0 sk sess-migrate status intr --to "$dst/6"
	assert_equal "$(jq -r '[.status, .state] | join(" ")' <<<"$output")" "interrupted interrupted"
}

@test "a sync whose --match skips a long stretch of the index keeps beating while it walks it: running, not stale" {
	local dst n t0 pid
	dst=$(redis_url DST)
	sctl create --id keep1 --agent a >/dev/null
	# 300,000 index entries --match skips, live (scores ahead), before the
	# one it keeps: walked a page of --batch 1 at a time, past the 10 s bound
	t0=$(($(date +%s) * 1000 + 3600000))
	awk -v t="$t0" 'BEGIN { for (n = 0; n < 300000; n++) printf "ZADD sess:#{all}:index %d skip%d\n", t + n, n }' |
		rcli --pipe >/dev/null
	rcli ZADD 'sess:#{all}:index' $((t0 + 400000)) keep1 >/dev/null
	sk_bg "$BATS_TEST_TMPDIR/m.out" "$BATS_TEST_TMPDIR/m.err" sess-migrate sync --all --match 'keep*' \
		--to "$dst/7" --interval 1 --task walk --batch 1
	pid=$!
	PIDS="$PIDS $pid"
	t0=$(date +%s%3N)
	until_set 7 walk beatAt
	past_bound "$t0"
	kill -0 "$pid" || fail "the sync is gone: $(cat "$BATS_TEST_TMPDIR/m.err")"
	[ -z "$(dst_hget 7 walk lagAt)" ] || skip "the walk took less than 11 s here: nothing to check"
	run -0 task_state 7 walk
	assert_equal "$(jq -r '[.status, .state, (.heartbeatAge < 5)] | map(tostring) | join(" ")' <<<"$output")" \
		"running running true"
}

@test "sync --cutover beats while it fences a big source: a heartbeat between the fence walk's first and last session" {
	local dst first last
	dst=$(redis_url DST)
	sctl create --id keep1 --agent a >/dev/null
	# 150,000 sessions the selection does not hold (not in the index) but
	# the fence walk (a SCAN of every meta key) fences: seconds of walk,
	# past --interval 1's half (the beat's throttle); --no-keyspace: the
	# fence's writes make none of them dirty
	awk 'BEGIN { for (n = 0; n < 150000; n++) printf "HSET sess:{f%d}:meta v 3\n", n }' | rcli --pipe >/dev/null
	redis-cli -s "$REDIS_SOCK" MONITOR >"$BATS_TEST_TMPDIR/src.mon" 3>&- &
	PIDS="$PIDS $!"
	redis-cli -s "$DST_SOCK" MONITOR >"$BATS_TEST_TMPDIR/dst.mon" 3>&- &
	PIDS="$PIDS $!"
	sleep 0.2
	run -0 sk sess-migrate sync --all --cutover --no-keyspace --interval 1 --to "$dst/8" --task cut
	assert_line --partial '"fenced":true'
	# when the walk fenced its first and its last session (server clock:
	# both servers run on this host)
	first=$(grep -m1 '"sess:{f[0-9]*}:meta"' "$BATS_TEST_TMPDIR/src.mon" | cut -d' ' -f1)
	last=$(grep '"sess:{f[0-9]*}:meta"' "$BATS_TEST_TMPDIR/src.mon" | tail -n 1 | cut -d' ' -f1)
	[ -n "$first" ] || fail "no fence walk seen on the source"
	awk -v f="$first" -v l="$last" 'BEGIN { print "the walk took", l - f, "s" }' >&3
	run -0 awk -v f="$first" -v l="$last" '/"beatAt"/ && $1 > f && $1 < l { n++ } END { print n + 0 }' "$BATS_TEST_TMPDIR/dst.mon"
	[ "$output" -ge 1 ] || fail "no heartbeat in the fence walk (from $first to $last)"
}

@test "a sync killed right after it created its task (still reading its ids) has a heartbeat from the start: running, then stale, never unknown; one still reading a slow --ids keeps beating" {
	local dst pid n feeder lpid t0
	dst=$(redis_url DST)
	# its ids on a pipe that stays open: the task is created, the sync
	# waits for the end of its ids, and is killed there
	mkfifo "$BATS_TEST_TMPDIR/ids" "$BATS_TEST_TMPDIR/slow"
	exec 4<>"$BATS_TEST_TMPDIR/ids"
	sk_bg "$BATS_TEST_TMPDIR/b.out" "$BATS_TEST_TMPDIR/b.err" sess-migrate sync --ids "$BATS_TEST_TMPDIR/ids" \
		--to "$dst/9" --interval 1 --task born
	pid=$!
	PIDS="$PIDS $pid"
	# meanwhile (sharing the wait below) a live sync whose ids come in
	# slowly, a line every 0.2 s for 30 s: it beats as they come
	sk_bg "$BATS_TEST_TMPDIR/l.out" "$BATS_TEST_TMPDIR/l.err" sess-migrate sync --ids "$BATS_TEST_TMPDIR/slow" \
		--to "$dst/9" --interval 1 --task loading
	lpid=$!
	t0=$(date +%s%3N)
	PIDS="$PIDS $lpid"
	for n in $(seq 1 150); do echo "slow$n"; sleep 0.2; done >"$BATS_TEST_TMPDIR/slow" 3>&- &
	feeder=$!
	PIDS="$PIDS $feeder"
	until_set 9 born status
	kill -0 "$pid" || fail "the sync is gone: $(cat "$BATS_TEST_TMPDIR/b.err")"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	exec 4>&-
	run -0 sk sess-migrate status born --to "$dst/9"
	assert_equal "$(jq -r '[.status, .state, .staleAfter] | map(tostring) | join(" ")' <<<"$output")" "running running 10"
	# past the bound (10 s) from its creation: stale
	for n in $(seq 1 300); do
		[ "$(task_state 9 born | jq -r .state)" = stale ] && break
		sleep 0.1
	done
	run -0 task_state 9 born
	assert_equal "$(jq -r '[.status, .state] | join(" ")' <<<"$output")" "running stale"
	run -0 sk sess-health --url "$dst/9" --format prometheus
	assert_line 'sess_sync_running{task="born"} 0'
	# the slow one, 11 s into its ids (still reading them): past the bound
	past_bound "$t0"
	kill -0 "$feeder" 2>/dev/null || fail "the ids were all written: the check proves nothing"
	kill -0 "$lpid" || fail "the loading sync is gone: $(cat "$BATS_TEST_TMPDIR/l.err")"
	[ -z "$(dst_hget 9 loading lagAt)" ] || fail "the loading sync is past its ids"
	run -0 task_state 9 loading
	assert_equal "$(jq -r '[.status, .state, (.heartbeatAge < 5)] | map(tostring) | join(" ")' <<<"$output")" \
		"running running true"
}

@test "a sync in a WAIT longer than the bound (durable writes, no replica answers) beats with a period that covers it: running, not stale" {
	local dst pid t0
	dst=$(redis_url DST)
	sctl create --id w1 --agent a >/dev/null
	# the target has no replica: each step's WAIT blocks its whole 14 s,
	# past --interval 1's 10 s bound (the client's --timeout lets it)
	sk_bg "$BATS_TEST_TMPDIR/w.out" "$BATS_TEST_TMPDIR/w.err" sess-migrate sync --all --to "$dst/10" \
		--interval 1 --task durable --wait-replicas 1 --wait-timeout 14s --timeout 30s
	pid=$!
	PIDS="$PIDS $pid"
	t0=$(date +%s%3N)
	until_set 10 durable beatAt
	# 11 s after the start: in the first WAIT
	past_bound "$t0"
	kill -0 "$pid" || fail "the sync is gone: $(cat "$BATS_TEST_TMPDIR/w.err")"
	[ -z "$(dst_hget 10 durable lagAt)" ] || fail "the snapshot pass ended already"
	# the beat before the WAIT says the next comes within 1 + 14 s: the
	# bound is 3 x that
	run -0 task_state 10 durable
	assert_equal "$(jq -r '[.status, .state, .staleAfter] | map(tostring) | join(" ")' <<<"$output")" \
		"running running 45"
	run -0 sk sess-health --url "$dst/10" --format prometheus
	assert_line 'sess_sync_running{task="durable"} 1'
}

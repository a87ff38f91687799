#!/usr/bin/env bats
# The cluster client through a failover: a real cluster of three masters
# with a replica each (helpers/cluster.bash), a master killed with -9;
# durable writes (WAIT) on the master that stored each write; sessctl
# watch of every session subscribed again after the promotion.
bats_require_minimum_version 1.5.0

load helpers/redis
load helpers/cluster

setup_file() { cluster_suite_setup --replicas; }
teardown_file() { cluster_suite_teardown; }
setup() {
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	DRIVER="$SESSKIT_BUILDDIR/tests/unit/test_cluster"
}
teardown() {
	kill ${bg:-} ${writer:-} 2>/dev/null
	# shellcheck disable=SC2086 # one pid or several
	[ -z "${stopped:-}" ] || kill -CONT $stopped 2>/dev/null
	redis_stop_named
	true
}

# wait_calls PORT: how many WAITs node PORT ran since its CONFIG RESETSTAT
wait_calls() {
	local n
	n=$(redis-cli -p "$1" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_wait:calls=\([0-9]*\),.*/\1/p')
	echo "${n:-0}"
}

# emits IDS_FILE FROM TO: emit lines, round FROM to TO over every session
# of IDS_FILE (interleaved), eventId "kROUND"
emits() {
	local r id
	for ((r = $2; r <= $3; r++)); do
		while IFS= read -r id; do
			printf '{"op":"emit","id":"%s","actor":"a","type":"modified","eventId":"k%d"}\n' "$id" "$r"
		done <"$1"
	done
}

@test "durable writes on the cluster: WAIT on the master that stored each write, one at a time and in a batch spread over the masters" {
	local m id other
	export REDIS_URL=$CLUSTER_URL REDIS_CLUSTER_NODES=$CLUSTER_NODES
	cluster_flushall
	: >"$BATS_TEST_TMPDIR/ids"
	for m in $(cluster_masters); do
		cluster_ids_on "$m" 2 "d$m-" >>"$BATS_TEST_TMPDIR/ids"
	done
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ids")" = 6 ] || fail "no 2 sessions on each master: $(cat "$BATS_TEST_TMPDIR/ids")"
	while IFS= read -r id; do
		run -0 sctl --wait-replicas 1 create --agent a --id "$id"
	done <"$BATS_TEST_TMPDIR/ids"
	for m in $(cluster_masters); do
		redis-cli -p "$m" config resetstat >/dev/null
	done
	while IFS= read -r id; do
		run -0 sctl --wait-replicas 1 emit "$id" --actor a --type modified --event-id k1
	done <"$BATS_TEST_TMPDIR/ids"
	# an emit writes its session's slot only: each waited on by its own
	# master, and by no other
	for m in $(cluster_masters); do
		[ "$(wait_calls "$m")" = 2 ] || fail "master $m ran $(wait_calls "$m") WAITs, not one for each of the 2 emits it stored"
	done
	emits "$BATS_TEST_TMPDIR/ids" 2 5 >"$BATS_TEST_TMPDIR/in"
	run -0 sctl --wait-replicas 1 batch <"$BATS_TEST_TMPDIR/in"
	[ "$(jq -s 'map(select(.ok)) | length' <<<"$output")" = 24 ] || fail "$output"
	for m in $(cluster_masters); do
		[ "$(wait_calls "$m")" -gt 2 ] || fail "the batch's writes on master $m were not waited on there"
	done
	# one master's replica stopped: its writes are not_durable, the
	# others' ok, alone and in a batch
	m=$(cluster_masters | sed -n 2p)
	stopped=$(cluster_pid "$(cluster_replica_of "$m")")
	kill -STOP "$stopped"
	id=$(grep "^d$m-" "$BATS_TEST_TMPDIR/ids" | head -n 1)
	other=$(grep -v "^d$m-" "$BATS_TEST_TMPDIR/ids" | head -n 1)
	run -75 sctl --wait-replicas 1 --wait-timeout 200 emit "$id" --actor a --type modified --event-id k6
	assert_output --partial "only 0 of 1 replicas acknowledged the write"
	run -0 sctl --wait-replicas 1 --wait-timeout 200 emit "$other" --actor a --type modified --event-id k6
	emits "$BATS_TEST_TMPDIR/ids" 7 7 >"$BATS_TEST_TMPDIR/in"
	run -75 sctl --wait-replicas 1 --wait-timeout 200 batch <"$BATS_TEST_TMPDIR/in"
	assert_equal "$(jq -r -s 'map(select(.ok == false and .error.code == "not_durable")) | map(.line) | join(" ")' <<<"$output")" \
		"$(grep -n "^d$m-" "$BATS_TEST_TMPDIR/ids" | cut -d: -f1 | tr '\n' ' ' | sed 's/ $//')"
	[ "$(jq -s 'map(select(.ok)) | length' <<<"$output")" = 4 ] || fail "the other masters' lines: $output"
	kill -CONT "$stopped"
	stopped=
}

# script_calls PORT: the session scripts node PORT ran (FCALL or EVALSHA)
script_calls() { echo $(($(calls "$1" fcall) + $(calls "$1" evalsha))); }

# calls PORT COMMAND: how many times node PORT ran COMMAND (lower case)
calls() {
	local n
	n=$(redis-cli -p "$1" info commandstats | tr -d '\r' | sed -n "s/^cmdstat_$2:calls=\([0-9]*\),.*/\1/p")
	echo "${n:-0}"
}

# batch_until_ok IN OUT: the same input again (up to 6 times) until batch
# exits 0; OUT holds the last run's output
batch_until_ok() {
	local try rc
	for try in 1 2 3 4 5 6; do
		rc=0
		timeout 120 "$SESSKIT_BUILDDIR/sessctl" --wait-replicas 1 batch <"$1" >"$2" 2>>"$BATS_TEST_TMPDIR/rerun.err" || rc=$?
		[ $rc = 0 ] && return 0
		cluster_ok 60 || true
	done
	echo "batch did not succeed in 6 runs (last exit $rc):"
	cat "$BATS_TEST_TMPDIR/rerun.err"
	return 1
}

# log_pairs IDS_FILE: "ID EVENTID" for every event of every session
log_pairs() {
	local id
	while IFS= read -r id; do
		"$SESSKIT_BUILDDIR/sessctl" events "$id" --from 1 | jq -r --arg id "$id" '"\($id) \(.eventId)"' || return 1
	done <"$1"
}

@test "a master killed (-9) in the middle of a durable batch over every master and a follow: no line reported ok lost, none stored twice; stats and list the truth" {
	local m victim rep vpid id before num rc=running t=$BATS_TEST_TMPDIR
	export REDIS_URL=$CLUSTER_URL REDIS_CLUSTER_NODES=$CLUSTER_NODES
	cluster_flushall
	: >"$t/ids"
	for m in $(cluster_masters); do
		cluster_ids_on "$m" 2 "f$m-" >>"$t/ids"
	done
	# not the seed (the URL's node), so new processes start as usual
	victim=$(cluster_masters | grep -vx "${CLUSTER_PORTS%% *}" | head -n 1)
	rep=$(cluster_replica_of "$victim")
	[ -n "$rep" ] || fail "master $victim has no replica"
	while IFS= read -r id; do
		run -0 sctl --wait-replicas 1 create --agent a --id "$id"
	done <"$t/ids"
	emits "$t/ids" 1 150 >"$t/in"
	id=$(grep "^f$victim-" "$t/ids" | head -n 1)
	sk_bg "$t/fout" "$t/ferr" sessctl --timeout 60000 events "$id" --follow --from 1
	bg=$!
	# a slow producer; the batch may wait a minute for the promotion
	(while IFS= read -r l; do printf '%s\n' "$l"; sleep 0.005; done <"$t/in") |
		timeout 150 "$SESSKIT_BUILDDIR/sessctl" --timeout 60000 --wait-replicas 1 --wait-timeout 300 batch \
			>"$t/out1" 2>"$t/err1" &
	writer=$!
	for num in $(seq 1 1200); do
		[ "$(wc -l <"$t/out1")" -ge 120 ] && break
		sleep 0.05
	done
	[ "$(wc -l <"$t/out1")" -ge 120 ] || fail "the batch did not get going: $(cat "$t/err1")"
	# the victim's replica stopped and its link cut: what the victim
	# stores from now on is on no replica; ten emits stored so, then -9
	stopped=$(cluster_pid "$rep")
	vpid=$(cluster_pid "$victim")
	kill -STOP "$stopped"
	redis-cli -p "$victim" client kill type replica >/dev/null
	before=$(script_calls "$victim")
	for num in $(seq 1 600); do
		[ "$(script_calls "$victim")" -ge $((before + 10)) ] && break
		sleep 0.05
	done
	[ "$(script_calls "$victim")" -ge $((before + 10)) ] || fail "the victim stored no more emits"
	kill -9 "$vpid"
	kill -CONT "$stopped"
	stopped=
	for num in $(seq 1 1200); do
		[ "$(redis-cli -p "$rep" role 2>/dev/null | head -n 1)" = master ] && break
		sleep 0.05
	done
	[ "$(redis-cli -p "$rep" role | head -n 1)" = master ] || fail "the replica $rep was not promoted"
	# the old master back, a replica of the new one
	cluster_respawn "$victim"
	cluster_ok 60
	cluster_links_up 60
	wait "$writer" || true
	writer=
	# every line reported ok is in its session's log
	jq -r 'select(.ok == true) | .line' "$t/out1" >"$t/oklines"
	awk 'NR == FNR { ok[$1] = 1; next } (FNR in ok)' "$t/oklines" "$t/in" |
		jq -r '"\(.id) \(.eventId)"' | sort >"$t/okpairs"
	[ "$(wc -l <"$t/okpairs")" -ge 120 ] || fail "only $(wc -l <"$t/okpairs") lines ok"
	log_pairs "$t/ids" | sort >"$t/logpairs"
	[ "$(comm -23 "$t/okpairs" "$t/logpairs" | wc -l)" = 0 ] ||
		fail "reported ok, lost in the failover: $(comm -23 "$t/okpairs" "$t/logpairs" | head -n 20 | tr '\n' ' ')"
	[ "$(uniq -d "$t/logpairs" | wc -l)" = 0 ] || fail "stored twice: $(uniq -d "$t/logpairs" | head)"
	# the same input again until it runs through: each event exactly once
	batch_until_ok "$t/in" "$t/out2"
	[ "$(jq -s 'map(select(.ok)) | length' "$t/out2")" = 900 ] || fail "the re-run was not ok throughout"
	log_pairs "$t/ids" | sort >"$t/logpairs"
	[ "$(wc -l <"$t/logpairs")" = 900 ] || fail "$(wc -l <"$t/logpairs") events, not 900"
	[ "$(uniq -d "$t/logpairs" | wc -l)" = 0 ] || fail "stored twice: $(uniq -d "$t/logpairs" | head)"
	# stats and list: the truth
	run -0 sctl list
	assert_equal "$(jq -r .id <<<"$output" | sort | tr '\n' ' ')" "$(sort "$t/ids" | tr '\n' ' ')"
	run -0 sctl stats
	assert_equal "$(jq -c '[.totalSessions, .totalEvents, .eventsByType.modified]' <<<"$output")" '[6,900,900]'
	# the follower: each event it printed is the log's, once; or it
	# stopped on the history it saw diverge (65)
	for num in $(seq 1 600); do
		if ! kill -0 "$bg" 2>/dev/null; then
			rc=0
			wait "$bg" || rc=$?
			bg=
			break
		fi
		jq -e 'select(.eventId == "k150")' "$t/fout" >/dev/null 2>&1 && break
		sleep 0.1
	done
	if [ "$rc" != running ]; then
		[ "$rc" = 65 ] || fail "the follower ended with $rc: $(cat "$t/ferr")"
		grep -q 'history diverged at seq [0-9]' "$t/ferr" || fail "no divergence message: $(cat "$t/ferr")"
		# a true divergence: the event printed last at that seq is not
		# what the log holds there now (or is gone)
		dseq=$(sed -n 's/.*history diverged at seq \([0-9]*\).*/\1/p' "$t/ferr" | head -1)
		printed=$(jq -c "select(.seq == $dseq)" "$t/fout" | tail -1)
		[ -n "$printed" ] || fail "diverged at seq $dseq, which it never printed"
		run -0 sctl events "$id" --from "$dseq" --to "$dseq"
		[ "$(jq -c . <<<"$output")" != "$printed" ] ||
			fail "a false divergence: seq $dseq is still what was printed: $printed"
		return 0
	fi
	jq -e 'select(.eventId == "k150")' "$t/fout" >/dev/null || fail "the follower neither printed the last event nor stopped: $(cat "$t/ferr")"
	[ "$(jq -r .seq "$t/fout" | sort -n | uniq -d | wc -l)" = 0 ] || fail "the follower printed an event twice"
	run -0 sctl events "$id" --from 1
	jq -c . <<<"$output" >"$t/log"
	while IFS= read -r line; do
		grep -Fxq -- "$line" "$t/log" || fail "printed but not in the log: $line"
	done < <(jq -c . "$t/fout")
}

@test "the seed master killed: reopen finds another master; the command waits for the promotion and lands there" {
	[ -x "$DRIVER" ] || skip "tests/unit/test_cluster is not built (make check builds it)"
	run "$DRIVER" failover
	assert_success # (assert_ shows the driver's TAP lines when it fails)
	refute_output --partial "not ok"
}

@test "watch of every session through a master failover: subscribed again on the promoted replica, events after it heard" {
	local m seed victim vid k a out err n owner
	m=$(cluster_alive_masters)
	seed=$(echo $m | cut -d' ' -f1)
	# a victim with a replica to promote, and a session it serves
	# shellcheck disable=SC2046 # the masters but the seed, a word each
	victim=$(master_with_replica "$seed" $(echo $m | cut -d' ' -f2-)) ||
		fail "no master but the seed has a replica: $m"
	vid=$(redis-cli -p "$victim" cluster myid)
	for k in $(seq 1 300); do
		owner=$(redis-cli -p "$seed" cluster nodes | awk -v s="$(redis-cli -p "$seed" cluster keyslot "s$k")" '
			$3 ~ /master/ { for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1]; if (s >= r[1] && s <= r[2]) print $1 } }')
		if [ "$owner" = "$vid" ]; then
			a=s$k
			break
		fi
	done
	[ -n "${a:-}" ] || fail "no session id on $victim"
	export REDIS_URL=redis://127.0.0.1:$seed REDIS_CLUSTER=yes
	run -0 sk sessctl create --id "$a" --agent x
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	sk_bg "$out" "$err" sessctl watch
	bg=$!
	cluster_wait_slot_channels 20 || fail "watch did not subscribe every slot channel: $(cat "$err")"
	run -0 sk sessctl emit "$a" --actor x --type modified
	for k in $(seq 1 200); do [ -s "$out" ] && break; sleep 0.05; done
	# kill -9 the victim; its replica takes over (cluster-node-timeout 2 s)
	kill -9 "$(cluster_pid "$victim")"
	for k in $(seq 1 600); do
		grep -q 'subscribed again' "$err" && break
		sleep 0.05
	done
	grep -q 'subscribed again' "$err" || fail "watch did not subscribe again: $(cat "$err")"
	run -0 sk sessctl emit "$a" --actor x --type fixed
	for k in $(seq 1 400); do [ "$(wc -l <"$out")" -ge 2 ] && break; sleep 0.05; done
	assert_equal "$(jq -r '.sessionId + ":" + .type' <"$out" | tr '\n' ' ')" "$a:modified $a:fixed "
}

@test "sess-migrate sync from a cluster through a master failover: reconnects, listens on the promoted replica, emits after it synced" {
	local m seed victim k p n dir out err rc=0 ids=""
	# the tests before killed masters whose replicas took over, so a
	# master with a replica is not left for sure: the killed nodes come
	# back (their nodes.conf makes each a replica of the node that took
	# over from it)
	for dir in $CLUSTER_DIRS; do
		p=$(cat "$dir/port")
		redis-cli -p "$p" ping >/dev/null 2>&1 || cluster_respawn "$p" || fail "node $p did not come back"
	done
	for k in $(seq 1 600); do
		n=0
		for p in $(cluster_alive_masters); do
			[ -n "$(redis-cli -p "$p" cluster replicas "$(redis-cli -p "$p" cluster myid)" 2>/dev/null)" ] || n=$((n + 1))
		done
		[ "$n" = 0 ] && break
		sleep 0.05
	done
	cluster_links_up 30 || fail "a replica's link is down"
	m=$(cluster_alive_masters)
	seed=$(echo $m | cut -d' ' -f1)
	# shellcheck disable=SC2046 # the masters but the seed, a word each
	victim=$(master_with_replica "$seed" $(echo $m | cut -d' ' -f2-)) ||
		fail "no master but the seed has a replica: $m"
	redis_start_named DST
	# (sess-migrate finds out by itself which side is a cluster)
	export REDIS_URL=redis://127.0.0.1:$seed
	for k in $(seq 1 24); do echo "{\"op\":\"create\",\"id\":\"fo$k\",\"agent\":\"x\"}"; done | REDIS_CLUSTER=yes sk sessctl batch >/dev/null
	# the sessions the victim serves
	for k in $(seq 1 24); do
		[ "$(redis-cli -p "$victim" exists "sess:{fo$k}:meta")" = 0 ] || ids="$ids fo$k"
	done
	[ -n "$ids" ] || fail "no session on $victim"
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	sk_bg "$out" "$err" sess-migrate sync --all --from "$REDIS_URL" --to "$(redis_url DST)" --task fo --interval 300
	bg=$!
	for k in $(seq 1 600); do grep -q '"lag":true' "$out" && break; sleep 0.05; done
	grep -q '"lag":true' "$out" || fail "no lag line: $(cat "$err")"
	kill -9 "$(cluster_pid "$victim")"
	for k in $(seq 1 600); do grep -q 'reconnecting' "$err" && break; sleep 0.05; done
	grep -q 'reconnecting' "$err" || fail "sync did not see the master go: $(cat "$err")"
	# every slot channel subscribed again, on the masters alive now
	cluster_wait_slot_channels 30 || fail "sync did not subscribe every slot channel again: $(cat "$err")"
	for k in $ids; do
		REDIS_CLUSTER=yes run -0 sk sessctl emit "$k" --actor x --type late
	done
	for k in $(seq 1 400); do
		n=0
		for p in $ids; do
			[ "$(redis-cli -s "$DST_SOCK" hget "sess:{$p}:meta" seq)" = 1 ] || n=$((n + 1))
		done
		[ "$n" = 0 ] && break
		sleep 0.05
	done
	[ "$n" = 0 ] || fail "$n of the emits after the failover not synced: $(cat "$err")"
	kill -0 "$bg" || fail "sync is gone: $(cat "$err")"
	kill -INT "$bg"
	wait "$bg" || rc=$?
	bg=
	[ "$rc" = 130 ] || fail "exit $rc: $(cat "$err")"
}

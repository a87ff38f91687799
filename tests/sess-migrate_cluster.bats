#!/usr/bin/env bats
# sess-migrate between deployments (issue 21, layout 3): standalone to
# cluster, cluster to standalone, cluster to cluster, with sessions spread
# over every master. One standalone server and two three-master clusters
# (a cluster to cluster move needs two: a cluster has one database) are
# started once for the file and always stopped. Each move must verify
# exactly, and the target's list and stats must be the truth, with every
# companion (index, agents, stats, the task's marks) in the session's own
# slot on a cluster and in the one tag on a standalone server.
bats_require_minimum_version 1.5.0
load helpers/migrate

setup_file() {
	load helpers/redis
	load helpers/cluster
	common_setup_file
	redis_start_named SOLO
	cluster_start
	export C1_URL=$CLUSTER_URL C1_PORTS=$CLUSTER_PORTS C1_DIRS=$CLUSTER_DIRS
	cluster_start
	export C2_URL=$CLUSTER_URL C2_PORTS=$CLUSTER_PORTS C2_DIRS=$CLUSTER_DIRS
}
teardown_file() {
	load helpers/redis
	load helpers/cluster
	CLUSTER_DIRS="${C1_DIRS:-} ${C2_DIRS:-} ${CLUSTER_DIRS:-}"
	cluster_stop
	common_teardown_file
}
setup() {
	load helpers/redis
	load helpers/cluster
	common_setup
	local p
	for p in $C1_PORTS $C2_PORTS; do redis-cli -p "$p" FLUSHALL >/dev/null; done
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	SOLO=$(redis_url SOLO)
}

# make URL N [PREFIX]: N sessions PREFIX1..PREFIXN (default s) on URL,
# each created by alice, joined by bob, with 3 events (modified, fixed,
# verified); every fourth completed. One batch.
make_sessions() {
	local url=$1 n=$2 p=${3:-s} k
	for ((k = 1; k <= n; k++)); do
		printf '%s\n' "{\"op\":\"create\",\"id\":\"$p$k\",\"agent\":\"alice\"}" \
			"{\"op\":\"join\",\"id\":\"$p$k\",\"agent\":\"bob\"}" \
			"{\"op\":\"emit\",\"id\":\"$p$k\",\"actor\":\"alice\",\"type\":\"modified\"}" \
			"{\"op\":\"emit\",\"id\":\"$p$k\",\"actor\":\"bob\",\"type\":\"fixed\"}" \
			"{\"op\":\"emit\",\"id\":\"$p$k\",\"actor\":\"alice\",\"type\":\"verified\"}"
		[ $((k % 4)) != 0 ] || printf '%s\n' "{\"op\":\"complete\",\"id\":\"$p$k\"}"
	done >"$BATS_TEST_TMPDIR/mk"
	REDIS_URL=$url sk sessctl batch <"$BATS_TEST_TMPDIR/mk" >"$BATS_TEST_TMPDIR/mk.out" ||
		fail "batch on $url: $(grep -m1 '"ok":false' "$BATS_TEST_TMPDIR/mk.out")"
}

# spread PORTS PREFIX: every master of PORTS holds some session's meta
spread() {
	local p
	for p in $1; do
		[ "$(redis-cli -p "$p" --scan --pattern "sess:{$2*}:meta" | wc -l)" -gt 0 ] ||
			fail "master $p holds no session: the test needs them spread"
	done
}

# truth URL: the sessions' list (ids, states, agents) and the stats
# counters that describe them, one normalised JSON text
truth() {
	REDIS_URL=$1 sk sessctl list >"$BATS_TEST_TMPDIR/list" || fail "list on $1"
	REDIS_URL=$1 sk sessctl stats >"$BATS_TEST_TMPDIR/stats" || fail "stats on $1"
	jq -s -c 'map({id, state}) | sort_by(.id)' "$BATS_TEST_TMPDIR/list"
	jq -S -c '{totalSessions, totalEvents, indexedSessions, completedSessions, eventsByType}' "$BATS_TEST_TMPDIR/stats"
}

# live URL: what is live on URL: the list (ids, states, members as
# sessctl list shows them) and the index's count (the stats' counters are
# a history: a rollback counts what it removed as deleted)
live() {
	REDIS_URL=$1 sk sessctl list >"$BATS_TEST_TMPDIR/list" || fail "list on $1"
	REDIS_URL=$1 sk sessctl stats >"$BATS_TEST_TMPDIR/stats" || fail "stats on $1"
	# (expiresAt is the index's score: create scores by its script's
	# clock, 1 ms off the keys' expiry at times; the upkeep of a restore
	# by the expiry itself, which snapshot compares)
	jq -s -c 'map(del(.expiresAt, .cursor)) | sort_by(.id)' "$BATS_TEST_TMPDIR/list"
	jq -c .indexedSessions "$BATS_TEST_TMPDIR/stats"
}

# snapshot URL: every session on URL as export gives it, without the
# read's own time (at, pttl, and expireAt, which export computes as its
# clock plus PTTL: 1 ms apart between two reads), then each session's
# keys' absolute expiry as stored (PEXPIRETIME)
snapshot() {
	local id k seed
	seed=$(sed 's|.*:||' <<<"$1")
	sk sess-migrate export --all --from "$1" 2>/dev/null | jq -c 'del(.at, .pttl, .expireAt)' | sort
	for id in $(REDIS_URL=$1 sk sessctl list | jq -r .id | sort); do
		for k in meta events history; do
			echo "$id $k $(redis-cli -c -p "$seed" pexpiretime "sess:{$id}:$k")"
		done
	done
}

# same_truth A B: the two servers' truth is the same
same_truth() {
	local a b
	a=$(truth "$1") b=$(truth "$2")
	[ "$a" = "$b" ] || fail "list/stats differ: $1: $a; $2: $b"
	[ -n "$(jq -c 'select(type == "array") | .[0]' <<<"$a")" ] || fail "empty list: $a"
}

# companions_in_own_slots PORTS: on each master, every index, agent's
# index and task done hash holds only sessions of its own slot, and no
# key of the one tag "all" is on the cluster
companions_in_own_slots() {
	local p k m ks seed=${1%% *} n=0
	for p in $1; do
		while read -r k; do
			case $k in *:index | *:agent:* | *:migrate:*:done | *:migrate:*:upkeep) ;; *) continue ;; esac
			ks=$(redis-cli -p "$p" cluster keyslot "$k")
			case $(redis-cli -p "$p" type "$k") in
			zset) redis-cli -p "$p" zrange "$k" 0 -1 ;;
			set) redis-cli -p "$p" smembers "$k" ;;
			hash) redis-cli -p "$p" hkeys "$k" | grep -v '^#' ;;
			esac >"$BATS_TEST_TMPDIR/members"
			while read -r m; do
				[ -n "$m" ] || continue
				[ "$(redis-cli -p "$seed" cluster keyslot "{$m}")" = "$ks" ] ||
					fail "$k (slot $ks) names $m of another slot"
				n=$((n + 1))
			done <"$BATS_TEST_TMPDIR/members"
		done < <(redis-cli -p "$p" --scan --pattern 'sess:#{*}:*')
		[ -z "$(redis-cli -p "$p" --scan --pattern 'sess:#{all}:*')" ] || fail "a key of the tag all on master $p"
	done
	[ "$n" -gt 0 ] || fail "no companion found"
}

@test "standalone to cluster: every session copied over all masters, verify exact, list and stats the truth, companions in their slots" {
	make_sessions "$SOLO" 40
	run -0 sk sess-migrate copy --all --from "$SOLO" --to "$C1_URL" --task up
	[ "$(grep -c '"status":"copied"' <<<"$output")" -eq 40 ] || fail "$output"
	spread "$C1_PORTS" s
	run -0 sk sess-migrate verify --all --deep --from "$SOLO" --to "$C1_URL"
	jq -e 'select(.summary) | .equal == 40 and .missing == 0 and .different == 0 and .extra == 0' <<<"$output" ||
		fail "verify: $output"
	same_truth "$SOLO" "$C1_URL"
	companions_in_own_slots "$C1_PORTS"
	# the task's marks are per slot, and status sums them
	run -0 sk sess-migrate status up --to "$C1_URL"
	jq -e '.copied == 40' <<<"$output" || fail "status: $output"
	# a second run finds everything done: nothing written twice
	run -0 sk sess-migrate copy --all --from "$SOLO" --to "$C1_URL" --task up2
	jq -e 'select(.summary) | .skipped == 40 and .copied == 0' <<<"$output" || fail "$output"
	same_truth "$SOLO" "$C1_URL"
	# the sessions work on the cluster
	REDIS_URL=$C1_URL run -0 sk sessctl emit s1 --actor alice --type noted
	# export | import onto the other cluster: the same, through a file
	sk sess-migrate export --all --from "$SOLO" -o "$BATS_TEST_TMPDIR/all.jsonl" 2>/dev/null || fail "export"
	run -0 sk sess-migrate import "$BATS_TEST_TMPDIR/all.jsonl" --to "$C2_URL" --task imp
	jq -e 'select(.summary) | .copied == 40' <<<"$output" || fail "import: $output"
	run -0 sk sess-migrate verify --all --deep --from "$SOLO" --to "$C2_URL"
	same_truth "$SOLO" "$C2_URL"
	companions_in_own_slots "$C2_PORTS"
}

# evals PORTS: the script calls (EVAL, EVALSHA, FCALL) the masters of
# PORTS ran since their CONFIG RESETSTAT, summed
evals() {
	local p
	for p in $1; do
		redis-cli -p "$p" info commandstats | tr -d '\r' |
			sed -n 's/^cmdstat_\(eval\|evalsha\|fcall\):calls=\([0-9]*\),.*/\2/p'
	done | awk '{ n += $1 } END { print n + 0 }'
}

@test "onto a cluster: a batch's puts are one migput call per slot (sessions of one slot together, with that slot's task keys)" {
	# q0 and five more ids of its slot (CRC16 of the id: checked below),
	# and six of other slots, in one batch
	local same="q0 q69476 q78437 q104974 q115935 q129061" id slots p
	for id in $same t1 t2 t3 t4 t5 t6; do
		printf '%s\n' "{\"op\":\"create\",\"id\":\"$id\",\"agent\":\"alice\"}" \
			"{\"op\":\"emit\",\"id\":\"$id\",\"actor\":\"alice\",\"type\":\"modified\"}"
	done >"$BATS_TEST_TMPDIR/mk"
	REDIS_URL=$SOLO sk sessctl batch <"$BATS_TEST_TMPDIR/mk" >/dev/null || fail "batch"
	for id in $same; do
		[ "$(redis-cli -p "${C1_PORTS%% *}" cluster keyslot "{$id}")" = "$(redis-cli -p "${C1_PORTS%% *}" cluster keyslot '{q0}')" ] ||
			fail "$id is not in q0's slot"
	done
	slots=$(for id in $same t1 t2 t3 t4 t5 t6; do redis-cli -p "${C1_PORTS%% *}" cluster keyslot "{$id}"; done | sort -u | wc -l)
	[ "$slots" -eq 7 ] || fail "the ids span $slots slots, not 7"
	for p in $C1_PORTS; do redis-cli -p "$p" config resetstat >/dev/null; done
	run -0 sk sess-migrate copy --all --from "$SOLO" --to "$C1_URL" --task slots --batch 100
	[ "$(grep -c '"status":"copied"' <<<"$output")" -eq 12 ] || fail "$output"
	[ "$(evals "$C1_PORTS")" -eq 7 ] || fail "$(evals "$C1_PORTS") script calls for 7 slots"
	# the six of one slot: marked in that slot's done hash, counted there
	local k found=
	for p in $C1_PORTS; do
		while read -r k; do
			[ -n "$(redis-cli -p "$p" hget "$k" q0)" ] || continue
			found=$k
			[ "$(redis-cli -p "$p" hget "$k" '#c')" = 6 ] || fail "$k counts $(redis-cli -p "$p" hget "$k" '#c'), not 6"
		done < <(redis-cli -p "$p" --scan --pattern 'sess:#{*}:migrate:slots:done')
	done
	[ -n "$found" ] || fail "no done hash marks q0"
	run -0 sk sess-migrate status slots --to "$C1_URL"
	jq -e '.copied == 12' <<<"$output" || fail "status: $output"
	run -0 sk sess-migrate verify --all --deep --from "$SOLO" --to "$C1_URL"
	jq -e 'select(.summary) | .equal == 12 and .missing == 0 and .different == 0' <<<"$output" || fail "verify: $output"
	companions_in_own_slots "$C1_PORTS"
}

@test "cluster to standalone: read per master, written under the one tag; verify exact; list and stats the truth" {
	make_sessions "$C1_URL" 40 c
	spread "$C1_PORTS" c
	run -0 sk sess-migrate copy --all --from "$C1_URL" --to "$SOLO" --task down
	[ "$(grep -c '"status":"copied"' <<<"$output")" -eq 40 ] || fail "$output"
	run -0 sk sess-migrate verify --all --deep --from "$C1_URL" --to "$SOLO"
	jq -e 'select(.summary) | .equal == 40 and .missing == 0 and .different == 0 and .extra == 0' <<<"$output" ||
		fail "verify: $output"
	same_truth "$C1_URL" "$SOLO"
	[ "$(redis-cli -s "$SOLO_SOCK" zcard 'sess:#{all}:index')" = 40 ] || fail "index under the one tag"
	[ "$(redis-cli -s "$SOLO_SOCK" zcard 'sess:#{all}:agent:bob')" = 40 ] || fail "agent index under the one tag"
	# export from a cluster reads every master too
	sk sess-migrate export --all --from "$C1_URL" >"$BATS_TEST_TMPDIR/exp" 2>/dev/null || fail "export"
	[ "$(jq -r .id "$BATS_TEST_TMPDIR/exp" | sort -u | wc -l)" -eq 40 ] || fail "export: $(wc -l <"$BATS_TEST_TMPDIR/exp") lines"
}

@test "the progress meter on a cluster source has a total (the index's entries summed over the masters): copy, verify, export" {
	local cmd
	make_sessions "$C1_URL" 40 m
	spread "$C1_PORTS" m
	# (--batch 10: the meter is drawn before the end; script(1) gives a terminal)
	for cmd in "copy --all --batch 10 --from $C1_URL --to $SOLO --task meter" \
		"verify --all --batch 10 --from $C1_URL --to $SOLO" "export --all --batch 10 --from $C1_URL"; do
		HOME="$BATS_FILE_TMPDIR" SESSKIT_CONFIG= \
			script -qec "$SESSKIT_BUILDDIR/sess-migrate $cmd" "$BATS_TEST_TMPDIR/tty" >/dev/null || true
		grep -aqE $'\r\e\\[K[a-z]+  [0-9,]+/40 +[0-9]+% \\[' "$BATS_TEST_TMPDIR/tty" ||
			fail "sess-migrate $cmd: no meter with the total 40: $(cat -v "$BATS_TEST_TMPDIR/tty" | head -c 600)"
	done
}

@test "cluster to cluster: verify exact, list and stats the truth, companions in their slots" {
	make_sessions "$C1_URL" 40 x
	spread "$C1_PORTS" x
	run -0 sk sess-migrate copy --all --from "$C1_URL" --to "$C2_URL" --task across --batch 7
	[ "$(grep -c '"status":"copied"' <<<"$output")" -eq 40 ] || fail "$output"
	spread "$C2_PORTS" x
	run -0 sk sess-migrate verify --all --deep --from "$C1_URL" --to "$C2_URL"
	jq -e 'select(.summary) | .equal == 40 and .missing == 0 and .different == 0 and .extra == 0' <<<"$output" ||
		fail "verify: $output"
	same_truth "$C1_URL" "$C2_URL"
	companions_in_own_slots "$C2_PORTS"
	# copy --verify in one go, selection by --match
	run -0 sk sess-migrate copy --all --match 'x1*' --from "$C1_URL" --to "$C2_URL" --task again --verify
}

@test "killed mid-copy (after puts, before their index upkeep) then resumed: exactly the source's sessions, counted once" {
	local pair from to src_url p
	for pair in solo:c2 c1:c2 c1:solo; do
		from=${pair%%:*} to=${pair##*:}
		if [ "$from" = c1 ]; then src_url=$C1_URL; else src_url=$SOLO; fi
		if [ "$to" = c2 ]; then to=$C2_URL; else to=$SOLO; fi
		make_sessions "$src_url" 50 k
		SESSKIT_FAULT_EXIT_AFTER_PUTS=12 run -137 sk sess-migrate copy --all --from "$src_url" --to "$to" --task "k$from" --batch 5
		run -0 sk sess-migrate resume "k$from" --from "$src_url" --to "$to"
		jq -e 'select(.summary) | .copied + .alreadyDone == 50 and .upkeepCompleted > 0' <<<"$output" || fail "$pair: $output"
		run -0 sk sess-migrate verify --all --deep --from "$src_url" --to "$to"
		jq -e 'select(.summary) | .equal == 50 and .missing == 0 and .different == 0 and .extra == 0' <<<"$output" ||
			fail "$pair: verify: $output"
		same_truth "$src_url" "$to"
		run -0 sk sess-migrate status "k$from" --to "$to"
		jq -e '.copied == 50 and .status == "done"' <<<"$output" || fail "$pair: status: $output"
		for p in $C1_PORTS $C2_PORTS; do redis-cli -p "$p" FLUSHALL >/dev/null; done
		redis-cli -s "$SOLO_SOCK" FLUSHALL >/dev/null
	done
}

@test "killed by kill -9 while copying to a cluster, resumed: the source's sessions exactly" {
	local pid n
	make_sessions "$C1_URL" 60 r
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate copy --all --from "$C1_URL" --to "$C2_URL" \
		--task kill9 --batch 4 --rate 40
	pid=$!
	for n in $(seq 1 200); do
		grep -q '"status":"copied"' "$BATS_TEST_TMPDIR/out" 2>/dev/null && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	n=$(grep -c '"status":"copied"' "$BATS_TEST_TMPDIR/out" || true)
	[ "$n" -gt 0 ] && [ "$n" -lt 60 ] || fail "killed after $n of 60: not mid-copy"
	run -0 sk sess-migrate resume kill9 --from "$C1_URL" --to "$C2_URL"
	run -0 sk sess-migrate verify --all --deep --from "$C1_URL" --to "$C2_URL"
	jq -e 'select(.summary) | .equal == 60 and .extra == 0' <<<"$output" || fail "verify: $output"
	same_truth "$C1_URL" "$C2_URL"
}

@test "rollback on a cluster target: what the copy added removed, what it replaced restored, exactly" {
	make_sessions "$C2_URL" 12 b      # the target's own sessions, b1..b12
	make_sessions "$SOLO" 30 b        # b1..b12 again (newer: replaced) and b13..b30
	REDIS_URL=$SOLO sk sessctl emit b3 --actor bob --type extra >/dev/null
	snapshot "$C2_URL" >"$BATS_TEST_TMPDIR/before"
	before=$(live "$C2_URL")
	run -0 sk sess-migrate copy --all --from "$SOLO" --to "$C2_URL" --task rb --conflict replace
	[ "$(grep -c '"status":"replaced"' <<<"$output")" -eq 12 ] || fail "$output"
	[ "$(grep -c '"status":"copied"' <<<"$output")" -eq 18 ] || fail "$output"
	run -0 sk sess-migrate rollback rb --to "$C2_URL"
	jq -e 'select(.summary) | .removed == 18 and .restored == 12' <<<"$output" || fail "$output"
	snapshot "$C2_URL" >"$BATS_TEST_TMPDIR/after"
	cmp -s "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" ||
		fail "the sessions differ after the rollback: $(diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" | cut -c1-200 | head -n 20)"
	[ "$(live "$C2_URL")" = "$before" ] || fail "list/index after: $(live "$C2_URL"); before: $before"
	# no mark or backup left in any slot
	for p in $C2_PORTS; do
		[ -z "$(redis-cli -p "$p" --scan --pattern 'sess:#{*}:migrate:*')" ] || fail "task keys left on $p"
	done
}

# until_ok SECONDS 'SHELL CODE': poll every 0.1 s until it succeeds, or fail
until_ok() {
	local deadline=$((SECONDS + $1))
	shift
	until eval "$*"; do
		[ "$SECONDS" -lt "$deadline" ] || fail "not within the deadline: $*"
		sleep 0.1
	done
}

# seq_of URL ID: the session's seq on URL ("" when absent)
seq_of() {
	REDIS_URL=$1 sk sessctl get "$2" 2>/dev/null | jq -r '.seq // empty'
}

@test "sync standalone to cluster: the snapshot, then events and a delete followed; marks per slot; SIGINT 130" {
	local pid rc=0
	make_sessions "$SOLO" 20 y
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync --all --from "$SOLO" --to "$C1_URL" \
		--task live --interval 1 --reconcile 2
	pid=$!
	until_ok 60 'grep -q "\"lag\":true" "$BATS_TEST_TMPDIR/out"'
	REDIS_URL=$SOLO run -0 sk sessctl emit y3 --actor bob --type late
	REDIS_URL=$SOLO run -0 sk sessctl delete y4
	make_sessions "$SOLO" 1 ynew
	until_ok 30 '[ "$(seq_of "$C1_URL" y3)" = 4 ] && [ -z "$(seq_of "$C1_URL" y4)" ] && [ -n "$(seq_of "$C1_URL" ynew1)" ]'
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 130 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	run -0 sk sess-migrate verify --all --deep --from "$SOLO" --to "$C1_URL"
	same_truth "$SOLO" "$C1_URL"
	companions_in_own_slots "$C1_PORTS"
}

@test "sync cluster to standalone by passes, then --cutover: every slot fenced, the lag zero, verify exit 0; unfence" {
	local pid p
	make_sessions "$C1_URL" 20 z
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync --all --from "$C1_URL" --to "$SOLO" \
		--task move --interval 1
	pid=$!
	until_ok 60 'grep -q "\"lag\":true" "$BATS_TEST_TMPDIR/out"'
	grep -q "are found by a pass every 1 s" "$BATS_TEST_TMPDIR/err" || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	REDIS_URL=$C1_URL run -0 sk sessctl emit z7 --actor bob --type late
	REDIS_URL=$C1_URL run -0 sk sessctl delete z8
	until_ok 30 '[ "$(seq_of "$SOLO" z7)" = 4 ] && [ -z "$(seq_of "$SOLO" z8)" ]'
	kill -INT "$pid"
	wait "$pid" || true
	run -0 --separate-stderr sk sess-migrate sync --cutover --all --from "$C1_URL" --to "$SOLO" --task move
	jq -e 'select(.summary and has("equal")) | .equal == 19 and .missing == 0 and .different == 0' <<<"$output" ||
		fail "$output"
	# every slot's create fence is set, and writes are refused
	for p in $C1_PORTS; do
		[ -n "$(redis-cli -p "$p" --scan --pattern 'sess:#{*}:fence' | head -n 1)" ] || fail "no fence on $p"
	done
	REDIS_URL=$C1_URL run -69 sk sessctl create --agent alice --id after
	REDIS_URL=$C1_URL run -69 sk sessctl emit z1 --actor bob --type late
	same_truth "$C1_URL" "$SOLO"
	run -0 sk sess-migrate unfence --from "$C1_URL"
	REDIS_URL=$C1_URL run -0 sk sessctl create --agent alice --id after
}

@test "sync from a cluster hears the emits on every master at once, long before its next pass" {
	local pid rc=0 id p masters=0
	make_sessions "$C1_URL" 12 h
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync --all --from "$C1_URL" --to "$SOLO" \
		--task hear --interval 300
	pid=$!
	until_ok 60 'grep -q "\"lag\":true" "$BATS_TEST_TMPDIR/out"'
	grep -q "events are heard on its masters" "$BATS_TEST_TMPDIR/err" || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	# the nine open sessions are on every master; an emit to each is heard
	for p in $C1_PORTS; do
		for id in h1 h2 h3 h5 h6 h7 h9 h10 h11; do
			[ "$(redis-cli -p "$p" exists "sess:{$id}:meta")" = 0 ] || { masters=$((masters + 1)); break; }
		done
	done
	[ "$masters" = 3 ] || fail "the sessions are on $masters masters"
	for id in h1 h2 h3 h5 h6 h7 h9 h10 h11; do
		REDIS_URL=$C1_URL run -0 sk sessctl emit "$id" --actor bob --type late
	done
	until_ok 20 '(for id in h1 h2 h3 h5 h6 h7 h9 h10 h11; do [ "$(seq_of "$SOLO" "$id")" = 4 ] || exit 1; done)'
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 130 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	run -0 sk sess-migrate verify --all --deep --from "$C1_URL" --to "$SOLO"
}

@test "sync from a cluster: hostile messages on the slot channels are ignored, the emits after them heard" {
	local pid rc=0 p tag chan long
	make_sessions "$C1_URL" 6 x
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync --all --from "$C1_URL" --to "$SOLO" \
		--task hostile --interval 300
	pid=$!
	until_ok 60 'grep -q "\"lag\":true" "$BATS_TEST_TMPDIR/out"'
	long=$(head -c 70000 /dev/zero | tr '\0' x)
	# on each master, the slot channel of a tag it serves: no newline, an
	# id too long, bytes that are no id, empty, a NUL inside an id
	for p in $C1_PORTS; do
		tag=$(redis-cli -p "$p" --scan --pattern 'sess:#{*}:index' | head -n 1 | sed 's/^sess:#{\(.*\)}:index$/\1/')
		[ -n "$tag" ] || continue
		chan="sess:#{$tag}:notify"
		redis-cli -p "$p" SPUBLISH "$chan" "$long" >/dev/null
		redis-cli -p "$p" SPUBLISH "$chan" "$long
x" >/dev/null
		redis-cli -p "$p" SPUBLISH "$chan" 'bad id!
{"seq":1}' >/dev/null
		redis-cli -p "$p" SPUBLISH "$chan" '' >/dev/null
		printf 'SPUBLISH %s "x1\\x00zz\\nrest"\n' "$chan" | redis-cli -p "$p" >/dev/null
		printf 'SPUBLISH %s "\\xff\\xfe\\n"\n' "$chan" | redis-cli -p "$p" >/dev/null
	done
	for id in x1 x2 x3 x5 x6; do
		REDIS_URL=$C1_URL run -0 sk sessctl emit "$id" --actor bob --type late
	done
	until_ok 20 '(for id in x1 x2 x3 x5 x6; do [ "$(seq_of "$SOLO" "$id")" = 4 ] || exit 1; done)'
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 130 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
	run -0 sk sess-migrate verify --all --deep --from "$C1_URL" --to "$SOLO"
}

@test "sync from a cluster whose ACL refuses SSUBSCRIBE says so and follows by passes" {
	local pid p url
	make_sessions "$C1_URL" 3 n
	for p in $C1_PORTS; do
		redis-cli -p "$p" acl setuser nosub on '>pw' '~*' '&*' +@all -ssubscribe >/dev/null
	done
	url=redis://nosub:pw@${C1_URL#redis://}
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync --all --from "$url" --to "$SOLO" \
		--task nosub --interval 1
	pid=$!
	until_ok 60 'grep -q "\"lag\":true" "$BATS_TEST_TMPDIR/out"'
	grep -q "refused to let sync listen on its masters" "$BATS_TEST_TMPDIR/err" || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	REDIS_URL=$C1_URL run -0 sk sessctl emit n1 --actor bob --type late
	until_ok 30 '[ "$(seq_of "$SOLO" n1)" = 4 ]'
	kill -INT "$pid"
	wait "$pid" || true
	for p in $C1_PORTS; do redis-cli -p "$p" acl deluser nosub >/dev/null; done
}

@test "sync from a cluster as the user sess-validate acl gives a sync source: its emits heard (SSUBSCRIBE on the slot channels allowed)" {
	local pid p url line rc=0
	make_sessions "$C1_URL" 3 u
	line=$(sk sess-validate acl sess-migrate sync-source | jq -r .setuser)
	[[ $line == "ACL SETUSER USER "* ]] || fail "not a setuser line: $line"
	for p in $C1_PORTS; do
		redis-cli -p "$p" acl setuser syncsrc reset on '>pw' >/dev/null
		# shellcheck disable=SC2086 # the rules, one word each
		redis-cli -p "$p" acl setuser syncsrc ${line#ACL SETUSER USER } >/dev/null
	done
	url=redis://syncsrc:pw@${C1_URL#redis://}
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync --all --from "$url" --to "$SOLO" \
		--task aclsrc --interval 300
	pid=$!
	until_ok 60 'grep -q "\"lag\":true" "$BATS_TEST_TMPDIR/out"'
	if grep -q "refused" "$BATS_TEST_TMPDIR/err"; then fail "$(cat "$BATS_TEST_TMPDIR/err")"; fi
	REDIS_URL=$C1_URL run -0 sk sessctl emit u1 --actor bob --type late
	until_ok 20 '[ "$(seq_of "$SOLO" u1)" = 4 ]'
	kill -INT "$pid"
	wait "$pid" || rc=$?
	for p in $C1_PORTS; do redis-cli -p "$p" acl deluser syncsrc >/dev/null; done
	[ "$rc" = 130 ] || fail "exit $rc: $(cat "$BATS_TEST_TMPDIR/err")"
}

@test "sync cluster to cluster: a deletion no notification announces is found in the target's per-slot marks; resume goes on" {
	local pid
	make_sessions "$C1_URL" 12 w
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate sync --all --from "$C1_URL" --to "$C2_URL" \
		--task both --interval 1
	pid=$!
	until_ok 60 'grep -q "\"lag\":true" "$BATS_TEST_TMPDIR/out"'
	REDIS_URL=$C1_URL run -0 sk sessctl delete w2
	REDIS_URL=$C1_URL run -0 sk sessctl delete w9
	REDIS_URL=$C1_URL run -0 sk sessctl emit w5 --actor bob --type late
	until_ok 30 '[ -z "$(seq_of "$C2_URL" w2)" ] && [ -z "$(seq_of "$C2_URL" w9)" ] && [ "$(seq_of "$C2_URL" w5)" = 4 ]'
	grep -q '"id":"w2","status":"removed"' "$BATS_TEST_TMPDIR/out" || fail "$(cat "$BATS_TEST_TMPDIR/out")"
	kill -9 "$pid"
	wait "$pid" || true
	REDIS_URL=$C1_URL run -0 sk sessctl emit w6 --actor bob --type late
	sk_bg "$BATS_TEST_TMPDIR/out2" "$BATS_TEST_TMPDIR/err2" sess-migrate resume both --from "$C1_URL" --to "$C2_URL"
	pid=$!
	until_ok 30 '[ "$(seq_of "$C2_URL" w6)" = 4 ]'
	kill -INT "$pid"
	wait "$pid" || true
	run -0 sk sess-migrate verify --all --deep --from "$C1_URL" --to "$C2_URL"
	jq -e 'select(.summary) | .equal == 10 and .extra == 0' <<<"$output" || fail "$output"
	same_truth "$C1_URL" "$C2_URL"
}

@test "unfence on a cluster lifts the create fence of every slot and the sessions' field" {
	local p k tag="" seed=${C1_PORTS%% *}
	make_sessions "$C1_URL" 2 f
	# f1's slot tag, from its index entry's key
	for p in $C1_PORTS; do
		while read -r k; do
			if [ -n "$(redis-cli -p "$p" zscore "$k" f1)" ]; then tag=$k; fi
		done < <(redis-cli -p "$p" --scan --pattern 'sess:#{*}:index')
	done
	[ -n "$tag" ] || fail "no index entry for f1"
	tag=${tag#sess:#\{} tag=${tag%%\}*}
	REDIS_URL=$C1_URL run -0 sk sessctl delete f1
	redis-cli -c -p "$seed" set "sess:#{$tag}:fence" redis://elsewhere:6379 >/dev/null
	redis-cli -c -p "$seed" hset 'sess:{f2}:meta' moved redis://elsewhere:6379 >/dev/null
	REDIS_URL=$C1_URL run -69 sk sessctl create --agent alice --id f1
	assert_output --partial "moved"
	REDIS_URL=$C1_URL run -69 sk sessctl emit f2 --actor alice --type late
	run -0 sk sess-migrate unfence --from "$C1_URL"
	jq -e '.unfenced and .sessions >= 1' <<<"$output" || fail "$output"
	for p in $C1_PORTS; do
		[ -z "$(redis-cli -p "$p" --scan --pattern 'sess:#{*}:fence')" ] || fail "a fence left on $p"
	done
	REDIS_URL=$C1_URL run -0 sk sessctl create --agent alice --id f1
	REDIS_URL=$C1_URL run -0 sk sessctl emit f2 --actor alice --type late
}

@test "onto a cluster: --dry-run writes nothing, --ids and --since select, tasks lists with the slots' counts" {
	local p n
	make_sessions "$C1_URL" 20 d
	run -0 sk sess-migrate copy --all --dry-run --from "$C1_URL" --to "$C2_URL"
	[ "$(grep -c '"status":"would_copy"' <<<"$output")" -eq 20 ] || fail "$output"
	for p in $C2_PORTS; do
		[ "$(redis-cli -p "$p" dbsize)" = 0 ] || fail "the dry run wrote on $p: $(redis-cli -p "$p" --scan | head -3)"
	done
	printf 'd%d\n' 3 7 11 19 >"$BATS_TEST_TMPDIR/ids"
	run -0 sk sess-migrate copy --ids "$BATS_TEST_TMPDIR/ids" --from "$C1_URL" --to "$C2_URL" --task some
	[ "$(grep -c '"status":"copied"' <<<"$output")" -eq 4 ] || fail "$output"
	REDIS_URL=$C1_URL run -0 sk sessctl emit d5 --actor bob --type late
	run -0 sk sess-migrate copy --since 5s --from "$C1_URL" --to "$C2_URL" --task recent
	n=$(jq 'select(.summary) | .copied' <<<"$output")
	[ "$n" -ge 1 ] || fail "$output"
	grep -q '"id":"d5","status":"copied"' <<<"$output" || fail "d5 not copied: $output"
	run -0 sk sess-migrate tasks --to "$C2_URL"
	jq -se 'map(select(.task == "some")) | .[0].copied == 4' <<<"$output" || fail "tasks: $output"
	# the target's index holds exactly what the two tasks copied
	REDIS_URL=$C2_URL run -0 sk sessctl stats
	jq -e --argjson n "$((n + 4))" '.indexedSessions == $n and .totalSessions == $n' <<<"$output" || fail "$n: $output"
}

@test "--from-layout legacy from a cluster: refused (78), not read from one node in part" {
	redis-cli -c -p "${C1_PORTS%% *}" hset session:t1 id t1 >/dev/null
	run -78 sk sess-migrate copy --all --from-layout legacy --from "$C1_URL" --to "$SOLO"
	assert_output --partial "--from-layout legacy reads a standalone server"
	[ -z "$(redis-cli -s "$SOLO_SOCK" --scan --pattern 'sess:migrate:*')" ] || fail "a task was made on the target"
	run -78 sk sess-migrate export --all --from-layout legacy --from "$C1_URL"
}

@test "copy onto a cluster while 3,000 of its slots move: exact (verify --deep), companions and marks in their slots, each session once" {
	local from to p rc
	make_sessions "$SOLO" 300
	p=${C1_PORTS%% *}
	from=$(cluster_node_id "$p")
	to=$(cluster_node_id "$(echo "$C1_PORTS" | cut -d' ' -f2)")
	sk_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" sess-migrate copy --all --from "$SOLO" --to "$C1_URL" --task mv --batch 10 --rate 100
	cpid=$!
	redis-cli --cluster reshard "127.0.0.1:$p" --cluster-from "$from" --cluster-to "$to" \
		--cluster-slots 3000 --cluster-yes --cluster-pipeline 10 >"$BATS_TEST_TMPDIR/reshard" 2>&1 ||
		fail "reshard failed: $(tail -5 "$BATS_TEST_TMPDIR/reshard")"
	rc=0
	wait "$cpid" || rc=$?
	cluster_ok 30
	# a put a moving slot refused (a MOVED while its MULTI was queued) is
	# temporary (75), never a configuration error: nothing of it written,
	# resume finishes the task
	[ "$rc" = 0 ] || [ "$rc" = 75 ] || fail "copy exit $rc while the slots moved: $(grep -v '^{' "$BATS_TEST_TMPDIR/err" | tail -3)"
	echo "# copy exit $rc while the slots moved" >&3
	if [ "$rc" = 75 ]; then
		grep -q "resume mv" "$BATS_TEST_TMPDIR/err" || fail "no resume hint: $(cat "$BATS_TEST_TMPDIR/err")"
		run -0 sk sess-migrate resume mv --from "$SOLO" --to "$C1_URL"
	fi
	run -0 sk sess-migrate verify --all --deep --from "$SOLO" --to "$C1_URL"
	jq -e 'select(.summary) | .equal == 300 and .missing == 0 and .different == 0 and .extra == 0' <<<"$output" ||
		fail "verify: $output"
	same_truth "$SOLO" "$C1_URL"
	companions_in_own_slots "$C1_PORTS"
	run -0 sk sess-migrate status mv --to "$C1_URL"
	jq -e '.copied == 300' <<<"$output" || fail "status: $output"
}

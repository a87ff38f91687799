#!/usr/bin/env bats
# Least privilege: each tool and mode runs its flows as an ACL user holding
# exactly the rules `sess-validate acl` prints (the table sesskit-acl(7)
# documents); the server ran every command the mode lists (but the
# "sometimes" ones) and nothing else; a command taken away is named with
# the user and the fix, exit 77, and nothing is half-written.
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
	PW=acl-test-secret
	BG=()
}
teardown() {
	local p
	for p in "${BG[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rcli CONFIG SET notify-keyspace-events '' >/dev/null
	dcli CONFIG SET notify-keyspace-events '' >/dev/null
}

dcli() { redis-cli -s "$DST_SOCK" "$@"; }
# url PORT USER: the user's URL on that server
url() { echo "redis://$2:$PW@127.0.0.1:$1"; }

# mkuser CLI NAME TOOL MODE [TOOL MODE]... [-DROP]: NAME on that server
# with `ACL SETUSER NAME reset on >PW` and then each mode's setuser line as
# printed (the lines add up); -DROP leaves +DROP out of them.
mkuser() {
	local cli=$1 name=$2 drop="" line w last
	local -a words=()
	shift 2
	last=${!#}
	if [[ $last == -* ]]; then
		drop=+${last#-}
		set -- "${@:1:$#-1}"
	fi
	$cli ACL SETUSER "$name" reset on ">$PW" >/dev/null || fail "ACL SETUSER $name"
	while [ $# -ge 2 ]; do
		line=$(sk sess-validate acl "$1" "$2" | jq -r .setuser) || fail "sess-validate acl $1 $2"
		[[ $line == "ACL SETUSER USER "* ]] || fail "$1 $2: not a setuser line: $line"
		read -ra words <<<"${line#ACL SETUSER USER }"
		local -a keep=()
		for w in "${words[@]}"; do [ "$w" = "$drop" ] || keep+=("$w"); done
		assert_equal "$($cli ACL SETUSER "$name" "${keep[@]}")" OK
		shift 2
	done
}

# begin_flow CLI...: scripts and functions flushed (a fresh server loads
# them) and the command counters zeroed on these servers
begin_flow() {
	local c
	for c in "$@"; do
		$c SCRIPT FLUSH >/dev/null
		$c FUNCTION FLUSH >/dev/null
		$c CONFIG RESETSTAT >/dev/null
	done
}

# check_listed CLI TOOL MODE [TOOL MODE]...: what the server ran since
# begin_flow is what those modes list: none refused, none unlisted, and
# every listed one but the "sometimes" ones ran (so the list is not too
# broad). The test's own checks (PUBSUB, CLIENT LIST) are left out.
check_listed() {
	local cli=$1 stats seen listed="" all="" refused extra unused json
	shift
	while [ $# -ge 2 ]; do
		json=$(sk sess-validate acl "$1" "$2")
		listed+=$(jq -r '.commands[]' <<<"$json")$'\n'
		all+=$(jq -r '.commands[], .sometimes[]' <<<"$json")$'\n'
		shift 2
	done
	stats=$($cli INFO commandstats | tr -d '\r' | grep -v -e '^cmdstat_config|resetstat:' \
		-e '^cmdstat_auth:' -e '^cmdstat_pubsub|numsub:' -e '^cmdstat_client|list:')
	refused=$(sed -n 's/^cmdstat_\([^:]*\):.*rejected_calls=[1-9].*/\1/p' <<<"$stats")
	[ -z "$refused" ] || fail "refused during the flow: $refused"
	seen=$(sed -n 's/^cmdstat_\([^:]*\):calls=[1-9].*/\1/p' <<<"$stats" | sort -u)
	extra=$(comm -23 <(echo "$seen") <(sort -u <<<"$all" | sed '/^$/d'))
	[ -z "$extra" ] || fail "ran commands the ACL table does not list: $(echo $extra)"
	unused=$(comm -13 <(echo "$seen") <(sort -u <<<"$listed" | sed '/^$/d'))
	[ -z "$unused" ] || fail "listed but never run (too broad, or a \"sometimes\" one): $(echo $unused)"
}

# assert_refused CMD USER: after `run --separate-stderr`: exit 77, one
# stderr line naming CMD, USER and the rule to add, nothing on stdout
assert_refused() {
	assert_failure 77
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "not one line: $stderr"
	[[ $stderr == *"ACL user $2 may not "*"$1"*"ACL SETUSER $2 +$1"* ]] || fail "does not name $1 and the fix: $stderr"
	[ -z "$output" ] || fail "stdout: $output"
}

seed() { # a session s1 with two events and a checkpoint, as the default user
	sctl create --agent a --id s1 >/dev/null
	sctl emit s1 --actor a --type one >/dev/null
	sctl emit s1 --actor a --type two >/dev/null
	sctl checkpoint s1 >/dev/null
}

@test "the table: every line is a valid ACL for Redis, and sesskit-acl(7) shows each one" {
	local n line page
	n=$(sk sess-validate acl | wc -l)
	[ "$n" -ge 12 ] || fail "only $n modes"
	page=$(sed 's/\\-/-/g; s/\\e/\\/g; s/\\(aq/'"'"'/g' "$SESSKIT_SRCDIR/man/sesskit-acl.7")
	while read -r line; do
		[[ $page == *"$line"* ]] || fail "sesskit-acl(7) lacks: $line"
	done < <(sk sess-validate acl --user NAME | jq -r .setuser)
	mkuser rcli every $(sk sess-validate acl | jq -r '.tool + " " + .mode')
	run -0 sk sess-validate acl --prefix app --user ops --db 3 sess-migrate sync-source
	assert_equal "$(jq -r .setuser <<<"$output")" \
		"ACL SETUSER ops +multi +exec +dump +exists +get +hgetall +hmget +llen +pttl +time +zrange +zrangebyscore +zrank +psubscribe +config|get +config|set +info +lrange +zcount +scan +ssubscribe +role +select +cluster|myid +cluster|slots +asking ~app:* &app:{*}:notify &__keyspace@3__:app:{*}:meta &app:#{*}:notify"
	run -64 sk sess-validate acl sessctl nope
}

@test "sessctl read: get, events, list, agents, checkpoints, stats, follow and watch" {
	seed
	mkuser rcli reader sessctl read
	begin_flow rcli
	export REDIS_URL=$(url "$REDIS_PORT_T" reader)
	run -0 sctl get s1
	assert_equal "$(jq -r .seq <<<"$output")" 2
	run -0 sctl events s1
	assert_equal "$(wc -l <<<"$output")" 2
	run -0 sctl list
	run -0 sctl agents a
	run -0 sctl checkpoints s1
	run -0 sctl checkpoint show s1 1
	run -0 sctl stats
	sk_bg "$BATS_TEST_TMPDIR/f" "$BATS_TEST_TMPDIR/fe" sessctl events s1 --follow
	BG+=($!)
	sk_bg "$BATS_TEST_TMPDIR/w" "$BATS_TEST_TMPDIR/we" sessctl watch
	BG+=($!)
	sk_bg "$BATS_TEST_TMPDIR/w1" "$BATS_TEST_TMPDIR/w1e" sessctl watch s1
	BG+=($!)
	wait_subscribers 'sess:{s1}:notify' 2
	wait_subscribers 'sess:{*}:notify' 1
	check_listed rcli sessctl read
	REDIS_URL= sctl emit s1 --actor a --type three >/dev/null
	for f in f w w1; do
		for _ in $(seq 100); do grep -q three "$BATS_TEST_TMPDIR/$f" && break; sleep 0.05; done
		grep -q three "$BATS_TEST_TMPDIR/$f" || fail "$f missed the event: $(cat "$BATS_TEST_TMPDIR/$f" "$BATS_TEST_TMPDIR/${f}e")"
	done
}

@test "sessctl read: a command or the watch pattern taken away is named, exit 77" {
	seed
	mkuser rcli reader sessctl read -lrange
	REDIS_URL=$(url "$REDIS_PORT_T" reader) run -77 --separate-stderr sctl events s1
	assert_refused lrange reader
	mkuser rcli reader sessctl read
	rcli ACL SETUSER reader resetchannels '&sess:*' >/dev/null
	# (timeout: before the fix, a refused PSUBSCRIBE left watch waiting forever)
	run -77 --separate-stderr timeout 20 env REDIS_URL="$(url "$REDIS_PORT_T" reader)" HOME="$BATS_TEST_TMPDIR" \
		"$SESSKIT_BUILDDIR/sessctl" watch
	[[ $stderr == *"ACL user reader may not use a channel"*"sesskit-acl(7)"* ]] || fail "$stderr"
	mkuser rcli reader sessctl read -subscribe
	run -77 --separate-stderr timeout 20 env REDIS_URL="$(url "$REDIS_PORT_T" reader)" HOME="$BATS_TEST_TMPDIR" \
		"$SESSKIT_BUILDDIR/sessctl" events s1 --follow
	[[ $stderr == *"ACL user reader may not run subscribe"* ]] || fail "$stderr"
	[ "$(wc -l <<<"$output")" -eq 2 ] || fail "the events before the refusal: $output"
}

@test "sessctl write: create, join, emit, checkpoint (and --all), touch, leave, complete, delete, batch, shell" {
	seed
	mkuser rcli writer sessctl write
	begin_flow rcli
	export REDIS_URL=$(url "$REDIS_PORT_T" writer)
	run -0 sctl create --agent a --id w1
	run -0 sctl join w1 b
	run -0 sctl emit w1 --actor a --type x
	run -0 sctl checkpoint w1
	run -0 sctl checkpoint --all
	run -0 sctl touch w1
	run -0 sctl leave w1 b
	run -0 sctl complete w1
	run -0 sctl delete w1
	run -0 bash -c "echo '{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a\",\"type\":\"b\"}' | '$SESSKIT_BUILDDIR/sessctl' batch"
	assert_equal "$(jq -r .ok <<<"$output")" true
	run -0 bash -c "printf 'emit s1 --actor a --type sh\n' | '$SESSKIT_BUILDDIR/sessctl' shell"
	check_listed rcli sessctl write
	assert_equal "$(rcli LLEN 'sess:{s1}:events')" 4
}

@test "sessctl write: a write refused by the ACL is named, exit 77, and nothing is stored" {
	seed
	for cmd in publish hincrby rpush; do
		mkuser rcli writer sessctl write "-$cmd"
		export REDIS_URL=$(url "$REDIS_PORT_T" writer)
		case $cmd in
		publish) run -77 --separate-stderr sctl emit s1 --actor a --type x ;;
		hincrby) run -77 --separate-stderr sctl join s1 b ;;
		rpush) run -77 --separate-stderr sctl complete s1 ;;
		esac
		[[ $stderr == *"ACL user writer may not run $cmd"*"ACL SETUSER writer +$cmd"* ]] || fail "$cmd: $stderr"
		[ "$(wc -l <<<"$stderr")" -eq 1 ] || fail "$stderr"
		unset REDIS_URL
		assert_equal "$(rcli LLEN 'sess:{s1}:events')" 2
		assert_equal "$(rcli HGET 'sess:{s1}:meta' agents)" 1
		assert_equal "$(rcli HGET 'sess:{s1}:meta' state)" working
	done
	# in a batch: the line says so, exit 77
	mkuser rcli writer sessctl write -publish
	run -77 bash -c "echo '{\"op\":\"emit\",\"id\":\"s1\",\"actor\":\"a\",\"type\":\"b\"}' | REDIS_URL='$(url "$REDIS_PORT_T" writer)' '$SESSKIT_BUILDDIR/sessctl' batch 2>/dev/null"
	assert_equal "$(jq -r .error.code <<<"$output")" permission
	assert_equal "$(rcli LLEN 'sess:{s1}:events')" 2
}

@test "sessctl write: a user whose key patterns leave out an agent's index or a companion: refused before the first write (77), nothing stored" {
	local pat
	for pat in 'sess:#{all}:agent:*' 'sess:#{all}:stats'; do
		# every key of the prefix but those
		rcli ACL SETUSER narrow reset on ">$PW" '~sess:{*' '~sess:layout' '~sess:#{all}:index' '~sess:#{all}:agents' \
			'~sess:#{all}:fence' "$([ "$pat" = 'sess:#{all}:stats' ] && echo '~sess:#{all}:agent:*' || echo '~sess:#{all}:stats')" \
			'&*' '+@all' >/dev/null
		REDIS_URL=$(url "$REDIS_PORT_T" narrow) run -77 sctl create --id n1 --agent a1
		assert_equal "$(rcli EXISTS 'sess:{n1}:meta' 'sess:{n1}:history')" 0
		assert_equal "$(rcli ZSCORE 'sess:#{all}:index' n1)" ""
	done
}

@test "sessctl maintenance; a refused PTTL is named, exit 77" {
	seed
	rcli ZADD sess:#{all}:index 1 gone >/dev/null
	mkuser rcli admin sessctl maintenance
	begin_flow rcli
	REDIS_URL=$(url "$REDIS_PORT_T" admin) run -0 sctl maintenance
	check_listed rcli sessctl maintenance
	# a refused PTTL was taken for "kept" and the run said ok
	rcli ZADD sess:#{all}:index 1 gone >/dev/null
	mkuser rcli admin sessctl maintenance -pttl
	REDIS_URL=$(url "$REDIS_PORT_T" admin) run -77 --separate-stderr sctl maintenance
	assert_refused pttl admin
	assert_equal "$(rcli ZSCORE sess:#{all}:index gone)" 1
}

@test "sess-replay read: play, state, diff, verify, export, list, show, stats" {
	seed
	sk sess-replay save s1 >/dev/null
	mkuser rcli player sess-replay read
	begin_flow rcli
	export REDIS_URL=$(url "$REDIS_PORT_T" player)
	run -0 sk sess-replay play s1
	run -0 sk sess-replay state s1 --at 1
	run -0 sk sess-replay diff s1 --from 1 --to 2
	run -0 sk sess-replay verify s1
	run -0 sk sess-replay verify --all
	run -0 sk sess-replay export s1
	run -0 sk sess-replay list
	run -0 sk sess-replay show s1
	run -0 sk sess-replay stats
	check_listed rcli sess-replay read
}

@test "sess-replay save: save, import, fork, delete, cleanup; a refused save writes nothing" {
	seed
	sk sess-replay export s1 >"$BATS_TEST_TMPDIR/s1.jsonl"
	mkuser rcli saver sess-replay save
	begin_flow rcli
	export REDIS_URL=$(url "$REDIS_PORT_T" saver)
	run -0 sk sess-replay save s1
	run -0 sk sess-replay fork s1 --at 1 --id s1-fork
	run -0 sk sess-replay delete s1
	run -0 sk sess-replay import "$BATS_TEST_TMPDIR/s1.jsonl"
	run -0 sk sess-replay cleanup --older-than 1
	check_listed rcli sess-replay save
	unset REDIS_URL
	sk sess-replay delete s1 >/dev/null
	# zadd is queued in save's MULTI: EXEC is aborted and the queued refusal named
	mkuser rcli saver sess-replay save -zadd
	REDIS_URL=$(url "$REDIS_PORT_T" saver) run -77 --separate-stderr sk sess-replay save s1
	assert_refused zadd saver
	assert_equal "$(rcli --scan --pattern 'sess:replay*' | wc -l)" 0
	# fork's transaction refused: named (it said "created meanwhile", exit 1)
	mkuser rcli saver sess-replay save -rpush
	REDIS_URL=$(url "$REDIS_PORT_T" saver) run -77 --separate-stderr sk sess-replay fork s1 --at 1 --id s1-f2
	assert_refused rpush saver
	assert_equal "$(rcli EXISTS 'sess:{s1-f2}:meta')" 0
	# delete's ZREM refused: named, and the replay kept with its index entry
	# (it said deleted and left the entry)
	sk sess-replay save s1 >/dev/null
	mkuser rcli saver sess-replay save -zrem
	REDIS_URL=$(url "$REDIS_PORT_T" saver) run -77 --separate-stderr sk sess-replay delete s1
	assert_refused zrem saver
	assert_equal "$(rcli EXISTS 'sess:replay:{s1}')" 1
	[ -n "$(rcli ZSCORE sess:#{all}:replays s1)" ] || fail "the index entry is gone"
}

@test "sess-migrate: source and target sides of copy, verify, resume, status, tasks, rollback, export, import" {
	seed
	mkuser rcli src sess-migrate source
	mkuser dcli dst sess-migrate target
	local from to
	from=$(url "$REDIS_PORT_T" src) to=$(url "$DST_PORT" dst)
	begin_flow rcli dcli
	run -0 sk sess-migrate copy --all --from "$from" --to "$to" --task t1
	run -0 sk sess-migrate verify --all --from "$from" --to "$to"
	run -0 sk sess-migrate resume t1 --from "$from" --to "$to"
	run -0 sk sess-migrate status t1 --to "$to"
	run -0 sk sess-migrate tasks --to "$to"
	run -0 sk sess-migrate rollback t1 --to "$to"
	run -0 sk sess-migrate export --all --from "$from" -o "$BATS_TEST_TMPDIR/all.jsonl"
	run -0 sk sess-migrate import "$BATS_TEST_TMPDIR/all.jsonl" --to "$to"
	check_listed rcli sess-migrate source
	check_listed dcli sess-migrate target
	assert_equal "$(dcli HGET 'sess:{s1}:meta' seq)" 2
}

@test "sess-migrate: a target refused RESTORE is named, exit 77, and holds no session" {
	seed
	mkuser rcli src sess-migrate source
	mkuser dcli dst sess-migrate target -restore
	run -77 --separate-stderr sk sess-migrate copy --all --from "$(url "$REDIS_PORT_T" src)" --to "$(url "$DST_PORT" dst)" --method dump
	[[ $stderr == *"ACL user dst may not run restore"*"ACL SETUSER dst +restore"* ]] || fail "$stderr"
	assert_equal "$(dcli EXISTS 'sess:{s1}:meta')" 0
}

@test "sess-migrate: sync --cutover and unfence with the source and cutover lines" {
	seed
	mkuser rcli src sess-migrate sync-source sess-migrate cutover
	mkuser dcli dst sess-migrate target
	begin_flow rcli dcli
	run -0 sk sess-migrate sync --all --from "$(url "$REDIS_PORT_T" src)" --to "$(url "$DST_PORT" dst)" --cutover
	run -0 sk sess-migrate unfence --from "$(url "$REDIS_PORT_T" src)"
	check_listed rcli sess-migrate sync-source sess-migrate cutover
	assert_equal "$(dcli HGET 'sess:{s1}:meta' seq)" 2
}

@test "sess-migrate: sync follows changes with the source and target lines" {
	seed
	rcli CONFIG SET notify-keyspace-events Kghx >/dev/null
	mkuser rcli src sess-migrate sync-source
	mkuser dcli dst sess-migrate target
	sk_bg "$BATS_TEST_TMPDIR/o" "$BATS_TEST_TMPDIR/e" sess-migrate sync --all --from "$(url "$REDIS_PORT_T" src)" --to "$(url "$DST_PORT" dst)" --interval 1
	BG+=($!)
	for _ in $(seq 200); do [ "$(dcli HGET 'sess:{s1}:meta' seq)" = 2 ] && break; sleep 0.05; done
	wait_subscribers '__keyspace@0__:sess:{*}:meta' 1
	sctl emit s1 --actor a --type late >/dev/null
	for _ in $(seq 200); do [ "$(dcli HGET 'sess:{s1}:meta' seq)" = 3 ] && break; sleep 0.05; done
	assert_equal "$(dcli HGET 'sess:{s1}:meta' seq)" 3
	! grep -q -i 'ACL\|NOPERM' "$BATS_TEST_TMPDIR/e" || fail "$(cat "$BATS_TEST_TMPDIR/e")"
}

@test "sess-validate sessions, and --repair" {
	seed
	mkuser rcli checker sess-validate sessions
	begin_flow rcli
	REDIS_URL=$(url "$REDIS_PORT_T" checker) run -0 sk sess-validate sessions s1
	REDIS_URL=$(url "$REDIS_PORT_T" checker) run -0 sk sess-validate sessions --all
	check_listed rcli sess-validate sessions
	rcli PERSIST 'sess:{s1}:events' >/dev/null
	rcli HSET 'sess:{s1}:meta' agents 9 >/dev/null
	rcli ZREM sess:#{all}:index s1 >/dev/null
	rcli ZADD sess:#{all}:index 1 ghost >/dev/null
	mkuser rcli repairer sess-validate repair
	begin_flow rcli
	REDIS_URL=$(url "$REDIS_PORT_T" repairer) run -1 sk sess-validate sessions --all --repair
	check_listed rcli sess-validate repair
	REDIS_URL= run -0 sk sess-validate sessions --all
	# a repair refused: named, exit 77, the index left as it was
	rcli ZREM sess:#{all}:index s1 >/dev/null
	mkuser rcli repairer sess-validate repair -zadd
	REDIS_URL=$(url "$REDIS_PORT_T" repairer) run -77 --separate-stderr sk sess-validate sessions --all --repair
	[[ $stderr == *"ACL user repairer may not run zadd"*"ACL SETUSER repairer +zadd"* ]] || fail "$stderr"
	assert_equal "$(rcli ZSCORE sess:#{all}:index s1)" ""
}

@test "sess-validate server: per tool and mode, what this user may run" {
	seed
	mkuser rcli ops sess-validate server sessctl read sess-replay read
	begin_flow rcli
	REDIS_URL=$(url "$REDIS_PORT_T" ops) run -0 sk sess-validate server
	check_listed rcli sess-validate server
	assert_equal "$(jq -r 'select(.code == "server.acl_can") | .message' <<<"$output")" \
		"user ops can run: sessctl read, sess-replay read, sess-validate server"
	assert_equal "$(jq -r 'select(.code == "server.acl_can") | .severity' <<<"$output")" info
	[[ $(jq -r 'select(.code == "server.acl_mode") | .message' <<<"$output") == *"user ops cannot run sess-replay save"*"no "*"rpush"* ]] \
		|| fail "$output"
	jq -r 'select(.code == "server.acl_mode" and (.message | test("cannot run sess-replay save"))) | .fix' <<<"$output" \
		| grep -qF "ACL SETUSER ops +multi +exec +watch" || fail "$output"
	# the full user: nothing to say
	REDIS_URL= run -0 sk sess-validate server
	[ -z "$(jq -r 'select(.code | test("acl")) | .code' <<<"$output")" ] || fail "$output"
	# GET refused: the layout marker unread is said so (it said "a layout
	# this sesskit does not know")
	mkuser rcli ops sess-validate server -get
	REDIS_URL=$(url "$REDIS_PORT_T" ops) run -1 sk sess-validate server
	[[ $(jq -r 'select(.code == "server.acl" and (.message | test("layout marker"))) | .message' <<<"$output") == *"may not run get"* ]] \
		|| fail "$output"
	[[ $output != *"does not know"* ]] || fail "$output"
	# DRYRUN refused to the user itself: an info, not an error
	mkuser rcli ops sess-validate server '-acl|dryrun'
	REDIS_URL=$(url "$REDIS_PORT_T" ops) run -0 sk sess-validate server
	assert_equal "$(jq -r 'select(.code == "server.acl_unknown") | .severity' <<<"$output")" info
	[[ $(jq -r 'select(.code == "server.acl_unknown") | .message' <<<"$output") == *"ACL DRYRUN"* ]] || fail "$output"
}

@test "sess-health check, probe and serve" {
	seed
	mkuser rcli health sess-health check
	begin_flow rcli
	export REDIS_URL=$(url "$REDIS_PORT_T" health)
	run -0 sk sess-health check
	assert_equal "$(jq -r .status <<<"$output")" pass
	run -0 sk sess-health probe
	check_listed rcli sess-health check
	sk_bg "$BATS_TEST_TMPDIR/s.out" "$BATS_TEST_TMPDIR/s.err" sess-health serve --listen 127.0.0.1:0
	BG+=($!)
	local base=""
	for _ in $(seq 200); do
		base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$BATS_TEST_TMPDIR/s.err") && break
		sleep 0.05
	done
	[ -n "$base" ] || fail "serve did not start: $(cat "$BATS_TEST_TMPDIR/s.err")"
	assert_equal "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$base/health")" 200
}

@test "sess-bench: the scenarios and cleanup under sessbench:" {
	mkuser rcli bench sess-bench run
	begin_flow rcli
	export REDIS_URL=$(url "$REDIS_PORT_T" bench)
	local s
	for s in create emit get list checkpoint join-leave mixed agents; do
		run -0 sk sess-bench "$s" -n 40 -c 2 -S 3 -i 0 --think 0
		# a refused operation is counted as an error, not a failed run
		assert_equal "$(jq -r 'select(.type == "summary") | .total.errors' <<<"$output")" 0
	done
	run -0 sk sess-bench emit -n 40 -c 2 -S 3 -i 0 --capacity
	run -0 sk sess-bench emit -n 40 -c 2 -S 3 -i 0 --keep --run-id kept
	run -0 sk sess-bench cleanup kept
	check_listed rcli sess-bench run
	assert_equal "$(rcli --scan --pattern 'sessbench:*' | wc -l)" 0
}

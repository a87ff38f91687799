#!/usr/bin/env bats
# One vocabulary across the six tools (sesskit(7)): durations with units,
# one reading of times, the same words meaning the same everywhere.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

@test "durations take units everywhere; a bare number keeps the option's unit" {
	run -0 sctl create --agent a --id d1 --ttl 2h
	ttl=$(rcli PTTL 'sess:{d1}:meta')
	[ "$ttl" -gt 7190000 ] && [ "$ttl" -le 7200000 ] || fail "--ttl 2h: PTTL $ttl"
	run -0 sctl create --agent a --id d2 --ttl 1h30m
	ttl=$(rcli PTTL 'sess:{d2}:meta')
	[ "$ttl" -gt 5390000 ] && [ "$ttl" -le 5400000 ] || fail "--ttl 1h30m: PTTL $ttl"
	run -0 sctl create --agent a --id d3 --ttl 600
	ttl=$(rcli PTTL 'sess:{d3}:meta')
	[ "$ttl" -gt 590000 ] && [ "$ttl" -le 600000 ] || fail "--ttl 600 (bare seconds): PTTL $ttl"
	run -0 sctl touch d3 --ttl 45m
	ttl=$(rcli PTTL 'sess:{d3}:meta')
	[ "$ttl" -gt 2690000 ] && [ "$ttl" -le 2700000 ] || fail "touch --ttl 45m: PTTL $ttl"
	# the common --timeout: ms bare, or with a unit
	run -0 sctl get d1 --timeout 2s
	run -0 sctl get d1 -t 1500
}

@test "a bad duration: one line naming the option, the forms and the value; exit 64; nothing written" {
	run -64 sctl create --agent a --id bad --ttl 1500ms
	assert_output --partial "--ttl counts whole seconds"
	run -64 sctl create --agent a --id bad --ttl 2y
	assert_output --partial "--ttl takes a duration such as"
	assert_output --partial "'2y'"
	run -64 sctl create --agent a --id bad --ttl 3651d
	assert_output --partial "--ttl takes 1s to 3650d"
	[ "$(echo "$output" | wc -l)" -eq 1 ] || fail "more than one line: $output"
	assert_equal "$(rcli EXISTS 'sess:{bad}:meta')" 0
	run -64 sk sess-replay cleanup --older-than 12h
	assert_output --partial "--older-than counts whole days"
}

@test "help shows each duration option's range, default and bare unit, generated from the table" {
	run -0 sctl create --help
	assert_output --partial "--ttl DURATION"
	assert_output --partial "(1s-3650d; a bare number: seconds)"
	run -0 sk sess-bench emit --help
	assert_output --partial "default 1s; a bare number: milliseconds"
}

@test "settings take durations in config files (one setter for file, environment and flags); sess-validate and the schema agree" {
	printf '{"defaultTTL": "2h", "redis": {"commandTimeout": "3s"}}\n' >"$BATS_TEST_TMPDIR/c.json"
	run -0 sctl create --agent a --id cf --config "$BATS_TEST_TMPDIR/c.json"
	ttl=$(rcli PTTL 'sess:{cf}:meta')
	[ "$ttl" -gt 7190000 ] && [ "$ttl" -le 7200000 ] || fail "defaultTTL \"2h\": PTTL $ttl"
	run -0 sk sess-validate config "$BATS_TEST_TMPDIR/c.json"
	printf '{"defaultTTL": "2 hours"}\n' >"$BATS_TEST_TMPDIR/bad.json"
	run -78 sctl create --agent a --id cf2 --config "$BATS_TEST_TMPDIR/bad.json"
	assert_output --partial "takes a duration"
	run -1 sk sess-validate config "$BATS_TEST_TMPDIR/bad.json"
	assert_output --partial "config.range"
	run -0 sk sess-validate schema
	echo "$output" | jq -e '.properties.defaultTTL.anyOf[1].pattern | test("ms")' >/dev/null ||
		fail "defaultTTL's schema takes no duration: $(echo "$output" | jq -c .properties.defaultTTL)"
	# the schema's pattern and the parser read the same shapes
	pat=$(echo "$output" | jq -r '.properties.defaultTTL.anyOf[1].pattern')
	for d in 1h 1h30m 90s 2d3h 250ms 7; do
		[[ "$d" =~ $pat ]] || fail "the schema refuses $d"
	done
	for d in 1m1h h 1.5s '1 h' 1h30; do
		[[ ! "$d" =~ $pat ]] || fail "the schema takes $d"
	done
}

@test "times: epoch ms as printed, @MS, RFC 3339 and ages are one reading in every tool" {
	run -0 sctl create --agent a --id t1
	for n in 1 2 3; do
		run -0 sctl emit t1 --actor a --type modified --impact "{\"n\":$n}"
	done
	ts=$(sctl events t1 | jq -s -r '.[1].timestamp')
	[[ "$ts" =~ ^[0-9]{13}$ ]] || fail "no timestamp: $ts"
	# sess-replay: a bare number is a seq; @MS the time sessctl printed
	run -0 sk sess-replay state t1 --at "@$ts"
	by_time=$(echo "$output" | jq -c .seq)
	run -0 sk sess-replay state t1 --at 2
	by_seq=$(echo "$output" | jq -c .seq)
	assert_equal "$by_time" 2
	assert_equal "$by_seq" 2
	run -0 sk sess-replay state t1 --at now
	run -0 sk sess-replay play t1 --from 1h --events-only
	[ "$(echo "$output" | grep -c .)" -ge 3 ] || fail "play --from 1h lost events: $output"
	run -64 sk sess-replay state t1 --at yesterday
	assert_output --partial "--at takes a seq (a whole number) or a time"
	# sess-migrate --since: the same forms, a bare number is epoch ms
	for since in 1h "1h ago" "@$ts" "$ts" now; do
		run -0 sk sess-migrate copy --since "$since" --to "redis://127.0.0.1:$REDIS_PORT_T/5" --dry-run
	done
	run -64 sk sess-migrate copy --since 2hours --to "redis://127.0.0.1:$REDIS_PORT_T/5" --dry-run
	assert_output --partial "--since takes a time"
}

@test "lists as a table or TSV: the same rows as the JSON, times readable in a table, raw in TSV" {
	run -0 sctl create --agent a --id tb1
	run -0 sctl create --agent a --id tb2
	run -0 sctl emit tb1 --actor a --type broke --change '{"elementType":"test","entityIds":["x"],"operation":"failed"}'
	run -0 sctl emit tb1 --actor a --type modified --change '{"elementType":"test","entityIds":["x"],"operation":"two\twords\nand a line"}'
	# JSON stays the default in a pipe
	run -0 sctl list
	assert_equal "$(echo "$output" | jq -s 'length')" 2
	json_ids=$(echo "$output" | jq -r .id | sort | tr '\n' ' ')
	run -0 sctl list --tsv
	assert_line --index 0 "$(printf 'id\tstate\tseq\tagents\tcreator\tupdated\texpires')"
	assert_equal "$(echo "$output" | tail -n +2 | cut -f1 | sort | tr '\n' ' ')" "$json_ids"
	want_row=$(sctl list | jq -r 'select(.id == "tb1") | [.id, .state, .seq, .agentCount, .creator, .updated, .expiresAt] | map(tostring) | join("\t")')
	assert_line "$want_row"
	upd=$(sctl get tb1 | jq -r .updated)
	# TSV escapes a tab and a newline inside a value: one line per row
	run -0 sctl events tb1 --tsv
	assert_equal "$(echo "$output" | wc -l)" 3
	assert_line --index 2 --regexp '^2	[0-9]{13}	a	modified	two\\twords\\nand a line	$'
	# a table: aligned columns, local times, one line per row
	TZ=UTC run -0 sctl list --table
	assert_line --index 0 --regexp '^id +state +seq +agents +creator +updated +expires$'
	assert_line --regexp '^tb1 +working +2 +1 +a +20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] '
	want=$(TZ=UTC date -d "@$((upd / 1000))" '+%Y-%m-%d %H:%M:%S')
	assert_line --regexp "^tb1 .* $want "
	col=$(echo "${lines[0]}" | awk '{print index($0, "state")}')
	for l in "${lines[@]}"; do
		[ "${l:$((col - 2)):1}" = " " ] || fail "columns not aligned: $output"
	done
	run -0 sctl events tb1 --table
	assert_line --index 1 --regexp '^1 +[0-9-]+ [0-9:]+ +a +broke +failed'
	# --json wins; a command that prints no list refuses --table and --tsv
	run -0 sctl list --table --json
	echo "$output" | jq -e -s 'length == 2' >/dev/null || fail "--json did not win: $output"
	run -64 sctl get tb1 --tsv
	assert_output --partial "get prints no list"
	run -0 sk sess-replay save tb1
	run -0 sk sess-replay list --tsv
	assert_line --index 0 "$(printf 'id\tsaved\tstate\tfirst\tlast\tevents\tbytes\tratio')"
	assert_line --index 1 --regexp "^tb1	[0-9]{13}	working	1	2	2	"
}

@test "sess-migrate status and tasks: a table or TSV of the task's row, JSON with --json" {
	dst="redis://127.0.0.1:$REDIS_PORT_T/5"
	run -0 sctl create --agent a --id mt1
	run -0 sk sess-migrate copy --all --to "$dst" --task tbl1
	run -0 sk sess-migrate copy --all --to "$dst" --task tbl2
	created=$(sk sess-migrate status tbl1 --to "$dst" | jq -r .created)
	run -0 sk sess-migrate status tbl1 --to "$dst" --tsv
	assert_line --index 0 "$(printf 'task\tkind\tstatus\tstate\tcreated\tcopied\treplaced\tskipped\tlag\tfrom\tto')"
	assert_line --index 1 --regexp "^tbl1	copy	done		$created	1	0	0		.*	.*/5\$"
	assert_equal "${#lines[@]}" 2
	run -0 sk sess-migrate tasks --to "$dst" --tsv
	assert_equal "$(echo "$output" | tail -n +2 | cut -f1 | tr '\n' ' ')" "tbl1 tbl2 "
	assert_line --index 2 --regexp '^tbl2	copy	done		[0-9]{13}	0	0	1	'
	want=$(TZ=UTC date -d "@$((created / 1000))" '+%Y-%m-%d %H:%M:%S')
	TZ=UTC run -0 sk sess-migrate tasks --to "$dst" --table
	assert_line --index 0 --regexp '^task +kind +status +state +created +copied +replaced +skipped +lag +from +to$'
	assert_line --index 1 --regexp "^tbl1 +copy +done +$want +1 +0 +0 "
	run -0 sk sess-migrate status tbl1 --to "$dst" --table --json
	echo "$output" | jq -e '.task == "tbl1" and .copied == 1' >/dev/null || fail "--json did not win: $output"
	# a command of sess-migrate that prints no list still refuses them
	run -64 sk sess-migrate unfence --url "$dst" --tsv
	assert_output --partial "unfence prints no list"
}

@test "one progress meter on a terminal for long passes (count, rate, time); nothing in a pipe" {
	for n in $(seq 1 300); do echo "{\"op\":\"create\",\"id\":\"pm$n\",\"agent\":\"a\"}"; done >"$BATS_TEST_TMPDIR/in"
	run -0 sctl batch <"$BATS_TEST_TMPDIR/in"
	printf '{"maxEventsPerSession": 5, "cleanupBatchSize": 10}\n' >"$BATS_TEST_TMPDIR/c.json"
	# in a pipe: stderr stays empty
	sctl maintenance --config "$BATS_TEST_TMPDIR/c.json" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" ||
		fail "maintenance failed: $(cat "$BATS_TEST_TMPDIR/err")"
	[ ! -s "$BATS_TEST_TMPDIR/err" ] || fail "a pipe got a meter: $(cat "$BATS_TEST_TMPDIR/err")"
	# on a terminal (script(1) gives it one): the meter, then cleared
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME="$BATS_FILE_TMPDIR" SESSKIT_CONFIG= \
		script -qec "$SESSKIT_BUILDDIR/sessctl maintenance --config $BATS_TEST_TMPDIR/c.json --json" \
		"$BATS_TEST_TMPDIR/tty" >/dev/null
	grep -aqE $'\r\e\\[Kmaintenance: logs  [0-9,]+  ' "$BATS_TEST_TMPDIR/tty" ||
		fail "no meter on the terminal: $(cat -v "$BATS_TEST_TMPDIR/tty")"
	# cleared before the result: the last erase comes right before the JSON
	grep -aq $'\r\e\\[K{' "$BATS_TEST_TMPDIR/tty" || fail "the meter was not cleared: $(cat -v "$BATS_TEST_TMPDIR/tty")"
}

@test "letters: one meaning each; an old letter works one release with a warning naming the long form" {
	run -0 sctl create --agent a --id lt1
	run -0 --separate-stderr sk sess-validate sessions -a
	[[ "$stderr" == *"-a is read as --all for this release only; write --all"* ]] || fail "no warning: $stderr"
	run -0 --separate-stderr sk sess-validate sessions --all
	assert_equal "$stderr" ""
	run -0 --separate-stderr sk sess-health -f json --no-pubsub
	[[ "$stderr" == *"-f is read as --format"*"-f is --follow in every sesskit tool"* ]] || fail "no warning: $stderr"
	echo "$output" | jq -e .status >/dev/null || fail "-f json did not choose JSON: $output"
	run -0 sk sess-validate sessions --help
	refute_output --partial " -a, --all"
	assert_output --regexp '      --all '
	run -0 sk sess-health --help
	refute_output --partial "-f, --format"
	# the letters that stay: -a agent, -f follow, -l limit, -e events
	run -0 sctl list -a a -l 5
	run -0 sctl get lt1 -e
}

@test "events --tail N and --type: the last N, of one type; with --limit; refused with --follow" {
	run -0 sctl create --agent a --id et
	for n in $(seq 1 20); do
		t=modified
		if [ $((n % 4)) -eq 0 ]; then t=broke; fi
		echo "{\"op\":\"emit\",\"id\":\"et\",\"actor\":\"a\",\"type\":\"$t\",\"impact\":{\"n\":$n}}"
	done >"$BATS_TEST_TMPDIR/in"
	run -0 sctl batch <"$BATS_TEST_TMPDIR/in"
	run -0 sctl events et --tail 3
	assert_equal "$(echo "$output" | jq -s -c 'map(.seq)')" "[18,19,20]"
	run -0 sctl events et --type broke
	assert_equal "$(echo "$output" | jq -s -c 'map(.seq)')" "[4,8,12,16,20]"
	run -0 sctl events et -T broke --tail 2
	assert_equal "$(echo "$output" | jq -s -c 'map(.seq)')" "[16,20]"
	run -0 sctl events et --type broke -l 2
	assert_equal "$(echo "$output" | jq -s -c 'map(.seq)')" "[4,8]"
	run -0 sctl events et --tail 2 --to 10
	assert_equal "$(echo "$output" | jq -s -c 'map(.seq)')" "[9,10]"
	run -0 sctl events et --tail 50
	assert_equal "$(echo "$output" | jq -s 'length')" 20
	# the same events as the whole log shows, byte for byte
	run -0 sctl events et
	assert_equal "$(echo "$output" | tail -3)" "$(sctl events et --tail 3)"
	run -64 sctl events et --follow --type broke
	assert_output --partial "--follow goes on forever"
}

@test "--color=always colours JSON lines in a pipe too (one line each); never by default there" {
	run -0 sctl create --agent a --id col1 --color=always
	[[ "$output" == *$'\e[34m"id"\e[0m:\e[32m"col1"\e[0m'* ]] || fail "no colour: $(cat -v <<<"$output")"
	assert_equal "${#lines[@]}" 1
	run -0 sctl get col1
	[[ "$output" != *$'\e['* ]] || fail "colour in a pipe without --color always"
	echo "$output" | jq -e '.id == "col1"' >/dev/null || fail "not JSON: $output"
}

@test "man pages: an alternating-font macro (.BR, .BI ...) never glues two words of its text together" {
	# ".BR sesskit (7)). On a terminal" renders "sesskit(7)).Onaterminal":
	# the macro joins its arguments without spaces, so two words side by
	# side past its first two arguments are run-together text
	run -0 python3 - "$SESSKIT_SRCDIR"/man/*.1 "$SESSKIT_SRCDIR"/man/*.7 <<'PY'
import re, sys
def roff_args(text):
    # roff's: blanks part arguments, "..." holds blanks, "" is a quote
    args, cur, quoted, i, have = [], "", False, 0, False
    while i < len(text):
        c = text[i]
        if quoted and c == '"' and text[i + 1:i + 2] == '"':
            cur += '"'; i += 2; continue
        if c == '"' and (quoted or not have):
            quoted = not quoted; have = True
        elif c in " \t" and not quoted:
            if have: args.append(cur)
            cur, have = "", False
        else:
            cur += c; have = True
        i += 1
    if have: args.append(cur)
    return args
for path in sys.argv[1:]:
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        m = re.match(r'^\.(BR|RB|BI|IB|IR|RI)\s+(.*)$', line.rstrip("\n"))
        if not m:
            continue
        args = roff_args(m.group(2))
        for k in range(1, len(args) - 1):
            if re.search(r'[A-Za-z0-9]$', args[k]) and re.match(r'^[A-Za-z0-9]', args[k + 1]):
                print("%s:%d: words run together: %s" % (path.split("/")[-1], n, line.strip()))
                break
PY
	assert_output ""
	# and as man renders it
	run -0 bash -c "MANWIDTH=200 man -l '$SESSKIT_SRCDIR/man/sesskit.7' 2>/dev/null | col -b"
	assert_output --partial "--ids -): JSON lines with an id field"
}

@test "ids: ID arguments, or - for a listing's JSON lines on stdin, in every tool that takes ids; sess-migrate copy and sync too" {
	for n in 1 2 3; do echo "{\"op\":\"create\",\"id\":\"iw$n\",\"agent\":\"a\"}"; done >"$BATS_TEST_TMPDIR/in"
	run -0 sctl batch <"$BATS_TEST_TMPDIR/in"
	sctl list >"$BATS_TEST_TMPDIR/list"
	# the same listing, piped into each as -
	run -0 sk sess-replay verify - <"$BATS_TEST_TMPDIR/list"
	assert_equal "$(jq -r .id <<<"$output" | sort | tr '\n' ' ')" "iw1 iw2 iw3 "
	local to="redis://127.0.0.1:$REDIS_PORT_T/5"
	run -0 sk sess-migrate copy - --to "$to" --task ids1 <"$BATS_TEST_TMPDIR/list"
	assert_equal "$(jq -r 'select(.status == "copied") | .id' <<<"$output" | sort | tr '\n' ' ')" "iw1 iw2 iw3 "
	# ids as arguments, as sess-replay verify ID takes one
	run -0 sk sess-migrate copy iw1 iw3 --to "$to" --task ids2 --conflict replace
	assert_equal "$(jq -r 'select(.status == "replaced") | .id' <<<"$output" | sort | tr '\n' ' ')" "iw1 iw3 "
	# --ids FILE|- as before; synopsis and man page name the forms
	run -0 sk sess-migrate copy --ids - --to "$to" --task ids3 --dry-run <"$BATS_TEST_TMPDIR/list"
	assert_equal "$(jq -r 'select(.status == "would_skip") | .id' <<<"$output" | wc -l)" 3
	local cmd
	for cmd in copy sync; do
		run -0 sk sess-migrate "$cmd" --help
		assert_line --index 0 --partial "|--ids FILE|ID...|-"
	done
}

@test "--from/--to: servers in sess-migrate, points of a history in sess-replay; each --help says which, sesskit(7) why both stay" {
	local cmd
	for cmd in copy sync verify export; do
		run -0 sk sess-migrate "$cmd" --help
		assert_line --regexp "^      --from URL +the source server's URL "
	done
	for cmd in play timeline diff; do
		run -0 sk sess-replay "$cmd" --help
		assert_line --regexp '^      --from SEQ\|TIME +(start at|the earlier point of) (this point of )?the history: a seq, or a time$'
		assert_line --regexp '^ +\(epoch ms, @MS, RFC 3339, 2h ago\)'
	done
	run -0 bash -c "MANWIDTH=200 man -l '$SESSKIT_SRCDIR/man/sesskit.7' 2>/dev/null | col -b"
	assert_output --partial "are a deliberate exception to one meaning per name"
	run -0 bash -c "MANWIDTH=200 man -l '$SESSKIT_SRCDIR/man/sess-migrate.1' 2>/dev/null | col -b"
	assert_output --partial "are servers here, the two ends of a move"
}

@test "--help names the config file read by default, ~/.config/sesskit/config.json, as the man pages do" {
	for b in sessctl sess-replay sess-migrate sess-validate sess-bench; do
		run -0 sk "$b" --help
		[[ "$output" == *'~/.config/sesskit/config.json'* ]] || fail "$b --help does not name ~/.config/sesskit/config.json"
	done
	run -0 sk sess-health --help
	[[ "$output" == *'~/.config/sesskit/config.json'* ]] || fail "sess-health --help does not name it"
}

@test "the progress meter on sess-validate sessions --all and sess-replay verify --all too, with the index's size as total; nothing in a pipe" {
	# 250: more than a page (200), so a meter is drawn before the end
	for n in $(seq 1 250); do echo "{\"op\":\"create\",\"id\":\"vm$n\",\"agent\":\"a\"}"; done >"$BATS_TEST_TMPDIR/in"
	run -0 sctl batch <"$BATS_TEST_TMPDIR/in"
	sk sess-validate sessions --all >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || true
	[ ! -s "$BATS_TEST_TMPDIR/err" ] || fail "a pipe got a meter: $(cat "$BATS_TEST_TMPDIR/err")"
	local cmd
	for cmd in "sess-validate sessions --all --format json" "sess-replay verify --all"; do
		REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME="$BATS_FILE_TMPDIR" SESSKIT_CONFIG= \
			script -qec "$SESSKIT_BUILDDIR/$cmd" "$BATS_TEST_TMPDIR/tty" >/dev/null || true
		# the total known (the index's ZCARD): done/total, a percentage and a bar
		grep -aqE $'\r\e\\[K[a-z -]+: [a-z ]+  [0-9,]+/250 +[0-9]+% \\[' "$BATS_TEST_TMPDIR/tty" ||
			fail "$cmd: no meter with a total on the terminal: $(cat -v "$BATS_TEST_TMPDIR/tty" | head -c 600)"
		# cleared: nothing of the meter after the last erase
		local last
		last=$(cat "$BATS_TEST_TMPDIR/tty")
		last=${last##*$'\e[K'}
		[[ "$last" != *'% ['* ]] || fail "$cmd: the meter was not cleared: $(cat -v "$BATS_TEST_TMPDIR/tty" | head -c 600)"
	done
	# sess-migrate's --rate still paces the pass (the meter's clock): 250 at 250/s take a second at least
	local t0 t1
	t0=$(date +%s%N)
	sk sess-migrate copy --all --to "redis://127.0.0.1:$REDIS_PORT_T/6" --rate 250 >/dev/null 2>&1 ||
		fail "sess-migrate copy --rate failed"
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -ge 1000 ] || fail "--rate 250 copied 250 in $(((t1 - t0) / 1000000)) ms"
	# sess-migrate verify draws the same meter (as copy and export do), its total known too;
	# in a pipe nothing
	sk sess-migrate verify --all --to "redis://127.0.0.1:$REDIS_PORT_T/5" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || true
	[ ! -s "$BATS_TEST_TMPDIR/err" ] || fail "sess-migrate: a pipe got a meter: $(cat -v "$BATS_TEST_TMPDIR/err")"
	REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T" HOME="$BATS_FILE_TMPDIR" SESSKIT_CONFIG= \
		script -qec "$SESSKIT_BUILDDIR/sess-migrate verify --all --to redis://127.0.0.1:$REDIS_PORT_T/5" \
		"$BATS_TEST_TMPDIR/tty" >/dev/null || true
	grep -aqE $'\r\e\\[Kverifying  [0-9,]+/250 +[0-9]+% \\[' "$BATS_TEST_TMPDIR/tty" ||
		fail "sess-migrate verify: no meter on the terminal: $(cat -v "$BATS_TEST_TMPDIR/tty" | head -c 600)"
	grep -aq $'\r\e\\[K{' "$BATS_TEST_TMPDIR/tty" || fail "sess-migrate verify: the meter was not cleared: $(cat -v "$BATS_TEST_TMPDIR/tty" | head -c 600)"
}

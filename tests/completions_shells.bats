#!/usr/bin/env bats
# Shell completion as the shells run it (tests/helpers/complete.bash): for
# every binary, in bash (COMP_* set as bash sets them, COMP_WORDBREAKS
# splitting included), zsh (interactive, under zpty, with compinit) and
# fish (complete -C): command names, a command's options, an option's
# values, --opt=value, a value after --url redis://127.0.0.1:PORT (bash
# splits it at ":"), and session ids from a real server holding more than
# 100 sessions, the one asked for created first.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	load helpers/complete
	common_setup
	completion_path
	URL="redis://127.0.0.1:$REDIS_PORT_T"
	# ids come from the server the line names: the configured one is dead
	REDIS_URL="redis://127.0.0.1:$(dead_port)"
	export REDIS_URL
}

# LINE|EXPECTED: what completing LINE offers (sorted, space-separated).
cases() {
	case $1 in
	sessctl) cat <<EOF
sessctl chec|checkpoint checkpoints
sessctl list --st|--state
sessctl list --state |broken completed working
sessctl list --state=b|--state=broken
sessctl --url $URL chec|checkpoint checkpoints
sessctl --url $URL list --state |broken completed working
sessctl --url=$URL list --state=w|--state=working
EOF
		;;
	sess-replay) cat <<EOF
sess-replay ve|verify
sess-replay play --sp|--speed
sess-replay play --color |always auto never
sess-replay play --color=n|--color=never
sess-replay --url $URL ve|verify
sess-replay --url $URL play --color |always auto never
sess-replay --url=$URL play --color=a|--color=always --color=auto
EOF
		;;
	sess-migrate) cat <<EOF
sess-migrate ro|rollback
sess-migrate copy --met|--method
sess-migrate copy --method |auto dump structural
sess-migrate copy --method=s|--method=structural
sess-migrate --url $URL ro|rollback
sess-migrate --url $URL copy --method |auto dump structural
sess-migrate --url=$URL copy --method=d|--method=dump
EOF
		;;
	sess-validate) cat <<EOF
sess-validate se|server sessions
sess-validate sessions --rep|--repair
sess-validate sessions --format |github json junit text
sess-validate sessions --format=j|--format=json --format=junit
sess-validate --url $URL se|server sessions
sess-validate --url $URL sessions --format |github json junit text
sess-validate --url=$URL sessions --format j|json junit
EOF
		;;
	sess-health) cat <<EOF
sess-health pr|probe
sess-health serve --cache|--cache-ms
sess-health --format |json nagios prometheus text
sess-health serve --role |any master replica
sess-health --format=p|--format=prometheus
sess-health --url $URL pr|probe
sess-health --url $URL --format |json nagios prometheus text
sess-health --url=$URL probe --role=r|--role=replica
EOF
		;;
	sess-bench) cat <<EOF
sess-bench join|join-leave
sess-bench emit --pipe|--pipeline
sess-bench emit --color |always auto never
sess-bench emit --color=n|--color=never
sess-bench --url $URL join|join-leave
sess-bench --url $URL emit --color |always auto never
sess-bench --url=$URL emit --color=a|--color=always --color=auto
EOF
		;;
	esac
}

# The commands that complete to session ids: COMMAND|EXPECTED for
# WORD "first-" (none for a binary without one).
id_commands() {
	case $1 in
	sessctl) echo "get" ;;
	sess-replay) echo "play" ;;
	sess-validate) echo "sessions" ;;
	esac
}

# More than 100 sessions in the index; the first created ("first-zq",
# the shortest TTL) is the one the most recent 100 leave out.
many_sessions() {
	local i
	run -0 "$SESSCTL" --url "$URL" create --agent a1 --id first-zq --ttl 600
	for i in $(seq 1 150); do
		printf '{"op":"create","id":"s-%03d","agent":"a1"}\n' "$i"
	done >"$BATS_TEST_TMPDIR/ops.jsonl"
	run -0 "$SESSCTL" --url "$URL" batch <"$BATS_TEST_TMPDIR/ops.jsonl"
	run -0 rcli ZCARD sess:#{all}:index
	[ "$output" -gt 100 ] || fail "the index holds $output sessions"
	run -0 rcli ZREVRANGE sess:#{all}:index 0 99
	[[ $'\n'"$output"$'\n' != *$'\n'first-zq$'\n'* ]] || fail "first-zq is among the 100 most recent"
}

# expect SHELL LINE EXPECTED
expect() {
	run -0 "$1_complete" "$2"
	[ "$(printf '%s\n' "$output" | sort -u | tr '\n' ' ' | sed 's/ $//')" = "$3" ] ||
		fail "$1: completing \"$2\" offers \"$(printf '%s' "$output" | tr '\n' ' ')\", not \"$3\""
}

# check SHELL BINARY: every case, and the ids when the binary has them
check() {
	local sh=$1 b=$2 line want cmd
	[ "$sh" = bash ] || need_shell "$sh"
	while IFS='|' read -r line want; do
		expect "$sh" "$line" "$want"
	done < <(cases "$b")
	cmd=$(id_commands "$b")
	[ -n "$cmd" ] || return 0
	many_sessions
	expect "$sh" "$b --url $URL $cmd first-" "first-zq"
	expect "$sh" "$b --url=$URL $cmd firs" "first-zq"
	expect "$sh" "$b -u $URL $cmd s-14" "s-140 s-141 s-142 s-143 s-144 s-145 s-146 s-147 s-148 s-149"
	# the whole id, and none from an id no session starts with
	expect "$sh" "$b --url $URL $cmd first-zq" "first-zq"
	expect "$sh" "$b --url $URL $cmd nosuch" ""
}

@test "bash: sessctl" { check bash sessctl; }
@test "bash: sess-replay" { check bash sess-replay; }
@test "bash: sess-migrate" { check bash sess-migrate; }
@test "bash: sess-validate" { check bash sess-validate; }
@test "bash: sess-health" { check bash sess-health; }
@test "bash: sess-bench" { check bash sess-bench; }

@test "zsh: sessctl" { check zsh sessctl; }
@test "zsh: sess-replay" { check zsh sess-replay; }
@test "zsh: sess-migrate" { check zsh sess-migrate; }
@test "zsh: sess-validate" { check zsh sess-validate; }
@test "zsh: sess-health" { check zsh sess-health; }
@test "zsh: sess-bench" { check zsh sess-bench; }

@test "fish: sessctl" { check fish sessctl; }
@test "fish: sess-replay" { check fish sess-replay; }
@test "fish: sess-migrate" { check fish sess-migrate; }
@test "fish: sess-validate" { check fish sess-validate; }
@test "fish: sess-health" { check fish sess-health; }
@test "fish: sess-bench" { check fish sess-bench; }

@test "file names, also after --opt=, in every shell" {
	local sh d="$BATS_TEST_TMPDIR/cf"
	mkdir -p "$d"
	touch "$d/conf-a.json" "$d/conf-b.json"
	for sh in bash zsh fish; do
		[ "$sh" = bash ] || need_shell "$sh"
		expect "$sh" "sessctl -c $d/conf-" "$d/conf-a.json $d/conf-b.json"
		expect "$sh" "sessctl --config=$d/conf-a" "--config=$d/conf-a.json"
		expect "$sh" "sess-migrate import --url $URL $d/conf-b" "$d/conf-b.json"
	done
}

@test "the id list is bounded: the 100 most recent for an empty word" {
	many_sessions
	run -0 sessctl __complete --url "$URL" get ""
	[ "${#lines[@]}" -eq 100 ] || fail "${#lines[@]} ids offered"
	# expired sessions the index still holds are not offered
	run -0 rcli ZADD sess:#{all}:index 1000 first-gone
	run -0 sessctl __complete --url "$URL" get first-
	assert_output "first-zq"
}

@test "ids: nothing when the server does not answer" {
	run -0 sessctl __complete get ""
	assert_output ""
	run -0 sessctl __complete get first-
	assert_output ""
}

#!/usr/bin/env bats
# Shell completion: the scripts ask the binary (`sessctl __complete`), which
# answers from its command table; the table is checked against the man page.
# Here bash completes (tests/helpers/complete.bash); completions_shells.bats
# runs bash, zsh and fish on every binary.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	load helpers/complete
	common_setup
	completion_path
	export REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T"
}

complete_words() { # complete_words WORD...: bash's candidates for the line "WORD..."
	bash_complete "$*" | tr '\n' ' '
}

# The option names of an --help's option lines (not what their help text
# mentions): "  -a, --agent AGENT   ..." and "      --id ID   ..."
option_names() {
	sed -n 's/^  \(-[A-Za-z0-9], \|    \)\(--[a-z][a-z0-9-]*\).*/\2/p' | sort -u
}

# The commands the table has, from `sessctl --help` (one place), and each
# command's options from its own --help.
table_commands() {
	"$SESSCTL" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && $1 != "Commands:" {print $1}'
}
command_options() { # command_options CMD: its own options (not the common ones)
	"$SESSCTL" "$1" --help | sed -n '/^Options:/,/^$/p' | option_names
}

@test "bash: commands" {
	assert_equal "$(complete_words sessctl ch)" "checkpoint checkpoints "
	assert_equal "$(complete_words sessctl --prefix p jo)" "join "
}

@test "bash: a command's flags" {
	assert_equal "$(complete_words sessctl emit s1 --ev)" "--event --event-id "
	assert_equal "$(complete_words sessctl list --state b)" "broken "
	assert_equal "$(complete_words sessctl --color n)" "never "
	assert_equal "$(complete_words sessctl --cluster y)" "yes "
	assert_equal "$(complete_words sessctl batch --f)" "--fail-fast "
	assert_equal "$(complete_words sessctl batch --g)" "--group "
}

@test "bash: file names for file options" {
	touch "$BATS_TEST_TMPDIR/conf-a.json"
	assert_equal "$(complete_words sessctl -c "$BATS_TEST_TMPDIR/conf-")" "$BATS_TEST_TMPDIR/conf-a.json "
}

@test "bash: session ids from the server" {
	"$SESSCTL" create --agent a1 --id alpha-1 >/dev/null
	"$SESSCTL" create --agent a1 --id alpha-2 >/dev/null
	"$SESSCTL" create --agent a1 --id beta >/dev/null
	assert_equal "$(complete_words sessctl get al)" "alpha-1 alpha-2 "
	assert_equal "$(complete_words sessctl emit b)" "beta "
	# the server named on the line is the one asked
	assert_equal "$(REDIS_URL=redis://127.0.0.1:1 complete_words sessctl -u "redis://127.0.0.1:$REDIS_PORT_T" get be)" "beta "
}

@test "bash: ids with @ and :, and a COMP_WORDBREAKS without : and =" {
	"$SESSCTL" create --agent a1 --id bot@host:1 >/dev/null
	"$SESSCTL" create --agent a1 --id bot@host:2 >/dev/null
	assert_equal "$(complete_words sessctl get bot@h)" "bot@host:1 bot@host:2 "
	assert_equal "$(complete_words sessctl get bot@host:)" "bot@host:1 bot@host:2 "
	assert_equal "$(complete_words sessctl --url=redis://127.0.0.1:$REDIS_PORT_T get bot@host:2)" "bot@host:2 "
	# many users take : out of COMP_WORDBREAKS; then bash splits less
	assert_equal "$(COMP_WORDBREAKS=$' \t\n"\'><;|&(' complete_words sessctl --url redis://127.0.0.1:$REDIS_PORT_T get bot@host:)" "bot@host:1 bot@host:2 "
	assert_equal "$(COMP_WORDBREAKS=$' \t\n"\'><;|&(' complete_words sessctl list --state=w)" "--state=working "
}

@test "bash: an id only where the command takes one" {
	"$SESSCTL" create --agent a1 --id alpha-1 >/dev/null
	"$SESSCTL" create --agent a1 --id alpha-2 >/dev/null
	# get takes one id; join ID AGENT's second word is an agent
	assert_equal "$(complete_words sessctl get alpha-1 al)" ""
	assert_equal "$(complete_words sessctl join alpha-1 al)" ""
	# watch takes many
	assert_equal "$(complete_words sessctl watch alpha-1 al)" "alpha-1 alpha-2 "
	# after --, words are arguments, not options
	assert_equal "$(complete_words sessctl get -- --h)" ""
	# help takes one command
	assert_equal "$(complete_words sessctl help ge)" "get "
	assert_equal "$(complete_words sessctl help get ge)" ""
}

@test "bash: the default command (sess-health check) before any command word" {
	# its options, and their values; a command word after its options is
	# still a command, as the parser reads it ("sess-health --format json
	# probe" runs probe)
	assert_equal "$(complete_words sess-health --wat)" "--watch "
	assert_equal "$(complete_words sess-health --format p)" "prometheus "
	assert_equal "$(complete_words sess-health --format json pr)" "probe "
	assert_equal "$(complete_words sess-health --url redis://127.0.0.1:1 pr)" "probe "
	assert_equal "$(complete_words sess-health --role=r)" "--role=replica "
}

@test "every command in the table completes, with every one of its options" {
	local n=0 c o
	for c in $(table_commands); do
		n=$((n + 1))
		run -0 complete_words sessctl "$c"
		[[ " $output " == *" $c "* ]] || { echo "command $c does not complete: $output"; false; }
		for o in $(command_options "$c"); do
			run -0 complete_words sessctl "$c" "$o"
			[[ " $output " == *" $o "* ]] || { echo "$c $o does not complete: $output"; false; }
		done
	done
	[ "$n" -ge 18 ]
}

# man_has OPTION: the man page names it (roff writes each - as \-)
man_has() {
	local pat
	pat=$(printf '%s' "$1" | sed 's/-/\\\\-/g')
	grep -q -e "${pat}\\b" "$SESSKIT_SRCDIR/man/sessctl.1"
}

# check_man BINARY: tools/check-man on it and its man page (each command's
# options in that command's own section, and only those)
check_man() {
	"$SESSKIT_SRCDIR/tools/check-man" "$SESSKIT_BUILDDIR/$1" "${2:-$SESSKIT_SRCDIR/man/$1.1}"
}

@test "the man page documents every command and option of the table" {
	local man="$SESSKIT_SRCDIR/man/sessctl.1" c o
	for c in $(table_commands); do
		grep -q -E "^\.B[IR]* \"?$c([ \"]|\$)" "$man" ||
			{ echo "man page lacks command $c"; false; }
	done
	# each command's options in its own section
	run -0 check_man sessctl
	# the common options, which every command takes, in OPTIONS
	for o in $("$SESSCTL" --help | sed -n '/^Connection/,$p' | grep -o -- '--[a-z-]*' | sort -u); do
		man_has "$o" || { echo "man page lacks $o"; false; }
	done
}

@test "the man page check fails on an option gone from its command's section, or named in the wrong one" {
	local man="$SESSKIT_SRCDIR/man/sess-migrate.1" mut="$BATS_TEST_TMPDIR/sess-migrate.1"
	run -0 check_man sess-migrate
	# unfence's section without its --from (named elsewhere in the page)
	awk '/^\.\\" command: unfence/ { u = 1 } u && /^\.BR \\-\\-from \.$/ { u = 0; next } { print }' "$man" >"$mut"
	[ "$(wc -l <"$mut")" -eq $(($(wc -l <"$man") - 1)) ] || fail "the mutation did not apply"
	grep -q -e '\\-\\-from' "$mut" || fail "--from should still be named in the page"
	run -1 check_man sess-migrate "$mut"
	assert_output --partial "sess-migrate unfence: its section does not name --from"
	# and naming --to there, which unfence does not take
	awk '/^\.\\" command: unfence/ { u = 1 } u && /^\.BR \\-\\-from \.$/ { u = 0; print ".BR \\-\\-from \", \" \\-\\-to ."; next } { print }' "$man" >"$mut"
	run -1 check_man sess-migrate "$mut"
	assert_output --regexp 'sess-migrate.1:[0-9]+: --to in the section of "unfence", which takes no such option'
}

@test "every command's --help parses (no option collides with a common one)" {
	local c
	for c in $(table_commands); do
		run "$SESSCTL" "$c" --help
		assert_success
		assert_output --partial "usage: sessctl $c"
	done
}

# Every binary: its completion script asks it, and its man page documents
# every command of its table, each command's options in its own section.
@test "every binary: each command and option completes and is in its man page" {
	local b c o n man
	for b in sess-replay sess-migrate sess-health sess-bench sess-validate; do
		grep -q '__complete' "$SESSKIT_SRCDIR/completions/zsh/_$b" || fail "zsh $b"
		grep -q '__complete' "$SESSKIT_SRCDIR/completions/fish/$b.fish" || fail "fish $b"
		man="$SESSKIT_SRCDIR/man/$b.1"
		n=0
		for c in $("$SESSKIT_BUILDDIR/$b" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && $1 != "Commands:" {print $1}'); do
			n=$((n + 1))
			run -0 complete_words "$b" "$c"
			[[ " $output " == *" $c "* ]] || fail "$b: command $c does not complete: $output"
			grep -q -E "^\.B[IR]* \"?($b )?$c([ \"]|\$)" "$man" || fail "$b(1) lacks command $c"
			# --help parses the command's options with the common ones: an
			# option colliding with a common one is refused here (exit 70)
			run -0 "$SESSKIT_BUILDDIR/$b" "$c" --help
			assert_output --partial "usage: $b $c"
			for o in $(printf '%s\n' "$output" | sed -n '/^Options:/,/^$/p' | option_names); do
				run -0 complete_words "$b" "$c" "$o"
				[[ " $output " == *" $o "* ]] || fail "$b $c $o does not complete: $output"
			done
		done
		[ "$n" -ge 3 ] || fail "$b: $n commands"
		# each command's options in its own section of the man page
		run -0 check_man "$b"
	done
}

@test "help comes from the table: ranges and defaults as checked, required options named" {
	# the default printed is the one the command starts with (it said 5)
	run -0 sk sess-health probe --help
	assert_line --regexp '^ +--pings N +PINGs sampled for the latency \(1-1000, default 1\)$'
	run -0 sk sess-health check --help
	assert_line --regexp '^ +--pings N +PINGs sampled for the latency \(1-1000, default 5\)$'
	# the synopsis names every way in (it left out --event)
	run -0 "$SESSCTL" emit --help
	assert_line --index 0 "usage: sessctl emit ID --actor AGENT --type TYPE | ID --event JSON [OPTIONS]"
	# a required option: in the synopsis, marked in the list, checked once for all
	run -0 sk sess-replay diff --help
	assert_line --index 0 "usage: sess-replay diff ID --from SEQ|TIME --to SEQ|TIME [OPTIONS]"
	assert_line --regexp '^ +--to SEQ\|TIME +the later point of the history: a seq or a time \(required\)$'
	run -64 sk sess-replay diff s1 --from 1
	assert_output --partial "--to SEQ|TIME is required"
	run -64 sk sess-replay cleanup
	assert_output --partial "--older-than AGE is required"
}

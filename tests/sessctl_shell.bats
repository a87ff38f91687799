#!/usr/bin/env bats
# sessctl shell: the real REPL driven through a terminal (tmux), and the
# line-by-line mode for scripts.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	common_setup
	command -v tmux >/dev/null || skip "tmux is not installed (tools/check installs it)"
	TMUX_TMPDIR=$(mktemp -d "$BATS_TEST_TMPDIR/tmux.XXXXXX")
	export TMUX_TMPDIR
	HIST=$BATS_TEST_TMPDIR/hist
}
teardown() { tmux kill-server 2>/dev/null; true; }

# start_shell [ARGS...]: the REPL in a fresh 160x40 tmux pane
start_shell() {
	tmux new-session -d -s t -x 160 -y 40 \
		"env TERM=xterm-256color NO_COLOR= HOME=$BATS_TEST_TMPDIR SESSKIT_CONFIG= SESSCTL_HISTFILE=$HIST REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T $SESSCTL $* shell; sleep 30"
	wait_screen 'sessctl 127.0.0.1'
}

screen() { tmux capture-pane -p -t t "$@"; }

# wait_screen TEXT: until the pane shows TEXT (10 s at most)
wait_screen() {
	local i
	for i in $(seq 1 200); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.05
	done
	echo "never saw: $1"; screen
	return 1
}

type_line() { tmux send-keys -t t -l "$1"; tmux send-keys -t t Enter; }

@test "REPL: commands, use ID in the prompt, completion, history file" {
	sctl create --agent a1 --id alpha-session >/dev/null
	start_shell
	type_line 'get alpha-session'
	wait_screen '"creator": "a1"'
	type_line 'use alpha-session'
	wait_screen '[alpha-session]>'
	# the current session is used when the id is left out
	type_line 'emit --actor a1 --type modified'
	wait_screen '"seq": 1'
	# tab: a command, then an id seen in results
	tmux send-keys -t t -l 'stat'
	tmux send-keys -t t Tab
	wait_screen '> stats'
	tmux send-keys -t t C-u
	tmux send-keys -t t -l 'events alpha-s'
	tmux send-keys -t t Tab
	wait_screen '> events alpha-session'
	tmux send-keys -t t Enter
	# a list on a terminal is a table: its header, the event's row
	wait_screen 'seq  time '
	screen | grep -qE '^1 +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +a1 +modified' ||
		fail "no event row in the table: $(screen)"
	# a line with a password never reaches the history file
	type_line 'stats --password hunter2'
	wait_screen 'not kept in history'
	type_line 'help use'
	wait_screen 'use ID'
	# every failure says its exit status: a negative answer and usage too
	type_line 'get no-such-session'
	wait_screen '(exit 1)'
	type_line 'bogus'
	wait_screen '(exit 64)'
	type_line 'quit'
	for i in $(seq 1 100); do [ -s "$HIST" ] && break; sleep 0.05; done
	assert_equal "$(stat -c %a "$HIST")" 600
	# libedit writes spaces as \040
	grep -q -e 'use alpha-session' -e 'use\\040alpha-session' "$HIST"
	run -1 grep -c hunter2 "$HIST"
	assert_output 0
}

@test "REPL: colour on a terminal, none with --color never" {
	sctl create --agent a1 --id c1 >/dev/null
	start_shell
	type_line 'get c1'
	wait_screen '"state"'
	tmux capture-pane -e -p -t t | grep -q $'\033\\[32m"working"\\|\033\\[32m"c1"'
	tmux kill-session -t t
	start_shell --color never
	type_line 'get c1'
	wait_screen '"state"'
	run -1 bash -c "tmux capture-pane -e -p -t t | grep -c $'\033\\\\[3[0-9]m'"
	assert_output 0
}

@test "history disabled with SESSCTL_HISTFILE=/dev/null" {
	HIST=/dev/null
	start_shell
	type_line 'stats'
	wait_screen 'activeSessions'
	type_line 'quit'
	sleep 0.3
	[ ! -e "$BATS_TEST_TMPDIR/.sessctl_history" ]
}

@test "stdin not a terminal: plain JSON lines, no prompt" {
	run bash -c "printf 'create --agent a1 --id p1\nuse p1\nemit --actor a1 --type fixed\nget\n' | REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T SESSCTL_HISTFILE=/dev/null '$SESSCTL' shell"
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 3
	assert_equal "$(echo "$output" | sed -n 3p | jq -r .seq)" 1
	refute_output --partial 'sessctl 127.0.0.1'
}

@test "script mode: the exit code is the first failing command's; the rest still run" {
	printf '%s\n' 'create --agent a1 --id p2' 'get nosuch' 'frobnicate' 'emit p2 --actor a1 --type fixed' \
		> "$BATS_TEST_TMPDIR/script.txt"
	run bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T SESSCTL_HISTFILE=/dev/null '$SESSCTL' shell < '$BATS_TEST_TMPDIR/script.txt' 2>/dev/null"
	assert_failure 1
	assert_equal "$(rcli LLEN 'sess:{p2}:events')" 1
	# an unknown command alone: usage (64)
	run bash -c "printf 'frobnicate\nstats\n' | REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T SESSCTL_HISTFILE=/dev/null '$SESSCTL' shell"
	assert_failure 64
	assert_output --partial 'unknown command "frobnicate"'
	assert_output --partial '"totalSessions"'
}

@test "script mode with --fail-fast stops at the first failing command" {
	printf '%s\n' 'create --agent a1 --id p3' 'get nosuch' 'emit p3 --actor a1 --type fixed' \
		> "$BATS_TEST_TMPDIR/script.txt"
	run bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T SESSCTL_HISTFILE=/dev/null '$SESSCTL' shell --fail-fast < '$BATS_TEST_TMPDIR/script.txt'"
	assert_failure 1
	assert_output --partial 'stopped at line 2'
	assert_equal "$(rcli LLEN 'sess:{p3}:events')" 0
}

@test "REPL: Ctrl-C ends watch and returns to the prompt; at the prompt it drops the line" {
	sctl create --agent a1 --id w1 >/dev/null
	start_shell
	type_line 'watch'
	wait_subscribers 'sess:{*}:notify' 1
	sctl emit w1 --actor a1 --type modified >/dev/null
	wait_screen '"type": "modified"'
	tmux send-keys -t t C-c
	wait_screen '(exit 130)'
	type_line 'stats'
	wait_screen '"totalEvents": 1'
	tmux send-keys -t t -l 'half typed'
	tmux send-keys -t t C-c
	type_line 'get w1'
	wait_screen '"firstSeq": 1'
	run -0 screen
	refute_output --partial 'SUBSCRIBE'
}

#!/usr/bin/env bats
# bash completion: load the script, ask compgen-driven _sessctl.

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	common_setup
	source "$SESSKIT_SRCDIR/completions/bash/sessctl"
	# the completion calls `sessctl`: put the built one first on PATH
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -sf "$SESSCTL" "$BATS_TEST_TMPDIR/bin/sessctl"
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH" REDIS_URL="redis://127.0.0.1:$REDIS_PORT_T"
}

complete_words() { # complete_words WORD... : COMPREPLY for the last word
	COMP_WORDS=("$@")
	COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
	COMPREPLY=()
	_sessctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

@test "bash: commands" {
	assert_equal "$(complete_words sessctl ch)" "checkpoint checkpoints "
	assert_equal "$(complete_words sessctl --prefix p jo)" "join "
}

@test "bash: a command's flags" {
	assert_equal "$(complete_words sessctl emit s1 --ev)" "--event --event-id "
	assert_equal "$(complete_words sessctl list --state b)" "broken "
	assert_equal "$(complete_words sessctl --color n)" "never "
	assert_equal "$(complete_words sessctl batch --f)" "--fail-fast "
	assert_equal "$(complete_words sessctl batch --g)" "--group "
}

@test "bash: session ids from the server" {
	"$SESSCTL" create --agent a1 --id alpha-1 >/dev/null
	"$SESSCTL" create --agent a1 --id alpha-2 >/dev/null
	"$SESSCTL" create --agent a1 --id beta >/dev/null
	assert_equal "$(complete_words sessctl get al)" "alpha-1 alpha-2 "
	assert_equal "$(complete_words sessctl emit b)" "beta "
}

@test "zsh and fish completions name every command" {
	for c in create join leave emit get events list agents checkpoint checkpoints complete touch delete batch watch shell stats maintenance; do
		grep -q "'$c:" "$SESSKIT_SRCDIR/completions/zsh/_sessctl" || { echo "zsh lacks $c"; false; }
		grep -q " $c" "$SESSKIT_SRCDIR/completions/fish/sessctl.fish" || { echo "fish lacks $c"; false; }
	done
}

@test "every completion offers --insecure-password-file" {
	assert_equal "$(complete_words sessctl --insec)" "--insecure-password-file "
	assert_equal "$(complete_words sessctl get s1 --insec)" "--insecure-password-file "
	grep -q -- "'--insecure-password-file\[" "$SESSKIT_SRCDIR/completions/zsh/_sessctl"
	grep -q -- "-l insecure-password-file " "$SESSKIT_SRCDIR/completions/fish/sessctl.fish"
}

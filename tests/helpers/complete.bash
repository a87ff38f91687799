# Shell completion run for real, for the completion suites (after
# `load helpers/redis`). Each prints the candidates the shell offers for the
# end of LINE (the cursor after its last character), sorted, one a line,
# each as the whole word the shell would leave on the line:
#
#   bash_complete LINE   bash as readline runs it: COMP_LINE, COMP_POINT,
#                        COMP_WORDS and COMP_CWORD set as bash sets them
#                        (split at blanks and at runs of COMP_WORDBREAKS
#                        characters, bash's or the caller's: "--url
#                        redis://h:1" is "--url" "redis"
#                        ":" "//h" ":" "1", "--format=" ends in the word
#                        "="), the function `complete -p TOOL` names called
#                        with TOOL CUR PREV; readline then replaces only what
#                        follows the line's last break character, so that
#                        part of the word is put back before each reply
#   zsh_complete LINE    an interactive `zsh -f` under zpty with compinit and
#                        completions/zsh on $fpath: LINE and a Tab are typed,
#                        compadd is wrapped to record what it adds (with
#                        IPREFIX and its -P/-p prefixes), and comppostfuncs
#                        says when the completion is over
#   fish_complete LINE   `fish --no-config` sourcing completions/fish and
#                        running `complete -C LINE`
#
# The binaries come from $SESSKIT_BUILDDIR through PATH (completion_path).
# need_shell SHELL skips the test when SHELL is missing (tools/lib.sh
# installs zsh and fish); call it before `run`.

# Put every built binary first on PATH, as an installed one would be.
completion_path() {
	local b
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	for b in sessctl sess-replay sess-migrate sess-validate sess-health sess-bench; do
		ln -sf "$SESSKIT_BUILDDIR/$b" "$BATS_TEST_TMPDIR/bin/$b"
	done
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
}

need_shell() {
	command -v "$1" >/dev/null || skip "$1 is not installed (tools/lib.sh installs it)"
}

bash_complete() {
	local line=$1 tool fn i c prev kept=
	# bash's own (" ' @ > < = ; | & ( : and blanks), or what the test set
	local breaks=${COMP_WORDBREAKS-$' \t\n"\'@><=;|&(:'}
	breaks=${breaks//[[:space:]]/}
	local -a words=()
	# the words as bash splits them
	local word="" kind="" # kind: b (break characters) or w (others)
	for ((i = 0; i < ${#line}; i++)); do
		c=${line:i:1}
		if [[ $c == [[:space:]] ]]; then
			[[ -n $word ]] && words+=("$word")
			word="" kind=""
		elif [[ $breaks == *"$c"* ]]; then
			[[ $kind == w ]] && { words+=("$word"); word=""; }
			word+=$c kind=b
		else
			[[ $kind == b ]] && { words+=("$word"); word=""; }
			word+=$c kind=w
		fi
	done
	words+=("$word") # the word at the cursor, "" after a blank
	tool=${words[0]}
	fn=$(complete -p "$tool" 2>/dev/null | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
	if [ -z "$fn" ]; then
		# shellcheck disable=SC1090
		source "$SESSKIT_SRCDIR/completions/bash/$tool" || return 1
		fn=$(complete -p "$tool" | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
	fi
	# readline replaces what follows the last blank or break character
	for ((i = ${#line}; i > 0; i--)); do
		c=${line:i-1:1}
		[[ $c == [[:space:]] ]] && break
		[[ $breaks == *"$c"* ]] && { kept=${line:0:i}; kept=${kept##*[[:space:]]}; break; }
	done
	COMP_LINE=$line COMP_POINT=${#line} COMP_TYPE=9 COMP_KEY=9
	COMP_WORDS=("${words[@]}")
	COMP_CWORD=$((${#words[@]} - 1))
	prev=""
	((COMP_CWORD > 0)) && prev=${words[COMP_CWORD - 1]}
	COMPREPLY=()
	"$fn" "$tool" "${words[COMP_CWORD]}" "$prev"
	for c in "${COMPREPLY[@]}"; do
		printf '%s%s\n' "$kept" "$c"
	done | sort -u
}

zsh_complete() {
	local driver="$BATS_FILE_TMPDIR/complete.zsh" out="$BATS_TEST_TMPDIR/zsh-complete"
	[ -f "$driver" ] || cat >"$driver" <<'ZSH'
# zsh -f complete.zsh FPATH_DIR DUMP OUT LINE
zmodload zsh/zpty || exit 2
dir=$1 dump=$2 out=$3 line=$4
rm -f $out $out.done
cat >$out.rc <<RC
PS1='' PS2='' RPS1=''
unsetopt beep
fpath=(${(q)dir} \$fpath)
autoload -Uz compinit && compinit -u -d ${(q)dump}
bindkey '^I' complete-word
compadd() {
	if (( \${@[(I)-[OAD]]} )); then builtin compadd "\$@"; return; fi
	local -a __hits
	local __pre= __i
	for (( __i = 1; __i < \$#; __i++ )); do
		[[ \${@[__i]} == -[Pp] ]] && __pre+=\${@[__i+1]}
	done
	builtin compadd -O __hits "\$@"
	(( \$#__hits )) && print -rl -- \${IPREFIX}\${__pre}\${^__hits} >>${(q)out}
	builtin compadd "\$@"
}
_sk_done() { : >>${(q)out}; print -r -- done >${(q)out}.done }
comppostfuncs=(_sk_done)
RC
zpty sk zsh -f -i
zpty -w sk "source ${(q)out}.rc"
zpty -n -w sk "$line"$'\t'
integer i
for (( i = 0; i < 600; i++ )); do
	[[ -e $out.done ]] && break
	# what zsh writes to the terminal is read, so it never waits on it
	while zpty -r -t sk _sk_junk 2>/dev/null; do :; done
	sleep 0.05
done
zpty -d sk
[[ -e $out.done ]] || { print -u2 "zsh completion did not finish in 30 s: $line"; exit 3 }
sort -u $out
ZSH
	zsh -f "$driver" "$SESSKIT_SRCDIR/completions/zsh" "$BATS_FILE_TMPDIR/zcompdump" "$out" "$1"
}

fish_complete() {
	# its own config and data dirs: nothing is written to the user's
	# shellcheck disable=SC2016
	XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/fish-config" XDG_DATA_HOME="$BATS_TEST_TMPDIR/fish-data" \
		fish --no-config -c 'for f in $argv[1]/*.fish; source $f; end; complete -C $argv[2]' \
		"$SESSKIT_SRCDIR/completions/fish" "$1" | cut -f1 | sort -u
}

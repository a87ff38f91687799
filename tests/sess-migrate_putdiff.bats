#!/usr/bin/env bats
# The put path's differential test (tests/helpers/migput_diff.py says what
# it runs and shows): copy and import of a tricky set of sessions
# (tests/data/migput: hostile bytes, a session past the compact
# encodings, numeric ids, one without expiry, one expired, one carrying a
# fence) onto an empty target and onto one holding other sessions of the
# same ids, under each conflict rule, a kill mid-put and its resume, and
# rollbacks; batches mixing sessions copied with skipped or conflicting
# ones (a session without expiry over one with: it keeps its expiry), and
# a resume's batch of sessions done, skipped, expired and copied. After every step the target's whole state (every key, its
# type, value and absolute expiry; the backups' payloads RESTOREd) and the
# tool's result lines must be what main's build before the put script was
# rewritten stored and printed: tests/data/migput/expected.txt, made by
#   python3 tests/helpers/migput_diff.py BINDIR tests/data/migput SRC_SOCK DST_SOCK
# with that build's binaries in BINDIR (a183fd4's, main before the put
# script was rewritten; the scenarios added since were run with it too).
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	common_setup_file
	redis_start_named SRC
	redis_start_named DST
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }

@test "copy and import store, and print, exactly what main's build did (every key, value and expiry, each step)" {
	run -0 python3 "$SESSKIT_SRCDIR/tests/helpers/migput_diff.py" "$SESSKIT_BUILDDIR" \
		"$SESSKIT_SRCDIR/tests/data/migput" "$SRC_SOCK" "$DST_SOCK"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/got"
	diff "$SESSKIT_SRCDIR/tests/data/migput/expected.txt" "$BATS_TEST_TMPDIR/got" >"$BATS_TEST_TMPDIR/diff" ||
		fail "differs from main's build: $(head -c 3000 "$BATS_TEST_TMPDIR/diff")"
	# (the scenarios ran: each step's line is there)
	[ "$(grep -c '^== ' "$BATS_TEST_TMPDIR/got")" -ge 33 ] || fail "steps: $(grep -c '^== ' "$BATS_TEST_TMPDIR/got")"
}

@test "the differential test fails on a difference (one count in a task's done hash one off)" {
	# a sess-migrate that, after an import with --task replace, counts
	# one replaced session too many: as a put script off by one would
	mkdir "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/sess-migrate" <<SH
#!/bin/bash
"$SESSKIT_BUILDDIR/sess-migrate" "\$@"
rc=\$?
case " \$* " in *" --task replace "*) redis-cli -s "$DST_SOCK" HINCRBY sess:migrate:replace:done '#r' 1 >/dev/null ;; esac
exit \$rc
SH
	chmod +x "$BATS_TEST_TMPDIR/bin/sess-migrate"
	run -0 python3 "$SESSKIT_SRCDIR/tests/helpers/migput_diff.py" "$BATS_TEST_TMPDIR/bin" \
		"$SESSKIT_SRCDIR/tests/data/migput" "$SRC_SOCK" "$DST_SOCK"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/got"
	run -1 diff "$SESSKIT_SRCDIR/tests/data/migput/expected.txt" "$BATS_TEST_TMPDIR/got"
	[[ $output == *"sess:migrate:replace:done"* ]] || fail "$output"
}

# DST's keys but the task "bad"'s and the list of tasks, each with its absolute expiry and its
# DUMP's digest, in key order
dst_state() {
	local k
	redis-cli -s "$DST_SOCK" --scan | LC_ALL=C sort | while read -r k; do
		case $k in sess:migrate:bad* | sess:migrate:tasks) continue ;; esac
		printf '%s %s %s\n' "$k" "$(redis-cli -s "$DST_SOCK" PEXPIRETIME "$k")" \
			"$(redis-cli -s "$DST_SOCK" DUMP "$k" | sha256sum | cut -c1-16)"
	done
}

@test "a put whose script fails (the task's done hash is no hash) puts nothing: the plain RENAMEs after it find no staged key" {
	# the staged keys' RENAMEs follow the script in the transaction and
	# run whatever it answered: on an error it must have dropped them all
	redis-cli -s "$DST_SOCK" FLUSHALL >/dev/null
	run -0 env SESSKIT_CONFIG= "$SESSKIT_BUILDDIR/sess-migrate" import "$SESSKIT_SRCDIR/tests/data/migput/prior.jsonl" \
		--to "unix://$DST_SOCK" --task prior
	dst_state >"$BATS_TEST_TMPDIR/before"
	[ "$(grep -c ':meta ' "$BATS_TEST_TMPDIR/before")" -ge 5 ] || fail "prior: $(cat "$BATS_TEST_TMPDIR/before")"
	redis-cli -s "$DST_SOCK" SET sess:migrate:bad:done x >/dev/null
	run -70 --separate-stderr env SESSKIT_CONFIG= "$SESSKIT_BUILDDIR/sess-migrate" import \
		"$SESSKIT_SRCDIR/tests/data/migput/sessions.jsonl" --to "unix://$DST_SOCK" --task bad --conflict replace
	dst_state >"$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" >"$BATS_TEST_TMPDIR/diff" ||
		fail "the target changed: $(cat "$BATS_TEST_TMPDIR/diff")"
	[[ $stderr == *WRONGTYPE* ]] || fail "stderr: $stderr"
	printf '%s\n' "$output" | jq -se 'all(.[]; .status != "copied" and .status != "replaced") and
		any(.[]; .summary and .copied == 0 and .replaced == 0)' || fail "$output"
}

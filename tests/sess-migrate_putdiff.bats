#!/usr/bin/env bats
# The put path's differential test (tests/helpers/migput_diff.py says what
# it runs and shows): copy and import of a tricky set of sessions
# (tests/data/migput: hostile bytes, a session past the compact
# encodings, numeric ids, one without expiry, one expired, one carrying a
# fence) onto an empty target and onto one holding other sessions of the
# same ids, under each conflict rule, a kill mid-put and its resume, and
# rollbacks. After every step the target's whole state (every key, its
# type, value and absolute expiry; the backups' payloads RESTOREd) and the
# tool's result lines must be what main's build before the put script was
# rewritten stored and printed: tests/data/migput/expected.txt, made by
#   python3 tests/helpers/migput_diff.py BINDIR tests/data/migput SRC_SOCK DST_SOCK
# with that build's binaries in BINDIR.
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
	[ "$(grep -c '^== ' "$BATS_TEST_TMPDIR/got")" -ge 26 ] || fail "steps: $(grep -c '^== ' "$BATS_TEST_TMPDIR/got")"
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

#!/usr/bin/env bats
# Every binary's standard output: write errors (a full disk, /dev/full, a
# closed stdout) are one stderr line and exit 74; a reader that went away
# (EPIPE) ends the tool quietly; closed fds 0-2 never become a file or a
# socket the tool then writes its output into.
bats_require_minimum_version 1.5.0

setup_file() { load helpers/redis; common_setup_file; }
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() {
	[ -z "${FULLDIR:-}" ] || umount "$FULLDIR" 2>/dev/null || true
}

# A session with a few events; its id in $ID.
make_session() {
	run sctl create --agent a
	assert_success
	ID=$(echo "$output" | json_field id)
	for t in one two three; do
		run sctl emit "$ID" --actor a --type "$t" --change '{"elementType":"doc","entityIds":["e1"],"operation":"update"}'
		assert_success
	done
}

sk_full() { sk "$@" >/dev/full; }
sk_to() { local f=$1; shift; sk "$@" >"$f"; }
sk_from() { local f=$1; shift; sk "$@" <"$f"; }
sk_closed_out() { sk "$@" 1>&-; }
sk_closed_in_err() { sk "$@" 0<&- 2>&-; }
sk_closed_in() { sk "$@" 0<&-; }

# full PROG ARGS...: run PROG with stdout on /dev/full; exit 74 and the
# one stderr line (stdout is lost, so $output is stderr).
full() {
	local prog=$1
	run sk_full "$@"
	assert_failure 74
	assert_equal "${#lines[@]}" 1
	assert_output "$prog: write error on standard output: No space left on device"
}

@test "/dev/full: sessctl get, events and --version exit 74 with one line" {
	make_session
	full sessctl get "$ID"
	full sessctl events "$ID"
	full sessctl --version
	full sessctl --help
}

@test "/dev/full: sess-replay export and play exit 74" {
	make_session
	full sess-replay export "$ID"
	full sess-replay play "$ID"
}

@test "/dev/full: sess-migrate export exits 74" {
	make_session
	full sess-migrate export --all
}

@test "/dev/full: sess-validate sessions exits 74" {
	make_session
	full sess-validate sessions --all --format text
	full sess-validate schema
}

@test "/dev/full: sess-health check exits 74" {
	full sess-health --no-pubsub
	full sess-health --format nagios --no-pubsub
}

@test "/dev/full: sess-bench exits 74, and its run's keys are still deleted" {
	full sess-bench emit --requests 200 --clients 2 --interval 0
	run rcli --scan --pattern 'sessbench:*'
	assert_success
	assert_output ""
}

# closed_reader PROG ARGS...: PROG's stdout is a pipe whose reader is gone
# before it starts (EPIPE on its first write); prints "rc=N" and stderr.
closed_reader() {
	local path=$SESSKIT_BUILDDIR/$1
	shift
	REDIS_URL=$(redis_url) HOME=$BATS_FILE_TMPDIR python3 - "$path" "$@" <<'EOF'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
sys.stdout.write("rc=%d\n" % p.returncode)
sys.stdout.write(p.stderr.decode())
EOF
}

@test "a reader that went away (EPIPE) still ends every tool quietly, exit 0" {
	make_session
	run closed_reader sessctl events "$ID"
	assert_success
	assert_output "rc=0"
	run -0 closed_reader sess-replay export "$ID"
	assert_output "rc=0"
	run -0 closed_reader sess-migrate export --all
	assert_output --partial "rc=0"
	refute_output --partial "write error"
	run -0 closed_reader sess-health --help
	assert_output "rc=0"
}

@test "stdout closed (1>&-): nothing goes into the Redis connection, data unchanged, exit 74" {
	make_session
	rcli config resetstat >/dev/null
	before=$(rcli debug digest)
	for cmd in "sessctl get $ID" "sessctl events $ID" "sess-replay play $ID" "sess-validate sessions --all --format text" \
		"sess-migrate export --all"; do
		# shellcheck disable=SC2086
		run sk_closed_out $cmd
		assert_failure 74
		assert_output --partial "write error on standard output: Bad file descriptor"
	done
	# the output would have reached Redis as inline commands: errors
	run rcli info errorstats
	assert_success
	refute_output --partial errorstat_
	run -0 rcli info commandstats
	refute_output --partial 'failed_calls=1'
	[ "$(rcli debug digest)" = "$before" ] || fail "the data in Redis changed"
}

@test "stdin and stderr closed: the tool still works (no file or socket took their place)" {
	make_session
	run sk_closed_in_err sessctl get "$ID"
	assert_success
	assert_equal "$(echo "$output" | json_field id)" "$ID"
	# a "-" id list on a closed stdin is an empty one
	run sk_closed_in sessctl get -
	assert_success
	assert_output ""
	run -0 rcli info errorstats
	refute_output --partial errorstat_
}

@test "a real full disk (a 16 KiB tmpfs): sessctl events, sess-replay export and play, sess-migrate export exit 74" {
	make_session
	for i in $(seq 1 600); do
		echo "{\"op\":\"emit\",\"id\":\"$ID\",\"actor\":\"a\",\"type\":\"type-$i\"}"
	done >"$BATS_TEST_TMPDIR/batch.jsonl"
	run sk_from "$BATS_TEST_TMPDIR/batch.jsonl" sessctl batch
	assert_success
	FULLDIR=$BATS_TEST_TMPDIR/full
	mkdir "$FULLDIR"
	mount -t tmpfs -o size=16k tmpfs "$FULLDIR" 2>/dev/null || { FULLDIR=; skip "cannot mount a tmpfs here"; }
	for cmd in "sessctl events $ID" "sess-replay export $ID" "sess-replay play $ID" "sess-migrate export --all"; do
		rm -f "$FULLDIR/out"
		# shellcheck disable=SC2086
		run sk_to "$FULLDIR/out" $cmd
		assert_failure 74
		assert_output "${cmd%% *}: write error on standard output: No space left on device"
	done
}

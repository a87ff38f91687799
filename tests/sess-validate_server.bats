#!/usr/bin/env bats
# sess-validate server: each check with a server set up to fail it.
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	common_setup_file
	redis_start_named AUTH --requirepass s3cret
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() { load helpers/redis; common_setup; }
teardown() {
	rcli CONFIG SET maxmemory-policy noeviction >/dev/null
	rcli CONFIG SET maxmemory 0 >/dev/null
	rcli CONFIG SET notify-keyspace-events '' >/dev/null
	rcli ACL DELUSER limited >/dev/null
	rcli REPLICAOF NO ONE >/dev/null
}

sv() { sk sess-validate "$@"; }
codes() { jq -r 'select(.code) | .code' <<<"$output" | sort | paste -sd, -; }

@test "a healthy server for development: exit 0, the missing layout marker recommended" {
	run sv server
	assert_success
	assert_equal "$(codes)" server.layout_absent
	assert_equal "$(jq -r .severity <<<"$output")" recommendation
	sctl create --agent a >/dev/null
	run sv server
	assert_success
	assert_output ""
}

@test "maxmemory-policy that evicts live sessions" {
	rcli CONFIG SET maxmemory-policy volatile-lru >/dev/null
	rcli CONFIG SET maxmemory 100mb >/dev/null
	run sv server
	assert_failure 1
	[[ $(codes) == *server.eviction* ]] || fail "$output"
	rcli CONFIG SET maxmemory 0 >/dev/null
	run sv server
	assert_success
	assert_equal "$(jq -r 'select(.code == "server.eviction") | .severity' <<<"$output")" warning
}

@test "production: persistence off is an error; no replica recommended" {
	sctl create --agent a >/dev/null
	run sv server --env production
	assert_failure 1
	[[ $(codes) == *server.persistence* ]] || fail "$output"
	[[ $(codes) == *server.replication* ]] || fail "$output"
	run sv server --env development
	assert_success
}

@test "--live-sync needs keyspace notifications" {
	sctl create --agent a >/dev/null
	run sv server --live-sync
	assert_failure 1
	assert_equal "$(codes)" server.notifications
	rcli CONFIG SET notify-keyspace-events KEA >/dev/null
	run sv server --live-sync
	assert_success
}

@test "the layout present: an old one needs an upgrade, an unknown one is refused" {
	rcli SET sess:layout 1 >/dev/null
	run sv server
	assert_failure 1
	assert_equal "$(codes)" server.layout
	assert_equal "$(jq -r .fix <<<"$output")" "run sessctl upgrade"
	rcli SET sess:layout 2 >/dev/null
	run -1 sv server
	assert_equal "$(codes)" server.layout
	assert_equal "$(jq -r .fix <<<"$output")" "run sessctl upgrade"
	rcli SET sess:layout 9 >/dev/null
	run sv server
	assert_failure 1
	rcli SET sess:layout 3 >/dev/null
	run -0 sv server --prefix other
	assert_equal "$(codes)" server.layout_absent
}

@test "a replica: every write would be refused" {
	rcli SET sess:layout 3 >/dev/null
	rcli REPLICAOF 127.0.0.1 "$(dead_port)" >/dev/null
	run sv server
	assert_failure 1
	assert_equal "$(codes)" server.role
}

@test "the ACL: which commands the tools need are missing, per tool and mode" {
	rcli SET sess:layout 3 >/dev/null
	rcli ACL SETUSER limited on '>pw' '~*' '&*' +@read +ping +info '+acl|whoami' '+acl|dryrun' >/dev/null
	printf 'pw\n' >"$BATS_TEST_TMPDIR/pw"
	chmod 600 "$BATS_TEST_TMPDIR/pw"
	run sv server --user limited --password-file "$BATS_TEST_TMPDIR/pw"
	assert_failure 1
	[[ $(codes) == *server.acl,* ]] || fail "$output"
	local write
	write=$(jq -r 'select(.code == "server.acl_mode" and (.message | test("cannot run sessctl write"))) | .message' <<<"$output")
	for c in fcall hset zadd pexpire publish; do
		[[ $write == *" $c "* ]] || fail "$c not named: $write"
	done
	[[ $write != *hgetall* ]] || fail "hgetall is allowed: $write"
}

@test "credentials refused: exit 77 with a finding; unreachable: exit 69" {
	REDIS_URL="redis://:wrong@127.0.0.1:$AUTH_PORT" run sv server
	assert_failure 77
	assert_equal "$(codes)" server.auth
	[[ $output != *wrong* ]] || fail "the password was printed"
	REDIS_URL="redis://:s3cret@127.0.0.1:$AUTH_PORT" run sv server
	assert_success
	REDIS_URL="redis://127.0.0.1:$(dead_port)" run sv server
	assert_failure 69
	assert_equal "$(codes)" server.unreachable
}

@test "formats: github and junit" {
	rcli SET sess:layout 1 >/dev/null
	run sv server --format github
	assert_failure 1
	assert_line --regexp '^::error title=server\.layout::'
	run -0 bash -c "REDIS_URL=redis://127.0.0.1:$REDIS_PORT_T '$SESSKIT_BUILDDIR/sess-validate' server --format junit | python3 -c 'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.stdin).getroot(); print(r.get(\"failures\"))'"
	assert_output 1
}

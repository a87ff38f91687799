#!/usr/bin/env bats
# TLS (issue 18): every tool's main flow over mutual TLS, the failures
# (unknown CA, another name, expired, key file mode, missing file, plain
# and TLS ports crossed), and the settings from rediss://, the
# environment and the config file. Certificates are made with openssl at
# test time (helpers/tls.bash).
bats_require_minimum_version 1.5.0

setup_file() {
	load helpers/redis
	load helpers/tls
	common_setup_file
	tls_make_certs "$BATS_FILE_TMPDIR/tls"
	tls_redis_start MTLS server yes   # mutual TLS
	tls_redis_start MTLS2 server yes  # sess-migrate's target
	tls_redis_start EXP expired no
	tls_redis_start OTHER other no
}
teardown_file() { load helpers/redis; common_teardown_file; }
setup() {
	load helpers/redis
	load helpers/tls
	common_setup
}
teardown() {
	[ -z "${bg:-}" ] || { kill "$bg" 2>/dev/null; wait "$bg" 2>/dev/null; } || true
}

mtls() { redis-cli -s "$MTLS_SOCK" "$@"; }

# bare BINARY ARGS...: as sk, without the REDIS_URL sk would set
bare() {
	local b=$1
	shift
	env -u REDIS_URL HOME="$BATS_FILE_TMPDIR" XDG_CONFIG_HOME= SESSKIT_CONFIG= "$SESSKIT_BUILDDIR/$b" "$@"
}

# the mutual TLS server, through the environment
use_mtls() {
	export REDIS_URL=$(tls_url MTLS) REDIS_CACERT=$TLS_DIR/ca.crt \
		REDIS_CERT=$TLS_DIR/client.crt REDIS_KEY=$TLS_DIR/client.key
}

# wait_for FILE PATTERN: until FILE holds PATTERN (10 s)
wait_for() {
	local i
	for i in $(seq 1 200); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no $2 in $1: $(cat "$1")"
}

# nothing on stdout: run --separate-stderr set $output
no_stdout() { [ -z "$output" ] || fail "stdout: $output"; }

@test "sessctl over mutual TLS: create, emit, batch, events --follow (a subscriber)" {
	use_mtls
	run -0 sk sessctl create --agent a1 --id s1
	run -0 sk sessctl emit s1 --actor a1 --type modified
	printf '%s\n' '{"op":"emit","id":"s1","actor":"a1","type":"fixed"}' \
		'{"op":"emit","id":"s1","actor":"a1","type":"verified"}' >"$BATS_TEST_TMPDIR/b"
	run -0 sk sessctl batch <"$BATS_TEST_TMPDIR/b"
	assert_equal "$(mtls HGET 'sess:{s1}:meta' seq)" 3
	out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	sk_bg "$out" "$err" sessctl events s1 --follow --from 1
	bg=$!
	wait_for "$out" '"seq":3'
	# a live subscriber over TLS
	for i in $(seq 1 200); do
		[ "$(mtls PUBSUB NUMSUB 'sess:{s1}:notify' | sed -n 2p)" = 1 ] && break
		sleep 0.05
	done
	assert_equal "$(mtls PUBSUB NUMSUB 'sess:{s1}:notify' | sed -n 2p)" 1
	run -0 sk sessctl emit s1 --actor a1 --type modified
	wait_for "$out" '"seq":4'
	# nothing reached the plain server
	assert_equal "$(rcli DBSIZE)" 0
}

@test "sess-replay play and save over mutual TLS" {
	use_mtls
	sk sessctl create --agent a1 --id s1 >/dev/null
	sk sessctl emit s1 --actor a1 --type modified >/dev/null
	run -0 sk sess-replay play s1 --events-only
	[ "$(grep -c '"seq"' <<<"$output")" -ge 1 ] || fail "no events played: $output"
	run -0 sk sess-replay save s1
	[ "$(mtls --scan --pattern 'sess:replay*' | wc -l)" -ge 1 ] || fail "no saved replay on the TLS server"
}

@test "sess-migrate copy: a TLS source to a TLS target, each with its settings in its URL" {
	use_mtls
	sk sessctl create --agent a1 --id s1 >/dev/null
	sk sessctl emit s1 --actor a1 --type modified >/dev/null
	q="cacert=$TLS_DIR/ca.crt&cert=$TLS_DIR/client.crt&key=$TLS_DIR/client.key"
	unset REDIS_URL REDIS_CACERT REDIS_CERT REDIS_KEY
	REDIS_URL="$(tls_url MTLS)?$q" run -0 sk sess-migrate copy --all --from "$(tls_url MTLS)?$q" \
		--to "$(tls_url MTLS2)/0?$q"
	assert_equal "$(redis-cli -s "$MTLS2_SOCK" HGET 'sess:{s1}:meta' seq)" 1
	# the target's own settings: without them its CA is unknown
	REDIS_URL="$(tls_url MTLS)?$q" run -77 sk sess-migrate copy --all --from "$(tls_url MTLS)?$q" \
		--to "$(tls_url MTLS2)?cacert=$TLS_DIR/ca2.crt&cert=$TLS_DIR/client.crt&key=$TLS_DIR/client.key"
	assert_output --partial "--to"
	assert_output --partial "not trusted"
}

@test "sess-validate server over mutual TLS" {
	use_mtls
	sk sessctl create --agent a1 >/dev/null
	run -0 sk sess-validate server
}

@test "sess-health check and serve over mutual TLS" {
	use_mtls
	run -0 sk sess-health check
	assert_equal "$(jq -r .level <<<"$output")" healthy
	sk_bg "$BATS_TEST_TMPDIR/s.out" "$BATS_TEST_TMPDIR/s.err" sess-health serve --listen 127.0.0.1:0
	bg=$!
	wait_for "$BATS_TEST_TMPDIR/s.err" 'http://127\.0\.0\.1:[0-9]'
	base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$BATS_TEST_TMPDIR/s.err")
	run -0 curl -s --max-time 30 "$base/health"
	assert_equal "$(jq -r .level <<<"$output")" healthy
}

@test "sess-bench emit over mutual TLS" {
	use_mtls
	run -0 sk sess-bench emit --clients 2 --sessions 3 --requests 60 --interval 0
	sum=$(grep '^{' <<<"$output" | jq -c 'select(.type == "summary")')
	assert_equal "$(jq -r .total.count <<<"$sum")" 60
	assert_equal "$(jq -r .total.errors <<<"$sum")" 0
}

@test "a server certificate of an unknown CA: 77, one line naming it; --insecure takes it" {
	run -77 --separate-stderr sk sessctl --url "$(tls_url OTHER)" --cacert "$TLS_DIR/ca2.crt" list
	no_stdout
	[ "$(wc -l <<<"$stderr")" = 1 ] || fail "more than one line: $stderr"
	[[ $stderr == *"not trusted"*"--cacert"* ]] || fail "$stderr"
	# the system store knows no test CA either
	run -77 sk sessctl --url "$(tls_url OTHER)" list
	run -0 sk sessctl --url "$(tls_url OTHER)" --insecure list
}

@test "a certificate for another name: 77" {
	run -77 --separate-stderr sk sessctl --url "$(tls_url OTHER)" --cacert "$TLS_DIR/ca.crt" list
	no_stdout
	[[ $stderr == *"another name"*"mismatch"* ]] || fail "$stderr"
	# --sni changes what is sent, not what is checked
	run -77 sk sessctl --url "$(tls_url OTHER)" --cacert "$TLS_DIR/ca.crt" --sni other.example list
}

@test "an expired certificate: 77" {
	run -77 --separate-stderr sk sessctl --url "$(tls_url EXP)" --cacert "$TLS_DIR/ca.crt" list
	no_stdout
	[[ $stderr == *"out of date"*"expired"* ]] || fail "$stderr"
}

@test "no client certificate for a server that asks for one: 77" {
	run -77 --separate-stderr sk sessctl --url "$(tls_url MTLS)" --cacert "$TLS_DIR/ca.crt" list
	no_stdout
	[[ $stderr == *"--cert and --key"* ]] || fail "$stderr"
}

@test "a key file group or others can read: 78, as a password file; --insecure-key-file takes it" {
	cp "$TLS_DIR/client.key" "$BATS_TEST_TMPDIR/open.key"
	chmod 644 "$BATS_TEST_TMPDIR/open.key"
	run -78 --separate-stderr sk sessctl --url "$(tls_url MTLS)" --cacert "$TLS_DIR/ca.crt" \
		--cert "$TLS_DIR/client.crt" --key "$BATS_TEST_TMPDIR/open.key" list
	no_stdout
	[[ $stderr == *"chmod 600"* ]] || fail "$stderr"
	run -0 sk sessctl --url "$(tls_url MTLS)" --cacert "$TLS_DIR/ca.crt" \
		--cert "$TLS_DIR/client.crt" --key "$BATS_TEST_TMPDIR/open.key" --insecure-key-file list
}

@test "a missing certificate or CA file, a key of another certificate: 78" {
	run -78 --separate-stderr sk sessctl --url "$(tls_url MTLS)" --cacert "$TLS_DIR/ca.crt" \
		--cert "$TLS_DIR/nosuch.crt" --key "$TLS_DIR/client.key" list
	no_stdout
	[[ $stderr == *nosuch.crt*"No such file"* ]] || fail "$stderr"
	run -78 sk sessctl --url "$(tls_url MTLS)" --cacert "$TLS_DIR/nosuch-ca.crt" list
	assert_output --partial nosuch-ca.crt
	run -78 sk sessctl --url "$(tls_url MTLS)" --cacert "$TLS_DIR/ca.crt" \
		--cert "$TLS_DIR/client.crt" --key "$TLS_DIR/server.key" list
	assert_output --partial "does not match"
}

@test "a plain port spoken to with --tls, a TLS port without it: 69, never plain text" {
	run -69 --separate-stderr sk sessctl --url "redis://127.0.0.1:$REDIS_PORT_T" --tls --cacert "$TLS_DIR/ca.crt" list
	no_stdout
	[[ $stderr == *"did not answer TLS"*"plain-text port"*"drop --tls"* ]] || fail "$stderr"
	run -69 --separate-stderr sk sessctl --url "redis://127.0.0.1:$MTLS_TLS_PORT" list
	no_stdout
	[[ $stderr == *"TLS port"*"add --tls"* ]] || fail "$stderr"
}

@test "rediss:// with the settings in its query; --tls turns a redis:// URL to TLS" {
	run -0 sk sessctl --url "$(tls_url MTLS)?cacert=$TLS_DIR/ca.crt&cert=$TLS_DIR/client.crt&key=$TLS_DIR/client.key" \
		create --agent a1 --id q1
	assert_equal "$(mtls EXISTS 'sess:{q1}:meta')" 1
	run -0 sk sessctl --url "redis://localhost:$MTLS_TLS_PORT" --tls --cacert "$TLS_DIR/ca.crt" \
		--cert "$TLS_DIR/client.crt" --key "$TLS_DIR/client.key" get q1
	run -64 sk sessctl --url "$(tls_url MTLS)?nosuch=1" list
	assert_output --partial nosuch
}

@test "the environment: REDIS_TLS, REDIS_CACERT, REDIS_CERT, REDIS_KEY, REDIS_SNI, REDIS_INSECURE" {
	REDIS_HOST=127.0.0.1 REDIS_PORT=$MTLS_TLS_PORT REDIS_TLS=1 REDIS_CACERT=$TLS_DIR/ca.crt \
		REDIS_CERT=$TLS_DIR/client.crt REDIS_KEY=$TLS_DIR/client.key REDIS_SNI=localhost \
		run -0 bare sessctl create --agent a1 --id e1
	assert_equal "$(mtls EXISTS 'sess:{e1}:meta')" 1
	REDIS_URL=$(tls_url OTHER) REDIS_CACERT=$TLS_DIR/ca2.crt run -77 sk sessctl list
	REDIS_URL=$(tls_url OTHER) REDIS_CACERT=$TLS_DIR/ca2.crt REDIS_INSECURE=1 run -0 sk sessctl list
}

@test "the config file's tls group" {
	cat >"$BATS_TEST_TMPDIR/c.json" <<-EOF
		{"redis": {"host": "127.0.0.1", "port": $MTLS_TLS_PORT},
		 "tls": {"enabled": true, "cacert": "$TLS_DIR/ca.crt", "cert": "$TLS_DIR/client.crt",
		         "key": "$TLS_DIR/client.key"}}
	EOF
	run -0 bare sessctl --config "$BATS_TEST_TMPDIR/c.json" create --agent a1 --id f1
	assert_equal "$(mtls EXISTS 'sess:{f1}:meta')" 1
	run -0 sk sess-validate config "$BATS_TEST_TMPDIR/c.json"
	# tls.enabled holds whatever comes after it: a redis:// URL stays TLS
	cat >"$BATS_TEST_TMPDIR/d.json" <<-EOF
		{"tls": {"enabled": true, "cacert": "$TLS_DIR/ca.crt", "cert": "$TLS_DIR/client.crt",
		         "key": "$TLS_DIR/client.key"},
		 "redis": {"url": "redis://localhost:$MTLS_TLS_PORT"}}
	EOF
	run -0 bare sessctl --config "$BATS_TEST_TMPDIR/d.json" get f1
}

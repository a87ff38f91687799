#!/usr/bin/env bats
# Layering rules over the source tree (tools/check-transport): only the
# transport (src/core/stream.[ch], conn.[ch]) touches hiredis's
# connection, and key names are built only in src/core/keys.c.

load helpers/redis

check() { run "$SESSKIT_SRCDIR/tools/check-transport" "$@"; }

# a copy of the tree's sources to break on purpose
copy_tree() {
	T="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$T/tests"
	cp -r "$SESSKIT_SRCDIR/src" "$T/src"
	cp -r "$SESSKIT_SRCDIR/tests/unit" "$T/tests/unit"
}

@test "nothing outside the transport touches hiredis's connection" {
	check "$SESSKIT_SRCDIR" transport
	assert_success
	assert_output ""
}

@test "key names are built only in keys.c (and the places listed as known)" {
	check "$SESSKIT_SRCDIR" keys
	assert_success
	assert_output ""
}

@test "the transport rule fails on a redisContext, a hiredis call or a conn's ctx outside it" {
	copy_tree
	check "$T" transport
	assert_success
	printf 'static redisContext *x;\n' >>"$T/src/core/log.c"
	printf 'static void f(void) { redisGetReply(0, 0); }\n' >>"$T/src/sessctl/cmd_watch.c"
	printf 'static int g(struct sess_conn *conn) { return conn->ctx != 0; }\n' >>"$T/src/sess-migrate/sync.c"
	printf 'static int h(struct conn *c) { return c->sc.ctx->fd; }\n' >>"$T/src/sess-bench/engine.c"
	check "$T" transport
	assert_failure 1
	assert_line --partial "src/core/log.c:"
	assert_line --partial "src/sessctl/cmd_watch.c:"
	assert_line --partial "src/sess-migrate/sync.c:"
	assert_line --partial "src/sess-bench/engine.c:"
	assert_output --partial "use sess_conn_* instead"
}

@test "the keys rule fails on a key suffix formatted outside keys.c" {
	copy_tree
	printf 'static void f(char *b, const char *p, const char *id) { snprintf(b, 9, "%%s:{%%s}:meta", p, id); }\n' \
		>>"$T/src/core/view.c"
	printf 'static void g(char *b, const char *p) { snprintf(b, 9, "%%s:" SESS_S_KEY_INDEX, p); }\n' \
		>>"$T/src/sessctl/cmd_list.c"
	check "$T" keys
	assert_failure 1
	assert_line --partial "src/core/view.c:"
	assert_line --partial "src/sessctl/cmd_list.c:"
	# a known place is known by its text: a second copy elsewhere is not
	printf '\tsnprintf(match, sizeof match, "%%s:{*}:" SESS_S_KEY_META, s->cfg->prefix);\n' >>"$T/src/core/stats.c"
	check "$T" keys
	assert_line --partial "src/core/stats.c:"
}

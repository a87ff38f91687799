/* cmd_sessions.c - integrity of stored sessions.
 *
 * A page of sessions is read per round trip: for each, in one MULTI (one
 * instant), its meta hash, the first FAST_MAX events and history records,
 * its checkpoints and the PTTL of each of its keys, then its index entry.
 * The records are folded here (fold.h) and checked by integrity.h, the
 * checks sess-replay verify makes too. A session longer than that, or
 * trimmed, is streamed on its own afterwards (log.h), so memory stays
 * bounded by the page whatever the sessions hold. --all walks the keys of
 * the prefix with SCAN (the one way to find keys that belong to no
 * session) and the index with ZSCAN.
 */
#include "sessions.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/session/view.h"
#include "core/model/ids.h"
#include "core/session/index.h"
#include "core/history/integrity.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/redis/pipe.h"
#include "core/redis/reply.h"
#include "core/base/schema.h"

static const struct cli_opt sessions_o[] = {
	FORMAT_OPTS(struct sessions_opts),
	CLI_FLAG_OLD("all", 'a', "every session of the prefix, the indexes, stray keys\n"
		 "                         and the counters (SCAN)", struct sessions_opts, all),
	CLI_FLAG("repair", 0, "fix what is safe to fix (indexes, derived fields, TTLs)",
		 struct sessions_opts, repair),
	CLI_FLAG("dry-run", 0, "with --repair: show the changes, make none",
		 struct sessions_opts, dry_run),
	CLI_LONG("page", 0, "N", "sessions read per round trip",
		 struct sessions_opts, page, 1, 10000),
	CLI_FLAG("serial", 0, "read and check one session at a time (nothing in flight;\n"
		 "                         the same findings in the same order)", struct sessions_opts, serial),
	CLI_END};
static const struct sessions_opts sessions_d = {.page = 200};

/* ---- ids from stdin: JSON lines ({"id":...} or "id") or bare words ---- */

static int read_ids(struct run *v, FILE *in)
{
	char line[4096];

	while (fgets(line, sizeof line, in)) {
		char *s = line, *e;
		line[strcspn(line, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '{' || *s == '"') {
			cJSON *j = cJSON_Parse(s);
			const char *id = cJSON_IsString(j) ? j->valuestring
				       : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "id"));
			int rc = 0;
			if (id && !sess_key_check_id(id, "session id", &v->a->err))
				rc = vs_add_id(v, id, strlen(id));
			else if (id || !j)
				vs_say(v, id ? id : NULL, "not_found", -1, "\"%.60s\" is no session id", s);
			cJSON_Delete(j);
			if (rc)
				return -1;
			continue;
		}
		for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (!*s)
			continue;
		if (sess_key_check_id(s, "session id", &v->a->err)) {
			vs_say(v, NULL, "not_found", -1, "%s", v->a->err.msg);
			continue;
		}
		if (vs_add_id(v, s, strlen(s)))
			return -1;
	}
	return 0;
}

static int cmd_sessions(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct sessions_opts *o = opts;
	struct sess_conn walk;
	struct report r;
	struct run v;
	int rc, i;

	if (o->all == (argc > 0))
		return cli_usage_error(a, "give session ids (- reads them from stdin), or --all");
	memset(&walk, 0, sizeof walk); /* closed whatever happens */
	if (o->dry_run && !o->repair)
		return cli_usage_error(a, "--dry-run goes with --repair");
	if ((rc = report_init(&r, a, o->format, o->strict, "sessions")))
		return rc;
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") && sess_key_check_id(argv[i], "session id", &a->err))
			return cli_usage_error(a, "%s", a->err.msg);
	if ((rc = cli_connect(a))) {
		report_abort(&r, a->err.msg);
		report_end(&r);
		return rc;
	}
	/* the layout marker: refuse a database of another layout at once */
	/* a cluster or not, asked now: each session's companions are its
	 * slot's on a cluster (sessions_check.c picks them by conn.cl) */
	if (sess_check_layout(&a->ctx, &a->err) || sess_conn_cluster(&a->conn, &a->err) < 0) {
		report_abort(&r, a->err.msg);
		report_end(&r);
		return cli_app_fail(a);
	}
	memset(&v, 0, sizeof v);
	v.a = a;
	v.r = &r;
	v.o = o;
	v.explicit_ids = !o->all;
	v.metas.max = VS_METAS_MAX;
	/* a page's reads in flight while the one before it is checked;
	 * --repair's commands share the connection: a page at a time */
	v.overlap = !o->serial && !o->repair;
	v.walk = &a->conn;
	if (vs_pages_init(&v)) {
		vs_pages_free(&v);
		return cli_app_fail(a);
	}
	/* --all walks the keys on a second connection, so that its SCANs
	 * never wait behind the reads in flight (none: a page at a time) */
	if (o->all && v.overlap) {
		struct sess_err e2;
		if (!sess_conn_open(&walk, &a->cfg, &e2) && sess_conn_cluster(&walk, &e2) >= 0)
			v.walk = &walk;
		else
			v.overlap = 0;
	}
	cli_catch_stop_signals();
	rc = 0;
	if (o->all) {
		struct sess_err e3;
		v.types = cJSON_CreateObject();
		/* the meter's total: the index's ZCARD (per tag, summed on a
		 * cluster); not known when it cannot be read (the walk says why) */
		if (sess_index_size(&a->ctx, &v.total, &e3))
			v.total = -1;
		rc = vs_scan_keys(&v);
		if (!rc && !cli_stop_signal())
			rc = vs_scan_index(&v);
		if (!rc && !cli_stop_signal())
			rc = vs_check_stats(&v);
		cli_progress("sessions --all", -1, -1); /* cleared before the report's end */
	} else {
		for (i = 0; !rc && i < argc; i++)
			rc = !strcmp(argv[i], "-") ? read_ids(&v, stdin) : vs_add_id(&v, argv[i], strlen(argv[i]));
		if (!rc)
			rc = vs_check_page(&v);
	}
	cJSON_Delete(v.types);
	sess_strset_free(&v.metas);
	vs_pages_free(&v);
	sess_conn_close(&walk);
	if (rc) {
		report_abort(&r, a->err.msg);
		report_end(&r);
		return cli_app_fail(a);
	}
	rc = report_end(&r);
	if (cli_stop_signal())
		return cli_signal_exit();
	return rc;
}

const struct cli_cmd validate_cmd_sessions = {
	.name = "sessions", .synopsis = "[ID...|-|--all]",
	.summary = "check stored sessions' integrity; repair what is safe",
	.details =
	"Per session: seq contiguous, events well formed, every actor a member\n"
	"when it emitted, state and counters equal to what the history implies,\n"
	"checkpoints consistent with the log, the hash chain, every key with the\n"
	"same TTL, the index entry. --all also: index entries without sessions,\n"
	"keys of the prefix that belong to no session, the counters (SCAN).\n",
	.opts = sessions_o, .opts_size = sizeof(struct sessions_opts), .defaults = &sessions_d,
	.npos_min = 0, .npos_max = -1,
	.complete = CLI_COMPLETE_SESSION, .run = cmd_sessions};

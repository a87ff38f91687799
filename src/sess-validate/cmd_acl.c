/* cmd_acl.c - the least-privilege ACL of every tool and mode (the table
 * sesskit-acl(7) documents and tests/acl.bats holds to: a user with exactly
 * a mode's rules runs its flows, and every command listed without "?" is
 * one the flows send), `sess-validate acl` that prints it, and the per-mode
 * ACL DRYRUN check of `sess-validate server`. */
#include "sess-validate/acl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/keys.h"

/* through Sentinel; a database other than 0; on a Redis Cluster (the
 * slot map, ASK redirections); under redis.cluster auto, INFO cluster
 * (then CLUSTER MYID on a cluster, or where INFO is refused) tells a
 * standalone server from a cluster once per connection: it decides which
 * companion keys (layout 3) a session has and whether a SCAN walks one
 * server or every master (never sent with redis.cluster yes or no) */
#define SOMETIMES " role? select? cluster|myid? cluster|slots? asking?"
/* the session scripts: FCALL of the library (Redis 7); FUNCTION LOAD
 * when it is missing on a node (a user refused it, or a server without
 * FUNCTION, takes the EVALSHA path: EVALSHA, then SCRIPT LOAD before a
 * pipeline and EVAL after a flush) */
#define EVALSHA " evalsha? script|load? eval?"
#define FUNCTIONS " function|load?" EVALSHA
/* the modes that send no other INFO */
#define SOMETIMES_INFO " info?" SOMETIMES

const struct sv_acl_mode sv_acl_modes[] = {
	{"sessctl", "read", "get, events (--follow), list, agents, checkpoints, checkpoint show, stats, watch, top",
	 "fcall" FUNCTIONS " exists get hget hgetall hmget lrange pttl zcard zcount zrevrange"
	 " subscribe psubscribe zrange? ssubscribe? llen? memory|usage?" SOMETIMES_INFO,
	 "~%p:*", "&%p:* &%n"},
	{"sessctl", "write", "create, join, leave, emit, checkpoint, touch, complete, delete, batch, shell",
	 "fcall" FUNCTIONS " del exists get hdel hincrby hkeys hmget hset pexpire pexpiretime? pttl"
	 " publish rpush set time zadd zrem wait? spublish? zrevrange? zcard?" SOMETIMES_INFO,
	 "~%p:*", "&%p:*"},
	{"sessctl", "maintenance", "maintenance (prune the index, trim logs)",
	 "fcall" FUNCTIONS " get hmget pttl zcard zrange zrangebyscore zrem? hset? ltrim? pexpire? rpush? wait?"
	 " exists?" SOMETIMES_INFO,
	 "~%p:*", ""},
	{"sess-replay", "read", "play, state, diff, verify, export, list, show, stats",
	 "multi exec exists hexists hget hgetall hmget llen lrange pttl zrange zrevrange? get? zcard?" SOMETIMES_INFO,
	 "~%p:*", ""},
	{"sess-replay", "save", "save, import, fork, delete, cleanup",
	 "multi exec watch unwatch? discard? del exists hget hgetall hincrby hmget hset llen lrange pexpire pttl"
	 " rpush set time zadd zrange zrevrange? zrem wait?" SOMETIMES_INFO,
	 "~%p:*", ""},
	{"sess-migrate", "source", "--from of copy, resume, verify, export",
	 "multi exec dump exists get hgetall lrange pttl time zrange zrangebyscore zrank info? zcount? scan?" SOMETIMES,
	 "~%p:*", ""},
	{"sess-migrate", "sync-source", "--from of sync (its target: the target line; --cutover: add the cutover line)",
	 "multi exec dump exists get hgetall hmget llen pttl time zrange zrangebyscore zrank psubscribe config|get"
	 " config|set? info? lrange? zcount? scan? ssubscribe?" SOMETIMES,
	 /* (a cluster source: SSUBSCRIBE to every slot's channel) */
	 "~%p:*", "&%n &%m &%s"},
	{"sess-migrate", "cutover", "--from of sync --cutover (with the sync-source line) and unfence: fences the source",
	 "evalsha script|load? eval? exists get hdel hset del set scan info?" SOMETIMES,
	 "~%p:*", ""},
	{"sess-migrate", "target", "--to of copy, resume, import, sync, rollback, status, tasks, verify",
	 "evalsha script|load? eval? multi exec del dump? exists get hdel hget hgetall hincrby hkeys hmget hscan hset"
	 " info? llen? lrange? pexpireat pexpiretime? pttl rename restore rpush sadd set srem sscan time zadd zrange"
	 " zrangebyscore zrank zrem zscore persist? wait?" SOMETIMES,
	 "~%p:*", ""},
	{"sess-validate", "sessions", "sessions (checks only)",
	 "multi exec exists? get hgetall lrange pttl scan zscan zscore zcard? info?" SOMETIMES,
	 "~%p:*", ""},
	{"sess-validate", "repair", "sessions --repair",
	 "multi exec exists get hgetall lrange pttl scan zscan zscore hset pexpire zadd zrem hincrby? zcard? info?" SOMETIMES,
	 "~%p:*", ""},
	{"sess-validate", "server", "server",
	 "acl|whoami acl|dryrun get info ping config|get?" SOMETIMES,
	 "~%p:*", ""},
	{"sess-health", "check", "check, probe, serve",
	 "exists get hget hgetall info ping publish subscribe zcard zcount zrandmember zrange zrangebyscore hmget?"
	 " spublish? ssubscribe?" SOMETIMES,
	 "~%p:*", "&%p:*"},
	{"sess-bench", "run", "every scenario and cleanup (keys under sessbench:)",
	 "fcall function|load" EVALSHA " del exists get hdel hgetall hincrby hkeys hmget hset llen pexpire pexpiretime pttl"
	 " publish rpush scan set time unlink zadd zrem zrevrange info zrange? memory|usage? wait? spublish?" SOMETIMES,
	 "~sessbench:*", "&sessbench:*"},
};
const size_t sv_acl_nmodes = sizeof sv_acl_modes / sizeof sv_acl_modes[0];

/* Append s to buf (n bytes, len used), replacing %p (the prefix), %d (the
 * database), %n (the session channels), %m (their keyspace channels) and
 * %s (the slot channels of a cluster). */
static void put(char *buf, size_t n, size_t *len, const char *s, size_t sl, const char *prefix, int db)
{
	size_t i;

	for (i = 0; i < sl && *len + 1 < n; i++) {
		int w = 0;
		if (s[i] == '%' && i + 1 < sl && s[i + 1] == 'p')
			w = snprintf(buf + *len, n - *len, "%s", prefix);
		else if (s[i] == '%' && i + 1 < sl && s[i + 1] == 'd')
			w = snprintf(buf + *len, n - *len, "%d", db);
		else if (s[i] == '%' && i + 1 < sl && (s[i + 1] == 'n' || s[i + 1] == 'm' || s[i + 1] == 's')) {
			char pat[SESS_KEY_MAX + 32];
			if (s[i + 1] == 'n')
				sess_key_channel_pattern(pat, prefix);
			else if (s[i + 1] == 's') /* every slot's channel */
				sess_key_slot_channel(pat, prefix, "*");
			else
				sess_key_keyspace_pattern(pat, prefix, db);
			w = snprintf(buf + *len, n - *len, "%s", pat);
		}
		else {
			buf[(*len)++] = s[i];
			buf[*len] = '\0';
			continue;
		}
		i++;
		*len += (size_t)w < n - *len ? (size_t)w : n - *len - 1;
	}
	buf[*len] = '\0';
}

void sv_acl_rules(const struct sv_acl_mode *m, const char *prefix, int db, char *buf, size_t n)
{
	const char *p = m->commands;
	size_t len = 0;

	buf[0] = '\0';
	while (*p) {
		size_t l = strcspn(p, " ");
		if (l) {
			if (len)
				put(buf, n, &len, " ", 1, prefix, db);
			put(buf, n, &len, "+", 1, prefix, db);
			put(buf, n, &len, p, p[l - 1] == '?' ? l - 1 : l, prefix, db);
		}
		p += l;
		p += strspn(p, " ");
	}
	put(buf, n, &len, " ", 1, prefix, db);
	put(buf, n, &len, m->keys, strlen(m->keys), prefix, db);
	if (*m->channels) {
		put(buf, n, &len, " ", 1, prefix, db);
		put(buf, n, &len, m->channels, strlen(m->channels), prefix, db);
	}
}

/* The words of s (space separated) as a JSON array; sometimes: only the
 * "x?" ones (without the ?), else only the others. %p, %d replaced. */
static cJSON *words(const char *s, int sometimes, const char *prefix, int db)
{
	cJSON *arr = cJSON_CreateArray();
	char w[SESS_KEY_MAX + 64];

	while (arr && *s) {
		size_t l = strcspn(s, " "), len = 0;
		if (l && (sometimes < 0 || (s[l - 1] == '?') == sometimes)) {
			w[0] = '\0';
			put(w, sizeof w, &len, s, s[l - 1] == '?' ? l - 1 : l, prefix, db);
			cJSON_AddItemToArray(arr, cJSON_CreateString(w));
		}
		s += l;
		s += strspn(s, " ");
	}
	return arr;
}

static int cmd_acl(struct cli_app *a, void *opts, int argc, char **argv)
{
	size_t i, shown = 0;
	char rules[4096];
	int warn = 0, rc = 0;

	(void)opts;
	if (cli_settings(&a->cfg, &a->common, &warn, &a->err))
		return cli_app_fail(a);
	if (cli_out_init(&a->out, stdout, a->common.color, &a->err))
		return cli_app_fail(a);
	for (i = 0; i < sv_acl_nmodes && !rc; i++) {
		const struct sv_acl_mode *m = &sv_acl_modes[i];
		char line[4400];
		cJSON *o;
		if ((argc > 0 && strcmp(argv[0], m->tool)) || (argc > 1 && strcmp(argv[1], m->mode)))
			continue;
		shown++;
		sv_acl_rules(m, a->cfg.prefix, a->cfg.db, rules, sizeof rules);
		snprintf(line, sizeof line, "ACL SETUSER %s %s", a->cfg.username[0] ? a->cfg.username : "USER", rules);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tool", m->tool);
		cJSON_AddStringToObject(o, "mode", m->mode);
		cJSON_AddStringToObject(o, "covers", m->covers);
		cJSON_AddItemToObject(o, "commands", words(m->commands, 0, a->cfg.prefix, a->cfg.db));
		cJSON_AddItemToObject(o, "sometimes", words(m->commands, 1, a->cfg.prefix, a->cfg.db));
		cJSON_AddItemToObject(o, "keys", words(m->keys, -1, a->cfg.prefix, a->cfg.db));
		cJSON_AddItemToObject(o, "channels", words(m->channels, -1, a->cfg.prefix, a->cfg.db));
		cJSON_AddStringToObject(o, "setuser", line);
		rc = cli_out_json(&a->out, o);
		cJSON_Delete(o);
	}
	if (rc) /* the reader went away: cli_exit_status says which */
		return 0;
	if (!shown)
		return cli_usage_error(a, "no tool or mode \"%.40s%s%.40s\"; 'sess-validate acl' lists them all",
				       argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	return 0;
}

/* ---- sess-validate server: may this user run each mode? ---- */

/* Each command with example arguments for ACL DRYRUN (which checks the
 * arity, the keys and the channels): %k a key of the mode, %c a channel,
 * %P the mode's channel patterns (PSUBSCRIBE's are compared literally). */
static const char *const examples[][6] = {
	{"fcall", "sesskit_probe", "1", "%k", NULL},
	{"function|load", "#!lua name=sesskit_probe", NULL},
	{"evalsha", "0000000000000000000000000000000000000000", "1", "%k", NULL},
	{"eval", "return 1", "1", "%k", NULL},
	{"script|load", "return 1", NULL},
	{"multi", NULL}, {"exec", NULL}, {"watch", "%k", NULL}, {"unwatch", NULL}, {"discard", NULL},
	{"exists", "%k", NULL}, {"get", "%k", NULL}, {"set", "%k", "v", NULL}, {"del", "%k", NULL},
	{"unlink", "%k", NULL}, {"dump", "%k", NULL}, {"rename", "%k", "%k", NULL},
	{"restore", "%k", "0", "x", NULL}, {"pttl", "%k", NULL}, {"pexpire", "%k", "1000", NULL},
	{"pexpireat", "%k", "1000", NULL}, {"pexpiretime", "%k", NULL},
	{"hget", "%k", "f", NULL}, {"hgetall", "%k", NULL}, {"hmget", "%k", "f", NULL},
	{"hset", "%k", "f", "v", NULL}, {"hdel", "%k", "f", NULL}, {"hkeys", "%k", NULL},
	{"hexists", "%k", "f", NULL}, {"hincrby", "%k", "f", "1", NULL}, {"hscan", "%k", "0", NULL},
	{"lrange", "%k", "0", "1", NULL}, {"llen", "%k", NULL}, {"rpush", "%k", "v", NULL},
	{"ltrim", "%k", "0", "1", NULL},
	{"sadd", "%k", "m", NULL}, {"srem", "%k", "m", NULL}, {"sscan", "%k", "0", NULL},
	{"zadd", "%k", "1", "m", NULL}, {"zrem", "%k", "m", NULL}, {"zcard", "%k", NULL},
	{"zcount", "%k", "0", "1", NULL}, {"zrange", "%k", "0", "1", NULL},
	{"zrevrange", "%k", "0", "1", NULL}, {"zrangebyscore", "%k", "0", "1", NULL},
	{"zrank", "%k", "m", NULL}, {"zscore", "%k", "m", NULL}, {"zscan", "%k", "0", NULL},
	{"zrandmember", "%k", NULL},
	{"scan", "0", NULL}, {"time", NULL}, {"info", NULL}, {"ping", NULL}, {"role", NULL},
	{"select", "0", NULL}, {"wait", "0", "0", NULL}, {"memory|usage", "%k", NULL},
	{"config|get", "notify-keyspace-events", NULL},
	{"config|set", "notify-keyspace-events", "", NULL},
	{"acl|whoami", NULL}, {"acl|dryrun", "default", "ping", NULL},
	{"publish", "%c", "m", NULL}, {"subscribe", "%c", NULL}, {"psubscribe", "%P", NULL},
};

/* DRYRUN word w (l bytes, "?" cut) of mode m for user who. 1 allowed, 0
 * refused (why in why), -1 DRYRUN itself refused or unknown (why too),
 * -2 the connection failed (a->err). */
static int dryrun(struct cli_app *a, const struct sv_acl_mode *m, const char *who, const char *w,
		  size_t l, char *why, size_t nwhy)
{
	const char *argv[24];
	char name[32], sub[32] = "", key[SESS_KEY_MAX], chan[SESS_KEY_MAX], pats[8][SESS_KEY_MAX + 64];
	size_t i, j, np = 0;
	int argc = 0, rc;
	const char *c = m->channels;
	redisReply *r;

	snprintf(name, sizeof name, "%.*s", (int)(l < sizeof name ? l : sizeof name - 1), w);
	for (i = 0; i < sizeof examples / sizeof examples[0] && strcmp(examples[i][0], name); i++)
		;
	if (i == sizeof examples / sizeof examples[0]) {
		snprintf(why, nwhy, "no example of %s to ask ACL DRYRUN with (a sesskit bug)", name);
		return 0;
	}
	if (strchr(name, '|')) {
		snprintf(sub, sizeof sub, "%s", strchr(name, '|') + 1);
		*strchr(name, '|') = '\0';
	}
	if (!strcmp(m->tool, "sess-bench"))
		snprintf(key, sizeof key, "sessbench:sess-validate-probe");
	else
		sess_key_meta(key, a->cfg.prefix, "sess-validate-probe");
	if (!strcmp(m->tool, "sess-bench"))
		snprintf(chan, sizeof chan, "sessbench:sess-validate-probe");
	else
		sess_key_channel(chan, a->cfg.prefix, "sess-validate-probe");
	while (*c && np < 8) { /* the patterns PSUBSCRIBE uses: all but the catch-all */
		size_t cl = strcspn(c, " "), len = 0;
		if (cl > 1 && (cl != 5 || strncmp(c, "&%p:*", cl))) {
			pats[np][0] = '\0';
			put(pats[np], sizeof pats[np], &len, c + 1, cl - 1, a->cfg.prefix, a->cfg.db);
			np++;
		}
		c += cl;
		c += strspn(c, " ");
	}
	argv[argc++] = "ACL";
	argv[argc++] = "DRYRUN";
	argv[argc++] = who;
	argv[argc++] = name;
	if (*sub)
		argv[argc++] = sub;
	for (j = 1; j < 6 && examples[i][j]; j++) {
		const char *x = examples[i][j];
		if (!strcmp(x, "%P")) {
			size_t k;
			for (k = 0; k < np; k++)
				argv[argc++] = pats[k];
			if (!np)
				argv[argc++] = chan;
		} else
			argv[argc++] = !strcmp(x, "%k") ? key : !strcmp(x, "%c") ? chan : x;
	}
	if (!(r = sess_conn_call(&a->conn, &a->err, argc, argv, NULL)))
		return -2;
	rc = r->type == REDIS_REPLY_STATUS ? 1 : 0;
	if (!rc) {
		const char *s = r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_ERROR ? r->str : "no answer";
		snprintf(why, nwhy, "%s", s);
		if (r->type == REDIS_REPLY_ERROR && (!strncmp(s, "NOPERM", 6) || strstr(s, "unknown subcommand") ||
						     strstr(s, "Unknown subcommand")))
			rc = -1; /* DRYRUN itself: refused to this user, or no DRYRUN (Redis < 7) */
	}
	freeReplyObject(r);
	return rc;
}

static void finding(struct report *r, enum sess_sev sev, const char *code, const char *fix, const char *msg)
{
	struct sess_finding f;
	struct sess_err e;

	sess_err_set(&e, SESS_E_DATA, NULL, "%s", msg); /* one line of valid UTF-8 */
	memset(&f, 0, sizeof f);
	f.sev = sev;
	f.code = code;
	f.message = e.msg;
	f.fix = fix;
	f.seq = -1;
	report_finding(&f, r);
}

void sv_acl_check(struct cli_app *a, struct report *r)
{
	redisReply *who = sess_conn_callf(&a->conn, &a->err, "ACL WHOAMI");
	char can[1024] = "", msg[SESS_ERR_MSG_MAX], fix[4400], why[256];
	size_t i, ncan = 0, nwork = 0;

	if (!who)
		return;
	if (who->type != REDIS_REPLY_STRING) {
		snprintf(msg, sizeof msg, "cannot check the ACL: ACL WHOAMI: %s",
			 who->type == REDIS_REPLY_ERROR ? who->str : "no answer");
		finding(r, SESS_SEV_INFO, "server.acl_unknown",
			"allow +acl|whoami +acl|dryrun to this user, or compare its rules with sesskit-acl(7) by hand", msg);
		freeReplyObject(who);
		return;
	}
	for (i = 0; i < sv_acl_nmodes; i++) {
		const struct sv_acl_mode *m = &sv_acl_modes[i];
		const char *p = m->commands;
		char missing[1024] = "", plus[1100] = "";
		size_t nmiss = 0;
		while (*p) {
			size_t l = strcspn(p, " ");
			int rc;
			if (l && p[l - 1] != '?') {
				rc = dryrun(a, m, who->str, p, l, why, sizeof why);
				if (rc == -2) {
					freeReplyObject(who);
					return;
				}
				if (rc == -1) {
					snprintf(msg, sizeof msg, "cannot check the ACL of user %s: ACL DRYRUN: %s", who->str, why);
					finding(r, SESS_SEV_INFO, "server.acl_unknown",
						"allow +acl|dryrun (Redis 7) to this user, or compare its rules with sesskit-acl(7) by hand",
						msg);
					freeReplyObject(who);
					return;
				}
				if (!rc && strlen(missing) + l + 3 < sizeof missing) {
					snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%.*s",
						 nmiss ? " " : "", (int)l, p);
					snprintf(plus + strlen(plus), sizeof plus - strlen(plus), "%s+%.*s",
						 nmiss ? " " : "", (int)l, p);
					nmiss++;
				}
			}
			p += l;
			p += strspn(p, " ");
		}
		if (!nmiss) {
			snprintf(can + strlen(can), sizeof can - strlen(can), "%s%s %s", ncan ? ", " : "", m->tool, m->mode);
			ncan++;
			/* asking about itself is not using the sessions */
			nwork += strcmp(m->tool, "sess-validate") || strcmp(m->mode, "server");
			continue;
		}
		{
			char rules[4096];
			sv_acl_rules(m, a->cfg.prefix, a->cfg.db, rules, sizeof rules);
			snprintf(fix, sizeof fix, "ACL SETUSER %s %s (sesskit-acl(7), %s %s)", who->str, rules, m->tool, m->mode);
		}
		snprintf(msg, sizeof msg, "user %s cannot run %s %s (%s): no %s (or not on its keys and channels)",
			 who->str, m->tool, m->mode, m->covers, missing);
		finding(r, SESS_SEV_RECOMMENDATION, "server.acl_mode", fix, msg);
	}
	if (!nwork) {
		snprintf(msg, sizeof msg, "user %s can run none of the tools' modes that use the sessions%s%s", who->str,
			 ncan ? "; only " : "", ncan ? can : "");
		finding(r, SESS_SEV_ERROR, "server.acl", "give it the rules of the modes it is for (sesskit-acl(7), or sess-validate acl)", msg);
	} else if (ncan < sv_acl_nmodes) {
		snprintf(msg, sizeof msg, "user %s can run: %s", who->str, can);
		finding(r, SESS_SEV_INFO, "server.acl_can", NULL, msg);
	}
	freeReplyObject(who);
}

const struct cli_cmd validate_cmd_acl = {
	.name = "acl", .synopsis = "[TOOL [MODE]]",
	.summary = "the ACL rules each tool and mode needs, for this --prefix and --user",
	.details =
	"One JSON line per tool and mode: its commands (\"sometimes\": only in some\n"
	"setups), key and channel patterns, and the ACL SETUSER line to paste after\n"
	"ACL SETUSER NAME reset on >PASSWORD (lines add up). sesskit-acl(7) says more.\n",
	.npos_min = 0, .npos_max = 2, .run = cmd_acl};

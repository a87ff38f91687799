/* test_legacy: the conversion of the TypeScript layout into a sesskit
 * session (sess_legacy_convert in src/sess-migrate/legacy.c; its pure
 * part: no Redis) against the cases of legacy.test. Each case is what
 * the TypeScript system kept (its hash, its events with their scores, its
 * agents set, the PTTL) and what must come out: the meta hash's pairs, the
 * events and the history, exactly, or the error. A converted session must
 * also be one sesskit reads as sound: its records fold without error to
 * the chain head in its meta hash, and the meta check finds nothing. */
#include <stdlib.h>
#include <string.h>

#include "core/history/integrity.h"
#include "sess-migrate/legacy.h"
#include "cases.h"
#include "tap.h"

static void no_finding(const char *code, long long seq, const char *msg, void *arg)
{
	int *n = arg;

	printf("#   finding %s at %lld: %s\n", code, seq, msg);
	++*n;
}

/* The converted session folds as sesskit folds a stored one. */
static void sound(const struct sess_snap *s, const char *name)
{
	struct sess_fold f;
	struct sess_err err;
	const char *fields[256], *values[256];
	size_t i, n = 0;
	int rc = 0, findings = 0;

	sess_fold_init(&f, s->id, 1);
	for (i = 0; !rc && i < s->part[1].n; i++)
		rc = sess_fold_event(&f, s->part[1].v[i], s->part[1].len[i], &err);
	for (i = 0; !rc && i < s->part[4].n; i++)
		rc = sess_fold_record(&f, s->part[4].v[i], s->part[4].len[i], &err);
	ok(!rc, "%s: its records fold", name);
	if (rc)
		printf("#   %s: %s\n", err.kind, err.msg);
	for (i = 0; i + 1 < s->meta.n && n < 256; i += 2, n++) {
		fields[n] = s->meta.v[i];
		values[n] = s->meta.v[i + 1];
	}
	is_str(f.chain, sess_snap_meta(s, "h"), "%s: to the chain head of its meta hash", name);
	sess_integrity_meta(&f, fields, values, n, no_finding, &findings);
	ok(findings == 0, "%s: its meta hash agrees with its history", name);
	sess_fold_free(&f);
}

/* The lines tagged tag, one a line, as one text. */
static void joined(const struct tcase *c, const char *tag, char *out, size_t cap)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->l[i].tag, tag))
			snprintf(out + strlen(out), cap - strlen(out), "%s\n", c->l[i].text);
}

static void strv_text(const struct sess_strv *v, int pairs, char *out, size_t cap)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < v->n; i += pairs ? 2 : 1) {
		if (pairs && i + 1 < v->n)
			snprintf(out + strlen(out), cap - strlen(out), "%s %s\n", v->v[i], v->v[i + 1]);
		else
			snprintf(out + strlen(out), cap - strlen(out), "%s\n", v->v[i]);
	}
}

static void same_text(const char *got, const char *want, const char *what, const char *name)
{
	ok(!strcmp(got, want), "%s: %s", name, what);
	if (strcmp(got, want)) {
		printf("#   got:\n");
		for (const char *p = got; *p;) {
			const char *nl = strchr(p, '\n');
			printf("#     %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
			p = nl ? nl + 1 : p + strlen(p);
		}
		printf("#   want:\n");
		for (const char *p = want; *p;) {
			const char *nl = strchr(p, '\n');
			printf("#     %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
			p = nl ? nl + 1 : p + strlen(p);
		}
	}
}

static void run_case(const struct tcase *c, void *arg)
{
	const char *id = tcase_get(c, "id"), *pttl = tcase_get(c, "pttl"), *now = tcase_get(c, "now");
	const char *ttl = tcase_get(c, "ttl"), *want_err = tcase_get(c, "error"), *expire = tcase_get(c, "expire");
	struct sess_strv hash = {0}, events = {0}, agents = {0};
	long long scores[256];
	struct sess_config cfg;
	struct sess_snap s;
	struct sess_err err;
	static char got[65536], want[65536];
	size_t i;
	int rc;

	(void)arg;
	memset(&err, 0, sizeof err);
	for (i = 0; i < c->n; i++) {
		const struct tline *t = &c->l[i];
		char *sp = strchr(t->text, ' ');
		if (!strcmp(t->tag, "hash") && sp) {
			sess_strv_push(&hash, t->text, (size_t)(sp - t->text));
			sess_strv_push(&hash, sp + 1, strlen(sp + 1));
		} else if (!strcmp(t->tag, "event") && sp && events.n < 256) {
			scores[events.n] = strtoll(t->text, NULL, 10);
			sess_strv_push(&events, sp + 1, t->len - (size_t)(sp + 1 - t->text));
		} else if (!strcmp(t->tag, "agent")) {
			sess_strv_push(&agents, t->text, t->len);
		}
	}
	sess_config_defaults(&cfg);
	if (ttl)
		cfg.default_ttl = strtol(ttl, NULL, 10);
	sess_snap_init(&s, id ? id : "L1", 's');
	rc = sess_legacy_convert(&s, &hash, &events, scores, &agents, pttl ? strtoll(pttl, NULL, 10) : -1,
				 now ? strtoll(now, NULL, 10) : 1800000000000LL, &cfg, &err);
	if (want_err) {
		ok(rc == -1 && err.cls == SESS_E_DATA && !strcmp(err.kind, want_err), "%s: refused: %s", c->name, want_err);
		if (!(rc == -1 && !strcmp(err.kind, want_err)))
			printf("#   rc %d, kind \"%s\": %s\n", rc, err.kind, err.msg);
		else
			ok(err.msg[0] && !strchr(err.msg, '\n') && strstr(err.msg, s.id), "%s: one line naming the session",
			   c->name);
	} else {
		ok(rc == 0, "%s: converted", c->name);
		if (rc)
			printf("#   %s: %s\n", err.kind, err.msg);
		if (tcase_get(c, "meta")) {
			strv_text(&s.meta, 1, got, sizeof got);
			joined(c, "meta", want, sizeof want);
			same_text(got, want, "the meta hash", c->name);
			strv_text(&s.part[0], 1, got, sizeof got);
			same_text(got, want, "the meta key's pairs", c->name);
		}
		if (tcase_get(c, "E") || tcase_get(c, "noevents")) {
			strv_text(&s.part[1], 0, got, sizeof got);
			joined(c, "E", want, sizeof want);
			same_text(got, want, "the events", c->name);
		}
		if (tcase_get(c, "H")) {
			strv_text(&s.part[4], 0, got, sizeof got);
			joined(c, "H", want, sizeof want);
			same_text(got, want, "the history", c->name);
		}
		if (expire)
			ok(s.expire_at == strtoll(expire, NULL, 10), "%s: expires at %s (got %lld)", c->name, expire,
			   s.expire_at);
		if (rc == 0)
			sound(&s, c->name);
	}
	sess_snap_free(&s);
	sess_strv_free(&hash);
	sess_strv_free(&events);
	sess_strv_free(&agents);
}

int main(void)
{
	if (tcase_run_all("legacy.test", 10, run_case, NULL))
		return 1;
	return done_testing();
}

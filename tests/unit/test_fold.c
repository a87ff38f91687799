/* test_fold: src/core/history/fold.c against the cases of fold.test
 * (the format: cases.h and the head of fold.test). Each case folds its
 * records in file order and compares the outcome: the session as
 * sess_fold_json shows it (structurally, with cJSON), the chain head, the
 * state digest, or the error the last record gets. Every case that folds
 * also goes through sess_fold_snapshot and sess_fold_restore, which must
 * give back the same session and chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/history/fold.h"
#include "cases.h"
#include "tap.h"

static int is_input(const char *tag)
{
	return !strcmp(tag, "E") || !strcmp(tag, "H") || !strcmp(tag, "CP") || !strcmp(tag, "SNAP");
}

/* Fold line t into f. */
static int fold_line(struct sess_fold *f, const struct tline *t, struct sess_err *err)
{
	if (!strcmp(t->tag, "E"))
		return sess_fold_event(f, t->text, t->len, err);
	if (!strcmp(t->tag, "H"))
		return sess_fold_record(f, t->text, t->len, err);
	{
		cJSON *cp = cJSON_ParseWithLength(t->text, t->len);
		int rc;
		if (!cp)
			return sess_err_set(err, SESS_E_DATA, "test_bad_json", "%s line is not JSON", t->tag);
		if (!strcmp(t->tag, "SNAP")) {
			/* a saved replay's block snapshot (restore starts afresh) */
			int chained = f->chained;
			char id[sizeof f->id];
			memcpy(id, f->id, sizeof id);
			sess_fold_free(f);
			rc = sess_fold_restore(f, cp, chained, err);
			if (!rc && !f->id[0])
				memcpy(f->id, id, sizeof id);
			cJSON_Delete(cp);
			return rc;
		}
		rc = sess_fold_from_checkpoint(f, cp, err);
		cJSON_Delete(cp);
		return rc;
	}
}

/* got and want as JSON are equal; prints both when not. */
static void json_is(cJSON *got, const char *want_text, const char *name, int line)
{
	cJSON *want = cJSON_Parse(want_text);
	int same = got && want && cJSON_Compare(got, want, 1);

	ok(same, "%s: state (fold.test:%d)", name, line);
	if (!same) {
		char *g = got ? cJSON_PrintUnformatted(got) : NULL;
		printf("#   got  %s\n#   want %s%s\n", g ? g : "(null)", want_text, want ? "" : " (not JSON)");
		cJSON_free(g);
	}
	cJSON_Delete(want);
}

/* A snapshot restored is the same fold: same session, chain and counts. */
static void roundtrip(const struct sess_fold *f, const char *name)
{
	struct sess_fold g;
	struct sess_err err;
	cJSON *s1 = sess_fold_snapshot(f), *s2 = NULL, *j1 = sess_fold_json(f), *j2 = NULL;
	int good = 0;

	sess_fold_init(&g, NULL, 0);
	if (s1 && sess_fold_restore(&g, s1, f->chained, &err) == 0) {
		s2 = sess_fold_snapshot(&g);
		j2 = sess_fold_json(&g);
		good = s2 && j2 && cJSON_Compare(s1, s2, 1) && cJSON_Compare(j1, j2, 1) &&
		       !strcmp(g.chain, f->chain) && g.events == f->events && g.records == f->records &&
		       g.completed_at == f->completed_at;
	}
	ok(good, "%s: a snapshot restores the same fold", name);
	sess_fold_free(&g);
	cJSON_Delete(s1);
	cJSON_Delete(s2);
	cJSON_Delete(j1);
	cJSON_Delete(j2);
}

static void run_case(const struct tcase *c, void *arg)
{
	const char *id = tcase_get(c, "id"), *ch = tcase_get(c, "chained"), *want_err = tcase_get(c, "error");
	struct sess_fold f;
	struct sess_err err;
	size_t i, last = (size_t)-1;
	int failed_at = -1, folded = 0;
	const char *todo;

	(void)arg;
	for (i = 0; i < c->n; i++)
		if (is_input(c->l[i].tag))
			last = i;
	/* a case named "TODO: ..." is a known defect (see its comment): its
	 * main check (the error, the checkpoint number) is a TAP TODO */
	todo = !strncmp(c->name, "TODO:", 5) ? "known defect, see its case in fold.test" : NULL;
	sess_fold_init(&f, id ? id : "s1", ch ? atoi(ch) : 1);
	memset(&err, 0, sizeof err);
	for (i = 0; i < c->n; i++) {
		const struct tline *t = &c->l[i];
		if (!strcmp(t->tag, "cpn")) {
			/* "cpn N TEXT": the checkpoint number record TEXT took */
			char *sp = strchr(t->text, ' ');
			long long want = strtoll(t->text, NULL, 10);
			tap_todo = todo;
			ok(sp && sess_fold_checkpoint_n(sp + 1) == want, "%s: checkpoint number %lld (fold.test:%d)",
			   c->name, want, t->lineno);
			tap_todo = NULL;
			continue;
		}
		if (!is_input(t->tag) || failed_at >= 0)
			continue;
		if (fold_line(&f, t, &err)) {
			failed_at = (int)i;
			break;
		}
		folded++;
	}
	if (want_err) {
		tap_todo = todo;
		ok(failed_at == (int)last && err.cls == SESS_E_DATA && !strcmp(err.kind, want_err),
		   "%s: the last record is refused: %s", c->name, want_err);
		tap_todo = NULL;
		if (!(failed_at == (int)last && !strcmp(err.kind, want_err)))
			printf("#   failed at input %d of %d, kind \"%s\": %s\n", failed_at, (int)last, err.kind, err.msg);
		else
			ok(err.msg[0] != '\0' && !strchr(err.msg, '\n'), "%s: one line says why", c->name);
	} else if (last != (size_t)-1) {
		ok(failed_at < 0, "%s: every record folds", c->name);
		if (failed_at >= 0)
			printf("#   fold.test:%d: %s: %s\n", c->l[failed_at].lineno, err.kind, err.msg);
	}
	for (i = 0; i < c->n; i++) {
		const struct tline *t = &c->l[i];
		if (!strcmp(t->tag, "state")) {
			cJSON *j = sess_fold_json(&f);
			json_is(j, t->text, c->name, t->lineno);
			cJSON_Delete(j);
		} else if (!strcmp(t->tag, "chain")) {
			is_str(f.chain, t->text, "%s: chain head (fold.test:%d)", c->name, t->lineno);
		} else if (!strcmp(t->tag, "digest")) {
			char sd[SESS_SHA1_HEX];
			sess_fold_digest(&f, sd);
			is_str(sd, t->text, "%s: state digest (fold.test:%d)", c->name, t->lineno);
		} else if (!strcmp(t->tag, "counts")) {
			/* "counts EVENTS RECORDS" folded */
			char got[64];
			snprintf(got, sizeof got, "%lld %lld", f.events, f.records);
			is_str(got, t->text, "%s: events and records folded (fold.test:%d)", c->name, t->lineno);
		} else if (!strcmp(t->tag, "completedAt")) {
			ok(f.completed_at == strtoll(t->text, NULL, 10), "%s: completed at %s", c->name, t->text);
		} else if (!strcmp(t->tag, "member")) {
			/* "member NAME 1|0" */
			char *sp = strchr(t->text, ' ');
			size_t n = sp ? (size_t)(sp - t->text) : t->len;
			ok(sp && sess_fold_has_agent(&f, t->text, n) == atoi(sp + 1), "%s: member %s (fold.test:%d)",
			   c->name, t->text, t->lineno);
		} else if (!is_input(t->tag) && strcmp(t->tag, "id") && strcmp(t->tag, "chained") &&
			   strcmp(t->tag, "error") && strcmp(t->tag, "cpn")) {
			ok(0, "%s: fold.test:%d: unknown tag \"%s\"", c->name, t->lineno, t->tag);
		}
	}
	if (folded && !want_err)
		roundtrip(&f, c->name);
	sess_fold_free(&f);
}

/* A record with a long number in a member the fold does not read: the
 * fold takes it exactly when the linked cJSON does (before 1.7.16 cJSON
 * refuses a number of 64 bytes and more; configure takes 1.7), so its
 * span reader never decides one of them. */
static void long_numbers(void)
{
	static const int lens[] = {16, 63, 64, 70, 400};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		struct sess_fold f;
		struct sess_err err;
		cJSON *tree;
		int n = snprintf(text, sizeof text, "{\"k\":\"create\",\"at\":0,\"ts\":1000,\"a\":\"a1\",\"x\":%.*s}",
				 lens[i], "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
					  "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
					  "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
					  "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
					  "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111");
		memset(&err, 0, sizeof err);
		sess_fold_init(&f, "s1", 1);
		tree = cJSON_ParseWithLength(text, (size_t)n);
		ok((sess_fold_record(&f, text, (size_t)n, &err) == 0) == (tree != NULL),
		   "a record with a %d-digit number folds exactly when cJSON reads it (cJSON: %s)", lens[i],
		   tree ? "reads it" : "refuses it");
		cJSON_Delete(tree);
		sess_fold_free(&f);
	}
}

int main(void)
{
	long_numbers();
	if (tcase_run_all("fold.test", 20, run_case, NULL))
		return 1;
	return done_testing();
}

/* test_integrity: src/core/history/integrity.c against the cases of
 * integrity.test. Each case is a stored session: its records (folded in
 * file order, as sess-replay verify folds them), its checkpoints hash, its
 * stored chain head and meta fields; the driver runs the checks the way
 * verify does (the member check before each event, the checkpoint check
 * after each checkpoint record, the finish after the last, the meta check
 * when meta fields are given) and compares the findings, code and seq, in
 * order, with the case's. The member and checkpoint checks run both ways
 * (sess-replay's and sess-validate's entry points), which must agree. */
#include <stdlib.h>
#include <string.h>

#include "core/history/integrity.h"
#include "cases.h"
#include "tap.h"

struct got {
	char list[4096];  /* "code seq\n" per finding */
};

static void collect(const char *code, long long seq, const char *msg, void *arg)
{
	struct got *g = arg;
	size_t n = strlen(g->list);

	snprintf(g->list + n, sizeof g->list - n, "%s %lld\n", code, seq);
	/* every finding says what differs in one line */
	if (!msg[0] || strchr(msg, '\n'))
		snprintf(g->list + strlen(g->list), sizeof g->list - strlen(g->list), "BAD-MESSAGE\n");
}

static void run_case(const struct tcase *c, void *arg)
{
	const char *head = tcase_get(c, "head"), *start = tcase_get(c, "start");
	int saved = tcase_get(c, "saved") != NULL;
	cJSON *cps = cJSON_CreateObject();
	/* the cp lines as texts too, for sess_integrity_checkpoint_text */
	struct { char key[24]; const char *text; int seen; } raw[64];
	size_t nraw = 0;
	const char *fields[64], *values[64];
	size_t nmeta = 0, i;
	char want[4096] = "", chain_before[SESS_SHA1_HEX] = "";
	struct sess_fold f;
	struct sess_err err;
	struct got g;
	int stopped = 0;

	(void)arg;
	memset(&g, 0, sizeof g);
	sess_fold_init(&f, "s1", 1);
	for (i = 0; i < c->n; i++) {
		const struct tline *t = &c->l[i];
		if (!strcmp(t->tag, "cp")) {
			/* "cp N JSON": the checkpoints hash's field N */
			char key[24], *sp = strchr(t->text, ' ');
			cJSON *body = sp ? cJSON_Parse(sp + 1) : NULL;
			snprintf(key, sizeof key, "%.*s", sp ? (int)(sp - t->text) : 0, t->text);
			if (!body)
				ok(0, "%s: integrity.test:%d: a cp line is N JSON", c->name, t->lineno);
			else
				cJSON_AddItemToObject(cps, key, body);
			if (body && nraw < 64) {
				memcpy(raw[nraw].key, key, sizeof key);
				raw[nraw].text = sp + 1;
				raw[nraw++].seen = 0;
			}
		} else if (!strcmp(t->tag, "meta") && nmeta < 64) {
			/* "meta FIELD VALUE" */
			char *sp = strchr(t->text, ' ');
			if (sp) {
				*sp = '\0';
				fields[nmeta] = t->text;
				values[nmeta++] = sp + 1;
			}
		} else if (!strcmp(t->tag, "finding")) {
			snprintf(want + strlen(want), sizeof want - strlen(want), "%s\n", t->text);
		}
	}
	for (i = 0; i < c->n && !stopped; i++) {
		const struct tline *t = &c->l[i];
		int rc = 0;
		if (!strcmp(t->tag, "CP")) {
			cJSON *cp = cJSON_Parse(t->text);
			rc = cp ? sess_fold_from_checkpoint(&f, cp, &err) : -1;
			snprintf(chain_before, sizeof chain_before, "%s",
				 cp && cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cp, "ch"))
				 ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cp, "ch")) : "");
			cJSON_Delete(cp);
		} else if (!strcmp(t->tag, "E")) {
			/* the member check both ways: from the text (sess-replay)
			 * and from the scanned event (sess-validate) */
			struct sess_fold_ev ev;
			struct got g2;
			size_t before = strlen(g.list);
			memset(&g2, 0, sizeof g2);
			sess_integrity_member(&f, t->text, t->len, collect, &g);
			if (!sess_fold_scan(t->text, t->len, &ev, NULL))
				sess_integrity_member_ev(&f, &ev, collect, &g2);
			if (strcmp(g.list + before, g2.list))
				snprintf(g.list + strlen(g.list), sizeof g.list - strlen(g.list), "MEMBER-CHECKS-DISAGREE\n");
			rc = sess_fold_event(&f, t->text, t->len, &err);
		} else if (!strcmp(t->tag, "H")) {
			long long n;
			rc = sess_fold_record(&f, t->text, t->len, &err);
			if (!rc && f.known && (n = sess_fold_checkpoint_n(t->text)) >= 0) {
				if (saved) {
					/* a saved replay keeps no bodies: the record's is rebuilt */
					cJSON *cp = sess_integrity_checkpoint_body(&f, chain_before, t->text, t->len);
					char key[24];
					snprintf(key, sizeof key, "%lld", n);
					if (cp)
						cJSON_AddItemToObject(cps, key, cp);
				}
				if (!saved) {
					/* the check from the stored text (sess-validate)
					 * finds what the one from the tree finds */
					char key[24];
					const char *text = NULL;
					size_t j, before = strlen(g.list);
					struct got g2;
					memset(&g2, 0, sizeof g2);
					snprintf(key, sizeof key, "%lld", n);
					for (j = 0; j < nraw && !text; j++)
						if (!raw[j].seen && !strcmp(raw[j].key, key)) {
							text = raw[j].text;
							raw[j].seen = 1;
						}
					sess_integrity_checkpoint(&f, chain_before, n, cps, collect, &g);
					sess_integrity_checkpoint_text(&f, chain_before, n, text, text ? strlen(text) : 0,
								       collect, &g2);
					if (strcmp(g.list + before, g2.list))
						snprintf(g.list + strlen(g.list), sizeof g.list - strlen(g.list),
							 "CHECKPOINT-CHECKS-DISAGREE\n");
				} else {
					sess_integrity_checkpoint(&f, chain_before, n, cps, collect, &g);
				}
			}
		} else if (!strcmp(t->tag, "body")) {
			/* "body JSON": the checkpoint the next line's record
			 * takes, rebuilt from the fold so far, is JSON (as the
			 * scripts stored it) */
			cJSON *b = NULL, *w = cJSON_Parse(t->text);
			int same;
			/* the fold before the record, as the saved-replay rebuild has it */
			if (i + 1 < c->n && !strcmp(c->l[i + 1].tag, "H")) {
				struct sess_fold tmp;
				struct sess_err e2;
				cJSON *snap = sess_fold_snapshot(&f);
				sess_fold_init(&tmp, NULL, 1);
				if (snap && !sess_fold_restore(&tmp, snap, 1, &e2) &&
				    !sess_fold_record(&tmp, c->l[i + 1].text, c->l[i + 1].len, &e2))
					b = sess_integrity_checkpoint_body(&tmp, chain_before, c->l[i + 1].text,
									  c->l[i + 1].len);
				sess_fold_free(&tmp);
				cJSON_Delete(snap);
			}
			same = b && w && cJSON_Compare(b, w, 1);
			ok(same, "%s: the checkpoint rebuilt from its record is the stored one (integrity.test:%d)",
			   c->name, t->lineno);
			if (!same) {
				char *p = b ? cJSON_PrintUnformatted(b) : NULL;
				printf("#   got %s\n", p ? p : "(null)");
				cJSON_free(p);
			}
			cJSON_Delete(b);
			cJSON_Delete(w);
			continue;
		} else {
			continue;
		}
		if (rc) {
			/* a damaged record or a gap: verify stops there */
			collect(err.kind[0] ? err.kind : "corrupt", f.seq, err.msg, &g);
			stopped = 1;
			break;
		}
		memcpy(chain_before, f.chain, sizeof chain_before);
	}
	if (!stopped)
		sess_integrity_finish(&f, head, "session", cps, start ? strtoll(start, NULL, 10) : -1, collect, &g);
	if (nmeta)
		sess_integrity_meta(&f, fields, values, nmeta, collect, &g);
	/* a case named "TODO: ..." is a known defect (see its comment) */
	tap_todo = !strncmp(c->name, "TODO:", 5) ? "known defect, see its case in integrity.test" : NULL;
	ok(!strcmp(g.list, want), "%s: findings", c->name);
	tap_todo = NULL;
	if (strcmp(g.list, want)) {
		char *p;
		for (p = strtok(g.list, "\n"); p; p = strtok(NULL, "\n"))
			printf("#   got  %s\n", p);
		for (p = strtok(want, "\n"); p; p = strtok(NULL, "\n"))
			printf("#   want %s\n", p);
	}
	sess_fold_free(&f);
	cJSON_Delete(cps);
}

int main(void)
{
	if (tcase_run_all("integrity.test", 20, run_case, NULL))
		return 1;
	return done_testing();
}

/* chain.c - an imported session's history checked before it is written:
 * its records folded in the order they were made (an event with seq N,
 * then the history records at N; a trimmed log from the checkpoint that
 * covers its first event), each stored checkpoint against the fold, and
 * the chain folded against the meta's head h, and the meta's derived
 * fields against the fold (core/fold.h, integrity.h:
 * what sess-replay verify and sess-validate check). A line whose chain
 * does not hold is refused: nothing unverified is written as verified. */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include "core/model/event.h"
#include "core/model/json.h"
#include "core/history/fold.h"
#include "core/history/integrity.h"
#include "core/base/jscan.h"
#include "core/base/schema.h"

struct chk {
	struct sess_fold f;
	cJSON *cps;                  /* number -> stored checkpoint */
	char before[SESS_SHA1_HEX];  /* the chain before the last record */
	int bad;
	struct sess_err *err;
	struct sess_arrivals *types; /* the events counted by type, or NULL */
};

/* The first finding is the error. */
static void finding(const char *code, long long seq, const char *msg, void *p)
{
	struct chk *c = p;

	if (c->bad++)
		return;
	if (seq >= 0)
		sess_err_set(c->err, SESS_E_DATA, code, "session %s: at seq %lld: %s; refused (restore the session from a backup; check its source with sess-validate sessions)",
			     c->f.id, seq, msg);
	else
		sess_err_set(c->err, SESS_E_DATA, code, "session %s: %s; refused (restore the session from a backup; check its source with sess-validate sessions)",
			     c->f.id, msg);
}

static void event(struct chk *c, const char *text, size_t len)
{
	struct sess_err e;
	struct sess_fold_ev ev;
	char type[SESS_S_TYPE_MAX + 1];

	if (c->bad)
		return;
	/* (scanned once: for the fold and for the type counters) */
	if (sess_fold_scan(text, len, &ev, &e) || sess_fold_event_ev(&c->f, &ev, text, len, &e))
		finding(e.kind[0] ? e.kind : "corrupt_record", c->f.seq + 1, e.msg, c);
	/* its parts by emit's rules: what emit never stores is not imported */
	/* (sess_fold_scan ran sess_jscan_dup and found "c" and "st") */
	else if (sess_event_check_stored_spans(ev.c, ev.c_end, ev.st, ev.st_end, ev.st_first, &e))
		finding(e.kind[0] ? e.kind : "bad_event", c->f.seq, e.msg, c);
	else if (c->types && ev.type_len && ev.type_len <= SESS_S_TYPE_MAX) {
		memcpy(type, ev.type, ev.type_len);
		type[ev.type_len] = '\0';
		if (sess_arrivals_type(c->types, type, 1, c->err)) {
			c->bad = 1;
			c->types = NULL;
		}
	}
}

static void record(struct chk *c, const char *text, size_t len)
{
	struct sess_err e;
	long long n;

	if (c->bad)
		return;
	memcpy(c->before, c->f.chain, sizeof c->before);
	if (sess_fold_record(&c->f, text, len, &e)) {
		finding(e.kind[0] ? e.kind : "corrupt_record", c->f.seq, e.msg, c);
		return;
	}
	if (c->f.known && (n = sess_fold_checkpoint_n(text)) >= 0)
		sess_integrity_checkpoint(&c->f, c->before, n, c->cps, finding, c);
}

/* A stored event's seq: its top-level "s", read by structure; the emit
 * script writes it first, so only the first member is read. -1 when the
 * text does not start so or is damaged (the fold then reports it). */
static long long seq_of(const char *text, size_t len)
{
	struct sess_jscan js;
	const char *k, *v, *ve;
	size_t kl;
	long long s;

	if (sess_jscan_init(&js, text, len) || sess_jscan_next(&js, &k, &kl, &v, &ve) != 1 ||
	    !sess_jscan_is(k, kl, "s") || sess_jscan_whole(v, ve, &s) || s < 0)
		return -1;
	return s;
}

static int check(const struct sess_snap *s, struct sess_arrivals *types, struct sess_err *err);

int mig_chain_check(const struct sess_snap *s, struct sess_err *err)
{
	return check(s, NULL, err);
}

int mig_chain_check_types(struct sess_snap *s, struct sess_err *err)
{
	struct sess_arrivals t;
	size_t i;
	int rc;

	sess_arrivals_init(&t, NULL);
	rc = check(s, &t, err);
	/* every event folded (none skipped before a checkpoint): its counts */
	if (!rc && !sess_snap_meta_ll(s, SESS_S_F_BASE, 0)) {
		sess_strv_free(&s->types);
		for (i = 0; i < t.ntypes && !rc; i++) {
			char num[24];
			int k = snprintf(num, sizeof num, "%lld", t.types[i].n);
			if (sess_strv_push(&s->types, t.types[i].type, strlen(t.types[i].type)) ||
			    sess_strv_push(&s->types, num, (size_t)k))
				rc = sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
		}
		s->typed = !rc;
	}
	sess_arrivals_free(&t);
	return rc;
}

static int check(const struct sess_snap *s, struct sess_arrivals *types, struct sess_err *err)
{
	const struct sess_strv *ev = &s->part[1], *hist = &s->part[4], *cp = &s->part[2];
	const char *head = sess_snap_meta(s, SESS_S_F_CHAIN);
	long long base = sess_snap_meta_ll(s, SESS_S_F_BASE, 0), skip_to = 0, start_seq = -1, hat;
	struct chk c;
	size_t i, h = 0;
	int rc;

	if (!head || !*head)
		return sess_err_set(err, SESS_E_DATA, "no_chain",
				    "session %s: its meta has no chain head (h), so its history cannot be verified; the line is refused",
				    s->id);
	memset(&c, 0, sizeof c);
	c.err = err;
	c.types = types;
	sess_fold_init(&c.f, s->id, 1);
	c.cps = cJSON_CreateObject();
	for (i = 0; i + 1 < cp->n; i += 2) {
		cJSON *o = sess_json_parse_stored(cp->v[i + 1], cp->len[i + 1]);
		/* damaged (no JSON, a key twice): null, which the checkpoint
		 * check reports as corrupt_record */
		cJSON_AddItemToObject(c.cps, cp->v[i], o ? o : cJSON_CreateNull());
	}
	if (base > 0) {
		/* trimmed: from the earliest checkpoint covering the first event
		 * kept, after its own record (as log.c reads a stored session) */
		const cJSON *best = NULL, *it, *cs, *cn;
		cJSON_ArrayForEach(it, c.cps) {
			cs = cJSON_GetObjectItemCaseSensitive(it, "seq");
			if (cJSON_IsNumber(cs) && cs->valuedouble >= (double)base &&
			    (!best || cs->valuedouble < cJSON_GetObjectItemCaseSensitive(best, "seq")->valuedouble))
				best = it;
		}
		if (!best) {
			finding("no_checkpoint", -1, "its log was trimmed and no checkpoint covers its first event", &c);
			goto out;
		}
		if (sess_fold_from_checkpoint(&c.f, best, err)) {
			c.bad = 1;
			goto out;
		}
		cn = cJSON_GetObjectItemCaseSensitive(best, "id");
		skip_to = start_seq = sess_json_ll(cJSON_GetObjectItemCaseSensitive(best, "seq"), -1);
		while (h < hist->n && !(sess_fold_record_at(hist->v[h], hist->len[h]) == skip_to &&
					cJSON_IsNumber(cn) &&
					sess_fold_checkpoint_n(hist->v[h]) == sess_json_ll(cn, -2)))
			h++;
	}
	/* (record h's "at" read once, not again at every event before it) */
	for (i = 0, hat = h < hist->n ? sess_fold_record_at(hist->v[h], hist->len[h]) : 0; i < ev->n && !c.bad; i++) {
		long long seq = seq_of(ev->v[i], ev->len[i]);
		if (seq >= 0 && seq <= skip_to)
			continue;
		while (h < hist->n && hat < seq && !c.bad) {
			record(&c, hist->v[h], hist->len[h]);
			if (++h < hist->n)
				hat = sess_fold_record_at(hist->v[h], hist->len[h]);
		}
		event(&c, ev->v[i], ev->len[i]);
	}
	for (; h < hist->n && !c.bad; h++)
		record(&c, hist->v[h], hist->len[h]);
	if (!c.bad)
		sess_integrity_finish(&c.f, head, "session", c.cps, start_seq, finding, &c);
	if (!c.bad) {
		/* the meta's derived fields (state, seq, creator, members, counts)
		 * must be what the verified history implies */
		const char **fields = malloc((s->meta.n / 2 + 1) * sizeof *fields);
		const char **values = malloc((s->meta.n / 2 + 1) * sizeof *values);
		size_t m = 0;
		if (!fields || !values) {
			sess_err_set(err, SESS_E_INTERNAL, NULL, "out of memory");
			c.bad = 1;
		} else {
			for (i = 0; i + 1 < s->meta.n; i += 2, m++) {
				fields[m] = s->meta.v[i];
				values[m] = s->meta.v[i + 1];
			}
			sess_integrity_meta(&c.f, fields, values, m, finding, &c);
		}
		free(fields);
		free(values);
	}
out:
	rc = c.bad ? -1 : 0;
	sess_fold_free(&c.f);
	cJSON_Delete(c.cps);
	return rc;
}

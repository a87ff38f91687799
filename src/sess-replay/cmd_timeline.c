/* sess-replay timeline: a picture of a session over time: one lane per
 * actor, the state as bands, joins, leaves and checkpoints; an SVG
 * (--svg), a text picture (a terminal, --text) or JSON lines (piped).
 * Gathered here from the verified history; drawn by timeline.c. */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay.h"
#include "timeline.h"

struct timeline_opts {
	const char *from, *to, *svg;
	int text, saved;
};

static const struct cli_opt timeline_o[] = {
	CLI_STR("from", 0, "SEQ|TIME", "start at this point of the history: a seq, or a time\n"
		"                         (epoch ms, @MS, RFC 3339, 2h ago)", struct timeline_opts, from, NULL),
	CLI_STR("to", 0, "SEQ|TIME", "stop after this point of the history: a seq or a time", struct timeline_opts, to, NULL),
	CLI_STR("svg", 'o', "FILE", "write the picture as SVG to FILE (whole or not at all; - for stdout)",
		struct timeline_opts, svg, CLI_COMPLETE_FILE),
	CLI_FLAG("text", 0, "the text picture even when stdout is no terminal", struct timeline_opts, text),
	CLI_FLAG("saved", 0, "read the saved replay even while the session lives",
		 struct timeline_opts, saved),
	CLI_END};

/* ---- gathering ---- */

struct tl_st {
	struct cli_app *a;
	struct timeline *t;
	struct point from, to;
	int has_from, has_to;
	int started;
	long long lo, hi;        /* the times of the records in the range */
	long long in_range;
	int failed;
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	if (!(p = realloc(p, n * size))) {
		fputs("sess-replay: out of memory\n", stderr);
		exit(70);
	}
	*cap = n;
	return p;
}

/* A JSON string's raw contents (n bytes) decoded, malloc'ed; NULL when
 * they do not decode (a damaged record: the chain check fails it). */
static char *json_unescape(const char *s, size_t n)
{
	char *q = malloc(n + 3), *r = NULL;
	cJSON *j;

	if (!q)
		return NULL;
	q[0] = '"';
	memcpy(q + 1, s, n);
	q[n + 1] = '"';
	q[n + 2] = '\0';
	if ((j = cJSON_ParseWithLength(q, n + 2)) && cJSON_IsString(j))
		r = strdup(j->valuestring);
	cJSON_Delete(j);
	free(q);
	return r;
}

/* ---- names: actors' and types', each once, found by hash ---- */

static size_t name_hash(const char *s, size_t n)
{
	size_t h = 14695981039346656037ULL & (size_t)-1, i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * (1099511628211ULL & (size_t)-1);
	return h;
}

static const char *actor_name(const struct timeline *t, size_t i)
{
	return t->actors[i].name;
}

static const char *type_name(const struct timeline *t, size_t i)
{
	return t->types[i];
}

/* The slot of name s (n bytes) in idx (cap a power of two, less than
 * half full): where its index + 1 is, or the free slot it would take. */
static size_t name_slot(const struct timeline *t, const size_t *idx, size_t cap, const char *s, size_t n,
			const char *(*nm)(const struct timeline *, size_t))
{
	size_t i = name_hash(s, n) & (cap - 1);

	while (idx[i]) {
		const char *have = nm(t, idx[i] - 1);
		if (strlen(have) == n && !memcmp(have, s, n))
			break;
		i = (i + 1) & (cap - 1);
	}
	return i;
}

/* The index of name s among count names (nm), added as index count by
 * add when new; idx grows to stay under half full. */
static size_t name_find(struct timeline *t, size_t **idx, size_t *cap, size_t count, const char *s, size_t n,
			const char *(*nm)(const struct timeline *, size_t), int *added)
{
	size_t i, k;

	if ((count + 1) * 2 > *cap) {
		size_t ncap = *cap ? *cap * 2 : 64, *nidx = calloc(ncap, sizeof *nidx);
		if (!nidx) {
			fputs("sess-replay: out of memory\n", stderr);
			exit(70);
		}
		for (i = 0; i < *cap; i++)
			if ((*idx)[i]) {
				const char *have = nm(t, (*idx)[i] - 1);
				nidx[name_slot(t, nidx, ncap, have, strlen(have), nm)] = (*idx)[i];
			}
		free(*idx);
		*idx = nidx;
		*cap = ncap;
	}
	k = name_slot(t, *idx, *cap, s, n, nm);
	*added = !(*idx)[k];
	if (*added)
		(*idx)[k] = count + 1;
	return (*idx)[k] - 1;
}

/* The actor named name (decoded), added when new. */
static size_t actor_at(struct timeline *t, const char *name, long long order)
{
	int added;
	size_t i = name_find(t, &t->aidx, &t->aidx_cap, t->nactors, name, strlen(name), actor_name, &added);

	if (!added)
		return i;
	t->actors = grow(t->actors, &t->acap, t->nactors + 1, sizeof *t->actors);
	memset(&t->actors[i], 0, sizeof t->actors[i]);
	if (!(t->actors[i].name = strdup(name)))
		exit(70);
	t->actors[i].first = order;
	t->nactors++;
	return i;
}

/* The same by a raw JSON string (an event's "a"). */
static size_t raw_actor(struct timeline *t, const char *raw, size_t n, long long order)
{
	char buf[SESS_ID_MAX + 1], *d;
	size_t i;

	if (!memchr(raw, '\\', n) && n <= SESS_ID_MAX) {
		memcpy(buf, raw, n);
		buf[n] = '\0';
		return actor_at(t, buf, order);
	}
	d = json_unescape(raw, n);
	i = actor_at(t, d ? d : "?", order);
	free(d);
	return i;
}

/* An event's type by its raw JSON string ("t"), added when new. */
static unsigned raw_type(struct timeline *t, const char *raw, size_t n)
{
	char *d = NULL;
	const char *s = raw;
	size_t i;
	int added;

	if (memchr(raw, '\\', n)) {
		s = d = json_unescape(raw, n);
		if (!d)
			s = "?";
		n = strlen(s);
	}
	/* the slot is taken before the name is stored: it is stored next */
	t->types = grow(t->types, &t->tcap, t->ntypes + 1, sizeof *t->types);
	t->types[t->ntypes] = NULL;
	i = name_find(t, &t->tidx, &t->tidx_cap, t->ntypes, s, n, type_name, &added);
	if (added) {
		if (!(t->types[i] = d ? d : strndup(s, n)))
			exit(70);
		t->ntypes++;
		return (unsigned)i;
	}
	free(d);
	return (unsigned)i;
}

static void span_open(struct tl_actor *ac, long long ts, int joined)
{
	if (ac->open)
		return;
	ac->spans = grow(ac->spans, &ac->cap, ac->nspans + 1, sizeof *ac->spans);
	ac->spans[ac->nspans].from = ts;
	ac->spans[ac->nspans].to = -1;
	ac->spans[ac->nspans].joined = joined;
	ac->spans[ac->nspans].end = TL_END_OPEN;
	ac->nspans++;
	ac->open = 1;
}

static void span_close(struct tl_actor *ac, long long ts, int end)
{
	if (!ac->open)
		return;
	ac->spans[ac->nspans - 1].to = ts;
	ac->spans[ac->nspans - 1].end = end;
	ac->open = 0;
}

/* The fold's members all have an open span (a create, an upgrade, the
 * checkpoint a trimmed log starts from). */
static void sync_members(struct tl_st *st, const struct sess_fold *f, long long ts, int joined,
			 long long order)
{
	size_t i, k;

	for (i = 0; i < f->nagents; i++) {
		k = actor_at(st->t, f->agents[i].id, order); /* may move the array */
		span_open(&st->t->actors[k], ts, joined);
	}
}

static int in_range(const struct tl_st *st, long long pos, long long ts)
{
	if (st->has_from && !(st->from.is_time ? ts >= st->from.v : pos >= st->from.v))
		return 0;
	return !st->has_to || point_covers(&st->to, pos, ts);
}

static void state_track(struct timeline *t, const struct sess_fold *f, long long ts)
{
	struct tl_state *s = t->nstates ? &t->states[t->nstates - 1] : NULL;

	if (!f->known || (s && !strcmp(s->name, f->state)))
		return;
	if (s)
		s->to = ts;
	t->states = grow(t->states, &t->scap, t->nstates + 1, sizeof *t->states);
	s = &t->states[t->nstates++];
	s->from = ts;
	s->to = -1;
	snprintf(s->name, sizeof s->name, "%s", f->state);
}

static int is_create(int kind, const char *text, size_t len)
{
	const char *k;
	size_t n;

	return kind == SESS_REC_HISTORY && record_str(text, len, "k", &k, &n) == 1 && n == 6 &&
	       !memcmp(k, "create", 6);
}

static int tl_one(int kind, const char *text, size_t len, struct sess_fold *f, void *p)
{
	struct tl_st *st = p;
	struct timeline *t = st->t;
	struct sess_fold_ev ev;
	long long pos, ts, order = (long long)(f->events + f->records);
	int in;

	if (cli_stop_signal())
		return 1;
	if (record_position(kind, text, len, &pos, &ts, &ev, &st->a->err))
		return st->failed = 1;
	if ((in = in_range(st, pos, ts))) {
		if (!st->in_range++ || ts < st->lo)
			st->lo = ts;
		if (st->in_range == 1 || ts > st->hi)
			st->hi = ts;
	}
	if (!st->started) {
		/* what is known before the first record: a trimmed log's
		 * checkpoint, a saved replay's snapshot (a create's own member
		 * joins with it, below) */
		st->started = 1;
		if (!is_create(kind, text, len))
			sync_members(st, f, ts, 0, order);
	}
	if (kind == SESS_REC_EVENT) {
		if (in) {
			size_t ai = raw_actor(t, ev.actor, ev.actor_len, order);
			t->events = grow(t->events, &t->ecap, t->nevents + 1, sizeof *t->events);
			t->events[t->nevents].ts = ts;
			t->events[t->nevents].seq = pos;
			t->events[t->nevents].actor = (unsigned)ai;
			t->events[t->nevents].type = raw_type(t, ev.type, ev.type_len);
			t->nevents++;
			t->actors[ai].events++;
		}
	} else {
		cJSON *r = cJSON_ParseWithLength(text, len);
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "k"));
		const char *who = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "a"));
		size_t i;

		if (!k) {
		} else if (!strcmp(k, "create") || !strcmp(k, "upgrade")) {
			sync_members(st, f, ts, k[0] == 'c', order);
		} else if (!strcmp(k, "join") && who) {
			i = actor_at(t, who, order); /* may move the array */
			span_open(&t->actors[i], ts, 1);
		} else if (!strcmp(k, "leave") && who) {
			i = actor_at(t, who, order);
			span_close(&t->actors[i], ts, TL_END_LEAVE);
		} else if (!strcmp(k, "complete")) {
			for (i = 0; i < t->nactors; i++)
				span_close(&t->actors[i], ts, TL_END_COMPLETE);
		} else if (!strcmp(k, "checkpoint") && in) {
			t->cps = grow(t->cps, &t->ccap, t->ncps + 1, sizeof *t->cps);
			t->cps[t->ncps].n = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "n"));
			t->cps[t->ncps].seq = pos;
			t->cps[t->ncps].ts = ts;
			t->ncps++;
		}
		cJSON_Delete(r);
	}
	state_track(t, f, ts);
	return 0;
}

/* The window: the range's times as given, else the times of the records
 * in it; at least a second wide (one record in the middle). */
static int window(struct cli_app *a, struct tl_st *st)
{
	struct timeline *t = st->t;
	int fixed0 = st->has_from && st->from.is_time, fixed1 = st->has_to && st->to.is_time;
	long long need;

	if (!st->in_range && !(fixed0 && fixed1))
		return sess_err_set(&a->err, SESS_E_NEGATIVE, "empty_range",
				    "no record of %s lies in the range given; see 'sess-replay play %s' for its seqs and times",
				    t->id, t->id);
	t->t0 = fixed0 ? st->from.v : st->lo;
	t->t1 = fixed1 ? st->to.v : st->hi;
	if (t->t1 < t->t0)
		t->t1 = t->t0;
	if ((need = 1000 - (t->t1 - t->t0)) > 0) {
		if (fixed0 && fixed1)
			t->t1 += t->t1 == t->t0;
		else if (fixed0)
			t->t1 += need;
		else if (fixed1)
			t->t0 -= need;
		else {
			t->t0 -= need / 2;
			t->t1 += need - need / 2;
		}
	}
	return 0;
}

/* ---- JSON lines ---- */

static const char *end_name(int end)
{
	return end == TL_END_LEAVE ? "leave" : end == TL_END_COMPLETE ? "complete" : "open";
}

static int ull_cmp(const void *x, const void *y)
{
	unsigned long long a = *(const unsigned long long *)x, b = *(const unsigned long long *)y;

	return a < b ? -1 : a > b;
}

static void print_json(struct cli_app *a, struct timeline *t)
{
	cJSON *o = cJSON_CreateObject(), *arr, *it;
	size_t i, j, k;
	unsigned long long *by;

	cJSON_AddStringToObject(o, "timeline", t->id);
	cJSON_AddStringToObject(o, "source", t->saved ? "saved" : "live");
	cJSON_AddBoolToObject(o, "verified", t->verified);
	if (!t->verified)
		cJSON_AddStringToObject(o, "problem", t->why);
	cJSON_AddNumberToObject(o, "from", (double)t->t0);
	cJSON_AddNumberToObject(o, "to", (double)t->t1);
	cJSON_AddNumberToObject(o, "events", (double)t->nevents);
	cJSON_AddNumberToObject(o, "checkpoints", (double)t->ncps);
	if (t->start_cp >= 0) {
		it = cJSON_AddObjectToObject(o, "trimmed");
		cJSON_AddNumberToObject(it, "checkpoint", (double)t->start_cp);
		cJSON_AddNumberToObject(it, "seq", (double)t->start_seq);
	}
	cli_out_json(&a->out, o);
	cJSON_Delete(o);
	/* the events by actor, then type: each actor's counts are one run */
	by = malloc((t->nevents ? t->nevents : 1) * sizeof *by);
	for (j = 0; j < t->nevents && by; j++)
		by[j] = (unsigned long long)t->events[j].actor << 32 | t->events[j].type;
	if (by)
		qsort(by, t->nevents, sizeof *by, ull_cmp);
	for (i = 0, j = 0; i < t->nactors && by; i++) {
		struct tl_actor *ac = &t->actors[i];
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "actor", ac->name);
		cJSON_AddNumberToObject(o, "events", (double)ac->events);
		it = cJSON_AddObjectToObject(o, "types");
		while (j < t->nevents && by[j] >> 32 == i) {
			size_t e = j;
			while (j < t->nevents && by[j] == by[e])
				j++;
			cJSON_AddNumberToObject(it, t->types[by[e] & 0xffffffffu], (double)(j - e));
		}
		arr = cJSON_AddArrayToObject(o, "spans");
		for (k = 0; k < ac->nspans; k++) {
			const struct tl_span *s = &ac->spans[k];
			long long to = s->to < 0 ? t->t1 : s->to;
			if (to < t->t0 || s->from > t->t1)
				continue;
			it = cJSON_CreateObject();
			cJSON_AddNumberToObject(it, "from", (double)(s->from < t->t0 ? t->t0 : s->from));
			cJSON_AddNumberToObject(it, "to", (double)(to > t->t1 ? t->t1 : to));
			cJSON_AddBoolToObject(it, "joined", s->joined && s->from >= t->t0);
			cJSON_AddStringToObject(it, "end", s->to < 0 || s->to > t->t1 ? "open" : end_name(s->end));
			cJSON_AddItemToArray(arr, it);
		}
		if (!ac->events && !cJSON_GetArraySize(arr)) {
			cJSON_Delete(o); /* nothing of it in the window */
			continue;
		}
		if (cli_out_json(&a->out, o)) {
			cJSON_Delete(o);
			break;
		}
		cJSON_Delete(o);
	}
	free(by);
	for (i = 0; i < t->nstates; i++) {
		const struct tl_state *s = &t->states[i];
		long long to = s->to < 0 ? t->t1 : s->to;
		if ((s->to >= 0 && s->to <= t->t0 && s->from < t->t0) || s->from > t->t1)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "state", s->name);
		cJSON_AddNumberToObject(o, "from", (double)(s->from < t->t0 ? t->t0 : s->from));
		cJSON_AddNumberToObject(o, "to", (double)(to > t->t1 ? t->t1 : to));
		cli_out_json(&a->out, o);
		cJSON_Delete(o);
	}
	for (i = 0; i < t->ncps; i++) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "checkpoint", (double)t->cps[i].n);
		cJSON_AddNumberToObject(o, "seq", (double)t->cps[i].seq);
		cJSON_AddNumberToObject(o, "at", (double)t->cps[i].ts);
		cli_out_json(&a->out, o);
		cJSON_Delete(o);
	}
}

/* ---- writing a picture ---- */

static int utf8_locale(void)
{
	const char *cs;
	int u;

	if (!setlocale(LC_CTYPE, ""))
		return 0;
	cs = nl_langinfo(CODESET);
	u = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
	setlocale(LC_CTYPE, "C");
	return u;
}

/* The picture, made in memory and written through the app's output
 * (stdout) or into FILE whole (a temporary file beside it, renamed). */
static int write_picture(struct cli_app *a, struct timeline *t, const char *file, int svg)
{
	char *buf = NULL, tmp[4096];
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	int fd, rc = 0;
	mode_t um;

	if (!m)
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
	if (svg)
		timeline_svg(t, m);
	else
		timeline_text(t, m, utf8_locale(), a->out.color);
	if (fclose(m)) {
		free(buf);
		return sess_err_set(&a->err, SESS_E_INTERNAL, NULL, "out of memory");
	}
	if (!file || !strcmp(file, "-")) {
		cli_out_raw(&a->out, buf, n);
		free(buf);
		return 0;
	}
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", file) >= (int)sizeof tmp) {
		free(buf);
		return sess_err_set(&a->err, SESS_E_USAGE, NULL, "--svg %s: the path is too long", file);
	}
	if ((fd = mkstemp(tmp)) < 0) {
		free(buf);
		return sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write beside %s: %s; give a path in a writable directory",
				    file, strerror(errno));
	}
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um) || write(fd, buf, n) != (ssize_t)n || fsync(fd))
		rc = -1;
	if (close(fd) || rc || rename(tmp, file)) {
		rc = sess_err_set(&a->err, SESS_E_NOINPUT, NULL, "cannot write %s: %s", file, strerror(errno));
		unlink(tmp);
	}
	free(buf);
	return rc;
}

/* ---- the command ---- */

static int cmd_timeline(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct timeline_opts *o = opts;
	struct timeline t;
	struct tl_st st;
	struct source src;
	struct sess_fold f;
	struct sess_err fail;
	const char *head;
	int rc, out_rc;

	(void)argc;
	memset(&t, 0, sizeof t);
	memset(&st, 0, sizeof st);
	st.a = a;
	st.t = &t;
	if (o->from && point_parse(o->from, "--from", &st.from, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	if (o->to && point_parse(o->to, "--to", &st.to, &a->err))
		return cli_usage_error(a, "%s", a->err.msg);
	st.has_from = o->from != NULL;
	st.has_to = o->to != NULL;
	if (st.has_from && st.has_to && st.from.is_time == st.to.is_time && st.to.v < st.from.v)
		return cli_usage_error(a, "--to %s is before --from %s", o->to, o->from);
	if (o->svg && !*o->svg)
		return cli_usage_error(a, "--svg needs a file name (- for stdout)");
	if (o->svg && o->text)
		return cli_usage_error(a, "--svg and --text are two pictures: give one");
	if ((rc = cli_connect(a)))
		return rc;
	cli_catch_stop_signals();
	if (source_open(a, argv[0], o->saved, &src))
		return cli_app_fail(a);
	snprintf(t.id, sizeof t.id, "%s", src.id);
	t.saved = src.saved;
	/* every record, chained: the picture is shown as verified only when
	 * they fold to the stored head (as export checks it) */
	rc = source_fold(a, &src, &f, SRC_FOLD | SRC_CHAIN, 0, NULL, tl_one, &st);
	if (st.failed)
		rc = -1;
	if (!rc && cli_stop_signal()) {
		sess_fold_free(&f);
		source_close(&src);
		timeline_free(&t);
		return cli_signal_exit();
	}
	{
		const cJSON *start = src.saved ? cJSON_GetObjectItemCaseSensitive(src.meta, "start") : src.head.start;
		t.start_cp = start ? (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(start, "id")) : -1;
		t.start_seq = start ? (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(start, "seq")) : 0;
	}
	if (t.start_cp >= 0)
		cli_warn(a->prog, "the log of %s was trimmed: the history starts at checkpoint %lld (seq %lld)",
			 src.id, t.start_cp, t.start_seq);
	head = src.saved ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src.meta, "chain"))
			 : src.head.chain;
	if (!rc && (!head || strcmp(head, f.chain)))
		rc = sess_err_set(&a->err, SESS_E_DATA, "chain_mismatch",
				  "the records of %s do not fold to its stored chain head: a record was changed, removed or inserted; run 'sess-replay verify %s'",
				  src.id, src.id);
	if (!rc)
		rc = source_check_log(a, &src);
	sess_fold_free(&f);
	source_close(&src);
	if (rc && a->err.cls != SESS_E_DATA) {
		/* nothing to draw: the server, memory */
		timeline_free(&t);
		return cli_app_fail(a);
	}
	t.verified = !rc;
	fail = a->err;
	if (rc)
		snprintf(t.why, sizeof t.why, "%s", a->err.msg);
	/* unverified: what was read is drawn, titled so, and the exit is
	 * still the failure's */
	if (window(a, &st)) {
		if (rc)
			a->err = fail;
		timeline_free(&t);
		return cli_app_fail(a);
	}
	if (o->svg)
		out_rc = write_picture(a, &t, o->svg, 1);
	else if (o->text || isatty(STDOUT_FILENO))
		out_rc = write_picture(a, &t, NULL, 0);
	else {
		print_json(a, &t);
		out_rc = 0;
	}
	timeline_free(&t);
	if (out_rc) /* a->err says why the picture was not written */
		return cli_app_fail(a);
	if (rc) {
		a->err = fail;
		return cli_app_fail(a);
	}
	return 0;
}

void timeline_free(struct timeline *t)
{
	size_t i;

	for (i = 0; i < t->nactors; i++) {
		free(t->actors[i].name);
		free(t->actors[i].spans);
	}
	for (i = 0; i < t->ntypes; i++)
		free(t->types[i]);
	free(t->actors);
	free(t->types);
	free(t->events);
	free(t->states);
	free(t->cps);
	free(t->aidx);
	free(t->tidx);
}

const struct cli_cmd replay_cmd_timeline = {
	.name = "timeline", .synopsis = "ID",
	.summary = "a picture of the session over time: its actors, states and checkpoints",
	.details = "One lane per actor (joins, leaves, its events), the state as bands (working,\n"
		   "broken, completed), checkpoints; from the history, verified to its stored\n"
		   "chain head (a picture that is not says so in its title, and the exit is 65).\n"
		   "--svg FILE writes an SVG; on a terminal or with --text a text picture; else\n"
		   "JSON lines: a header, one line per actor (its spans and event counts by type),\n"
		   "per state interval and per checkpoint (man sess-replay has the fields).\n",
	.opts = timeline_o, .opts_size = sizeof(struct timeline_opts), .npos_min = 1, .npos_max = 1,
	.complete = CLI_COMPLETE_SESSION, .id_arg = 1,
	.run = cmd_timeline};

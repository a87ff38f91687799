/* cluster_cache.c - the slot map kept between short-lived processes (see
 * cluster.h). The file, text:
 *	sesskit-slotmap 1
 *	seed ID                    the seed's node id (CLUSTER MYID)
 *	node ID HOST PORT          one per master, in index order (0, 1, ...)
 *	range FIRST LAST INDEX     slots FIRST..LAST served by node INDEX
 * Anything else, or a line out of range, makes the whole file unusable.
 */
#include "core/redis/cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NODES 1000

/* FNV-1a 64 of s, for a file name per seed and user. */
static unsigned long long fnv(const char *s, unsigned long long h)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int cache_dir(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int w;

	if (xdg && xdg[0] == '/')
		w = snprintf(buf, n, "%s/sesskit", xdg);
	else if (home && home[0] == '/')
		w = snprintf(buf, n, "%s/.cache/sesskit", home);
	else
		return -1;
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int sess_cluster_cache_path(const struct sess_conn *c, char *buf, size_t n)
{
	char dir[1024], port[16];
	unsigned long long h = 14695981039346656037ULL;
	int w;

	if (cache_dir(dir, sizeof dir))
		return -1;
	snprintf(port, sizeof port, ":%d/", c->ep.port);
	h = fnv(c->ep.host, h);
	h = fnv(port, h);
	h = fnv(c->cfg->username, h);
	h = fnv(c->cfg->tls || c->cfg->tls_enabled ? "tls" : "plain", h);
	w = snprintf(buf, n, "%s/slots-%016llx", dir, h);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

static int is_hex_id(const char *s)
{
	size_t i;

	if (strlen(s) != 40)
		return 0;
	for (i = 0; i < 40; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

int sess_cluster_cache_load(struct sess_conn *c, const char *myid)
{
	struct sess_cluster *cl = c->cl;
	short slot[SESS_CLUSTER_SLOTS];
	int idx[MAX_NODES], nn = 0, ok = 0, i;
	char path[1100], line[512], id[64], host[256];
	FILE *f;

	if (sess_cluster_cache_path(c, path, sizeof path) || !(f = fopen(path, "r")))
		return -1;
	for (i = 0; i < SESS_CLUSTER_SLOTS; i++)
		slot[i] = -1;
	if (!fgets(line, sizeof line, f) || strcmp(line, "sesskit-slotmap 1\n") ||
	    !fgets(line, sizeof line, f) || sscanf(line, "seed %63s", id) != 1 || strcmp(id, myid))
		goto done;
	while (fgets(line, sizeof line, f)) {
		int port, lo, hi, k;
		char tail;
		if (sscanf(line, "node %63s %255s %d%c", id, host, &port, &tail) == 4 && tail == '\n') {
			if (nn == MAX_NODES || !is_hex_id(id) || port < 1 || port > 65535)
				goto done;
			if ((idx[nn] = sess_cluster_node_at(cl, host, port, id)) < 0)
				goto done;
			cl->nodes[idx[nn]].verify = strcmp(id, myid) != 0;
			nn++;
		} else if (sscanf(line, "range %d %d %d%c", &lo, &hi, &k, &tail) == 4 && tail == '\n') {
			if (lo < 0 || hi >= SESS_CLUSTER_SLOTS || lo > hi || k < 0 || k >= nn)
				goto done;
			for (i = lo; i <= hi; i++)
				slot[i] = (short)idx[k];
		} else
			goto done;
	}
	ok = !ferror(f) && nn > 0;
done:
	fclose(f);
	if (!ok)
		return -1;
	memcpy(cl->slot, slot, sizeof slot);
	for (i = 0; i < nn; i++)
		cl->nodes[idx[i]].master = 1;
	return 0;
}

void sess_cluster_cache_save(const struct sess_conn *c)
{
	const struct sess_cluster *cl = c->cl;
	char path[1100], tmp[1200], dir[1024];
	int fd, i, s, seed = -1;
	int *pos;
	FILE *f;

	if (sess_cluster_cache_path(c, path, sizeof path) || cache_dir(dir, sizeof dir))
		return;
	for (i = 0; i < cl->nnodes; i++)
		if (cl->nodes[i].ep.port == c->ep.port && !strcmp(cl->nodes[i].ep.host, c->ep.host))
			seed = i;
	if (seed < 0 || !cl->nodes[seed].id[0])
		return;
	/* ~/.cache, then ours: private */
	if (mkdir(dir, 0700) && errno == ENOENT) {
		char parent[1024];
		char *slash;
		snprintf(parent, sizeof parent, "%s", dir);
		if ((slash = strrchr(parent, '/')))
			*slash = '\0';
		mkdir(parent, 0700);
		mkdir(dir, 0700);
	}
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return;
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp);
		return;
	}
	if (!(pos = calloc((size_t)cl->nnodes, sizeof *pos))) {
		fclose(f);
		unlink(tmp);
		return;
	}
	fprintf(f, "sesskit-slotmap 1\nseed %s\n", cl->nodes[seed].id);
	for (i = 0, s = 0; i < cl->nnodes; i++) {
		const struct sess_cluster_node *n = &cl->nodes[i];
		pos[i] = -1;
		if (!n->master || !n->id[0] || strchr(n->ep.host, ' '))
			continue;
		pos[i] = s++;
		fprintf(f, "node %s %s %d\n", n->id, n->ep.host, n->ep.port);
	}
	for (s = 0; s < SESS_CLUSTER_SLOTS;) {
		int lo = s, k = cl->slot[s];
		while (s < SESS_CLUSTER_SLOTS && cl->slot[s] == k)
			s++;
		if (k >= 0 && pos[k] >= 0)
			fprintf(f, "range %d %d %d\n", lo, s - 1, pos[k]);
	}
	free(pos);
	if (fflush(f) || ferror(f)) {
		fclose(f);
		unlink(tmp);
		return;
	}
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
}

void sess_cluster_cache_drop(const struct sess_conn *c)
{
	char path[1100];

	if (!sess_cluster_cache_path(c, path, sizeof path))
		unlink(path);
}

#include "core/model/keys.h"

#include <stdio.h>
#include <string.h>

#include "core/model/slot.h"

static int id_char(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	if (c == '_' || c == '.')
		return 1;
	/* '-' never first: such an id would read as a flag, and "-" alone
	 * means ids on stdin */
	return !first && (c == '-' || c == '@' || c == ':');
}

int sess_key_check_id(const char *id, const char *what, struct sess_err *err)
{
	size_t i, n;

	if (!id || !*id)
		return sess_err_set(err, SESS_E_DATA, "bad_id",
				    "%s is empty; give 1 to %d characters of A-Z a-z 0-9 . _ - @ :",
				    what, SESS_ID_MAX);
	n = strlen(id);
	if (n > SESS_ID_MAX)
		return sess_err_set(err, SESS_E_DATA, "bad_id",
				    "%s is %zu characters long; the limit is %d",
				    what, n, SESS_ID_MAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (id_char((char)c, i == 0))
			continue;
		if (c < 0x20 || c == 0x7f)
			return sess_err_set(err, SESS_E_DATA, "bad_id",
					    "%s contains a control character (0x%02x) at position %zu; use only A-Z a-z 0-9 . _ (and - @ : after the first character)",
					    what, c, i + 1);
		return sess_err_set(err, SESS_E_DATA, "bad_id",
				    "%s \"%.40s\" contains '%c' at position %zu; use only A-Z a-z 0-9 . _ (and - @ : after the first character)",
				    what, id, c, i + 1);
	}
	return 0;
}

int sess_key_check_prefix(const char *prefix, struct sess_err *err)
{
	size_t i, n = prefix ? strlen(prefix) : 0;

	if (n == 0 || n > SESS_PREFIX_MAX)
		return sess_err_set(err, SESS_E_CONFIG, "bad_prefix",
				    "key prefix must be 1 to %d characters long",
				    SESS_PREFIX_MAX);
	for (i = 0; i < n; i++)
		if (!id_char(prefix[i], i == 0) || prefix[i] == '@')
			return sess_err_set(err, SESS_E_CONFIG, "bad_prefix",
					    "key prefix \"%s\" has '%c' at position %zu; use A-Z a-z 0-9 . _ (and - : after the first character)",
					    prefix, prefix[i], i + 1);
	return 0;
}

/* "PREFIX:{ID}:SUFFIX" (without snprintf: readers build five keys for
 * every session they read) */
static void session_key(char *buf, const char *prefix, const char *id,
			const char *suffix)
{
	size_t lp = strlen(prefix), li = strlen(id), ls = strlen(suffix);

	if (lp + li + ls + 5 > SESS_KEY_MAX) { /* not a checked id: cut as snprintf would */
		snprintf(buf, SESS_KEY_MAX, "%s:{%s}:%s", prefix, id, suffix);
		return;
	}
	memcpy(buf, prefix, lp);
	buf += lp;
	*buf++ = ':';
	*buf++ = '{';
	memcpy(buf, id, li);
	buf += li;
	*buf++ = '}';
	*buf++ = ':';
	memcpy(buf, suffix, ls + 1);
}

void sess_key_meta(char *buf, const char *prefix, const char *id)
{
	session_key(buf, prefix, id, SESS_S_KEY_META);
}

void sess_key_arriving(char *buf, const char *prefix, const char *id, int part)
{
	static const char *const sfx[] = {
		SESS_S_KEY_ARRIVING ":" SESS_S_KEY_META, SESS_S_KEY_ARRIVING ":" SESS_S_KEY_EVENTS,
		SESS_S_KEY_ARRIVING ":" SESS_S_KEY_CHECKPOINTS, SESS_S_KEY_ARRIVING ":" SESS_S_KEY_EVENTIDS,
		SESS_S_KEY_ARRIVING ":" SESS_S_KEY_HISTORY};

	session_key(buf, prefix, id, sfx[part]);
}

void sess_key_events(char *buf, const char *prefix, const char *id)
{
	session_key(buf, prefix, id, SESS_S_KEY_EVENTS);
}

void sess_key_checkpoints(char *buf, const char *prefix, const char *id)
{
	session_key(buf, prefix, id, SESS_S_KEY_CHECKPOINTS);
}

void sess_key_dedup(char *buf, const char *prefix, const char *id)
{
	session_key(buf, prefix, id, SESS_S_KEY_EVENTIDS);
}

void sess_key_history(char *buf, const char *prefix, const char *id)
{
	session_key(buf, prefix, id, SESS_S_KEY_HISTORY);
}

void sess_key_channel(char *buf, const char *prefix, const char *id)
{
	session_key(buf, prefix, id, SESS_S_KEY_NOTIFY);
}

/* "PREFIX:#{TAG}:SUFFIX" */
static void companion(char *buf, const char *prefix, const char *tag, const char *suffix)
{
	snprintf(buf, SESS_KEY_MAX, "%s:" SESS_S_COMPANION "{%s}:%s", prefix, tag, suffix);
}

void sess_key_index(char *buf, const char *prefix, const char *tag)
{
	companion(buf, prefix, tag, SESS_S_KEY_INDEX);
}

void sess_key_stats(char *buf, const char *prefix, const char *tag)
{
	companion(buf, prefix, tag, SESS_S_KEY_STATS);
}

void sess_key_agents(char *buf, const char *prefix, const char *tag)
{
	companion(buf, prefix, tag, SESS_S_KEY_AGENTS);
}

void sess_key_agent(char *buf, const char *prefix, const char *tag, const char *agent)
{
	snprintf(buf, SESS_KEY_MAX, "%s:" SESS_S_COMPANION "{%s}:" SESS_S_KEY_AGENT ":%s",
		 prefix, tag, agent);
}

void sess_key_fence(char *buf, const char *prefix, const char *tag)
{
	companion(buf, prefix, tag, SESS_S_KEY_FENCE);
}

void sess_key_replays(char *buf, const char *prefix, const char *tag)
{
	companion(buf, prefix, tag, SESS_S_KEY_REPLAYS);
}

void sess_key_slot_channel(char *buf, const char *prefix, const char *tag)
{
	companion(buf, prefix, tag, SESS_S_KEY_NOTIFY);
}

const char *sess_key_tag(const char *id, int per_slot)
{
	char key[SESS_ID_MAX + 3];
	size_t n = strlen(id);

	if (!per_slot)
		return SESS_S_TAG_ONE;
	if (n > SESS_ID_MAX)
		n = SESS_ID_MAX;
	key[0] = '{';
	memcpy(key + 1, id, n);
	key[n + 1] = '}';
	return sess_slot_tag(sess_slot_of_key(key, n + 2));
}

void sess_key_global(char *buf, const char *prefix, const char *suffix, const char *agent)
{
	if (agent)
		snprintf(buf, SESS_KEY_MAX, "%s:" SESS_S_KEY_AGENT ":%s", prefix, agent);
	else
		snprintf(buf, SESS_KEY_MAX, "%s:%s", prefix, suffix);
}

void sess_key_layout(char *buf, const char *prefix)
{
	snprintf(buf, SESS_KEY_MAX, "%s:" SESS_S_KEY_LAYOUT, prefix);
}

void sess_key_migrate(char *buf, const char *prefix, const char *task,
		      const char *part)
{
	if (!task)
		snprintf(buf, SESS_KEY_MAX, "%s:" SESS_S_KEY_MIGRATE ":tasks", prefix);
	else if (!part)
		snprintf(buf, SESS_KEY_MAX, "%s:" SESS_S_KEY_MIGRATE ":%s", prefix, task);
	else
		snprintf(buf, SESS_KEY_MAX, "%s:" SESS_S_KEY_MIGRATE ":%s:%s", prefix, task, part);
}

void sess_key_migrate_at(char *buf, const char *prefix, const char *tag,
			 const char *task, const char *part)
{
	snprintf(buf, SESS_KEY_MAX, "%s:" SESS_S_COMPANION "{%s}:" SESS_S_KEY_MIGRATE ":%s:%s",
		 prefix, tag, task, part);
}

void sess_key_channel_pattern(char *buf, const char *prefix)
{
	snprintf(buf, SESS_KEY_MAX, "%s:{*}:" SESS_S_KEY_NOTIFY, prefix);
}

void sess_key_meta_pattern(char *buf, const char *prefix)
{
	snprintf(buf, SESS_KEY_MAX, "%s:{*}:" SESS_S_KEY_META, prefix);
}

void sess_key_replay(char *buf, const char *prefix, const char *id)
{
	snprintf(buf, SESS_KEY_MAX, "%s:" SESS_S_KEY_REPLAY ":{%s}", prefix, id);
}

void sess_key_keyspace_pattern(char *buf, const char *prefix, int db)
{
	snprintf(buf, SESS_KEY_MAX + 32, "__keyspace@%d__:%s:{*}:" SESS_S_KEY_META, db, prefix);
}

int sess_key_channel_id(const char *channel, const char *prefix, char *id)
{
	size_t pl = strlen(prefix), n;
	const char *p = channel, *end;

	if (!strncmp(p, "__keyspace@", 11) && (p = strstr(p, "__:")))
		p += 3;
	if (strncmp(p, prefix, pl) || p[pl] != ':' || p[pl + 1] != '{')
		return -1;
	p += pl + 2;
	if (!(end = strchr(p, '}')) || end[1] != ':' || (n = (size_t)(end - p)) > SESS_ID_MAX)
		return -1;
	memcpy(id, p, n);
	id[n] = '\0';
	return sess_key_check_id(id, "session id", NULL);
}

void sess_key_agent_field(char *buf, const char *agent)
{
	snprintf(buf, SESS_KEY_MAX, SESS_S_F_AGENT_PREFIX "%s", agent);
}

const char *sess_key_field_agent(const char *field)
{
	if (strncmp(field, SESS_S_F_AGENT_PREFIX, SESS_S_F_AGENT_PREFIX_LEN) != 0)
		return NULL;
	return field + SESS_S_F_AGENT_PREFIX_LEN;
}

void sess_keys_init(struct sess_keys *k, const char *prefix, const char *id)
{
	sess_key_meta(k->meta, prefix, id);
	sess_key_events(k->events, prefix, id);
	sess_key_checkpoints(k->cps, prefix, id);
	sess_key_dedup(k->dedup, prefix, id);
	sess_key_history(k->history, prefix, id);
	k->v[0] = k->meta;
	k->v[1] = k->events;
	k->v[2] = k->cps;
	k->v[3] = k->dedup;
	k->v[4] = k->history;
	k->index[0] = k->stats[0] = k->agents[0] = '\0';
	k->v[5] = k->index;
	k->v[6] = k->stats;
	k->v[7] = k->agents;
}

void sess_keys_tag(struct sess_keys *k, const char *prefix, const char *tag)
{
	sess_key_index(k->index, prefix, tag);
	sess_key_stats(k->stats, prefix, tag);
	sess_key_agents(k->agents, prefix, tag);
}

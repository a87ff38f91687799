/* Unit tests of the pure core modules: keys, config (URLs, files,
 * precedence), events (validation, encoding, decoding), errors, and the
 * layout of an emit request (no server needed to build one). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/config.h"
#include "core/model/slot.h"
#include "core/base/err.h"
#include "core/model/event.h"
#include "core/history/fold.h"
#include "core/base/sha1.h"
#include "core/base/jscan.h"
#include "core/base/strset.h"
#include "core/model/json.h"
#include "core/model/keys.h"
#include "core/model/limits.h"
#include "core/redis/pipe.h"
#include "core/redis/scripts.h"
#include "core/base/utf8.h"
#include "core/session/session.h"
#include "tap.h"

static void test_keys(void)
{
	char k[SESS_KEY_MAX];
	struct sess_err err;
	char longid[SESS_ID_MAX + 2];

	sess_key_meta(k, "sess", "abc");
	is_str(k, "sess:{abc}:meta", "meta key carries the hash tag");
	sess_key_events(k, "sess", "abc");
	is_str(k, "sess:{abc}:events", "events key");
	sess_key_checkpoints(k, "p", "x-1");
	is_str(k, "p:{x-1}:checkpoints", "checkpoints key with another prefix");
	sess_key_dedup(k, "sess", "abc");
	is_str(k, "sess:{abc}:eventids", "event id key");
	sess_key_index(k, "sess", "all");
	is_str(k, "sess:#{all}:index", "companion index key of the one tag");
	sess_key_agent(k, "sess", "2t", "bot@x");
	is_str(k, "sess:#{2t}:agent:bot@x", "companion agent index key of a slot tag");
	sess_key_global(k, "sess", "index", NULL);
	is_str(k, "sess:index", "layout 2's global index");
	sess_key_global(k, "sess", NULL, "bot@x");
	is_str(k, "sess:agent:bot@x", "layout 2's agent index");
	is_str(sess_key_tag("abc", 0), "all", "standalone: the one tag");
	{
		const char *t = sess_key_tag("abc", 1);
		char kk[16];
		snprintf(kk, sizeof kk, "{%s}", t);
		ok(sess_slot_of_key(kk, strlen(kk)) == sess_slot_of_key("{abc}", 5),
		   "cluster: the tag of the session's own slot");
	}

	sess_key_channel(k, "sess", "abc");
	is_str(k, "sess:{abc}:notify", "session channel");
	sess_key_channel_pattern(k, "sess");
	is_str(k, "sess:{*}:notify", "pattern of every session's channel");
	sess_key_agent_field(k, "a1");
	is_str(k, "agent:a1", "agent field");
	{
		/* sync learns the session from the channel's name alone */
		char id[SESS_ID_MAX + 1], kp[SESS_KEY_MAX + 32];
		ok(sess_key_channel_id("sess:{abc}:notify", "sess", id) == 0 && !strcmp(id, "abc"),
		   "session id from a notify channel");
		ok(sess_key_channel_id("__keyspace@3__:sess:{a-1}:meta", "sess", id) == 0 &&
		   !strcmp(id, "a-1"), "session id from a keyspace channel");
		ok(sess_key_channel_id("other:{abc}:notify", "sess", id) == -1, "another prefix names nothing");
		ok(sess_key_channel_id("sess:{a*b}:notify", "sess", id) == -1, "an invalid id names nothing");
		ok(sess_key_channel_id("sess:{abc:notify", "sess", id) == -1, "no closing brace names nothing");
		sess_key_keyspace_pattern(kp, "sess", 2);
		is_str(kp, "__keyspace@2__:sess:{*}:meta", "keyspace pattern of every meta key");
		sess_key_fence(k, "sess", "all");
		is_str(k, "sess:#{all}:fence", "fence key");
	}

	ok(sess_key_check_id("0193a8f0-7c3e-7abc-8def-0123456789ab", "session id", &err) == 0, "uuid is a valid id");
	ok(sess_key_check_id("agent.one_2@host:1", "agent id", &err) == 0, "@ and : allowed after the first character");
	ok(sess_key_check_id("", "session id", &err) == -1 && err.cls == SESS_E_DATA, "empty id refused");
	ok(sess_key_check_id("a*b", "session id", &err) == -1 && strstr(err.msg, "'*'"), "glob character refused and named");
	ok(sess_key_check_id("a{b}", "session id", &err) == -1, "brace refused");
	ok(sess_key_check_id("a\nb", "session id", &err) == -1 && strstr(err.msg, "control"), "control character refused");
	ok(sess_key_check_id("a b", "session id", &err) == -1, "space refused");
	ok(sess_key_check_id(":ab", "session id", &err) == -1, "leading colon refused");
	ok(sess_key_check_id("-ab", "session id", &err) == -1 && sess_key_check_id("-", "session id", &err) == -1,
	   "leading dash refused (it would read as a flag or as stdin)");
	memset(longid, 'a', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	ok(sess_key_check_id(longid, "session id", &err) == -1 && strstr(err.msg, "129"), "over-long id refused with its length");
	longid[SESS_ID_MAX] = '\0';
	ok(sess_key_check_id(longid, "session id", &err) == 0, "128 characters accepted");
	ok(sess_key_check_prefix("sess", &err) == 0, "prefix ok");
	ok(sess_key_check_prefix("team-a:sess", &err) == 0, "prefix with - and : ok");
	ok(sess_key_check_prefix("a{b", &err) == -1 && err.cls == SESS_E_CONFIG, "prefix with brace refused");
}

static void test_urls(void)
{
	struct sess_config c;
	struct sess_err err;

	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "redis://alice:s%40cret@db.example:6380/3", &err) == 0, "full URL parses");
	is_str(c.host, "db.example", "host");
	ok(c.port == 6380 && c.db == 3, "port and db");
	is_str(c.username, "alice", "user");
	is_str(c.password, "s@cret", "password is %%-decoded");

	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "redis://:pw@h", &err) == 0 && !c.username[0], "password-only form");
	is_str(c.password, "pw", "password-only form password");
	ok(c.port == 6379 && c.db == 0, "defaults kept");

	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "redis://[::1]:7000/2", &err) == 0, "IPv6 URL");
	is_str(c.host, "::1", "IPv6 host");
	ok(c.port == 7000 && c.db == 2, "IPv6 port and db");

	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "unix:///tmp/r.sock?db=4", &err) == 0, "unix URL");
	is_str(c.unix_path, "/tmp/r.sock", "socket path");
	ok(c.db == 4, "unix db");

	ok(sess_config_apply_url(&c, "http://x", &err) == -1 && err.cls == SESS_E_CONFIG, "wrong scheme refused");
	ok(sess_config_apply_url(&c, "redis://h:99999", &err) == -1 && strstr(err.msg, "port"), "bad port named");
	ok(sess_config_apply_url(&c, "redis://h/x", &err) == -1 && strstr(err.msg, "database"), "bad db named");
	ok(sess_config_apply_url(&c, "unix://relative.sock", &err) == -1, "relative socket refused");
	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "rediss://h", &err) == 0 && c.tls == 1, "rediss sets tls");

	/* a rediss:// URL's query carries its TLS settings */
	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "rediss://u:p@h:6380/1?cacert=/a/ca.pem&cert=/a/c.pem&key=/a/c.key&sni=n.example&insecure&db=3",
				 &err) == 0, "rediss query parses");
	is_str(c.tls_cacert, "/a/ca.pem", "query cacert");
	is_str(c.tls_cert, "/a/c.pem", "query cert");
	is_str(c.tls_key, "/a/c.key", "query key");
	is_str(c.tls_sni, "n.example", "query sni");
	ok(c.tls_insecure == 1 && c.db == 3 && c.port == 6380, "query insecure (bare) and db");
	ok(sess_config_apply_url(&c, "rediss://h?insecure=0", &err) == 0 && c.tls_insecure == 0, "insecure=0");
	ok(sess_config_apply_url(&c, "rediss://h?insecure=maybe", &err) == -1 && strstr(err.msg, "insecure"),
	   "a bad TLS query value named");
	ok(sess_config_apply_url(&c, "rediss://h?nosuch=1", &err) == -1 && strstr(err.msg, "nosuch") &&
	   strstr(err.msg, "cacert"), "an unknown query option named, the TLS ones listed");
	ok(sess_config_apply_url(&c, "redis://h?cacert=/a", &err) == -1 && strstr(err.msg, "cacert"),
	   "TLS options only on rediss://");
	ok(sess_config_apply_url(&c, "rediss://h?enabled=0", &err) == -1, "enabled is no query option");
	/* Sentinel */
	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "redis+sentinel://u:p%40w@s1:26380,s2,[::1]:5/2?master=mm&sentinelPassword=sp",
				 &err) == 0, "redis+sentinel URL parses");
	is_str(c.sentinels, "s1:26380,s2:26379,[::1]:5", "sentinels, default port 26379");
	is_str(c.sentinel_master, "mm", "master name");
	is_str(c.sentinel_password, "sp", "sentinel password from the query");
	is_str(c.username, "u", "data user");
	is_str(c.password, "p@w", "data password %%-decoded");
	ok(c.db == 2 && sess_config_wait_replicas(&c) == 1, "db, and WAIT 1 by default through Sentinel");
	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "redis-sentinel://pw@h1:1,h2:2/3#name", &err) == 0, "Lettuce's form");
	ok(!strcmp(c.sentinel_master, "name") && !strcmp(c.password, "pw") && c.db == 3, "its #NAME, password, db");
	ok(sess_config_apply_url(&c, "redis://h", &err) == 0 && !c.sentinels[0] &&
	   sess_config_wait_replicas(&c) == 0, "a plain URL after it: no Sentinel, no WAIT");
	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "redis+sentinel://h1:1", &err) == -1 && err.cls == SESS_E_CONFIG &&
	   strstr(err.msg, "master name"), "no master name: refused");
	ok(sess_config_apply_url(&c, "redis+sentinel://h1:x?master=m", &err) == -1, "a bad sentinel port refused");
	ok(sess_config_apply_url(&c, "redis+sentinel://h1?master=m&nope=1", &err) == -1 &&
	   strstr(err.msg, "nope"), "an unknown option named");
}

static void test_redact(void)
{
	static const char *const cases[][2] = {
		{"http://u:S3cret@127.0.0.1:6379/0", "http://u:***@127.0.0.1:6379/0"},
		{"redis://:pw@h", "redis://:***@h"},
		{"redis://pw@h:1/0", "redis://***@h:1/0"},
		{"redis://u:p@ss/w?rd@h", "redis://u:***@h"},
		{"redis//u:S3cret@h", "redis//u:***@h"},
		{"redis://u:S3cret", "redis://u:***"},
		{"redis://h:6379/0", "redis://h:6379/0"},
		{"redis://[::1]:7000", "redis://[::1]:7000"},
		{"unix:///run/redis.sock?db=1", "unix:///run/redis.sock?db=1"},
		{"u:S3cret@h", "u:***@h"},
		{"fe80::abcd", "fe80::abcd"},
		{"http://h?password=S3cret", "http://h?***"},
		{"redis://u:pw@h/0?db=3", "redis://u:***@h/0?db=3"},
	};
	struct sess_config c;
	struct sess_err err;
	char buf[300];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sess_config_redact_url(cases[i][0], buf, sizeof buf);
		is_str(buf, cases[i][1], "redacted: %s", cases[i][1]);
	}
	sess_config_defaults(&c);
	ok(sess_config_apply_url(&c, "redis://u:p?ss@h:7/1", &err) == 0, "a password with ? parses");
	is_str(c.password, "p?ss", "it is all password");
	ok(!strcmp(c.host, "h") && c.port == 7 && c.db == 1, "and the host after it");
	ok(sess_config_apply_url(&c, "redis://h?password=S3cret", &err) == -1 && !strstr(err.msg, "S3cret") &&
	   strstr(err.msg, "\"password\""), "an unknown URL option is named, not its value (%s)", err.msg);
	snprintf(c.host, sizeof c.host, "u:S3cret@h");
	sess_config_describe(&c, buf, sizeof buf);
	ok(!strstr(buf, "S3cret") && strstr(buf, "u:***@h"), "describe hides a password in the host (%s)", buf);
}

static const char *fake_env_vals[][2] = {
	{"REDIS_URL", "redis://envhost:7001/1"},
	{"REDIS_PORT", "7002"},
	{"SESSION_TTL", "120"},
	{"SESSION_CLEANUP_BATCH_SIZE", "7"},
	{"REDIS_TLS", "1"},
	{"REDIS_CACERT", "/e/ca.pem"},
	{"REDIS_CACERTDIR", "/e/cas"},
	{"REDIS_CERT", "/e/c.pem"},
	{"REDIS_KEY", "/e/c.key"},
	{"REDIS_SNI", "sni.example"},
	{"REDIS_INSECURE", "true"},
	{"REDIS_TLS_CIPHERS", "HIGH"},
	{"REDIS_TLS_CIPHERSUITES", "TLS_AES_128_GCM_SHA256"},
	{NULL, NULL},
};

static const char *fake_env(const char *name)
{
	int i;

	for (i = 0; fake_env_vals[i][0]; i++)
		if (!strcmp(fake_env_vals[i][0], name))
			return fake_env_vals[i][1];
	return NULL;
}

static const char *bad_env(const char *name)
{
	return !strcmp(name, "SESSION_TTL") ? "0" : NULL;
}

static void test_config(void)
{
	struct sess_config c;
	struct sess_err err;

	sess_config_defaults(&c);
	ok(c.default_ttl == 3600 && c.grace_ttl == 300 && c.checkpoint_interval == 10 &&
	   c.max_events == 1000 && c.failure_snapshots == 1, "seed defaults");
	is_str(c.prefix, "sess", "default prefix");

	ok(sess_config_load_json(&c, "{\"defaultTTL\":60,\"graceTTL\":5,\"prefix\":\"x\","
				 "\"redis\":{\"host\":\"filehost\",\"port\":7000},"
				 "\"enableFailureSnapshots\":false,\"checkpointInterval\":3}",
				 "f.json", &err) == 0, "config file loads");
	ok(c.default_ttl == 60 && c.grace_ttl == 5 && c.checkpoint_interval == 3 && !c.failure_snapshots,
	   "file values applied");
	is_str(c.host, "filehost", "file host");
	ok(c.port == 7000, "file port");

	ok(sess_config_load_env(&c, fake_env, &err) == 0, "env loads");
	is_str(c.host, "envhost", "env URL beats file");
	ok(c.port == 7002, "REDIS_PORT beats REDIS_URL's port");
	ok(c.db == 1 && c.default_ttl == 120 && c.cleanup_batch == 7, "env db, ttl and batch");
	ok(c.tls_enabled == 1 && c.tls == 0 && c.tls_insecure == 1, "REDIS_TLS and REDIS_INSECURE");
	ok(!strcmp(c.tls_cacert, "/e/ca.pem") && !strcmp(c.tls_cacertdir, "/e/cas") &&
	   !strcmp(c.tls_cert, "/e/c.pem") && !strcmp(c.tls_key, "/e/c.key") && !strcmp(c.tls_sni, "sni.example") &&
	   !strcmp(c.tls_ciphers, "HIGH") && !strcmp(c.tls_ciphersuites, "TLS_AES_128_GCM_SHA256"),
	   "REDIS_CACERT, _CACERTDIR, _CERT, _KEY, _SNI, _TLS_CIPHERS, _TLS_CIPHERSUITES");
	ok(sess_config_load_json(&c, "{\"tls\":{\"cacert\":\"/f/ca.pem\",\"insecure\":false,\"insecureKeyFile\":true}}",
				 "f.json", &err) == 0 && !strcmp(c.tls_cacert, "/f/ca.pem") && !c.tls_insecure &&
	   c.tls_insecure_key, "the file's tls group");
	ok(sess_config_load_json(&c, "{\"tls\":{\"cafile\":\"x\"}}", "f.json", &err) == -1 &&
	   strstr(err.msg, "tls.cafile"), "an unknown tls key named");

	ok(sess_config_set(&c, "redis.port", "7003", "--port", &err) == 0 && c.port == 7003, "flag beats env");

	ok(sess_config_load_json(&c, "{\"defaultTtl\":1}", "f.json", &err) == -1 &&
	   err.cls == SESS_E_CONFIG && strstr(err.msg, "defaultTtl"), "unknown key named");
	ok(sess_config_load_json(&c, "{\"defaultTTL\":0}", "f.json", &err) == -1 &&
	   strstr(err.msg, "defaultTTL"), "zero TTL refused in file");
	ok(sess_config_load_json(&c, "{\"defaultTTL\":", "f.json", &err) == -1 &&
	   strstr(err.msg, "not valid JSON"), "broken JSON refused");
	ok(sess_config_load_json(&c, "{\"prefix\":\"a*\"}", "f.json", &err) == -1, "bad prefix refused");
	ok(sess_config_load_json(&c, "{\"defaultTTL\":1e400}", "f.json", &err) == -1 && err.cls == SESS_E_CONFIG &&
	   strstr(err.msg, "defaultTTL") && strstr(err.msg, "1 to 315360000"), "huge TTL in a file refused with the range (%s)", err.msg);
	ok(sess_config_load_json(&c, "{\"graceTTL\":1.5}", "f.json", &err) == -1 && strstr(err.msg, "whole number"),
	   "fractional TTL in a file refused");
	ok(sess_config_load_json(&c, "{\"redis\":{\"password\":12345}}", "f.json", &err) == 0 &&
	   !strcmp(c.password, "12345"), "a password of digits as a JSON number");
	ok(sess_config_load_env(&c, bad_env, &err) == -1 && strstr(err.msg, "SESSION_TTL") &&
	   err.cls == SESS_E_CONFIG, "bad env value names the variable");
	ok(sess_config_set(&c, "defaultTTL", "-5", "--ttl", &err) == -1 && err.cls == SESS_E_USAGE,
	   "negative TTL from a flag is a usage error");
	ok(sess_config_load_file(&c, "/nonexistent/sesskit.json", &err) == -1 && err.cls == SESS_E_NOINPUT,
	   "missing config file is no_input");
}

static void test_events(void)
{
	struct sess_event ev;
	struct sess_err err;
	cJSON *j, *d;
	char *body, stored[1024];

	sess_event_init(&ev);
	ok(sess_event_validate(&ev, &err) == -1 && strstr(err.msg, "type"), "missing type refused");
	strcpy(ev.type, "modified");
	ok(sess_event_validate(&ev, &err) == -1 && strstr(err.msg, "actor"), "missing actor refused");
	strcpy(ev.actor, "a1");
	ok(sess_event_validate(&ev, &err) == 0, "type + actor is enough");
	strcpy(ev.type, "mod ified");
	ok(sess_event_validate(&ev, &err) == -1, "type with a space refused");
	strcpy(ev.type, "broke");

	ok(sess_event_set_part(&ev, "changeInfo", "{\"elementType\":\"test\"", &err) == -1 &&
	   err.cls == SESS_E_DATA && !strcmp(err.kind, "bad_json"), "malformed JSON refused");
	ok(sess_event_set_part(&ev, "changeInfo", "{\"elementType\":\"test\",\"entityIds\":[\"a.ts\"],\"operation\":\"failed\"}", &err) == 0,
	   "changeInfo set");
	ok(sess_event_set_part(&ev, "stateTransition", "{\"from\":\"working\",\"to\":\"broken\",\"verifiedBy\":\"ci\",\"confidence\":0.95}", &err) == 0,
	   "transition set");
	ok(sess_event_validate(&ev, &err) == 0, "full event valid");
	is_str(ev.from, "working", "from taken from the transition");
	is_str(ev.to, "broken", "to taken from the transition");

	body = sess_event_encode_body(&ev, &err);
	ok(body != NULL && body[strlen(body) - 1] == '}' && body[0] == '"', "body encodes without its opening brace");
	snprintf(stored, sizeof stored, "{\"s\":7,\"ts\":1700000000000,%s", body);
	d = sess_event_decode(stored, strlen(stored), "S1", &err);
	ok(d != NULL, "stored form decodes");
	ok(cJSON_GetObjectItem(d, "seq")->valuedouble == 7, "seq decoded");
	is_str(cJSON_GetObjectItem(d, "type")->valuestring, "broke", "type decoded");
	is_str(cJSON_GetObjectItem(d, "sessionId")->valuestring, "S1", "sessionId added");
	is_str(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "changeInfo"), "operation")->valuestring,
	       "failed", "changeInfo.operation decoded");
	is_str(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "stateTransition"), "to")->valuestring,
	       "broken", "stateTransition kept");
	cJSON_Delete(d);
	free(body);

	ok(sess_event_set_part(&ev, "changeInfo", "{\"elementType\":\"t\",\"operation\":\"x\"}", &err) == 0 &&
	   sess_event_validate(&ev, &err) == -1 && strstr(err.msg, "entityIds"), "changeInfo without entityIds refused");
	ok(sess_event_set_part(&ev, "changeInfo", "{\"elementType\":\"t\",\"entityIds\":[1],\"operation\":\"x\"}", &err) == 0 &&
	   sess_event_validate(&ev, &err) == -1, "non-string entity id refused");
	ok(sess_event_set_part(&ev, "changeInfo", "[1]", &err) == -1, "changeInfo must be an object");
	ok(sess_event_set_part(&ev, "changeInfo", "{\"elementType\":\"t\",\"entityIds\":[],\"operation\":\"x\"}", &err) == 0,
	   "empty entityIds allowed");
	ok(sess_event_set_part(&ev, "stateTransition", "{\"from\":\"working\",\"to\":\"melted\"}", &err) == 0 &&
	   sess_event_validate(&ev, &err) == -1 && strstr(err.msg, "to"), "unknown state refused");
	ok(sess_event_set_part(&ev, "stateTransition", "{\"from\":\"working\",\"to\":\"broken\",\"confidence\":2}", &err) == 0 &&
	   sess_event_validate(&ev, &err) == -1 && strstr(err.msg, "confidence"), "confidence above 1 refused");
	sess_event_free(&ev);

	sess_event_init(&ev);
	j = cJSON_Parse("{\"type\":\"fixed\",\"actor\":\"a\",\"seq\":3}");
	ok(sess_event_from_json(&ev, j, &err) == -1 && strstr(err.msg, "server"), "client seq refused");
	cJSON_Delete(j);
	j = cJSON_Parse("{\"type\":\"fixed\",\"actor\":\"a\",\"colour\":3}");
	ok(sess_event_from_json(&ev, j, &err) == -1 && strstr(err.msg, "colour"), "unknown field named");
	cJSON_Delete(j);
	j = cJSON_Parse("{\"type\":\"fixed\",\"actor\":\"a\",\"eventId\":\"e-1\",\"impact\":{\"files\":2}}");
	ok(sess_event_from_json(&ev, j, &err) == 0 && sess_event_validate(&ev, &err) == 0, "whole event from JSON");
	is_str(ev.event_id, "e-1", "eventId read");
	cJSON_Delete(j);
	sess_event_free(&ev);

	d = sess_event_decode("{\"s\":1", 6, NULL, &err);
	ok(d == NULL && err.cls == SESS_E_DATA, "corrupt stored event reported");
}

static void test_err(void)
{
	struct sess_err err;

	ok(sess_err_exit_code(SESS_E_UNAVAILABLE) == 69 && sess_err_exit_code(SESS_E_AUTH) == 77 &&
	   sess_err_exit_code(SESS_E_USAGE) == 64 && sess_err_exit_code(SESS_E_NEGATIVE) == 1 &&
	   sess_err_exit_code(SESS_E_TEMP) == 75 && sess_err_exit_code(SESS_E_CONFIG) == 78,
	   "sysexits mapping");
	sess_err_set(&err, SESS_E_DATA, NULL, "x %d", 1);
	sess_err_prefix(&err, "line %d", 3);
	is_str(err.msg, "line 3: x 1", "prefix");
	is_str(err.kind, "bad_input", "default kind");
}

/* An error inside MULTI that the server gives at EXEC ("EXECABORT
 * Transaction discarded because of: CAUSE") is its cause's class. */
static void test_execabort(void)
{
	struct sess_config cfg;
	struct sess_conn c;
	struct sess_err err;
	redisReply r;

	memset(&cfg, 0, sizeof cfg);
	memset(&c, 0, sizeof c);
	c.cfg = &cfg;
	snprintf(c.where, sizeof c.where, "t:1/0");
	memset(&r, 0, sizeof r);
	r.type = REDIS_REPLY_ERROR;
	r.str = (char *)"EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.";
	r.len = strlen(r.str);
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_TEMP && !strcmp(err.kind, "oom"), "EXECABORT because of OOM: temporary (75)");
	r.str = (char *)"EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run the 'evalsha' command";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_AUTH, "EXECABORT because of NOPERM: permission (77)");
	r.str = (char *)"EXECABORT Transaction discarded because of: READONLY You can't write against a read only replica.";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_UNAVAILABLE && !strcmp(err.kind, "readonly"), "EXECABORT because of READONLY: unavailable (69)");
	r.str = (char *)"EXECABORT Transaction discarded because of previous errors.";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_INTERNAL, "EXECABORT without a cause: internal");
	/* a permission: the command, the user and the rule, in one line */
	snprintf(cfg.username, sizeof cfg.username, "ops");
	r.str = (char *)"NOPERM this user has no permissions to run the 'config|get' command";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_AUTH && !strcmp(err.kind, "permission") &&
	   strstr(err.msg, "ACL user ops may not run config|get") && strstr(err.msg, "ACL SETUSER ops +config|get") &&
	   strstr(err.msg, "sesskit-acl(7)") && !strchr(err.msg, '\n'), "NOPERM: names the command, the user and the fix");
	/* refused while queued in a MULTI: EXEC's "previous errors" is that refusal */
	snprintf(c.last_err, sizeof c.last_err, "NOPERM this user has no permissions to run the 'zadd' command");
	r.str = (char *)"EXECABORT Transaction discarded because of previous errors.";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_AUTH && strstr(err.msg, "may not run zadd"), "EXECABORT after a queued NOPERM: permission (77), named");
	/* MULTI itself refused: EXEC's "without MULTI" is that refusal */
	snprintf(c.last_err, sizeof c.last_err, "NOPERM this user has no permissions to run the 'multi' command");
	r.str = (char *)"ERR EXEC without MULTI";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_AUTH && strstr(err.msg, "may not run multi"), "EXEC without MULTI after a refused MULTI: permission (77), named");
	c.last_err[0] = '\0';
	/* the ACL refusing a command inside a sesskit script: found by its line */
	{
		const char *src = sess_lua_scripts[SESS_LUA_EMIT].src, *at = strstr(src, "redis.call('PUBLISH'"), *p;
		char e[300];
		long line = 1;
		for (p = src; at && p < at; p++)
			line += *p == '\n';
		snprintf(e, sizeof e, "ERR The user executing the script can't run this command or subcommand script: %s, on @user_script:%ld.",
			 sess_lua_scripts[SESS_LUA_EMIT].sha, line);
		r.str = e;
		sess_conn_reply_error(&c, &r, &err);
		ok(at && err.cls == SESS_E_AUTH && strstr(err.msg, "may not run publish (in a sesskit script)"),
		   "a script refused by the ACL: the command on its line is named");
	}
	cfg.username[0] = '\0';
	/* the server's state, not ours: temporary (75), never internal */
	r.str = (char *)"ERR max number of clients reached";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_TEMP && !strcmp(err.kind, "maxclients"), "maxclients: temporary (75)");
	r.str = (char *)"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_TEMP && !strcmp(err.kind, "misconf"), "MISCONF: temporary (75)");
	r.str = (char *)"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_TEMP && !strcmp(err.kind, "masterdown"), "MASTERDOWN: temporary (75)");
	r.str = (char *)"NOREPLICAS Not enough good replicas to write.";
	sess_conn_reply_error(&c, &r, &err);
	ok(err.cls == SESS_E_TEMP && !strcmp(err.kind, "noreplicas"), "NOREPLICAS: temporary (75)");
}

static void test_limits(void)
{
	struct sess_err err;
	cJSON *v;
	long n = 0;
	size_t i;
	static const char *const bad[] = {"1e14", "315360001", "0", "-1", "1.5", "\"100\"",
					  "true", "null", "[1]", "1e400", "-1e400"};

	ok(sess_check_ttl(SESS_TTL_MIN, "t", &err) == 0 && sess_check_ttl(SESS_TTL_MAX, "t", &err) == 0,
	   "TTL range ends accepted");
	ok(sess_check_ttl(SESS_TTL_MAX + 1, "--ttl", &err) == -1 && err.cls == SESS_E_DATA &&
	   strstr(err.msg, "--ttl") && strstr(err.msg, "315360000"), "TTL past the range refused, range named");
	ok(sess_check_ttl(0, "t", &err) == -1, "TTL 0 refused");
	ok(sess_check_reason("manual", "r", &err) == 0, "reason ok");
	ok(sess_check_reason("", "--reason", &err) == -1 && strstr(err.msg, "1 to 64"), "empty reason refused");
	ok(sess_check_reason("a\nb", "r", &err) == -1, "reason with a newline refused");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = cJSON_Parse(bad[i]);
		ok(v && sess_json_long(v, SESS_TTL_MIN, SESS_TTL_MAX, "\"ttl\"", &n, &err) == -1 &&
		   !strcmp(err.kind, "bad_input") && strstr(err.msg, "1 to 315360000"),
		   "JSON ttl %s refused with the range", bad[i]);
		cJSON_Delete(v);
	}
	v = cJSON_Parse("315360000");
	ok(sess_json_long(v, SESS_TTL_MIN, SESS_TTL_MAX, "t", &n, &err) == 0 && n == SESS_TTL_MAX,
	   "JSON ttl at the top of the range");
	cJSON_Delete(v);
}

/* The Lua scripts get the ranges of the C headers generated from
 * schema.h (tools/embed-lua): check the generated text carries them. */
static void lua_has(const char *name, long v)
{
	char want[80];

	snprintf(want, sizeof want, "local S_%s = %ld\n", name, v);
	ok(strstr(sess_lua_scripts[SESS_LUA_EMIT].src, want) != NULL,
	   "the scripts' %s is %ld as in the C headers", name, v);
}

static void test_lua_limits(void)
{
	struct sess_err err;
	redisReply r;
	char msg[] = "SESSBADARG ttl (seconds) must be a whole number from 1 to 315360000, not \"x\"";

	lua_has("TTL_MAX", SESS_TTL_MAX);
	lua_has("SEQ_MAX", SESS_SEQ_MAX);
	lua_has("REASON_MAX", SESS_REASON_MAX);
	lua_has("INTERVAL_MAX", SESS_INTERVAL_MAX);
	lua_has("MAX_EVENTS_MAX", SESS_MAX_EVENTS_MAX);
	lua_has("ID_MAX", SESS_ID_MAX);
	lua_has("TYPE_MAX", SESS_TYPE_MAX);
	ok(SESS_TTL_MIN == 1, "the scripts take TTLs from 1 second");

	memset(&r, 0, sizeof r);
	r.type = REDIS_REPLY_ERROR;
	r.str = msg;
	r.len = strlen(msg);
	ok(sess_script_error(NULL, &r, &err) == -1 && err.cls == SESS_E_DATA &&
	   !strcmp(err.kind, "bad_argument") && !strncmp(err.msg, "ttl (seconds) must be", 21),
	   "a script's SESSBADARG is bad_argument, exit 65, naming the argument");
}

static void test_utf8(void)
{
	char out[16];

	ok(sess_utf8_check("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", 14) == 14, "valid UTF-8 of 1 to 4 bytes");
	ok(sess_utf8_check("ab\xff", 3) == 2, "0xff refused at its offset");
	ok(sess_utf8_check("\xc3", 1) == 0, "truncated sequence refused");
	ok(sess_utf8_check("\xc0\xaf", 2) == 0 && sess_utf8_check("\xe0\x80\xaf", 3) == 0,
	   "overlong forms refused");
	ok(sess_utf8_check("\xed\xa0\x80", 3) == 0, "UTF-16 surrogate refused");
	ok(sess_utf8_check("\xf4\x90\x80\x80", 4) == 0 && sess_utf8_check("\xf5\x80\x80\x80", 4) == 0,
	   "past U+10FFFF refused");
	sess_utf8_escape(out, sizeof out, "a\xff" "b\n\xc3\xa9");
	is_str(out, "a\\xffb\\x0a\xc3\xa9", "escape: bad byte and newline as \\xNN, UTF-8 kept");
	sess_utf8_escape(out, 6, "abcd\xc3\xa9");
	is_str(out, "abcd", "escape: a character that does not fit is left out whole");
}

static void test_json_text(void)
{
	struct sess_err err;
	cJSON *v;
	char deep[2 * SESS_JSON_DEPTH_MAX + 8];
	int i;

	v = sess_json_parse_err("{\"x\":\"\xff\"}", "metadata", NULL, &err);
	ok(!v && !strcmp(err.kind, "bad_json") && !strcmp(err.msg, "metadata is not valid UTF-8 at byte 7"),
	   "invalid UTF-8 refused with its byte (%s)", err.msg);
	v = sess_json_parse_err("{\"x\":\"mo\\u0000dified\"}", "metadata", NULL, &err);
	ok(!v && strstr(err.msg, "\\u0000") && strstr(err.msg, "byte 9"), "\\u0000 in a value refused (%s)", err.msg);
	v = sess_json_parse_err("{\"\\u0000key\":1}", NULL, NULL, &err);
	ok(!v && !strncmp(err.msg, "a \\u0000", 8), "\\u0000 in a key refused, no subject (%s)", err.msg);
	v = sess_json_parse_err("{\"x\":\"a\\\\u0000\"}", "m", NULL, &err);
	ok(v && !strcmp(cJSON_GetObjectItem(v, "x")->valuestring, "a\\u0000"), "an escaped backslash before u0000 is text");
	cJSON_Delete(v);
	v = sess_json_parse_err("{\"x\":\"\\\"[[[\"}", "m", NULL, &err);
	ok(v != NULL, "brackets inside strings do not count as nesting");
	cJSON_Delete(v);
	for (i = 0; i <= SESS_JSON_DEPTH_MAX; i++)
		deep[i] = '[';
	deep[i] = '\0';
	v = sess_json_parse_err(deep, "impact", NULL, &err);
	ok(!v && strstr(err.msg, "impact is nested too deeply (limit 100)"), "too deep (%s)", err.msg);
	deep[SESS_JSON_DEPTH_MAX] = '\0';
	for (i = 0; i < SESS_JSON_DEPTH_MAX; i++)
		deep[SESS_JSON_DEPTH_MAX + i] = ']';
	deep[2 * SESS_JSON_DEPTH_MAX] = '\0';
	v = sess_json_parse_err(deep, "impact", NULL, &err);
	ok(v != NULL, "nested exactly to the limit is fine");
	cJSON_Delete(v);
	v = sess_json_parse_err("{\"a\":1} x", "--event", "a hint", &err);
	ok(!v && !strcmp(err.msg, "--event is not valid JSON (near \"x\"); a hint"), "syntax error with the hint (%s)", err.msg);
	sess_err_set(&err, SESS_E_DATA, NULL, "type \"%s\" is bad", "mo\xff\nx");
	is_str(err.msg, "type \"mo\\xff\\x0ax\" is bad", "sess_err_set writes bad bytes and newlines as \\xNN");
	sess_err_prefix(&err, "line %d \xc3", 2);
	is_str(err.msg, "line 2 \\xc3: type \"mo\\xff\\x0ax\" is bad", "sess_err_prefix too");
}

static void test_emit_req(void)
{
	struct sess_config c;
	struct sess_conn none = {0};
	struct sess_ctx ctx = {.conn = &none, .cfg = &c};
	struct sess_emit_req req;
	struct sess_event ev;
	struct sess_err err;
	int argc, i, lens_ok = 1;

	sess_config_defaults(&c);
	none.standalone = 1; /* asked already: the one tag */
	ok(sess_emit_req_init(&ctx, "s*", &req, &err) == -1 && !strcmp(err.kind, "bad_id"),
	   "emit request: a bad session id refused");
	ok(sess_emit_req_init(&ctx, "s1", &req, &err) == 0, "emit request: init");
	sess_event_init(&ev);
	strcpy(ev.type, "modified");
	strcpy(ev.actor, "a1");
	ok(sess_emit_req_add(&req, &ev, &err) == 0, "emit request: first event");
	strcpy(ev.type, "broke");
	strcpy(ev.actor, "a2");
	strcpy(ev.event_id, "e-7");
	strcpy(ev.from, "working");
	strcpy(ev.to, "broken");
	ev.expect_seq = 7;
	ok(sess_emit_req_add(&req, &ev, &err) == 0, "emit request: second event");
	argc = sess_emit_req_argv(&req);
	ok(argc == 3 + 8 + 4 + 2 * 2 && req.n == 2, "emit request: 8 keys, 4 header args, 2 per event (argc %d)", argc);
	is_str(req.argv[0], "EVALSHA", "emit request: EVALSHA");
	is_str(req.argv[2], "8", "emit request: 8 keys");
	is_str(req.argv[3], "sess:{s1}:meta", "emit request: meta key first");
	is_str(req.argv[6], "sess:{s1}:eventids", "emit request: eventids key");
	is_str(req.argv[7], "sess:{s1}:history", "emit request: history key");
	is_str(req.argv[8], "sess:#{all}:index", "emit request: the companion index");
	is_str(req.argv[9], "sess:#{all}:stats", "emit request: the companion stats");
	is_str(req.argv[10], "sess:#{all}:agents", "emit request: the companion registry last");
	is_str(req.argv[11], "10", "emit request: checkpoint interval");
	is_str(req.argv[13], "sess:{s1}:notify", "emit request: channel");
	is_str(req.argv[14], "s1", "emit request: id");
	is_str(req.argv[15], "", "emit request: no expected seq");
	is_str(req.argv[16], "\"t\":\"modified\",\"a\":\"a1\"}", "emit request: first body after its brace");
	is_str(req.argv[17], "7", "emit request: second event's expected seq");
	is_str(req.argv[18], "\"t\":\"broke\",\"a\":\"a2\",\"eid\":\"e-7\"}", "emit request: body after its brace");
	for (i = 0; i < argc; i++)
		lens_ok &= req.lens[i] == strlen(req.argv[i]);
	ok(lens_ok, "emit request: every length matches its argument");
	sess_event_free(&ev);
	sess_emit_req_free(&req);
}

/* sess_event_format (play's fast path, no tree) writes exactly what
 * decoding into a tree and printing it gives, on stored texts our encoder
 * makes: every field, escapes, non-ASCII, nested values, a changeInfo
 * missing a member or in another order, and a text too long for the
 * buffer's first size. */
static void test_event_format(void)
{
	static const char *const stored[] = {
		"{\"s\":1,\"ts\":1700000000000,\"t\":\"modified\",\"a\":\"a1\"}",
		"{\"s\":42,\"ts\":1795468206244,\"t\":\"broke\",\"a\":\"backend-agent\",\"c\":{\"e\":\"test\",\"i\":[\"src/a \\\"q\\\".ts\",\"b\\\\c\"],\"o\":\"failed\"},"
		"\"st\":{\"from\":\"working\",\"to\":\"broken\",\"verifiedBy\":\"ci\",\"confidence\":0.95},\"imp\":{\"files\":3,\"risk\":\"low\",\"n\":[1,{\"x\":null}]},\"eid\":\"e-7\"}",
		"{\"s\":3,\"ts\":5,\"t\":\"x.y-z_1\",\"a\":\"a@b:c\",\"c\":{\"o\":\"op\",\"e\":\"\xc3\xa9l\xc3\xa9ment \\u001f \\n\"}}",
		"{\"s\":4,\"ts\":6,\"t\":\"t\",\"a\":\"a\",\"c\":{}}",
	};
	struct sess_text out = {0};
	struct sess_err err;
	char big[9000];
	size_t i;

	for (i = 0; i < sizeof stored / sizeof *stored + 1; i++) {
		const char *text = i < sizeof stored / sizeof *stored ? stored[i] : big;
		cJSON *d, *framed;
		char *want;
		if (text == big) {
			memset(big, 0, sizeof big);
			strcpy(big, "{\"s\":9,\"ts\":9,\"t\":\"t\",\"a\":\"a\",\"imp\":{\"long\":\"");
			memset(big + strlen(big), 'x', 8000);
			strcat(big, "\"}}");
		}
		out.len = 0;
		d = sess_event_decode(text, strlen(text), "S1", &err);
		framed = cJSON_CreateObject();
		cJSON_AddStringToObject(framed, "frame", "event");
		while (d && d->child) {
			cJSON *it = d->child;
			cJSON_DetachItemViaPointer(d, it);
			cJSON_AddItemToObject(framed, it->string, it);
		}
		want = cJSON_PrintUnformatted(framed);
		ok(sess_event_format(text, strlen(text), "S1", "event", &out, &err) == 0 && want &&
		   out.len == strlen(want) && !strcmp(out.p, want),
		   "event format %zu equals decode then print (%.150s | %.150s)", i, out.p ? out.p : "nothing",
		   want ? want : "nothing");
		free(want);
		cJSON_Delete(framed);
		cJSON_Delete(d);
	}
	out.len = 0;
	ok(sess_event_format("{\"s\":1,\"ts\":2,\"t\":\"x\",\"c\":{\"e\":", 30, NULL, NULL, &out, &err) == -1 &&
	   out.len == 0 && !strcmp(err.kind, "corrupt_event"), "a damaged event is reported, nothing written");
	free(out.p);
}

/* SHA-1 against FIPS 180 vectors, fed whole and a byte at a time
 * (the chain must equal redis.sha1hex byte for byte). */
static void test_sha1(void)
{
	static const struct { const char *in; const char *hex; } v[] = {
		{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
		{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		 "a49b2446a02c645bf419f995b67091253a04a259"},
	};
	struct sess_sha1 c;
	char out[SESS_SHA1_HEX], a[1000];
	size_t i, j;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		sess_sha1_init(&c);
		sess_sha1_add(&c, v[i].in, strlen(v[i].in));
		sess_sha1_hex(&c, out);
		is_str(out, v[i].hex, "sha1 of a %zu-byte message", strlen(v[i].in));
		sess_sha1_init(&c);
		for (j = 0; v[i].in[j]; j++)
			sess_sha1_add(&c, v[i].in + j, 1);
		sess_sha1_hex(&c, out);
		is_str(out, v[i].hex, "the same a byte at a time");
	}
	memset(a, 'a', sizeof a);
	sess_sha1_init(&c);
	for (i = 0; i < 1000; i++)
		sess_sha1_add(&c, a, sizeof a);
	sess_sha1_hex(&c, out);
	is_str(out, "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "sha1 of a million a");
	sess_sha1_link("", "abc", 3, out);
	is_str(out, "a9993e364706816aba3e25717850c26c9cd0d89d", "a chain's first link hashes the record alone");
	/* a link written over its prev (what the fold does): sha1("a9993e...abc") */
	ok(sess_sha1_link(out, "abc", 3, out) == 0, "a link over its prev succeeds");
	is_str(out, "ef51111d9009f589a5f42546fc9bf406f7c84aef", "a link hashes prev then the record");
	ok(sess_sha1_hex_of("", 0, out) == 0, "the empty string in one call");
	is_str(out, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1 of the empty string in one call");
	{
		struct sess_sha1 d, e;
		char o2[SESS_SHA1_HEX];
		sess_sha1_init(&d);
		sess_sha1_add(&d, "ab", 2);
		ok(sess_sha1_copy(&e, &d) == 0, "a digest copied");
		sess_sha1_add(&d, "c", 1);
		sess_sha1_add(&e, "x", 1);
		sess_sha1_hex(&d, out);
		sess_sha1_hex(&e, o2);
		is_str(out, "a9993e364706816aba3e25717850c26c9cd0d89d", "the original goes on alone");
		ok(strcmp(o2, out) != 0 && strlen(o2) == 40, "the copy goes on alone");
		sess_sha1_init(&d);
		sess_sha1_free(&d);
		ok(d.ctx == NULL, "a digest abandoned is freed");
	}
}

/* jscan: keys and value spans of one level, on the shapes stored texts
 * take, and malformed text refused rather than read past. */
static void test_jscan(void)
{
	const char *t = "{\"s\":12,\"x\":\"a\\\"b\\\\\",\"c\":{\"i\":[\"}\",[1,{\"q\":\"]\"}]],\"o\":null},"
			"\"n\":-1.5e3,\"b\":true,\"e\":\"\"}";
	static const char *const keys[] = {"s", "x", "c", "n", "b", "e"};
	static const char *const vals[] = {"12", "\"a\\\"b\\\\\"", "{\"i\":[\"}\",[1,{\"q\":\"]\"}]],\"o\":null}",
					   "-1.5e3", "true", "\"\""};
	static const char *const bad[] = {"{\"a\":\"open", "{\"a\" 1}", "{\"a\":{\"b\":1}", "{a:1}", "[1]"};
	struct sess_jscan js;
	const char *k, *v, *ve;
	size_t kl, i = 0;
	int r, ok_all = 1;

	ok(sess_jscan_init(&js, t, strlen(t)) == 0, "jscan: an object");
	while ((r = sess_jscan_next(&js, &k, &kl, &v, &ve)) == 1) {
		ok_all &= i < 6 && sess_jscan_is(k, kl, keys[i]) && (size_t)(ve - v) == strlen(vals[i]) &&
			  !memcmp(v, vals[i], strlen(vals[i]));
		i++;
	}
	ok(r == 0 && i == 6 && ok_all, "jscan: every member, nested brackets and escapes inside strings skipped (%zu)", i);
	ok(!sess_jscan_is("st", 2, "s") && !sess_jscan_is("s", 1, "st") && sess_jscan_is("st", 2, "st"),
	   "jscan: keys match whole");
	{
		const char *big = "9223372036854775807", *small = "-9223372036854775808", *over = "9223372036854775808";
		long long x = 0, y = 0, z = 0;
		ok(sess_jscan_whole(big, big + strlen(big), &x) == 0 && x == LLONG_MAX &&
		   sess_jscan_whole(small, small + strlen(small), &y) == 0 && y == LLONG_MIN &&
		   sess_jscan_whole(over, over + strlen(over), &z) == -1 &&
		   sess_jscan_whole("1.5", "1.5" + 3, &z) == -1 && sess_jscan_whole("-", "-" + 1, &z) == -1,
		   "jscan: whole numbers to the ends of a long long, and no further");
	}
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = sess_jscan_init(&js, bad[i], strlen(bad[i]));
		while (r == 0 && (r = sess_jscan_next(&js, &k, &kl, &v, &ve)) == 1)
			r = 0;
		ok(r == -1, "jscan: malformed %s refused", bad[i]);
	}
}

/* A key twice in one object, at any depth, compared as decoded (issue
 * 17, S1): what Lua's cjson and cJSON would read differently. */
static void test_jscan_dup(void)
{
	static const char *const twice[] = {
		"{\"a\":1,\"a\":2}", "{\"t\":\"x\",\"a\":\"i\",\"a\":\"a1\"}",
		"{\"st\":{\"to\":\"a\",\"to\":\"b\"}}", "{\"l\":[1,{\"x\":{\"y\":1,\"y\":1}}]}",
		"{\"a\":1,\"\\u0061\":2}", "{\"\\u00e9\":1,\"\xc3\xa9\":2}",
		"{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", "{\"q\\\"\":1,\"q\\u0022\":2}",
		"[{\"a\":1},{\"b\":1,\"b\":2}]"};
	static const char *const once[] = {
		"{\"a\":1,\"b\":{\"a\":1},\"c\":[{\"a\":1},{\"a\":2}]}", "{}", "[]", "7",
		"{\"a\":\"\\\"a\\\":1\",\"b\":\"x\"}", "{\"a\":1,\"A\":2,\"\\u0062\":3}",
		"{\"s\":1,\"ts\":2,\"t\":\"x\",\"a\":\"y\",\"st\":{\"from\":\"working\",\"to\":\"broken\"}}"};
	size_t i;

	for (i = 0; i < sizeof twice / sizeof *twice; i++)
		ok(sess_jscan_dup(twice[i], strlen(twice[i])) == 1, "jscan dup: found in %s", twice[i]);
	for (i = 0; i < sizeof once / sizeof *once; i++)
		ok(sess_jscan_dup(once[i], strlen(once[i])) == 0, "jscan dup: none in %s", once[i]);
	ok(sess_jscan_dup("{\"a\":{\"b\":1", 12) == -1, "jscan dup: malformed text reported");
	{ /* scalars as JSON writes them, not as Lua's cjson also takes them */
		static const char *const bad[] = {"{\"a\":0x10}", "{\"a\":[inf]}", "{\"a\":nan}", "{\"a\":01}",
						  "{\"a\":+1}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":tru}",
						  "{\"a\":}", "{\"a\":-}"};
		static const char *const good[] = {"{\"a\":-0}", "{\"a\":[0,1.5e-3,2E+2,-12.25]}",
						   "{\"a\":[true,false,null]}", "{\"a\" : 10 }"};
		size_t j;
		for (j = 0; j < sizeof bad / sizeof *bad; j++)
			ok(sess_jscan_dup(bad[j], strlen(bad[j])) == -1, "jscan dup: %s is no JSON", bad[j]);
		for (j = 0; j < sizeof good / sizeof *good; j++)
			ok(sess_jscan_dup(good[j], strlen(good[j])) == 0, "jscan dup: %s is JSON", good[j]);
	}
	{ /* JSON's whitespace around every token, as cjson takes it */
		const char *t = "{ \"a\" : 1 ,\n\t\"b\" :\"x\" , \"c\":{ \"d\" : [ 1 , {\"e\" :2} ] } }";
		struct sess_jscan js;
		const char *k, *v, *ve, *sv;
		size_t kl, sl;
		long long n = 0;
		int r, all = 1, m = 0;
		sess_jscan_init(&js, t, strlen(t));
		while ((r = sess_jscan_next(&js, &k, &kl, &v, &ve)) == 1) {
			if (m == 0)
				all &= sess_jscan_is(k, kl, "a") && sess_jscan_whole(v, ve, &n) == 0 && n == 1;
			else if (m == 1)
				all &= sess_jscan_is(k, kl, "b") && sess_jscan_str(v, ve, &sv, &sl) == 0 && sl == 1;
			else
				all &= sess_jscan_is(k, kl, "c") && *v == '{' && ve[-1] == '}';
			m++;
		}
		ok(r == 0 && m == 3 && all, "jscan: whitespace around keys, colons and values");
		ok(sess_jscan_dup(t, strlen(t)) == 0 && sess_jscan_dup("{ \"a\" :1, \"a\" : 2 }", strlen("{ \"a\" :1, \"a\" : 2 }")) == 1,
		   "jscan dup: through whitespace");
	}
	ok(!sess_json_parse_stored("{\"a\":1,\"a\":2}", 13) , "stored JSON naming a key twice is not read");
	{
		cJSON *t = cJSON_Parse("{\"a\":{\"x\":1},\"b\":[{\"y\":1,\"\\u0079\":2}]}");
		cJSON *u = cJSON_Parse("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}");
		const char *d = sess_json_dup_key(t);
		ok(d && !strcmp(d, "y") && !sess_json_dup_key(u), "json dup key: in a tree, decoded, at any depth");
		cJSON_Delete(t);
		cJSON_Delete(u);
	}
}

/* A history record read by its members: text inside a value (metadata)
 * is not the record's kind or number (issue 17, S5). */
static void test_record_members(void)
{
	const char *cp = "{\"k\":\"checkpoint\",\"at\":10,\"ts\":5,\"n\":3,\"r\":\"auto\",\"sd\":\"x\"}";
	const char *create = "{\"k\":\"create\",\"at\":0,\"ts\":5,\"a\":\"a1\",\"ttl\":9,"
			     "\"m\":{\"task\":{\"k\":\"checkpoint\",\"n\":7,\"at\":4}}}";
	const char *sneaky = "{\"k\":\"join\",\"r\":\"\\\"k\\\":\\\"checkpoint\\\",\\\"n\\\":7\",\"at\":2,\"ts\":1}";

	ok(sess_fold_checkpoint_n(cp) == 3, "checkpoint_n: a checkpoint record's number");
	ok(sess_fold_checkpoint_n(create) == -1, "checkpoint_n: metadata holding k and n is no checkpoint");
	ok(sess_fold_checkpoint_n(sneaky) == -1, "checkpoint_n: a string holding them neither");
	ok(sess_fold_record_at(create, strlen(create)) == 0 && sess_fold_record_at(cp, strlen(cp)) == 10 &&
	   sess_fold_record_at(sneaky, strlen(sneaky)) == 2, "record_at: the record's own at");
}

/* Our wire format is hiredis's, byte for byte: empty, binary and long
 * arguments, and lengths of every digit count. */
static void test_pipe_format(void)
{
	static char big[100001];
	const char *argv[6] = {"SET", "", "a\0b\r\n", big, "x", big};
	size_t lens[6] = {3, 0, 5, 100000, 1, 9};
	int argc, la, lb;

	memset(big, 'q', sizeof big - 1);
	for (argc = 1; argc <= 6; argc++) {
		char *a = NULL, *b = NULL;
		la = sess_pipe_format(&a, argc, argv, lens);
		lb = redisFormatCommandArgv(&b, argc, argv, lens);
		ok(la > 0 && la == lb && !memcmp(a, b, (size_t)la),
		   "pipe format: %d arguments as hiredis formats them", argc);
		free(a);
		free(b);
	}
	{ /* lens NULL: C strings */
		const char *cs[3] = {"ZADD", "k", "1"};
		char *a = NULL, *b = NULL;
		la = sess_pipe_format(&a, 3, cs, NULL);
		lb = redisFormatCommandArgv(&b, 3, cs, NULL);
		ok(la > 0 && la == lb && !memcmp(a, b, (size_t)la), "pipe format: lengths from strlen");
		free(a);
		free(b);
	}
}

/* strset: exact members (lengths, NUL bytes), growth keeps them, max bounds it */
static void test_strset(void)
{
	struct sess_strset s = {0};
	char k[32];
	int i, all = 1;

	ok(!sess_strset_has(&s, "a", 1), "strset: an empty set holds nothing");
	ok(sess_strset_add(&s, "a", 1) == 1 && sess_strset_add(&s, "a", 1) == 0, "strset: added once, then there");
	ok(!sess_strset_has(&s, "ab", 2) && !sess_strset_has(&s, "", 0) && !sess_strset_has(&s, "A", 1),
	   "strset: no prefix, empty or other case matches");
	ok(sess_strset_add(&s, "a\0b", 3) == 1 && sess_strset_has(&s, "a\0b", 3) && !sess_strset_has(&s, "a\0c", 3),
	   "strset: NUL bytes are part of a member");
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "id-%d", i);
		if (sess_strset_add(&s, k, strlen(k)) != 1)
			all = 0;
	}
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "id-%d", i);
		if (!sess_strset_has(&s, k, strlen(k)))
			all = 0;
	}
	snprintf(k, sizeof k, "id-%d", 5000);
	ok(all && !sess_strset_has(&s, k, strlen(k)) && s.n == 5002, "strset: 5,000 members through growth, each found");
	sess_strset_free(&s);
	ok(!sess_strset_has(&s, "a", 1) && s.n == 0, "strset: freed, empty and usable");
	s.max = 2;
	ok(sess_strset_add(&s, "x", 1) == 1 && sess_strset_add(&s, "y", 1) == 1 && sess_strset_add(&s, "z", 1) == 2 &&
	   sess_strset_add(&s, "x", 1) == 0 && !sess_strset_has(&s, "z", 1), "strset: at max, a new member is refused (2), a known one still found");
	sess_strset_free(&s);
}

/* sess_jscan_key_new: raw keys met once, a repeat or a full list sends the caller to its complete reader */
static void test_jscan_keys(void)
{
	struct sess_jscan_keys m = {0};
	const char *t = "abab";

	ok(sess_jscan_key_new(&m, t, 1, 2) == 1 && sess_jscan_key_new(&m, t + 1, 1, 2) == 1, "jscan keys: two new keys kept");
	ok(sess_jscan_key_new(&m, t + 2, 1, 2) == 0, "jscan keys: a key met before (same bytes elsewhere) is no new key");
	ok(sess_jscan_key_new(&m, "c", 1, 2) == 0 && m.n == 2, "jscan keys: past max, no key is new");
	ok(sess_jscan_key_new(&m, "ab", 2, 99) == 1 && sess_jscan_key_new(&m, "a", 1, 99) == 0,
	   "jscan keys: lengths compared (\"ab\" is not \"a\"); max above the list's size is its size");
}

int main(void)
{
	test_keys();
	test_urls();
	test_redact();
	test_config();
	test_events();
	test_err();
	test_execabort();
	test_limits();
	test_lua_limits();
	test_utf8();
	test_json_text();
	test_emit_req();
	test_event_format();
	test_sha1();
	test_jscan();
	test_jscan_dup();
	test_record_members();
	test_pipe_format();
	test_strset();
	test_jscan_keys();
	return done_testing();
}

/* sess-health probe: a narrow, quick check for Kubernetes probes and
 * scripts (one short JSON line). */
#include "health.h"

#include "options.h"

static const struct cli_opt probe_o[] = {
	CHECK_OPTS(struct check_opts, NOPFX),
	VERBOSE_OPT(struct check_opts, NOPFX),
	CLI_FLAG("redis-only", 0, "only connect, authenticate and PING (readiness)",
		 struct check_opts, redis_only),
	CLI_END};
static const struct check_opts probe_d = {.pings = 1, .window = 300, .breaker_failures = 3,
					  .breaker_cooldown = 30};

static int cmd_probe(struct cli_app *a, void *opts, int argc, char **argv)
{
	struct check_opts *o = opts;
	struct health_params hp;
	struct health_result r;
	int rc, format;

	(void)argc;
	(void)argv;
	if ((rc = health_params_from(a, o, &hp)))
		return rc;
	if (health_format_parse(o->format, 0, &format, &a->err))
		return health_could_not(a);
	health_check(&hp, &a->cfg, &r);
	if (format == F_JSON) {
		/* one short line: a probe's log should not fill a pod's */
		cJSON *line = cJSON_CreateObject();
		health_json_status(line, r.status);
		cJSON_AddNumberToObject(line, "durationMs", (double)(long long)(r.duration_ms * 1000) / 1000);
		cJSON_AddItemToObject(line, "components", cJSON_Duplicate(cJSON_GetObjectItem(r.doc, "components"), 1));
		if (cJSON_GetObjectItem(r.doc, "output"))
			cJSON_AddItemToObject(line, "output", cJSON_Duplicate(cJSON_GetObjectItem(r.doc, "output"), 1));
		a->out.pretty = 0;
		cli_out_json(&a->out, line);
		cJSON_Delete(line);
	} else {
		health_print_result(a, &r, format, o->verbose);
	}
	rc = health_exit_code(r.status);
	health_result_free(&r);
	return rc;
}

const struct cli_cmd health_cmd_probe = {
	.name = "probe", .synopsis = "",
	.summary = "a narrow, quick check for Kubernetes probes and scripts",
	.details =
	"--redis-only connects, authenticates and PINGs once: a readiness probe.\n"
	"Do not make a liveness probe depend on Redis: restarting a pod does not\n"
	"mend Redis (use serve's /livez, which never touches it).\n",
	.opts = probe_o, .opts_size = sizeof(struct check_opts), .defaults = &probe_d,
	.own_common = 1, /* -c critical, -t seconds, ... (options.h) */
	.run = cmd_probe};

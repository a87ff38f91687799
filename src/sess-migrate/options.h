/* options.h - the options several sess-migrate commands take, each
 * declared once (--from, --to, the selection, --batch, --conflict, --rate,
 * --task), and their defaults: every command fills one struct mig_opts
 * (migrate.h), which the engines read. Only for the cmd_NAME.c files. */
#ifndef SESS_MIGRATE_OPTIONS_H
#define SESS_MIGRATE_OPTIONS_H

#include "core/model/limits.h"
#include "migrate.h"

#define O struct mig_opts
#define FROM CLI_STR("from", 0, "URL", "the source server's URL (default: --url / REDIS_URL); rediss://...?cacert=FILE&cert=...: its own TLS", O, from, NULL)
#define TO CLI_STR("to", 0, "URL", "the target server's URL (default: --url / REDIS_URL); rediss://...?cacert=FILE...: its own TLS", O, to, NULL)
#define TO_REQ CLI_STR_REQ("to", 0, "URL", "the target server's URL (holds the task's state); rediss://...?cacert=FILE...: its own TLS", O, to, NULL)
#define SELECT                                                                                     \
	CLI_FLAG("all", 0, "every session", O, all),                                                \
	CLI_STR("since", 0, "TIME", "sessions changed since TIME (ms, 2026-01-02T03:04:05Z, 90m, 2h, 7d)", \
		O, since, NULL),                                                                    \
	CLI_DUR("min-ttl", 0, "DURATION", "with --since: no session has a TTL below this\n"       \
		 "                         (narrows the candidates read)", O, min_ttl, 1000, 1, SESS_TTL_MAX), \
	CLI_STR("match", 0, "GLOB", "only ids matching GLOB", O, match, NULL),                      \
	CLI_STR("state", 0, "STATE", "only working, broken or completed sessions", O, state,        \
		"working broken completed"),                                                        \
	CLI_STR("from-layout", 0, "LAYOUT", "legacy: read the TypeScript system's layout", O, layout, "legacy 3")
#define BATCH CLI_LONG("batch", 0, "N", "sessions per pipelined batch (default cleanupBatchSize, 100)", \
		       O, batch, 1, 100000)
#define CONFLICT CLI_STR("conflict", 0, "RULE", "a session already on the target: skip (default),\n" \
			 "                         replace, newer (the later 'updated' wins) or fail", \
			 O, conflict, "skip replace newer fail")
#define RATE CLI_LONG("rate", 0, "N", "at most N sessions a second", O, rate, 1, 100000000)
#define TASK CLI_STR("task", 0, "NAME", "the task's name (default: generated)", O, task, NULL)

/* Each command's defaults: static const struct mig_opts defaults = MIG_DEFAULTS; */
/* status and tasks on a terminal (or --table/--tsv): a task's row */
#define MIG_TASK_TABLE "task kind status state created@ copied replaced skipped lagSeconds:lag from to"
#define MIG_DEFAULTS {.ttl_tol = 2000, .min_ttl = 1, .interval = 5, .reconcile = 60}

#endif

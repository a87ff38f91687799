/* sess-migrate - move sessions between Redis instances without losing
 * one. Its commands in --help's order (each is one cmd_NAME.c: options,
 * table entry and run function; see src/cli/cli.h) and the tool's
 * description. */
#include "migrate.h"

static const struct cli_cmd *const commands[] = {
	&migrate_cmd_copy,
	&migrate_cmd_resume,
	&migrate_cmd_status,
	&migrate_cmd_tasks,
	&migrate_cmd_rollback,
	&migrate_cmd_verify,
	&migrate_cmd_export,
	&migrate_cmd_import,
	&migrate_cmd_sync,
	&migrate_cmd_unfence,
	NULL};

static const struct cli_tool tool = {
	.name = "sess-migrate",
	.about = "Move sessions between Redis servers without losing one: copy (all, since a\n"
	"time, by id), export and import, verify, resume, rollback, live sync with a\n"
	"clean cutover; each session arrives whole or not at all, with its absolute\n"
	"expiry. Output: one JSON line per session and a summary line. See\n"
	"sess-migrate(1).",
	.entries = commands,
	.epilog =
	"'sess-migrate COMMAND --help' shows a command's options; man sess-migrate has\n"
	"it all. Exit: 0 ok, 1 a difference or a rollback that kept sessions, 64 usage,\n"
	"65 bad sessions or lines, 66 no input or output file, 69 a server unreachable,\n"
	"70 internal, 74 writing stdout failed, 75 try again (resume the task), 77 auth\n"
	"or permission, 78 config.\n",
};

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv);
}

/* finding.h - one finding of a check (a config file's, a server's, a
 * stored session's), as the checking modules hand them to their caller.
 *
 * The modules that check (cfgcheck.h, srvcheck.h, integrity.h) never
 * print: they call a sess_finding_fn with each finding, and the binary
 * formats them (JSON lines, text, GitHub annotations, JUnit). Codes are
 * stable and documented in sess-validate(1). Header only.
 *
 * One code set across the tools: NAMESPACE.CODE, the namespace naming
 * what was checked (config, server, session, replay) and CODE the damage
 * (integrity.h's codes for a history: chain_mismatch, seq_gap, ...), so
 * the same damage has the same code in sess-validate sessions and in
 * sess-replay verify.
 */
#ifndef SESS_FINDING_H
#define SESS_FINDING_H

#define SESS_FINDING_NS_SESSION "session" /* a live session */
#define SESS_FINDING_NS_REPLAY "replay"   /* a saved replay */

enum sess_sev {
	SESS_SEV_ERROR,
	SESS_SEV_WARNING,
	SESS_SEV_RECOMMENDATION,
	SESS_SEV_INFO           /* a fact worth knowing: never fails a check */
};

struct sess_finding {
	const char *file;     /* a config file's path, or NULL */
	const char *pointer;  /* JSON pointer (RFC 6901) into it, "" = all */
	long line, col;       /* 1-based; 0 = not known */
	enum sess_sev sev;
	const char *code;     /* stable: "config.unknown_key", ... */
	const char *message;  /* one line */
	const char *fix;      /* one line: what to do, or NULL */
	const char *id;       /* a session's id, or NULL */
	long long seq;        /* where in a session's log, or -1 */
};

/* Called with each finding; non-zero stops the check. */
typedef int (*sess_finding_fn)(const struct sess_finding *f, void *arg);

static inline const char *sess_sev_name(enum sess_sev s)
{
	return s == SESS_SEV_ERROR ? "error" : s == SESS_SEV_WARNING ? "warning"
	     : s == SESS_SEV_INFO ? "info" : "recommendation";
}

#endif

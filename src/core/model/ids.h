/* ids.h - new session ids and the clock they use. */
#ifndef SESS_IDS_H
#define SESS_IDS_H

#include "core/base/err.h"

#define SESS_NEW_ID_LEN 36

/* A new time-ordered session id (UUID version 7 text form), so ids sort by
 * creation. out must hold SESS_NEW_ID_LEN + 1 bytes. */
int sess_new_id(char *out, struct sess_err *err);

/* Milliseconds since the epoch, from this machine's clock (the server's
 * clock, from TIME, stamps everything stored). */
long long sess_now_ms(void);

#endif

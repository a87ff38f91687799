/* url_pattern.h - the JSON Schema pattern of redis.url: what
 * sess_config_apply_url (config.c, sentinel_url.c) accepts, as far as a
 * regular expression (ECMA-262, as JSON Schema reads it; Python's re too)
 * can say it. What it cannot: the lengths of a URL's parts (user name,
 * password, host, socket path, a TLS option's value, the sentinel list),
 * which only the validator counts (sess-validate(1), schema). Keep the two
 * in step: tests/sess-validate_schema.bats checks them against each other. */
#ifndef SESS_URL_PATTERN_H
/* redis.sentinels as sess_sentinel_parse reads it: host:port items (the
 * port after the last ':' unless a ']' follows it), none empty, a final
 * ',' let by; "" is none */
#define SESS_SENTINELS_PATTERN "^(?:(?:[^,]*:" SESS_UP_PORT "|[^,:]+|[^,]*:[^,:]*\\][^,:]*)" \
	"(?:,(?:[^,]*:" SESS_UP_PORT "|[^,:]+|[^,]*:[^,:]*\\][^,:]*))*,?)?" SESS_UP_END

#define SESS_URL_PATTERN_H

/* 0 to 2147483647 (INT_MAX), digits only, leading zeros allowed */
#define SESS_UP_INT "0*(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}" \
	"|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}" \
	"|21474836[0-3][0-9]|214748364[0-7])"
/* 1 to 65535 */
#define SESS_UP_PORT "0*(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}" \
	"|655[0-2][0-9]|6553[0-5])"
/* a %XX escape: two hex digits, never %00 */
#define SESS_UP_ESC "%(?!00)[0-9A-Fa-f]{2}"
/* user info: up to the last '@' (nothing after it holds one) */
#define SESS_UP_UI "(?:(?:[^%]|" SESS_UP_ESC ")*@)?"
/* the end of the text ('$' would let a final newline by in Python) */
#define SESS_UP_END "(?![\\s\\S])"
#define SESS_UP_DBQ "db=" SESS_UP_INT
/* [v6]:port or host:port, then /db */
#define SESS_UP_HOST "(?:\\[[^\\]/?@]*\\]|[^\\[/?@:][^/?@:]*)?(?::" SESS_UP_PORT ")?" \
	"(?:/(?:" SESS_UP_INT ")?)?"
/* rediss:// options: the tls.* settings by their last name */
#define SESS_UP_TLSQ "(?:cacert|cacertdir|cert|key|sni|ciphers|ciphersuites)(?:=[^&@]*)?" \
	"|(?:insecure|insecureKeyFile)(?:=(?:1|true|yes|on|0|false|no|off))?"
#define SESS_UP_REDIS "redis://" SESS_UP_UI SESS_UP_HOST \
	"(?:\\?" SESS_UP_DBQ "(?:&" SESS_UP_DBQ ")*)?"
#define SESS_UP_REDISS "rediss://" SESS_UP_UI SESS_UP_HOST \
	"(?:\\?(?:" SESS_UP_DBQ "|" SESS_UP_TLSQ ")(?:&(?:" SESS_UP_DBQ "|" SESS_UP_TLSQ "))*)?"
#define SESS_UP_UNIX "unix:///[^?]*(?:\\?" SESS_UP_DBQ "(?:&" SESS_UP_DBQ ")*)?"
/* a sentinel: host:port (any host, the port 1-65535) or a host alone */
#define SESS_UP_SENT "(?:[^,/?#@]*:" SESS_UP_PORT "|[^,/?#@:]+)"
#define SESS_UP_SV "(?:[^%&#@]|" SESS_UP_ESC ")"
#define SESS_UP_SQ "(?:(?:master|masterName|sentinelMasterId)=" SESS_UP_SV "+" \
	"|(?:sentinelUsername|sentinelPassword)=" SESS_UP_SV "*|db=" SESS_UP_INT ")"
/* a master name: ?master=NAME (or its other names), or #NAME */
#define SESS_UP_MASTER "(?=[^#?]*\\?(?:[^#]*&)?(?:master|masterName|sentinelMasterId)=[^&#]|[^#]*#[\\s\\S])"
#define SESS_UP_SENTINEL "redis[+-]sentinel://" SESS_UP_UI SESS_UP_MASTER \
	",*" SESS_UP_SENT "(?:,+" SESS_UP_SENT ")*,*(?:/(?:" SESS_UP_INT ")?)?" \
	"(?:\\?&*(?:" SESS_UP_SQ "(?:&+" SESS_UP_SQ ")*&*)?)?(?:#(?:[^%@]|" SESS_UP_ESC ")*)?"

#define SESS_URL_PATTERN "^(?:" SESS_UP_REDIS "|" SESS_UP_REDISS "|" SESS_UP_UNIX "|" \
	SESS_UP_SENTINEL ")" SESS_UP_END

#endif

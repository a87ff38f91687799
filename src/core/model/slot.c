/* slot.c - the CRC16 and hash slot of a key (see slot.h); pure. Also
 * linked into tools/gen-slottags, which builds the tag table from it. */
#include "core/model/slot.h"

#include <string.h>

/* bit by bit: keys are short, and this needs no table */
unsigned sess_slot_crc16(const char *buf, size_t len)
{
	unsigned crc = 0;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (unsigned)(unsigned char)buf[i] << 8;
		for (b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
	}
	return crc;
}

int sess_slot_of_key(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len), *close;

	if (open) {
		size_t after = (size_t)(open - key) + 1;
		close = memchr(open + 1, '}', len - after);
		if (close && close > open + 1)
			return (int)(sess_slot_crc16(open + 1, (size_t)(close - open - 1)) % SESS_SLOTS);
	}
	return (int)(sess_slot_crc16(key, len) % SESS_SLOTS);
}

/* slottag.c - the slot tags (see slot.h) over the generated table
 * sess_slot_tags_ (slottags.c in the build directory, written by
 * tools/gen-slottags). */
#include "core/model/slot.h"

#include <string.h>

const char *sess_slot_tag(int slot)
{
	return slot >= 0 && slot < SESS_SLOTS ? sess_slot_tags_[slot] : NULL;
}

int sess_slot_tag_ok(const char *tag)
{
	size_t n;

	if (!tag)
		return 0;
	n = strlen(tag);
	if (n < 1 || n > SESS_SLOT_TAG_MAX)
		return 0;
	return !strcmp(tag, sess_slot_tags_[sess_slot_crc16(tag, n) % SESS_SLOTS]);
}

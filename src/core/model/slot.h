/* slot.h - Redis Cluster hash slots, pure: the CRC16 of a key, its slot
 * under the hash tag rules, and the slot tags (layout 3's companion keys,
 * sesskit-layout(7) "Slot tags"). No I/O, no allocation.
 *
 * The tag table: for every slot 0..16383, the shortest string over the
 * alphabet [0-9a-z] (ASCII order; shortest first, then lexicographic)
 * whose CRC16 mod 16384 is that slot, so a key "PREFIX:...{T}..." lives
 * in slot s when T = sess_slot_tag(s). It is computed at build time by
 * tools/gen-slottags.c (with slot.c's sess_slot_crc16) into the build
 * directory's src/core/model/slottags.c; it is not copied from Redis.
 * Measured: the longest tag is 4 characters (36 slots take 1, 1104 take
 * 2, 15159 take 3, 85 take 4); the build pays about 0.04 s to run the
 * generator (make, -O2; 0.035 s built with ASan at -O0) and 0.13 s to
 * compile the table (16384 x 5 bytes: 80 KB of rodata, linked only into
 * a binary that calls sess_slot_tag). A cross build would need the
 * generator built for the build machine (it uses the target's CC today). */
#ifndef SESS_SLOT_H
#define SESS_SLOT_H

#include <stddef.h>

#define SESS_SLOTS 16384
/* the longest tag, without its NUL (checked by the generator and tests) */
#define SESS_SLOT_TAG_MAX 4
/* the tags' alphabet, in the order the generator tries it */
#define SESS_SLOT_TAG_ALPHABET "0123456789abcdefghijklmnopqrstuvwxyz"

/* CRC16/XMODEM as Redis Cluster uses it: polynomial 0x1021, initial 0,
 * no reflection ("123456789" -> 0x31C3). */
unsigned sess_slot_crc16(const char *buf, size_t len);

/* The hash slot (0..16383) of the key of len bytes: CRC16 of its hash tag
 * (the bytes between the first '{' and the first '}' after it, when not
 * empty), else of the whole key, modulo 16384. */
int sess_slot_of_key(const char *key, size_t len);

/* The tag of slot (0..16383): a static NUL-terminated string of 1 to
 * SESS_SLOT_TAG_MAX characters of SESS_SLOT_TAG_ALPHABET (never '{' or
 * '}'), with sess_slot_of_key("{" tag "}") == slot. NULL for a slot out
 * of range. */
const char *sess_slot_tag(int slot);

/* 1 when tag is the table's tag of the slot it hashes to (the one
 * canonical tag of that slot: how a companion key names its slot), else
 * 0 (NULL, empty, too long, outside the alphabet, or another string of
 * the same slot). */
int sess_slot_tag_ok(const char *tag);

/* internal: the generated table behind sess_slot_tag (use that) */
extern const char sess_slot_tags_[SESS_SLOTS][SESS_SLOT_TAG_MAX + 1];

#endif

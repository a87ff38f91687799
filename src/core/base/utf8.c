#include "core/base/utf8.h"

#include <stdio.h>

size_t sess_utf8_seq(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 (overlong) or 0xf5.. */
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t sess_utf8_check(const char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80) { /* the common case, byte by byte */
			i++;
			continue;
		}
		if (!(len = sess_utf8_seq(s + i, n - i)))
			return i;
		i += len;
	}
	return n;
}

size_t sess_utf8_escape(char *dst, size_t size, const char *src)
{
	size_t o = 0, len;

	if (size == 0)
		return 0;
	while (*src) {
		unsigned char c = (unsigned char)*src;
		len = c < 0x80 ? (c < 0x20 || c == 0x7f ? 0 : 1) : sess_utf8_seq(src, 4);
		if (len == 0) {
			if (o + 4 >= size)
				break;
			snprintf(dst + o, 5, "\\x%02x", c);
			o += 4;
			src++;
			continue;
		}
		if (o + len >= size)
			break;
		while (len--)
			dst[o++] = *src++;
	}
	dst[o] = '\0';
	return o;
}

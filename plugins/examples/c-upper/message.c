#include "message.h"

#include <stdlib.h>
#include <string.h>

// A cursor over the input: every read checks what is left, so a malformed message is an error, never a
// read past the buffer.
typedef struct {
	const uint8_t *p;
	uint64_t left;
} cursor;

static int take(cursor *c, uint64_t n, const uint8_t **out) {
	if (n > c->left)
		return 0;
	*out = c->p;
	c->p += n;
	c->left -= n;
	return 1;
}

static int take_u32(cursor *c, uint32_t *v) {
	const uint8_t *p;
	if (!take(c, 4, &p))
		return 0;
	memcpy(v, p, 4);
	return 1;
}

static int take_u64(cursor *c, uint64_t *v) {
	const uint8_t *p;
	if (!take(c, 8, &p))
		return 0;
	memcpy(v, p, 8);
	return 1;
}

int find_bytes(const uint8_t *msg, uint32_t len, const char *name, const uint8_t **data, uint32_t *data_len) {
	cursor c = {msg, len};
	const uint8_t *magic, *entry_name, *kind, *skip, *payload;
	uint32_t count, name_len, dtype, rank;
	uint64_t payload_len;
	size_t want = strlen(name);
	if (!take(&c, 4, &magic) || memcmp(magic, "GNX1", 4) != 0 || !take_u32(&c, &count))
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		if (!take_u32(&c, &name_len) || !take(&c, name_len, &entry_name) || !take(&c, 1, &kind))
			return -1;
		if (*kind == 1) { // a tensor: skip its dtype, rank and dimensions
			if (!take_u32(&c, &dtype) || !take_u32(&c, &rank) || !take(&c, 8 * (uint64_t)rank, &skip))
				return -1;
		} else if (*kind != 0) {
			return -1;
		}
		if (!take_u64(&c, &payload_len) || !take(&c, payload_len, &payload))
			return -1;
		if (*kind == 0 && name_len == want && memcmp(entry_name, name, want) == 0) {
			*data = payload;
			*data_len = (uint32_t)payload_len; // fits: it is inside a buffer of len bytes
			return 1;
		}
	}
	return 0;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v) {
	memcpy(p, &v, 8);
	return p + 8;
}

uint8_t *encode(const bytes_entry *entries, uint32_t n, uint32_t *out_len) {
	uint64_t size = 8;
	for (uint32_t i = 0; i < n; i++)
		size += 4 + strlen(entries[i].name) + 1 + 8 + (uint64_t)entries[i].len;
	if (size > UINT32_MAX)
		return NULL;
	uint8_t *buf = malloc(size), *p = buf;
	if (!buf)
		return NULL;
	memcpy(p, "GNX1", 4);
	p = put_u32(p + 4, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t name_len = strlen(entries[i].name);
		p = put_u32(p, name_len);
		memcpy(p, entries[i].name, name_len);
		p += name_len;
		*p++ = 0; // kind: bytes
		p = put_u64(p, entries[i].len);
		memcpy(p, entries[i].data, entries[i].len);
		p += entries[i].len;
	}
	*out_len = (uint32_t)size;
	return buf;
}

#include "msg.h"

#include <stdlib.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p) {
	uint32_t v;
	memcpy(&v, p, 4); // wasm is little-endian, as the wire format
	return v;
}

static uint64_t rd64(const uint8_t *p) {
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int msg_bytes(const uint8_t *m, uint32_t n, const char *name, const uint8_t **val, uint32_t *len) {
	if (n < 8 || memcmp(m, "GNX1", 4) != 0)
		return 0;
	uint32_t count = rd32(m + 4);
	uint64_t off = 8, want = strlen(name);
	for (uint32_t i = 0; i < count; i++) {
		if (off + 4 > n)
			return 0;
		uint64_t nl = rd32(m + off);
		off += 4;
		if (off + nl + 1 > n)
			return 0;
		const uint8_t *nm = m + off;
		off += nl;
		uint8_t kind = m[off++];
		if (kind == 1) { // tensor: dtype, rank, dims: skip them
			if (off + 8 > n)
				return 0;
			uint64_t rank = rd32(m + off + 4);
			off += 8 + 8 * rank;
		} else if (kind != 0) {
			return 0;
		}
		if (off + 8 > n)
			return 0;
		uint64_t dl = rd64(m + off);
		off += 8;
		if (dl > n - off)
			return 0;
		if (kind == 0 && nl == want && memcmp(nm, name, want) == 0) {
			*val = m + off;
			*len = (uint32_t)dl;
			return 1;
		}
		off += dl;
	}
	return 0;
}

static void wr32(msg_writer *w, uint32_t v) {
	memcpy(w->buf + w->len, &v, 4);
	w->len += 4;
}

int msg_begin(msg_writer *w, uint32_t cap) {
	w->buf = malloc(cap);
	w->len = 0;
	w->cap = cap;
	w->count = 0;
	if (!w->buf || cap < 8)
		return 0;
	memcpy(w->buf, "GNX1", 4);
	w->len = 4;
	wr32(w, 0);
	return 1;
}

int msg_add(msg_writer *w, const char *name, const void *data, uint32_t len) {
	uint32_t nl = strlen(name);
	if ((uint64_t)w->len + 4 + nl + 1 + 8 + len > w->cap)
		return 0;
	wr32(w, nl);
	memcpy(w->buf + w->len, name, nl);
	w->len += nl;
	w->buf[w->len++] = 0; // bytes entry
	uint64_t l64 = len;
	memcpy(w->buf + w->len, &l64, 8);
	w->len += 8;
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	w->count++;
	memcpy(w->buf + 4, &w->count, 4);
	return 1;
}

uint64_t msg_finish(msg_writer *w) {
	return pack((uint32_t)(uintptr_t)w->buf, w->len, 0);
}

uint64_t pack(uint32_t ptr, uint32_t len, int is_err) {
	uint64_t v = (uint64_t)(ptr & 0x7fffffffu) << 32 | len;
	return is_err ? v | 1ull << 63 : v;
}

uint64_t fail(const char *text) {
	uint32_t n = strlen(text);
	char *p = malloc(n);
	if (!p)
		return pack(0, 0, 1);
	memcpy(p, text, n);
	return pack((uint32_t)(uintptr_t)p, n, 1);
}

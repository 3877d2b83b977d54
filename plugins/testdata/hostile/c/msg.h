// A minimal, bounds-checked reader and writer of gonyx ABI v1 messages (docs/PLUGINS.md), written by hand
// so that this hostile guest depends on nothing but wasi-libc.
#ifndef HOSTILE_MSG_H
#define HOSTILE_MSG_H

#include <stdint.h>

// msg_bytes finds the bytes entry called name in the message m[0:n]. It returns 1 and sets *val, *len when
// found, 0 when absent or when the message is malformed.
int msg_bytes(const uint8_t *m, uint32_t n, const char *name, const uint8_t **val, uint32_t *len);

// A message being written into one malloc'd buffer of fixed capacity.
typedef struct {
	uint8_t *buf;
	uint32_t len, cap, count;
} msg_writer;

int msg_begin(msg_writer *w, uint32_t cap);                                      // 0 when malloc failed
int msg_add(msg_writer *w, const char *name, const void *data, uint32_t len);    // 0 when over capacity
uint64_t msg_finish(msg_writer *w);                                              // the packed result

// Packed results (bit 63 error flag, bits 32..62 pointer, bits 0..31 length).
uint64_t pack(uint32_t ptr, uint32_t len, int is_err);
// fail returns a packed error whose message is a malloc'd copy of text (the host frees it).
uint64_t fail(const char *text);

#endif

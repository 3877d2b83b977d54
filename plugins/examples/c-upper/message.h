// gonyx ABI v1 messages in plain C: just enough to read bytes entries and to write a message of bytes
// entries. The format (docs/PLUGINS.md): "GNX1", u32 count, then per entry u32 name_len, name, u8 kind
// (0 bytes, 1 tensor), for tensors u32 dtype, u32 rank, rank x u64 dims, then u64 data_len, data.
// All integers little-endian, as wasm memory is.
#ifndef GONYX_MESSAGE_H
#define GONYX_MESSAGE_H

#include <stdint.h>

// find_bytes looks for the bytes entry called name in msg[0:len]. It returns 1 and points *data, *data_len
// into msg when found; 0 when absent; -1 when msg is not a well-formed message.
int find_bytes(const uint8_t *msg, uint32_t len, const char *name, const uint8_t **data, uint32_t *data_len);

// One bytes entry to write.
typedef struct {
	const char *name;
	const uint8_t *data;
	uint32_t len;
} bytes_entry;

// encode writes a message holding the n entries into a malloc'd buffer; it returns the buffer (NULL when out
// of memory or the message would not fit in 4 GiB) and its length in *out_len.
uint8_t *encode(const bytes_entry *entries, uint32_t n, uint32_t *out_len);

#endif

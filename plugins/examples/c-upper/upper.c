// c-upper: a gonyx preprocessing plugin in plain C, to show that ABI v1 (docs/PLUGINS.md) needs nothing
// from Go. It upper-cases the ASCII letters of the request body: input bytes entry "body", output bytes
// entry "body".
//
// Build: ./build.sh [OUT.wasm] (clang 14 + wasi-libc).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

#define EXPORT(name) __attribute__((export_name(name)))

// A packed result: bit 63 the error flag, bits 32..62 the pointer, bits 0..31 the length.
static uint64_t pack(const void *ptr, uint32_t len, int is_err) {
	uint64_t v = (uint64_t)((uint32_t)(uintptr_t)ptr & 0x7fffffffu) << 32 | len;
	return is_err ? v | 1ull << 63 : v;
}

// Results the host copies out and then frees with gonyx_free, so even constant text goes out as a malloc'd
// copy.
static uint64_t hand_out(const char *text, uint32_t len, int is_err) {
	char *p = malloc(len ? len : 1);
	if (!p)
		return pack(0, 0, 1); // "failed, no message"
	memcpy(p, text, len);
	return pack(p, len, is_err);
}

static uint64_t fail(const char *text) { return hand_out(text, strlen(text), 1); }

EXPORT("gonyx_abi_version") int32_t gonyx_abi_version(void) { return 1; }

EXPORT("gonyx_alloc") uint32_t gonyx_alloc(uint32_t size) {
	return (uint32_t)(uintptr_t)malloc(size ? size : 1); // NULL (0) tells the host we are out of memory
}

EXPORT("gonyx_free") void gonyx_free(uint32_t ptr, uint32_t size) {
	(void)size; // malloc remembers it
	free((void *)(uintptr_t)ptr);
}

static const char description[] =
	"{\"name\":\"c-upper\",\"version\":\"1.0.0\",\"kind\":\"pre\","
	"\"inputs\":[{\"name\":\"body\",\"datatype\":\"BYTES\",\"shape\":[-1]}],"
	"\"outputs\":[{\"name\":\"body\",\"datatype\":\"BYTES\",\"shape\":[-1]}],"
	"\"config\":{}}";

EXPORT("gonyx_describe") uint64_t gonyx_describe(void) { return hand_out(description, sizeof description - 1, 0); }

EXPORT("gonyx_init") uint64_t gonyx_init(uint32_t ptr, uint32_t len) {
	(void)ptr; // no settings to read
	(void)len;
	return pack(0, 0, 0);
}

EXPORT("gonyx_process") uint64_t gonyx_process(uint32_t ptr, uint32_t len) {
	const uint8_t *body;
	uint32_t body_len;
	switch (find_bytes((const uint8_t *)(uintptr_t)ptr, len, "body", &body, &body_len)) {
	case -1:
		return fail("c-upper: the input is not a gonyx message");
	case 0:
		return fail("c-upper: the input has no bytes entry \"body\"");
	}
	uint8_t *upper = malloc(body_len ? body_len : 1);
	if (!upper)
		return fail("c-upper: out of memory");
	for (uint32_t i = 0; i < body_len; i++) {
		uint8_t c = body[i];
		upper[i] = c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c; // ASCII only: UTF-8 sequences pass unchanged
	}
	bytes_entry out = {"body", upper, body_len};
	uint32_t out_len;
	uint8_t *msg = encode(&out, 1, &out_len);
	free(upper);
	if (!msg)
		return fail("c-upper: out of memory");
	return pack(msg, out_len, 0);
}

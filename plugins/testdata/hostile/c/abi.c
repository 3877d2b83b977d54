// The ABI v1 bookkeeping exports of the hostile C guest. They behave, except that gonyx_alloc can be armed by
// gonyx_process to misbehave on its next call: hand the host a pointer outside linear memory, trap, or loop.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#define EXPORT(name) __attribute__((export_name(name)))

int bad_alloc_armed, trap_alloc_armed, loop_alloc_armed;
static volatile int spin;

EXPORT("gonyx_abi_version") int32_t gonyx_abi_version(void) { return 1; }

EXPORT("gonyx_alloc") uint32_t gonyx_alloc(uint32_t size) {
	if (bad_alloc_armed) {
		bad_alloc_armed = 0;
		return 0xfffffff0u; // far past the end of any memory a 256 MiB limit allows
	}
	if (trap_alloc_armed)
		__builtin_trap();
	if (loop_alloc_armed)
		for (;;)
			spin++;
	return (uint32_t)(uintptr_t)malloc(size ? size : 1);
}

EXPORT("gonyx_free") void gonyx_free(uint32_t ptr, uint32_t size) {
	(void)size;
	free((void *)(uintptr_t)ptr);
}

static const char description[] =
	"{\"name\":\"hostile-c\",\"version\":\"0.0.1\",\"kind\":\"pre\","
	"\"inputs\":[{\"name\":\"mode\",\"datatype\":\"BYTES\",\"shape\":[-1]}],"
	"\"outputs\":[],\"config\":{}}";

EXPORT("gonyx_describe") uint64_t gonyx_describe(void) {
	// The host frees what we return, so it must be a malloc'd copy, not the static string.
	uint32_t n = sizeof description - 1;
	char *p = malloc(n);
	if (!p)
		return pack(0, 0, 1);
	memcpy(p, description, n);
	return pack((uint32_t)(uintptr_t)p, n, 0);
}

EXPORT("gonyx_init") uint64_t gonyx_init(uint32_t ptr, uint32_t len) {
	(void)ptr;
	(void)len;
	return 0; // no configuration
}

// gonyx_process of the hostile C guest: the bytes entry "mode" of the input picks a misbehaviour. Without a
// mode, or with "behave", the guest echoes the input message back, so a test can check that the plugin works
// again after each misbehaviour was contained.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "msg.h"

#define EXPORT(name) __attribute__((export_name(name)))

// The host module (docs/PLUGINS.md).
#define HOST(name) __attribute__((import_module("gonyx"), import_name(name)))
HOST("log") void host_log(int32_t level, uint32_t ptr, uint32_t len);
HOST("config") uint64_t host_config(uint32_t kptr, uint32_t klen);
HOST("image_decode") uint64_t host_image_decode(uint32_t ptr, uint32_t len);
HOST("image_resize") uint64_t host_image_resize(uint32_t ptr, uint32_t len, int32_t w, int32_t h);
HOST("image_to_tensor") uint64_t host_image_to_tensor(uint32_t ptr, uint32_t len, uint32_t pptr, uint32_t plen);

// In abi.c: make gonyx_alloc misbehave on its next call.
extern int bad_alloc_armed, trap_alloc_armed, loop_alloc_armed;

// Volatile so that the compiler can neither fold the misbehaviour away nor prove the code unreachable.
static volatile uint32_t sink;
static volatile int32_t zero;
// The memory bomb's blocks, chained.
void *volatile hoard;

static uint64_t echo(const uint8_t *in, uint32_t n) {
	uint8_t *out = malloc(n);
	if (!out)
		return fail("echo: out of memory");
	memcpy(out, in, n);
	return pack((uint32_t)(uintptr_t)out, n, 0);
}

static uint32_t memory_bytes(void) { return (uint32_t)__builtin_wasm_memory_size(0) * 65536u; }

// Overflows the shadow stack in linear memory (linked with --stack-first, so it runs off address 0).
__attribute__((noinline)) static uint32_t deep_frames(uint32_t n) {
	volatile uint8_t frame[512];
	frame[n % sizeof frame] = (uint8_t)n;
	return deep_frames(n + 1) + frame[0];
}

// The wall-clock budget of "deep" and "fanout": they have no loop, so the host cannot stop them at its
// deadline; they stop themselves when this passes, so that a test's abandoned call ends soon. The clock is
// read straight from WASI: wasi-libc's clock_gettime might contain a loop, where a deadline check would go.
static uint64_t stop_at;
static volatile int stopped;

// The time is written to a global, not to a local whose address would give deep_calls a frame on the C
// stack: that stack would overflow (out of bounds) long before the wasm call stack does.
static __wasi_timestamp_t now;

static uint64_t now_ns(void) {
	(void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now);
	return now;
}

// Overflows the wasm call stack itself (unless the budget ends first): no locals in memory, not a tail call.
__attribute__((noinline)) static uint32_t deep_calls(uint32_t n) {
	if ((n & 1023) == 0 && now_ns() > stop_at)
		return 0;
	sink = n;
	uint32_t r = deep_calls(n + 1);
	sink = r;
	return r + n;
}

// Calls itself twice per level, 2^depth calls in all, and no loop anywhere, which is where wazero puts its
// deadline checks (wazero/wazero#2533 describes this shape).
__attribute__((noinline)) static void fan_out(uint32_t depth) {
	if (stopped)
		return;
	if (depth == 0) {
		stopped = now_ns() > stop_at;
		return;
	}
	fan_out(depth - 1);
	fan_out(depth - 1);
	sink++; // after the calls, so that neither is a tail call the compiler could turn into a loop
}

// budget_ms reads the decimal entry "ms" (default 1000): how long "deep" and "fanout" may run.
static uint64_t budget_ms(const uint8_t *in, uint32_t len) {
	const uint8_t *d;
	uint32_t dl;
	uint64_t ms = 0;
	if (!msg_bytes(in, len, "ms", &d, &dl))
		return 1000;
	for (uint32_t i = 0; i < dl && i < 9 && d[i] >= '0' && d[i] <= '9'; i++)
		ms = ms * 10 + (d[i] - '0');
	return ms;
}

// utoa_entry adds a bytes entry holding v in decimal.
static int utoa_entry(msg_writer *w, const char *name, uint64_t v) {
	char s[24];
	int k = snprintf(s, sizeof s, "%llu", (unsigned long long)v);
	return msg_add(w, name, s, (uint32_t)k);
}

// Tries to escape the sandbox through WASI and reports what it saw.
static uint64_t snoop(void) {
	msg_writer w;
	if (!msg_begin(&w, 4096))
		return fail("snoop: out of memory");

	// Through wasi-libc, as a C program would.
	errno = 0;
	int fd = open("/etc/passwd", O_RDONLY);
	utoa_entry(&w, "libc_open_errno", fd < 0 ? (uint64_t)errno : 0);
	char buf[256];
	ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	msg_add(&w, "libc_read", buf, got > 0 ? (uint32_t)got : 0);

	// Straight to WASI, guessing that fd 3 is a preopened directory (it is the first one when there are any).
	__wasi_fd_t raw;
	__wasi_errno_t e = __wasi_path_open(3, 0, "etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &raw);
	utoa_entry(&w, "wasi_path_open_errno", e);
	__wasi_prestat_t pre;
	utoa_entry(&w, "wasi_prestat_get_errno", __wasi_fd_prestat_get(3, &pre));

	// Standard input must be empty.
	got = read(0, buf, sizeof buf);
	utoa_entry(&w, "stdin_read", got < 0 ? 0xffffffffu : (uint64_t)got);

	// The environment must be empty.
	__wasi_size_t envc = 0, envsize = 0;
	__wasi_environ_sizes_get(&envc, &envsize);
	utoa_entry(&w, "environ_count", envc);
	const char *home = getenv("HOME"), *path = getenv("PATH");
	msg_add(&w, "getenv_HOME", home ? home : "<unset>", home ? (uint32_t)strlen(home) : 7);
	msg_add(&w, "getenv_PATH", path ? path : "<unset>", path ? (uint32_t)strlen(path) : 7);
	return msg_finish(&w);
}

static int is(const uint8_t *mode, uint32_t n, const char *s) { return n == strlen(s) && memcmp(mode, s, n) == 0; }

// tiny_image is a malloc'd image buffer (u32 width, u32 height, RGB8) whose header may lie about its size.
static uint8_t *tiny_image(uint32_t w, uint32_t h, uint32_t pixels) {
	uint8_t *b = calloc(1, 8 + 3 * pixels);
	if (b) {
		memcpy(b, &w, 4);
		memcpy(b + 4, &h, 4);
	}
	return b;
}

// Misbehaviour around the image host functions. Their results (image or error) are returned as they are,
// so a test sees what the host answered.
static uint64_t images(const uint8_t *in, uint32_t len, const uint8_t *mode, uint32_t ml) {
	if (is(mode, ml, "decode")) { // decode the "image" entry, whatever the test put there
		const uint8_t *img;
		uint32_t n;
		if (!msg_bytes(in, len, "image", &img, &n))
			return fail("decode: no image entry");
		return host_image_decode((uint32_t)(uintptr_t)img, n);
	}
	uint8_t *one = tiny_image(1, 1, 1);
	if (!one)
		return fail("images: out of memory");
	if (is(mode, ml, "resizehuge")) // a 1x1 image to 32768x32768 (3 GiB of RGB)
		return host_image_resize((uint32_t)(uintptr_t)one, 11, 32768, 32768);
	if (is(mode, ml, "tensorlies")) { // a header saying 1000x1000 over 3 bytes of pixels
		uint8_t *liar = tiny_image(1000, 1000, 1);
		return host_image_to_tensor((uint32_t)(uintptr_t)liar, 11, 0, 0);
	}
	// gonyx_alloc misbehaves when the host calls it from inside a host function to return the 2x2 result.
	if (is(mode, ml, "hostallocbad"))
		bad_alloc_armed = 1;
	else if (is(mode, ml, "hostalloctrap"))
		trap_alloc_armed = 1;
	else if (is(mode, ml, "hostallocloop"))
		loop_alloc_armed = 1;
	else
		return fail("unknown mode");
	return host_image_resize((uint32_t)(uintptr_t)one, 11, 2, 2);
}

EXPORT("gonyx_process") uint64_t gonyx_process(uint32_t ptr, uint32_t len) {
	const uint8_t *in = (const uint8_t *)(uintptr_t)ptr;
	const uint8_t *mode;
	uint32_t ml;
	if (!msg_bytes(in, len, "mode", &mode, &ml) || is(mode, ml, "behave"))
		return echo(in, len);

	if (is(mode, ml, "loop")) { // spin forever
		for (;;)
			sink++;
	}
	if (is(mode, ml, "bomb")) { // malloc 1 MiB blocks and touch them until malloc fails, then abort as C code does
		for (;;) {
			void **p = malloc(1 << 20);
			if (!p)
				abort();
			for (uint32_t i = 0; i < (1 << 20) / sizeof *p; i += 4096 / sizeof *p)
				p[i] = p; // one write per 4 KiB page makes the host back it with real memory
			*p = hoard; // keep every block reachable, or the compiler drops the unused allocations
			hoard = p;
		}
	}
	if (is(mode, ml, "grow")) { // grow linear memory one page at a time until refused; report where it stopped
		msg_writer w;
		if (!msg_begin(&w, 256)) // before the growth, so the answer still fits
			return fail("grow: out of memory");
		uint32_t grown = 0;
		while (__builtin_wasm_memory_grow(0, 1) != (__SIZE_TYPE__)-1) {
			((volatile uint8_t *)(uintptr_t)memory_bytes())[-1] = 1; // touch the new page
			grown++;
		}
		utoa_entry(&w, "memory_bytes", memory_bytes());
		utoa_entry(&w, "pages_grown", grown);
		return msg_finish(&w);
	}
	if (is(mode, ml, "unreachable"))
		__builtin_trap();
	if (is(mode, ml, "divzero"))
		return pack(0, 7 / zero, 0);
	if (is(mode, ml, "oob")) // load far past the end of memory
		return pack(0, *(volatile uint32_t *)(uintptr_t)0xfffffff0u, 0);
	if (is(mode, ml, "stack"))
		return pack(0, deep_frames(0), 0);
	if (is(mode, ml, "deep")) {
		stop_at = now_ns() + budget_ms(in, len) * 1000000u;
		deep_calls(1);
		return echo(in, len);
	}
	if (is(mode, ml, "fanout")) { // 2^60 calls: for ever, but for the "ms" budget
		stop_at = now_ns() + budget_ms(in, len) * 1000000u;
		stopped = 0;
		fan_out(60);
		return echo(in, len);
	}
	if (is(mode, ml, "exit")) // the process exits with success in the middle of a call
		__wasi_proc_exit(0);

	if (is(mode, ml, "claim2g")) // a real pointer, a 2 GiB length
		return pack((uint32_t)(uintptr_t)malloc(16), 0x80000000u, 0);
	if (is(mode, ml, "big")) { // a real, fully written 100 MiB answer: over any sane MaxOutputBytes
		uint32_t n = 100u << 20;
		uint8_t *p = malloc(n);
		if (!p)
			return fail("big: out of memory");
		memset(p, 'B', n);
		return pack((uint32_t)(uintptr_t)p, n, 0);
	}
	if (is(mode, ml, "pastend")) // a pointer just past the end of memory
		return pack(memory_bytes() + 16, 16, 0);
	if (is(mode, ml, "straddle")) // starts inside memory, ends 16 bytes past its end
		return pack(memory_bytes() - 16, 32, 0);
	if (is(mode, ml, "overflow")) // pointer + length wraps around 32 bits
		return pack(0x7ffffff0u, 0xfffffff0u, 0);
	if (is(mode, ml, "errpastend")) // an error message that is not in memory
		return pack(memory_bytes() + 16, 64, 1);
	if (is(mode, ml, "garbage")) { // an answer that is not a message
		uint8_t *p = malloc(32);
		if (!p)
			return fail("garbage: out of memory");
		memset(p, 0xee, 32);
		return pack((uint32_t)(uintptr_t)p, 32, 0);
	}

	if (is(mode, ml, "flood")) { // 4 MiB on stdout and 4 MiB on stderr, not one newline
		uint32_t n = 1u << 20;
		uint8_t *chunk = malloc(n);
		if (!chunk)
			return fail("flood: out of memory");
		memset(chunk, 'x', n);
		for (int i = 0; i < 4; i++) {
			write(1, chunk, n);
			write(2, chunk, n);
		}
		free(chunk);
		return echo(in, len);
	}
	if (is(mode, ml, "floodlines")) { // 100000 short lines on stdout
		for (int i = 0; i < 100000; i++)
			write(1, "flood flood flood flood flood flood flood flood flood flood!\n", 61);
		return echo(in, len);
	}
	if (is(mode, ml, "fakepanic")) { // a crash report on stderr, from a call that then succeeds
		write(2, "panic: forged by the guest\n", 27);
		return echo(in, len);
	}
	if (is(mode, ml, "logflood")) { // 64 host log calls of 4 MiB each
		uint32_t n = 4u << 20;
		uint8_t *p = malloc(n);
		if (!p)
			return fail("logflood: out of memory");
		memset(p, 'L', n);
		for (int i = 0; i < 64; i++)
			host_log(3, (uint32_t)(uintptr_t)p, n);
		free(p);
		return echo(in, len);
	}
	if (is(mode, ml, "logpastend")) { // host functions handed pointers outside memory
		host_log(1, memory_bytes() - 8, 4096);
		return echo(in, len);
	}
	if (is(mode, ml, "configpastend")) {
		host_config(0xfffffff0u, 64);
		return echo(in, len);
	}
	if (is(mode, ml, "snoop"))
		return snoop();
	if (is(mode, ml, "sleep")) { // block in WASI poll_oneoff for 5 s, then report how long it took
		struct timespec t0, t1, d = {5, 0};
		clock_gettime(CLOCK_MONOTONIC, &t0);
		nanosleep(&d, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		msg_writer w;
		if (!msg_begin(&w, 256))
			return fail("sleep: out of memory");
		utoa_entry(&w, "slept_ns", (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)(t1.tv_nsec - t0.tv_nsec));
		return msg_finish(&w);
	}
	if (is(mode, ml, "armbadalloc")) { // succeed now; the host's next gonyx_alloc gets a pointer out of memory
		bad_alloc_armed = 1;
		return echo(in, len);
	}
	return images(in, len, mode, ml);
}

package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// hoard keeps the memory bomb's blocks reachable so the collector cannot free them.
var hoard [][]byte

var sink int

//go:wasmexport gonyx_process
func process(ptr, n uint32) uint64 {
	in := view(ptr, n)
	mode, _ := bytesEntry(in, "mode")
	switch string(mode) {
	case "", "behave":
		return hand(append([]byte(nil), in...), false) // echo
	case "panic":
		panic("hostile-go: deliberate panic")
	case "nilderef":
		var p *struct{ x [64]int }
		return uint64(p.x[7])
	case "divzero":
		zero := len(hoard) // 0, but not a constant the compiler could reject
		return uint64(7 / zero)
	case "index":
		return uint64(in[len(in)+3])
	case "bomb": // keep allocating 1 MiB blocks: the Go runtime dies when memory.grow is refused
		for {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 0xab // one write per page makes the host back it with real memory
			}
			hoard = append(hoard, b)
		}
	case "loop":
		for i := 0; ; i++ {
			sink = i
		}
	case "deadlock": // the only goroutine blocks forever
		select {}
	case "sleep": // time.Sleep blocks in WASI poll_oneoff
		t0 := time.Now()
		time.Sleep(5 * time.Second)
		return hand(message("slept_ns", strconv.FormatInt(int64(time.Since(t0)), 10)), false)
	case "exit":
		os.Exit(0)
	case "flood": // 8 MiB on stdout through the os package, no newline
		chunk := []byte(strings.Repeat("g", 1<<20))
		for range 8 {
			os.Stdout.Write(chunk)
		}
		return hand(append([]byte(nil), in...), false)
	case "floodpanic": // exhaust the plugin's log budget, then panic: the panic must still be reported
		chunk := []byte(strings.Repeat("g", 1<<20))
		for range 8 {
			os.Stderr.Write(chunk)
		}
		panic("hostile-go: panic after a flood")
	case "snoop":
		return hand(snoop(), false)
	}
	return fail("unknown mode " + strconv.Quote(string(mode)))
}

// snoop tries to read files and the environment through the os package and reports what it saw.
func snoop() []byte {
	errText := func(err error) string {
		if err == nil {
			return "<nil>"
		}
		return err.Error()
	}
	data, err := os.ReadFile("/etc/passwd")
	_, dirErr := os.ReadDir("/")
	wd, wdErr := os.Getwd()
	home, ok := os.LookupEnv("HOME")
	if !ok {
		home = "<unset>"
	}
	return message(
		"readfile_error", errText(err),
		"readfile_data", string(data),
		"readdir_error", errText(dirErr),
		"getwd", wd+" / "+errText(wdErr),
		"env_HOME", home,
		"environ_count", strconv.Itoa(len(os.Environ())),
	)
}

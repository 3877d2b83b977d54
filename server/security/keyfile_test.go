package security

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	aliceSecret = "alice-secret-0123456789"
	bobSecret   = "bob-secret-0123456789ab"
	carolSecret = "carol-secret-0123456789"
)

func TestKeyFileParsesNamesSecretsCommentsAndBlankLines(t *testing.T) {
	path := tempPath(t, "keys")
	content := "# production keys\n\n  alice " + aliceSecret + "\r\n" +
		"\t# indented comment\n" +
		"bob\t" + bobSecret + "   \n" +
		"svc.ci-1@team:x " + strings.Repeat("é", 16) + "\n" // 16 characters, 32 bytes
	writeFile(t, path, content, time.Now())
	k, err := OpenKeyFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != 3 {
		t.Fatalf("Len = %d, want 3", k.Len())
	}
	for secret, want := range map[string]string{
		aliceSecret: "alice", bobSecret: "bob", strings.Repeat("é", 16): "svc.ci-1@team:x",
	} {
		if name, ok := k.Lookup(secret); !ok || name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", secret, name, ok, want)
		}
	}
	for _, wrong := range []string{"", "alice", aliceSecret[:len(aliceSecret)-1], aliceSecret + "x", " " + aliceSecret, "Bearer " + aliceSecret} {
		if name, ok := k.Lookup(wrong); ok {
			t.Errorf("Lookup(%q) matched %q", wrong, name)
		}
	}
}

func TestKeyFileRejectsBadFiles(t *testing.T) {
	cases := []struct {
		name, content, wantErr string
	}{
		{"duplicate name", "alice " + aliceSecret + "\nalice " + bobSecret + "\n", `line 2: key name "alice" already used on line 1`},
		{"duplicate secret", "alice " + aliceSecret + "\n\nbob " + aliceSecret + "\n", `line 3: key "bob" has the same secret as the key on line 1`},
		{"short secret", "alice " + aliceSecret + "\nbob 0123456789abcde\n", `line 2: secret of key "bob" has 15 characters, want at least 16`},
		{"short multibyte secret", "bob " + strings.Repeat("é", 15) + "\n", `line 1: secret of key "bob" has 15 characters`},
		{"one field", "alice" + aliceSecret + "\n", `line 1: want "<name> <secret>", got 1 fields`},
		{"three fields", "alice " + aliceSecret + " extra\n", `line 1: want "<name> <secret>", got 3 fields`},
		{"bad name", "al/ice " + aliceSecret + "\n", "line 1: key name must be 1 to 64 characters"},
		{"long name", strings.Repeat("n", 65) + " " + aliceSecret + "\n", "line 1: key name must be 1 to 64 characters"},
		{"empty", "", "no keys"},
		{"only comments", "# nothing\n\n   \n#alice " + aliceSecret + "\n", "no keys"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := tempPath(t, "keys")
			writeFile(t, path, c.content, time.Now())
			k, err := OpenKeyFile(path, nil)
			if err == nil {
				t.Fatalf("accepted; %d keys", k.Len())
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %q lacks %q", err, c.wantErr)
			}
			for _, s := range []string{aliceSecret, bobSecret, "0123456789abcde"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func TestKeyFileRejectsMissingAndHugeFiles(t *testing.T) {
	if _, err := OpenKeyFile(tempPath(t, "absent"), nil); err == nil {
		t.Error("missing file accepted")
	}
	path := tempPath(t, "keys")
	huge := "alice " + aliceSecret + "\n" + strings.Repeat("#", maxKeyFileSize)
	writeFile(t, path, huge, time.Now())
	if _, err := OpenKeyFile(path, nil); err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("huge file: err = %v", err)
	}
}

func TestKeyFileReloadsOnChangeAtMostOnceASecond(t *testing.T) {
	clock := newClock()
	logger, logs := newLogger()
	path := tempPath(t, "keys")
	writeFile(t, path, "alice "+aliceSecret+"\nbob "+bobSecret+"\n", clock.Now())
	k, err := openKeyFile(path, logger, clock.Now)
	if err != nil {
		t.Fatal(err)
	}

	// Replace bob by carol; the mtime moves on as it would on a real edit.
	writeFile(t, path, "alice "+aliceSecret+"\ncarol "+carolSecret+"\n", clock.Now().Add(5*time.Second))
	clock.Advance(999 * time.Millisecond)
	if _, ok := k.Lookup(carolSecret); ok {
		t.Fatal("file re-checked before a second had passed")
	}
	clock.Advance(time.Millisecond)
	if name, ok := k.Lookup(carolSecret); !ok || name != "carol" {
		t.Fatalf("new key not seen after reload: %q %v", name, ok)
	}
	if _, ok := k.Lookup(bobSecret); ok {
		t.Error("removed key still accepted")
	}
	if name, ok := k.Lookup(aliceSecret); !ok || name != "alice" {
		t.Error("kept key lost")
	}
	if !strings.Contains(logs.String(), "API key file reloaded") || !strings.Contains(logs.String(), "keys=2") {
		t.Errorf("reload not logged: %s", logs)
	}
}

func TestKeyFileBadRewriteKeepsOldKeysAndLogsOnce(t *testing.T) {
	clock := newClock()
	logger, logs := newLogger()
	path := tempPath(t, "keys")
	writeFile(t, path, "alice "+aliceSecret+"\n", clock.Now())
	k, err := openKeyFile(path, logger, clock.Now)
	if err != nil {
		t.Fatal(err)
	}

	// A typo: the secret is too short. Everyone must keep working.
	writeFile(t, path, "alice "+aliceSecret+"\nbob short\n", clock.Now().Add(time.Second))
	for i := 0; i < 3; i++ {
		clock.Advance(time.Second)
		if name, ok := k.Lookup(aliceSecret); !ok || name != "alice" {
			t.Fatalf("old key lost after a bad rewrite")
		}
	}
	if n := strings.Count(logs.String(), "keeping the previous keys"); n != 1 {
		t.Errorf("bad file logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), `line 2: secret of key \"bob\" has 5 characters`) {
		t.Errorf("log lacks the reason:\n%s", logs)
	}
	if strings.Contains(logs.String(), aliceSecret) {
		t.Error("log reveals a secret")
	}

	// Fixing the file brings the new key in.
	writeFile(t, path, "alice "+aliceSecret+"\nbob "+bobSecret+"\n", clock.Now().Add(time.Second))
	clock.Advance(time.Second)
	if name, ok := k.Lookup(bobSecret); !ok || name != "bob" {
		t.Error("fixed file not loaded")
	}

	// A deleted file keeps the keys too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if _, ok := k.Lookup(bobSecret); !ok {
		t.Error("keys lost when the file vanished")
	}
	if !strings.Contains(logs.String(), "API key file unreadable") {
		t.Errorf("missing file not logged:\n%s", logs)
	}
}

func TestKeyFileSeesRenameWithSameSizeAndTime(t *testing.T) {
	clock := newClock()
	dir := t.TempDir()
	path, next := dir+"/keys", dir+"/keys.new"
	mtime := clock.Now()
	writeFile(t, path, "alice "+aliceSecret+"\n", mtime)
	k, err := openKeyFile(path, nil, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	// Same length, same mtime, new inode: only the identity tells.
	writeFile(t, next, "carol "+carolSecret+"\n", mtime)
	if err := os.Rename(next, path); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if name, ok := k.Lookup(carolSecret); !ok || name != "carol" {
		t.Error("atomic replacement not noticed")
	}
}

func TestKeyFileComparesEveryKeyOnFixedLengthDigests(t *testing.T) {
	path := tempPath(t, "keys")
	writeFile(t, path, "alice "+aliceSecret+"\nbob "+bobSecret+"\ncarol "+carolSecret+"\n", time.Now())
	k, err := OpenKeyFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	orig := secretsEqual
	t.Cleanup(func() { secretsEqual = orig })
	var calls int
	var lengths []int
	secretsEqual = func(a, b []byte) bool {
		calls++
		lengths = append(lengths, len(a), len(b))
		return orig(a, b)
	}

	for _, secret := range []string{aliceSecret, "x", strings.Repeat("long", 1000)} {
		calls, lengths = 0, nil
		k.Lookup(secret)
		if calls != 3 {
			t.Errorf("Lookup(%.10q) compared %d keys, want all 3 (no early exit)", secret, calls)
		}
		for _, n := range lengths {
			if n != 32 {
				t.Errorf("compared %d bytes, want 32-byte SHA-256 digests", n)
			}
		}
	}
}

func TestKeyFileConcurrentLookupsDuringReloads(t *testing.T) {
	clock := newClock()
	path := tempPath(t, "keys")
	writeFile(t, path, "alice "+aliceSecret+"\n", clock.Now())
	k, err := openKeyFile(path, nil, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				if _, ok := k.Lookup(aliceSecret); !ok {
					t.Error("alice rejected during reloads")
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		writeFile(t, path, fmt.Sprintf("alice %s\nk%d %s\n", aliceSecret, i, bobSecret), clock.Now().Add(time.Duration(i+1)*time.Second))
		clock.Advance(time.Second)
		k.Lookup("nothing")
	}
	wg.Wait()
}

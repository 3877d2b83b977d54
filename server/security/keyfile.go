package security

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

const (
	minSecretLen   = 16
	maxKeyNameLen  = 64
	maxKeyFileSize = 1 << 20
)

// KeyFile is a set of API keys read from a file (format in the package
// comment) and re-read when the file changes. It is safe for concurrent use.
type KeyFile struct {
	path   string
	logger *slog.Logger
	now    func() time.Time

	keys atomic.Pointer[keySet]
	// nextCheck (Unix nanoseconds) is when a lookup next stats the file; the
	// goroutine that advances it does the check, the others go on with the
	// current keys.
	nextCheck atomic.Int64

	mu    sync.Mutex // serialises reloads
	stamp fileStamp  // the version last read, good or rejected; under mu
}

// keySet is one parsed version of the file; never modified once published.
type keySet struct {
	names   []string
	digests [][sha256.Size]byte
}

// secretsEqual compares two SHA-256 digests in constant time. It is a
// variable so the tests can check that every key is compared, always on
// fixed-length digests.
var secretsEqual = func(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// OpenKeyFile reads the key file at path. Errors in the file are returned
// with the line number (never the secret). logger reports later reloads; nil
// means slog.Default().
func OpenKeyFile(path string, logger *slog.Logger) (*KeyFile, error) {
	return openKeyFile(path, logger, time.Now)
}

// openKeyFile is OpenKeyFile with a clock, for tests of the reload timing.
func openKeyFile(path string, logger *slog.Logger, now func() time.Time) (*KeyFile, error) {
	if logger == nil {
		logger = slog.Default()
	}
	k := &KeyFile{path: path, logger: logger, now: now}
	set, stamp, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	k.keys.Store(set)
	k.stamp = stamp
	k.nextCheck.Store(k.now().Add(reloadInterval).UnixNano())
	return k, nil
}

// Lookup returns the name of the key whose secret is secret.
func (k *KeyFile) Lookup(secret string) (name string, ok bool) {
	if k == nil {
		return "", false
	}
	k.maybeReload()
	set := k.keys.Load()
	digest := sha256.Sum256([]byte(secret))
	match := -1
	// Compare against every key, with no early exit, so the time taken
	// does not say which (or whether an early) key matched.
	for i := range set.digests {
		if secretsEqual(digest[:], set.digests[i][:]) && match < 0 {
			match = i
		}
	}
	if match < 0 {
		return "", false
	}
	return set.names[match], true
}

// Len is the number of keys in force.
func (k *KeyFile) Len() int {
	if k == nil {
		return 0
	}
	return len(k.keys.Load().names)
}

func (k *KeyFile) maybeReload() {
	now := k.now()
	next := k.nextCheck.Load()
	if now.UnixNano() < next {
		return
	}
	if !k.nextCheck.CompareAndSwap(next, now.Add(reloadInterval).UnixNano()) {
		return // another lookup is checking
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	fi, err := os.Stat(k.path)
	if err != nil {
		if k.stamp.info != nil { // log once, not every second
			k.logger.Error("API key file unreadable; keeping the previous keys", "path", k.path, "err", err)
			k.stamp = fileStamp{}
		}
		return
	}
	if stampOf(fi).same(k.stamp) {
		return
	}
	set, stamp, err := readKeyFile(k.path)
	if err != nil {
		// Remember the rejected version so it is reported once; the next
		// edit changes the stamp and is tried again.
		k.stamp = stamp
		k.logger.Error("API key file not reloaded; keeping the previous keys", "path", k.path, "err", err)
		return
	}
	k.keys.Store(set)
	k.stamp = stamp
	k.logger.Info("API key file reloaded", "path", k.path, "keys", len(set.names))
}

// readKeyFile reads and parses one version of the file. The stamp comes from
// the open file, so it describes the bytes that were read.
func readKeyFile(path string) (*keySet, fileStamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("API key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("API key file: %w", err)
	}
	stamp := stampOf(fi)
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, stamp, fmt.Errorf("API key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, stamp, fmt.Errorf("API key file %s: larger than %d bytes", path, maxKeyFileSize)
	}
	set, err := parseKeys(string(data))
	if err != nil {
		return nil, stamp, fmt.Errorf("API key file %s: %w", path, err)
	}
	return set, stamp, nil
}

// parseKeys parses the file format. Messages name lines and key names but
// never secrets, since they end up in logs.
func parseKeys(text string) (*keySet, error) {
	set := &keySet{}
	nameLine := map[string]int{}
	secretLine := map[[sha256.Size]byte]int{}
	for i, line := range strings.Split(text, "\n") {
		lineNo := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"<name> <secret>\", got %d fields", lineNo, len(fields))
		}
		name, secret := fields[0], fields[1]
		if !validKeyName(name) {
			return nil, fmt.Errorf("line %d: key name must be 1 to %d characters from letters, digits and . _ - @ :",
				lineNo, maxKeyNameLen)
		}
		if prev, dup := nameLine[name]; dup {
			return nil, fmt.Errorf("line %d: key name %q already used on line %d", lineNo, name, prev)
		}
		if n := utf8.RuneCountInString(secret); n < minSecretLen {
			return nil, fmt.Errorf("line %d: secret of key %q has %d characters, want at least %d",
				lineNo, name, n, minSecretLen)
		}
		digest := sha256.Sum256([]byte(secret))
		if prev, dup := secretLine[digest]; dup {
			return nil, fmt.Errorf("line %d: key %q has the same secret as the key on line %d", lineNo, name, prev)
		}
		nameLine[name] = lineNo
		secretLine[digest] = lineNo
		set.names = append(set.names, name)
		set.digests = append(set.digests, digest)
	}
	if len(set.names) == 0 {
		return nil, errors.New("no keys (want lines of \"<name> <secret>\")")
	}
	return set, nil
}

func validKeyName(name string) bool {
	if name == "" || len(name) > maxKeyNameLen {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("._-@:", r):
		default:
			return false
		}
	}
	return true
}

package security

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// TLSConfig loads the certificate and key pair (PEM files) and returns a
// server configuration with TLS 1.2 as the minimum. The pair is re-read
// when either file changes (checked at most once a second, during
// handshakes), so a rotated certificate is served without a restart; a pair
// that fails to load (say the certificate was replaced but not yet its key)
// is logged and the previous one kept, and the load is retried on later
// handshakes until it succeeds.
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	r, err := newCertReloader(certFile, keyFile, time.Now, slog.Default())
	if err != nil {
		return nil, err
	}
	return r.config(), nil
}

// certReloader serves the current certificate, re-reading the files when
// they change.
type certReloader struct {
	certFile, keyFile string
	now               func() time.Time
	logger            *slog.Logger

	cert      atomic.Pointer[tls.Certificate]
	nextCheck atomic.Int64 // Unix nanoseconds; see KeyFile.nextCheck

	mu                  sync.Mutex // serialises reloads; guards the fields below
	certStamp, keyStamp fileStamp  // of the pair being served
	lastFailure         string     // what the last failed reload saw, to log it once
}

func newCertReloader(certFile, keyFile string, now func() time.Time, logger *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, now: now, logger: logger}
	cs, ks, err := r.stamps()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	r.cert.Store(&cert)
	r.certStamp, r.keyStamp = cs, ks
	r.nextCheck.Store(now().Add(reloadInterval).UnixNano())
	return r, nil
}

func (r *certReloader) config() *tls.Config {
	// No Certificates: with them set, Go would use them for clients that
	// send no server name and GetCertificate would never be asked.
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.getCertificate,
	}
}

func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.maybeReload()
	return r.cert.Load(), nil
}

func (r *certReloader) stamps() (cert, key fileStamp, err error) {
	cfi, err := os.Stat(r.certFile)
	if err != nil {
		return cert, key, fmt.Errorf("TLS certificate: %w", err)
	}
	kfi, err := os.Stat(r.keyFile)
	if err != nil {
		return cert, key, fmt.Errorf("TLS key: %w", err)
	}
	return stampOf(cfi), stampOf(kfi), nil
}

func (r *certReloader) maybeReload() {
	now := r.now()
	next := r.nextCheck.Load()
	if now.UnixNano() < next || !r.nextCheck.CompareAndSwap(next, now.Add(reloadInterval).UnixNano()) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cs, ks, err := r.stamps()
	if err != nil {
		r.logOnce(fileStamp{}, fileStamp{}, err)
		return
	}
	if cs.same(r.certStamp) && ks.same(r.keyStamp) {
		return
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.logOnce(cs, ks, fmt.Errorf("TLS certificate: %w", err))
		return
	}
	r.cert.Store(&cert)
	r.certStamp, r.keyStamp = cs, ks
	r.lastFailure = ""
	r.logger.Info("TLS certificate reloaded", "cert", r.certFile, "key", r.keyFile)
}

// logOnce reports a failed reload unless the same failure on the same file
// versions was just reported (the load is retried every second); the caller
// holds mu.
func (r *certReloader) logOnce(cs, ks fileStamp, err error) {
	seen := fmt.Sprintf("%v %d %v %d %v", cs.modTime, cs.size, ks.modTime, ks.size, err)
	if seen == r.lastFailure {
		return
	}
	r.lastFailure = seen
	r.logger.Error("TLS certificate not reloaded; keeping the previous one", "cert", r.certFile, "key", r.keyFile, "err", err)
}

package security

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCert is a self-signed certificate for gonyx.test and 127.0.0.1.
type testCert struct {
	certPEM, keyPEM string
	cert            *x509.Certificate
}

func newTestCert(t *testing.T, serial int64) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "gonyx test"},
		DNSNames:     []string{"gonyx.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})),
		cert:    cert,
	}
}

func (c testCert) write(t *testing.T, certFile, keyFile string, mtime time.Time) {
	writeFile(t, certFile, c.certPEM, mtime)
	writeFile(t, keyFile, c.keyPEM, mtime)
}

// servedSerial makes a fresh TLS connection (no keep-alive, so every call
// is a new handshake) and returns the serial of the certificate served.
func servedSerial(t *testing.T, url, serverName string, roots ...testCert) int64 {
	t.Helper()
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c.cert)
	}
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: serverName},
		DisableKeepAlives: true,
	}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
}

func TestTLSConfigServesThePairOverHTTPTest(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	a := newTestCert(t, 1001)
	a.write(t, certFile, keyFile, time.Now())
	cfg, err := TLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", cfg.MinVersion)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()
	// httptest adds its own certificate to Certificates, which Go prefers
	// when the client sends no server name; naming the server routes the
	// handshake through GetCertificate, as it always is in production.
	if got := servedSerial(t, srv.URL, "gonyx.test", a); got != 1001 {
		t.Errorf("served serial %d, want 1001", got)
	}

	// TLS 1.1 clients are refused by the server.
	old := &tls.Config{ServerName: "gonyx.test", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true}
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), old)
	if err == nil {
		conn.Close()
		t.Error("TLS 1.1 handshake succeeded")
	} else if !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.1 handshake failed for another reason: %v", err)
	}
}

func TestTLSConfigServesClientsWithoutServerName(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	a := newTestCert(t, 7)
	a.write(t, certFile, keyFile, time.Now())
	cfg, err := TLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	// The way the server runs it: http.Server.ServeTLS with no files.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), TLSConfig: cfg}
	go srv.ServeTLS(lis, "", "")
	defer srv.Close()
	if got := servedSerial(t, "https://"+lis.Addr().String(), "", a); got != 7 {
		t.Errorf("served serial %d, want 7", got)
	}
}

func TestTLSConfigRejectsBadPairs(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if _, err := TLSConfig(certFile, keyFile); err == nil {
		t.Error("missing files accepted")
	}
	a, b := newTestCert(t, 1), newTestCert(t, 2)
	writeFile(t, certFile, a.certPEM, time.Now())
	writeFile(t, keyFile, b.keyPEM, time.Now())
	if _, err := TLSConfig(certFile, keyFile); err == nil || !strings.Contains(err.Error(), "private key does not match") {
		t.Errorf("mismatched pair: %v", err)
	}
}

func TestTLSCertificateReloadsAfterRotation(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	clock := newClock()
	logger, logs := newLogger()
	a, b, c := newTestCert(t, 1), newTestCert(t, 2), newTestCert(t, 3)
	a.write(t, certFile, keyFile, clock.Now())
	r, err := newCertReloader(certFile, keyFile, clock.Now, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = r.config()
	srv.StartTLS()
	defer srv.Close()
	serial := func() int64 { return servedSerial(t, srv.URL, "gonyx.test", a, b, c) }
	if got := serial(); got != 1 {
		t.Fatalf("initial serial %d, want 1", got)
	}

	b.write(t, certFile, keyFile, clock.Now().Add(time.Minute))
	if got := serial(); got != 1 {
		t.Errorf("files re-checked within the second: serial %d", got)
	}
	clock.Advance(time.Second)
	if got := serial(); got != 2 {
		t.Fatalf("after rotation: serial %d, want 2", got)
	}

	// Half-way through a rotation (new certificate, old key) the pair does
	// not match: keep serving b, log once, and pick c up once its key lands.
	writeFile(t, certFile, c.certPEM, clock.Now().Add(2*time.Minute))
	for i := 0; i < 3; i++ {
		clock.Advance(time.Second)
		if got := serial(); got != 2 {
			t.Fatalf("during a half rotation: serial %d, want 2 (kept)", got)
		}
	}
	if n := strings.Count(logs.String(), "TLS certificate not reloaded"); n != 1 {
		t.Errorf("failed reload logged %d times, want once:\n%s", n, logs)
	}
	writeFile(t, keyFile, c.keyPEM, clock.Now().Add(2*time.Minute))
	clock.Advance(time.Second)
	if got := serial(); got != 3 {
		t.Errorf("after the key arrived: serial %d, want 3", got)
	}

	// Garbage keeps the last good pair too.
	writeFile(t, certFile, "not a certificate", clock.Now().Add(3*time.Minute))
	clock.Advance(time.Second)
	if got := serial(); got != 3 {
		t.Errorf("after garbage: serial %d, want 3", got)
	}
}

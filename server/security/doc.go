// Package security guards the model server's front ends: API keys, per-key
// (or per-client) rate limits, CORS, request body size limits and TLS with
// certificate rotation.
//
// # API key file
//
// Keys live in a text file, one key per line:
//
//	# comments and blank lines are ignored
//	<name> <secret>
//
// The name identifies the key in logs, metrics and rate limits; it is 1 to 64
// characters from letters, digits and . _ - @ : and must be unique. The
// secret is any run of non-space characters, at least 16 characters long,
// and no two keys may share one. The file must hold at least one key and at
// most 1 MiB. Clients send the secret as "Authorization: Bearer <secret>"
// (HTTP header or gRPC metadata).
//
// The file is re-read when it changes (its modification time, size or
// identity, checked at most once a second during lookups), so keys can be
// added and revoked without a restart. A new version that does not parse is
// logged and ignored: the previous keys stay in force, so a typo never locks
// every client out. Replace the file atomically (write a new file, then
// rename it over the old one) so a half-written file is never read.
//
// Secrets are compared in constant time over their SHA-256 digests, so
// neither the content nor the length of a key leaks through timing.
//
// # Wiring
//
// Wrap the HTTP handler as CORS.Middleware(Guard.Middleware(...)) with CORS
// outermost: browsers send preflight requests without credentials, so they
// must be answered before the key check. Health and metrics requests are
// never rate limited, so probes and scrapes keep working under load.
package security

package rest

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/gonyx/gonyx/server/infer"
)

// bodyPrealloc bounds how much a declared Content-Length may make us
// allocate before the bytes arrive: a client claiming 64 MiB and sending
// nothing should not cost 64 MiB per connection.
const bodyPrealloc = 8 << 20

// readBody reads the whole body, at most MaxBodyBytes of it.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := h.opts.MaxBodyBytes
	body, err := readLimited(w, r, limit)
	if infer.CodeOf(err) == infer.TooLarge {
		// The rest of the body stays unread: close the connection rather
		// than have the server drain it. (MaxBytesReader would ask for
		// this itself, but cannot see net/http's writer behind ours.)
		w.Header().Set("Connection", "close")
	}
	return body, err
}

func readLimited(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	rd := http.MaxBytesReader(w, r.Body, limit)
	if n := r.ContentLength; n >= 0 && n <= bodyPrealloc {
		// net/http ends the body at Content-Length, so exactly n bytes come.
		buf := make([]byte, n)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, bodyError(err, limit)
		}
		return buf, nil
	}
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 {
		buf.Grow(int(min(n, bodyPrealloc)))
	}
	if _, err := buf.ReadFrom(rd); err != nil {
		return nil, bodyError(err, limit)
	}
	return buf.Bytes(), nil
}

func tooLarge(limit int64) error {
	return infer.Errorf(infer.TooLarge, "request body is larger than the limit of %d bytes", limit)
}

func bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(limit)
	}
	return &infer.Error{Code: infer.InvalidArgument, Msg: "request body is truncated or unreadable", Err: err}
}

// checkDepth rejects JSON nested deeper than max before a decoder (whose
// own limit is 10000) recurses into it. It only tracks brackets outside
// strings; the decoder checks everything else.
func checkDepth(b []byte, max int) error {
	depth := 0
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++ // skip the escaped character, which may be a quote
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > max {
				return infer.Errorf(infer.InvalidArgument, "JSON is nested more than %d levels deep", max)
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}

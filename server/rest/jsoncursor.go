package rest

import (
	"encoding/json"
	"errors"
	"fmt"
)

// jsonCursor is a small validating JSON lexer over a byte slice. The infer
// and predict bodies are walked with it instead of encoding/json, so a
// big tensor's data is scanned once to find its end and once to decode
// it, with no reflection and no allocation per element.
type jsonCursor struct {
	b        []byte
	pos      int
	maxDepth int // 0 = unlimited
}

var (
	errMalformedNumber = errors.New("malformed number")
	errTruncated       = errors.New("JSON ends too early")
)

// tooDeepError reports nesting beyond maxDepth.
type tooDeepError struct{ max int }

func (e tooDeepError) Error() string {
	return fmt.Sprintf("JSON is nested more than %d levels deep", e.max)
}

func (c *jsonCursor) peek() byte {
	if c.pos < len(c.b) {
		return c.b[c.pos]
	}
	return 0
}

func (c *jsonCursor) done() bool { return c.pos >= len(c.b) }

func (c *jsonCursor) skipSpace() {
	for c.pos < len(c.b) {
		switch c.b[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *jsonCursor) literal(word string) bool {
	if len(c.b)-c.pos >= len(word) && string(c.b[c.pos:c.pos+len(word)]) == word {
		c.pos += len(word)
		return true
	}
	return false
}

// numberLiteral scans a number exactly as JSON's grammar has it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (c *jsonCursor) numberLiteral() ([]byte, error) {
	start := c.pos
	if c.peek() == '-' {
		c.pos++
	}
	switch d := c.peek(); {
	case d == '0':
		c.pos++
	case d >= '1' && d <= '9':
		c.digits()
	default:
		return nil, errMalformedNumber
	}
	if c.peek() == '.' {
		c.pos++
		if !c.digits() {
			return nil, errMalformedNumber
		}
	}
	if e := c.peek(); e == 'e' || e == 'E' {
		c.pos++
		if s := c.peek(); s == '+' || s == '-' {
			c.pos++
		}
		if !c.digits() {
			return nil, errMalformedNumber
		}
	}
	return c.b[start:c.pos], nil
}

func (c *jsonCursor) digits() bool {
	start := c.pos
	for c.pos < len(c.b) && c.b[c.pos] >= '0' && c.b[c.pos] <= '9' {
		c.pos++
	}
	return c.pos > start
}

// stringSpan validates the string at pos and returns it with its quotes,
// and whether it contains escapes.
func (c *jsonCursor) stringSpan() (span []byte, escaped bool, err error) {
	start := c.pos
	for i := start + 1; i < len(c.b); i++ {
		switch ch := c.b[i]; {
		case ch == '"':
			c.pos = i + 1
			return c.b[start:c.pos], escaped, nil
		case ch == '\\':
			escaped = true
			if i+1 >= len(c.b) {
				return nil, false, errors.New("unterminated string")
			}
			i++
			switch c.b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(c.b) || !isHex(c.b[i+1]) || !isHex(c.b[i+2]) || !isHex(c.b[i+3]) || !isHex(c.b[i+4]) {
					return nil, false, errors.New(`malformed \u escape in string`)
				}
				i += 4
			default:
				return nil, false, errors.New("malformed escape in string")
			}
		case ch < 0x20:
			return nil, false, errors.New("control character in string")
		}
	}
	return nil, false, errors.New("unterminated string")
}

func isHex(ch byte) bool {
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')
}

// stringValue reads a string. Plain strings are copied as they are (bytes
// that are not UTF-8 included: BYTES are bytes); escaped ones go through
// encoding/json, which knows every escape and surrogate pair.
func (c *jsonCursor) stringValue() (string, error) {
	span, escaped, err := c.stringSpan()
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(span[1 : len(span)-1]), nil
	}
	var s string
	if err := json.Unmarshal(span, &s); err != nil {
		return "", errors.New("malformed string")
	}
	return s, nil
}

// skipValue validates and skips one value. depth is the nesting level an
// array or object at pos would have.
func (c *jsonCursor) skipValue(depth int) error {
	c.skipSpace()
	if c.done() {
		return errTruncated
	}
	switch ch := c.b[c.pos]; {
	case ch == '{':
		if err := c.checkDepth(depth); err != nil {
			return err
		}
		return c.object(func(string) error { return c.skipValue(depth + 1) })
	case ch == '[':
		if err := c.checkDepth(depth); err != nil {
			return err
		}
		return c.array(func() error { return c.skipValue(depth + 1) })
	case ch == '"':
		_, _, err := c.stringSpan()
		return err
	case ch == '-' || (ch >= '0' && ch <= '9'):
		_, err := c.numberLiteral()
		return err
	case c.literal("true"), c.literal("false"), c.literal("null"):
		return nil
	}
	return c.unexpected("a value")
}

func (c *jsonCursor) checkDepth(depth int) error {
	if c.maxDepth > 0 && depth > c.maxDepth {
		return tooDeepError{c.maxDepth}
	}
	return nil
}

// span validates the value at pos and returns its bytes.
func (c *jsonCursor) span(depth int) ([]byte, error) {
	c.skipSpace()
	start := c.pos
	if err := c.skipValue(depth); err != nil {
		return nil, err
	}
	return c.b[start:c.pos], nil
}

// array reads '[' elem (',' elem)* ']' with pos at '[', calling elem with
// pos at each element's first byte; elem must consume the element.
func (c *jsonCursor) array(elem func() error) error {
	c.pos++ // '['
	c.skipSpace()
	if c.done() {
		return errTruncated
	}
	if c.b[c.pos] == ']' {
		c.pos++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		c.skipSpace()
		if c.done() {
			return errTruncated
		}
		switch c.b[c.pos] {
		case ',':
			c.pos++
			c.skipSpace()
			if c.done() {
				return errTruncated
			}
		case ']':
			c.pos++
			return nil
		default:
			return c.unexpected("',' or ']'")
		}
	}
}

// object reads '{' "key": value (',' ...)* '}' with pos at '{', calling
// field for each key with pos at the value; field must consume the value.
func (c *jsonCursor) object(field func(key string) error) error {
	c.pos++ // '{'
	c.skipSpace()
	if c.peek() == '}' {
		c.pos++
		return nil
	}
	for {
		c.skipSpace()
		if c.peek() != '"' {
			return c.unexpected("a string key")
		}
		key, err := c.stringValue()
		if err != nil {
			return err
		}
		c.skipSpace()
		if c.peek() != ':' {
			return c.unexpected("':'")
		}
		c.pos++
		c.skipSpace()
		if c.done() {
			return errTruncated
		}
		if err := field(key); err != nil {
			return err
		}
		c.skipSpace()
		switch c.peek() {
		case ',':
			c.pos++
		case '}':
			c.pos++
			return nil
		default:
			return c.unexpected("',' or '}'")
		}
	}
}

// end checks that nothing but white space follows.
func (c *jsonCursor) end() error {
	c.skipSpace()
	if !c.done() {
		return c.unexpected("the end")
	}
	return nil
}

func (c *jsonCursor) unexpected(want string) error {
	if c.done() {
		return fmt.Errorf("expected %s, got the end of the JSON", want)
	}
	return fmt.Errorf("expected %s at byte %d, got %q", want, c.pos, c.b[c.pos])
}

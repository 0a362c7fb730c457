package events

import (
	"errors"
	"fmt"
	"strconv"
)

// splitObject walks the members of a JSON object without decoding their
// values, so that each section can go to its own typed decoder and unknown
// ones can be kept raw. Values are validated by their decoders, not here.
func splitObject(b []byte, fn func(key string, val []byte) error) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return ErrNotObject
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return trailing(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return syntaxErr(b, i, "expected a member name")
		}
		end, err := skipString(b, i)
		if err != nil {
			return err
		}
		key := string(b[i+1 : end-1])
		if hasEscape(b[i+1 : end-1]) {
			if key, err = strconv.Unquote(string(b[i:end])); err != nil {
				return syntaxErr(b, i, "bad member name")
			}
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return syntaxErr(b, i, "expected ':'")
		}
		i = skipWS(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if err := fn(key, b[i:vend]); err != nil {
			return err
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return syntaxErr(b, i, "unexpected end of object")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return trailing(b, i+1)
		default:
			return syntaxErr(b, i, "expected ',' or '}'")
		}
	}
}

func trailing(b []byte, i int) error {
	if i = skipWS(b, i); i != len(b) {
		return syntaxErr(b, i, "unexpected data after the object")
	}
	return nil
}

func syntaxErr(b []byte, i int, msg string) error {
	if i >= len(b) {
		return fmt.Errorf("invalid JSON at end of input: %s", msg)
	}
	return fmt.Errorf("invalid JSON at offset %d: %s", i, msg)
}

func hasEscape(s []byte) bool {
	for _, c := range s {
		if c == '\\' {
			return true
		}
	}
	return false
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset just past the string starting at b[i].
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errors.New("invalid JSON: unterminated string")
}

// skipValue returns the offset just past the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, syntaxErr(b, i, "expected a value")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, syntaxErr(b, len(b), "unterminated object or array")
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			j++
		}
		if j == i {
			return 0, syntaxErr(b, i, "expected a value")
		}
		return j, nil
	}
}

package tokenizer

import "unicode/utf8"

// replacement is U+FFFD, what an invalid UTF-8 sequence reads as.
const replacement = "\uFFFD"

// invalidLen tells how many bytes at the start of s, which does not begin
// with a valid UTF-8 sequence, make one "maximal subpart" (Unicode §3.9): the
// longest prefix of a well-formed sequence, at least one byte. truncated is
// true when those bytes are a well-formed prefix that only ran out of input,
// so that more bytes could still complete it.
func invalidLen(s []byte) (n int, truncated bool) {
	c := s[0]
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1, false
	}
	n = 1
	for k := 0; k < need; k++ {
		if n == len(s) {
			return n, true
		}
		b := s[n]
		if k > 0 {
			lo, hi = 0x80, 0xBF
		}
		if b < lo || b > hi {
			return n, false
		}
		n++
	}
	// Unreachable for an invalid start: the whole sequence would be valid.
	return n, false
}

// validUTF8 returns s with every maximal subpart of an ill-formed sequence
// replaced by U+FFFD, the way WHATWG's TextDecoder, Node's Buffer and Rust's
// String::from_utf8_lossy read bytes. Valid input is returned as is.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(appendValid(make([]byte, 0, len(s)+8), []byte(s), true))
}

// appendValid appends src to dst with ill-formed sequences replaced by
// U+FFFD (see validUTF8). When final is false, a well-formed but incomplete
// sequence at the end of src is left out; the caller keeps it for later. It
// returns the extended dst.
func appendValid(dst, src []byte, final bool) []byte {
	out, _ := appendValidRest(dst, src, final)
	return out
}

// appendValidRest is appendValid that also returns how many bytes of src it
// consumed (all of them when final is true).
func appendValidRest(dst, src []byte, final bool) ([]byte, int) {
	i := 0
	for i < len(src) {
		c := src[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(src[i:])
		if r != utf8.RuneError || n > 1 {
			dst = append(dst, src[i:i+n]...)
			i += n
			continue
		}
		n, truncated := invalidLen(src[i:])
		if truncated && !final {
			return dst, i
		}
		dst = append(dst, replacement...)
		i += n
	}
	return dst, i
}

// validString is validUTF8 for byte slices, returning a string.
func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendValid(make([]byte, 0, len(b)+8), b, true))
}

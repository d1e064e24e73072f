package tokenizer

// byteLevelTables returns GPT-2's byte-to-character map ("bytes_to_unicode")
// and its inverse. The printable bytes '!'..'~', '¡'..'¬' and '®'..'ÿ' stand
// for themselves; the other 68 bytes map, in order, to U+0100 onwards, so
// that every byte is a visible character (a space is 'Ġ', U+0120).
// The inverse is indexed by rune and holds -1 for runes no byte maps to.
func byteLevelTables() (enc [256]rune, dec []int16) {
	n := rune(0)
	for b := 0; b < 256; b++ {
		switch {
		case b >= '!' && b <= '~', b >= 0xA1 && b <= 0xAC, b >= 0xAE && b <= 0xFF:
			enc[b] = rune(b)
		default:
			enc[b] = 256 + n
			n++
		}
	}
	dec = make([]int16, 256+n)
	for i := range dec {
		dec[i] = -1
	}
	for b, r := range enc {
		dec[r] = int16(b)
	}
	return enc, dec
}

// byteLevelString maps each byte of s to its byte-level character.
func byteLevelString(enc *[256]rune, s string) string {
	buf := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		buf[i] = enc[s[i]]
	}
	return string(buf)
}

// byteLevelBytes appends to dst the bytes that the byte-level characters of
// tok stand for, or tok's own UTF-8 bytes when one of its characters is not a
// byte-level character (as Hugging Face's ByteLevel decoder does per token).
func byteLevelBytes(dec []int16, dst []byte, tok string) []byte {
	start := len(dst)
	for _, r := range tok {
		if r < 0 || int(r) >= len(dec) || dec[r] < 0 {
			return append(dst[:start], tok...)
		}
		dst = append(dst, byte(dec[r]))
	}
	return dst
}

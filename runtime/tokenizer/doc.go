// Package tokenizer turns text into token ids and back, in pure Go (no cgo;
// it runs natively and in WebAssembly), for the two kinds of tokenizer an
// xLSTM model comes with:
//
//   - a Hugging Face tokenizer.json with a byte-level BPE model, such as the
//     GPT-NeoX tokenizer of xLSTM-7B, GPT-2's, or Llama-3's, giving the same
//     ids as Hugging Face's tokenizers library;
//   - the byte tokenizer of byte-level models: ids 0-255 are the bytes, then
//     special tokens.
//
// Both are a *Tokenizer, made by Parse from the bytes of a tokenizer file or
// by Load from its path. A file is a byte tokenizer when its top-level object
// has "type": "byte" (see ByteSpec), and a tokenizer.json otherwise, so a
// model bundle carries either kind the same way: as the bytes of one file,
// given to Parse.
//
// # tokenizer.json
//
// Supported: the BPE model (merges as "a b" strings or ["a", "b"] pairs,
// ignore_merges, unk_token, fuse_unk), the NFC, NFKC, NFD and NFKD
// normalizers and Sequence, the ByteLevel pre-tokenizer (add_prefix_space,
// use_regex), Split with a Regex or String pattern (all five behaviours,
// invert), Sequence, added and special tokens (single_word, lstrip, rstrip,
// normalized), the TemplateProcessing, ByteLevel, RobertaProcessing,
// BertProcessing and Sequence post-processors, and the ByteLevel decoder.
// Anything else is an error naming the kind. Truncation and padding are
// ignored: Encode returns every id.
//
// Split patterns are Oniguruma's, run by Go's regexp: \s, \d and \w keep
// their Unicode meaning, and an alternative C+(?!Y) (as in \s+(?!\S)) is
// emulated exactly; other look-around, anchors and back-references are
// refused with an error. The GPT-2 pattern has a hand-written splitter.
//
// Text is UTF-8. Invalid UTF-8 given to a tokenizer.json tokenizer reads as
// U+FFFD, one per maximal ill-formed subpart (as WHATWG's TextDecoder,
// Node's Buffer and Rust's String::from_utf8_lossy read it), so ids equal
// Hugging Face's for the text those decoders make of the bytes. The byte
// tokenizer encodes bytes as they are.
//
// A Tokenizer is safe for concurrent use: its only mutable part, the cache
// of words already split by the BPE model, is locked.
package tokenizer

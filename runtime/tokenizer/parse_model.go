package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// hfModel is the "model" of a tokenizer.json.
type hfModel struct {
	Type                    string           `json:"type"`
	Dropout                 *float64         `json:"dropout"`
	UnkToken                *string          `json:"unk_token"`
	ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
	FuseUnk                 bool             `json:"fuse_unk"`
	ByteFallback            bool             `json:"byte_fallback"`
	IgnoreMerges            bool             `json:"ignore_merges"`
	Vocab                   map[string]int64 `json:"vocab"`
	Merges                  json.RawMessage  `json:"merges"`
}

// parseBPE builds the BPE model.
func parseBPE(raw json.RawMessage, byteLevel bool) (*bpeModel, error) {
	var v hfModel
	if err := decodeStrict(raw, &v, "model"); err != nil {
		return nil, err
	}
	if v.Type == "" && v.Vocab != nil && v.Merges != nil {
		v.Type = "BPE"
	}
	switch {
	case v.Type != "BPE":
		return nil, fmt.Errorf("model: unsupported model type %q (supported: BPE)", v.Type)
	case v.Dropout != nil && *v.Dropout != 0:
		return nil, fmt.Errorf("model: BPE dropout %v is not supported (encoding must be deterministic)", *v.Dropout)
	case v.ContinuingSubwordPrefix != nil && *v.ContinuingSubwordPrefix != "":
		return nil, fmt.Errorf("model: BPE continuing_subword_prefix %q is not supported", *v.ContinuingSubwordPrefix)
	case v.EndOfWordSuffix != nil && *v.EndOfWordSuffix != "":
		return nil, fmt.Errorf("model: BPE end_of_word_suffix %q is not supported", *v.EndOfWordSuffix)
	case v.ByteFallback:
		return nil, errors.New("model: BPE byte_fallback is not supported")
	}
	m := &bpeModel{
		vocab:        make(map[string]int32, len(v.Vocab)),
		unk:          -1,
		fuseUnk:      v.FuseUnk,
		ignoreMerges: v.IgnoreMerges,
		byteLevel:    byteLevel,
		cache:        wordCache{m: map[string][]int32{}},
	}
	for s, id := range v.Vocab {
		if id < 0 || id >= int64(len(v.Vocab))+maxIDGap {
			return nil, fmt.Errorf("model: vocab: token %q has id %d, outside [0, %d)", s, id, int64(len(v.Vocab))+maxIDGap)
		}
		m.vocab[s] = int32(id)
	}
	if v.UnkToken != nil {
		id, ok := m.vocab[*v.UnkToken]
		if !ok {
			return nil, fmt.Errorf("model: unk_token %q is not in the vocab", *v.UnkToken)
		}
		m.unk = id
	}
	pairs, err := parseMerges(v.Merges)
	if err != nil {
		return nil, err
	}
	m.merges = make(map[uint64]uint64, len(pairs))
	for i, p := range pairs {
		a, okA := m.vocab[p[0]]
		b, okB := m.vocab[p[1]]
		c, okC := m.vocab[p[0]+p[1]]
		switch {
		case !okA:
			return nil, fmt.Errorf("model: merges[%d]: %q is not in the vocab", i, p[0])
		case !okB:
			return nil, fmt.Errorf("model: merges[%d]: %q is not in the vocab", i, p[1])
		case !okC:
			return nil, fmt.Errorf("model: merges[%d]: the merged token %q is not in the vocab", i, p[0]+p[1])
		}
		m.merges[pairKey(a, b)] = uint64(i)<<32 | uint64(uint32(c))
	}
	m.byteEnc, _ = byteLevelTables()
	for b, r := range m.byteEnc {
		m.byteIDs[b] = -1
		if id, ok := m.vocab[string(r)]; ok {
			m.byteIDs[b] = id
		}
	}
	return m, nil
}

// parseMerges reads merges as "a b" strings or as ["a", "b"] pairs.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		out := make([][2]string, len(strs))
		for i, s := range strs {
			a, b, ok := strings.Cut(s, " ")
			if !ok || strings.Contains(b, " ") {
				return nil, fmt.Errorf("model: merges[%d] %q: want two tokens separated by one space", i, s)
			}
			out[i] = [2]string{a, b}
		}
		return out, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, errors.New(`model: merges: want ["a b", ...] or [["a", "b"], ...]`)
	}
	out := make([][2]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("model: merges[%d]: a pair has %d tokens, want 2", i, len(p))
		}
		out[i] = [2]string{p[0], p[1]}
	}
	return out, nil
}

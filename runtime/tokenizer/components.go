package tokenizer

import (
	"encoding/json"
	"fmt"

	"golang.org/x/text/unicode/norm"
)

// unicodeNormalizer returns the NFC, NFD, NFKC or NFKD normalizer.
func unicodeNormalizer(typ string) func(string) string {
	f := map[string]norm.Form{"NFC": norm.NFC, "NFD": norm.NFD, "NFKC": norm.NFKC, "NFKD": norm.NFKD}[typ]
	return func(s string) string {
		if f.IsNormalString(s) {
			return s
		}
		return f.String(s)
	}
}

// parsePost reads the post-processor as the ids it puts before and after
// a single sequence's ids.
func parsePost(raw json.RawMessage, what string) (prefix, suffix []int, err error) {
	typ, err := typeOf(raw, what)
	if err != nil || typ == "" {
		return nil, nil, err
	}
	switch typ {
	case "ByteLevel":
		return nil, nil, nil // it only trims offsets
	case "TemplateProcessing":
		return parseTemplate(raw, what)
	case "RobertaProcessing", "BertProcessing":
		var v struct {
			Sep []json.RawMessage `json:"sep"`
			Cls []json.RawMessage `json:"cls"`
		}
		if err := decodeStrict(raw, &v, what); err != nil {
			return nil, nil, err
		}
		cls, err := tokenPairID(v.Cls, what+".cls")
		if err != nil {
			return nil, nil, err
		}
		sep, err := tokenPairID(v.Sep, what+".sep")
		if err != nil {
			return nil, nil, err
		}
		return []int{cls}, []int{sep}, nil
	case "Sequence":
		var v struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := decodeStrict(raw, &v, what); err != nil {
			return nil, nil, err
		}
		for i, r := range v.Processors {
			p, s, err := parsePost(r, fmt.Sprintf("%s.processors[%d]", what, i))
			if err != nil {
				return nil, nil, err
			}
			prefix = append(append([]int(nil), p...), prefix...)
			suffix = append(suffix, s...)
		}
		return prefix, suffix, nil
	}
	return nil, nil, fmt.Errorf("%s: unsupported post-processor type %q (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)", what, typ)
}

// tokenPairID reads the id of a ["token", id] pair.
func tokenPairID(pair []json.RawMessage, what string) (int, error) {
	var id int
	if len(pair) != 2 || json.Unmarshal(pair[1], &id) != nil || id < 0 {
		return 0, fmt.Errorf("%s: want [\"token\", id]", what)
	}
	return id, nil
}

// parseTemplate reads a TemplateProcessing's "single" template.
func parseTemplate(raw json.RawMessage, what string) (prefix, suffix []int, err error) {
	type piece struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	}
	var v struct {
		Single        []piece `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := decodeStrict(raw, &v, what); err != nil {
		return nil, nil, err
	}
	seen := false
	for i, p := range v.Single {
		switch {
		case p.Sequence != nil && p.SpecialToken == nil:
			if p.Sequence.ID != "A" || seen {
				return nil, nil, fmt.Errorf("%s.single[%d]: a single template holds sequence A once, not %q", what, i, p.Sequence.ID)
			}
			seen = true
		case p.SpecialToken != nil && p.Sequence == nil:
			st, ok := v.SpecialTokens[p.SpecialToken.ID]
			if !ok {
				return nil, nil, fmt.Errorf("%s.single[%d]: special token %q is not in special_tokens", what, i, p.SpecialToken.ID)
			}
			for _, id := range st.IDs {
				if id < 0 {
					return nil, nil, fmt.Errorf("%s.special_tokens[%q]: negative id %d", what, p.SpecialToken.ID, id)
				}
			}
			if seen {
				suffix = append(suffix, st.IDs...)
			} else {
				prefix = append(prefix, st.IDs...)
			}
		default:
			return nil, nil, fmt.Errorf("%s.single[%d]: want {\"SpecialToken\": ...} or {\"Sequence\": ...}", what, i)
		}
	}
	if !seen {
		return nil, nil, fmt.Errorf("%s.single: no sequence A", what)
	}
	return prefix, suffix, nil
}

// checkDecoder accepts ByteLevel decoders, alone or in a Sequence.
func checkDecoder(raw json.RawMessage, what string) error {
	typ, err := typeOf(raw, what)
	if err != nil {
		return err
	}
	switch typ {
	case "ByteLevel":
		return nil
	case "Sequence":
		var v struct {
			Decoders []json.RawMessage `json:"decoders"`
		}
		if err := decodeStrict(raw, &v, what); err != nil {
			return err
		}
		n := 0
		for i, r := range v.Decoders {
			sub := fmt.Sprintf("%s.decoders[%d]", what, i)
			if t, err := typeOf(r, sub); err != nil || t == "" {
				if err == nil {
					err = fmt.Errorf("%s: null decoder", sub)
				}
				return err
			}
			if err := checkDecoder(r, sub); err != nil {
				return err
			}
			n++
		}
		if n != 1 {
			return fmt.Errorf("%s: a Sequence of %d ByteLevel decoders; want exactly one", what, n)
		}
		return nil
	}
	return fmt.Errorf("%s: unsupported decoder type %q (supported: ByteLevel, Sequence of it)", what, typ)
}

package engine

import (
	"fmt"
	"io/fs"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/runtime/tokenizer"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// Bundle is a model bundle read into memory: its manifest, config, float32
// model and tokenizer (nil when the bundle names none).
type Bundle struct {
	Manifest  *bundle.Manifest
	Config    *model.Config
	Model     *model.Model[float32]
	Tokenizer *tokenizer.Tokenizer
}

// LoadBundle reads the bundle at the root of fsys (os.DirFS(dir), an
// embedded tree, or files fetched by the browser), checking every shard's
// hash.
func LoadBundle(fsys fs.FS) (*Bundle, error) {
	r, err := bundle.OpenFS(fsys)
	if err != nil {
		return nil, fmt.Errorf("load bundle: %w", err)
	}
	defer r.Close()
	man := r.Manifest()
	cfg, err := model.BundleConfig(man)
	if err != nil {
		return nil, fmt.Errorf("load bundle: %w", err)
	}
	tok, err := BundleTokenizer(r)
	if err != nil {
		return nil, fmt.Errorf("load bundle: %w", err)
	}
	m, err := model.New[float32](cfg, r)
	if err != nil {
		return nil, fmt.Errorf("load bundle: %w", err)
	}
	return &Bundle{Manifest: man, Config: cfg, Model: m, Tokenizer: tok}, nil
}

// BundleTokenizer builds the tokenizer a bundle names: nil (and no error)
// when it names none.
func BundleTokenizer(r *bundle.Reader) (*tokenizer.Tokenizer, error) {
	tk := r.Manifest().Tokenizer
	switch {
	case tk == nil:
		return nil, nil
	case tk.Type == "byte":
		return tokenizer.NewByte(tokenizer.ByteSpec{})
	}
	data, err := r.TokenizerFile()
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return tok, nil
}

// PromptTokens encodes a prompt with tok, puts the model's BOS first when
// its config asks for it (force_bos_token_insert) and the tokenizer did not,
// and checks every id against the vocabulary.
func PromptTokens(tok *tokenizer.Tokenizer, cfg *model.Config, prompt string) ([]int, error) {
	ids := tok.Encode(prompt)
	if cfg.ForceBOS && cfg.BOS >= 0 && (len(ids) == 0 || ids[0] != cfg.BOS) {
		ids = append([]int{cfg.BOS}, ids...)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("prompt %q encodes to no tokens", prompt)
	}
	for i, id := range ids {
		if id < 0 || id >= cfg.VocabSize {
			return nil, fmt.Errorf("prompt: token %d (id %d) is outside the model's vocabulary of %d: the tokenizer does not fit the model", i, id, cfg.VocabSize)
		}
	}
	return ids, nil
}

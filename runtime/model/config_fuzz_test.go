package model

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// cfgFuzzCheck is the property both fuzz targets check: no panic; an accepted config is valid,
// writes back as YAML, reads back equal and keeps its fingerprint.
func cfgFuzzCheck(t *testing.T, c *Config, err error) {
	if err != nil {
		var ce *ConfigError
		if c != nil || !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "config: ") {
			t.Fatalf("bad error %T %v (config %v)", err, err, c)
		}
		return
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("accepted config does not validate: %v", err)
	}
	y, err := c.YAML()
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	back, err := ParseConfigYAML(y)
	if err != nil {
		t.Fatalf("re-read: %v\n%s", err, y)
	}
	if !reflect.DeepEqual(back, c) || back.Fingerprint() != c.Fingerprint() {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, c)
	}
}

// cfgFuzzSeeds adds the shared configs whose name ends in ext as seeds, when the shared folder
// is present; the inline seeds keep the targets useful without it.
func cfgFuzzSeeds(f *testing.F, ext string) {
	for name, data := range cfgSharedSources(f) {
		if strings.HasSuffix(name, ext) {
			f.Add(data)
		}
	}
}

// FuzzParseConfigYAML feeds arbitrary bytes to ParseConfigYAML: it must never panic, and what
// it accepts must validate and round-trip through Config.YAML.
func FuzzParseConfigYAML(f *testing.F) {
	cfgFuzzSeeds(f, ".yaml")
	for _, s := range []string{
		cfgLMYAML, cfgMLSTMOnlyYAML, cfgLargeYAML,
		"vocab_size: 10\nnum_blocks: 2\nembedding_dim: 16\nslstm_block: {feedforward: null}\n",
		"a: &x [1]\nslstm_at: *x\n",
		"embedding_dim: 64\nnum_heads: 4\nnum_blocks: 2\nvocab_size: 128\ngate_soft_cap: ~\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfigYAML(data)
		cfgFuzzCheck(t, c, err)
	})
}

// FuzzParseConfigJSON is FuzzParseConfigYAML for ParseConfigJSON.
func FuzzParseConfigJSON(f *testing.F) {
	cfgFuzzSeeds(f, ".json")
	f.Add(cfgRead(f, filepath.Join(cfgHF7B, "config.json")))
	for _, s := range []string{
		cfgLargeJSON,
		`{"model_type": "xlstm", "hidden_size": 64, "num_heads": 2, "num_blocks": 1}`,
		`{"vocab_size": 10, "context_length": 8, "embedding_dim": 32, "num_blocks": 2, "slstm_at": [1],
		 "mlstm_block": {"mlstm": {"num_heads": 2}}, "slstm_block": {"slstm": {"backend": "vanilla"}, "feedforward": null}}`,
		`{"vocab_size": 10, "embedding_dim": 16, "num_blocks": 1, "eos_token_id": 3, "slstm_block": {}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfigJSON(data)
		cfgFuzzCheck(t, c, err)
	})
}

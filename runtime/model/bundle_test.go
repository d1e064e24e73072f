package model

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/testref"
	"github.com/xlstm-go/xlstm/weights/bundle"
	"github.com/xlstm-go/xlstm/weights/safetensors"
)

// writeBundle copies a reference set's weights into an F32 bundle with the
// set's config.
func writeBundle(t *testing.T, set string, family string) (bundleDir, refDir string) {
	t.Helper()
	refDir = testref.Dir(t, filepath.Join("xlstm", "reference", set))
	cfg, err := LoadConfig(refDir)
	if err != nil {
		t.Fatal(err)
	}
	y, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if family == "" {
		family = cfg.Family.String()
	}
	bundleDir = filepath.Join(t.TempDir(), "bundle")
	w, err := bundle.Create(bundleDir, bundle.Model{Family: family, ConfigFormat: "yaml", Config: string(y)}, bundle.Options{ShardSize: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	st, err := safetensors.Open(filepath.Join(refDir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, n := range st.Names() {
		raw, _ := st.Raw(n)
		info, _ := st.Info(n)
		if err := w.Add(n, bundle.F32, info.Shape, 0, raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return bundleDir, refDir
}

// TestLoadBundle: Load opens a bundle directory (config from the manifest)
// and gives exactly the model of the checkpoint it was written from.
func TestLoadBundle(t *testing.T) {
	for _, set := range []string{"mixed", "xlstm_large"} {
		dir, refDir := writeBundle(t, set, "")
		a, err := Load[float32](dir)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Load[float32](refDir)
		if err != nil {
			t.Fatal(err)
		}
		if a.Config().Fingerprint() != b.Config().Fingerprint() {
			t.Fatalf("%s: bundle config differs", set)
		}
		toks := []int{1, 5, 9, 2, 7}
		la, _ := a.Forward(toks)
		lb, _ := b.Forward(toks)
		for i := range la {
			if la[i] != lb[i] {
				t.Fatalf("%s: logit %d = %v, want %v", set, i, la[i], lb[i])
			}
		}
	}
}

func TestBundleConfigErrors(t *testing.T) {
	dir, _ := writeBundle(t, "mixed", "xlstm-large")
	if _, err := Load[float32](dir); err == nil || !strings.Contains(err.Error(), "manifest says xlstm-large") {
		t.Fatalf("family mismatch: %v", err)
	}
	m := &bundle.Manifest{Model: bundle.Model{Family: "xlstm-lm", ConfigFormat: "toml", Config: "x"}}
	if _, err := BundleConfig(m); err == nil {
		t.Fatal("unknown config format accepted")
	}
	m.Model.ConfigFormat = "json"
	if _, err := BundleConfig(m); err == nil {
		t.Fatal("bad JSON config accepted")
	}
}

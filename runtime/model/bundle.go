package model

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/xlstm-go/xlstm/weights/bundle"
)

// BundleConfig parses the model config a bundle's manifest carries (YAML in
// the official keys, or JSON as ParseConfigJSON reads it) and checks that
// it is of the family the manifest names.
func BundleConfig(man *bundle.Manifest) (*Config, error) {
	var (
		cfg *Config
		err error
	)
	switch man.Model.ConfigFormat {
	case "yaml":
		cfg, err = ParseConfigYAML([]byte(man.Model.Config))
	case "json":
		cfg, err = ParseConfigJSON([]byte(man.Model.Config))
	default:
		return nil, fmt.Errorf("bundle config: unknown format %q", man.Model.ConfigFormat)
	}
	if err != nil {
		return nil, fmt.Errorf("bundle config: %w", err)
	}
	if cfg.Family.String() != man.Model.Family {
		return nil, fmt.Errorf("bundle config: describes a %s model, the manifest says %s", cfg.Family, man.Model.Family)
	}
	return cfg, nil
}

// LoadBundle opens the weight bundle in dir (manifest.json plus shards)
// and builds the model from the config in its manifest; every shard's hash
// is checked as it is read.
func LoadBundle[F Float](dir string) (*Model[F], error) {
	r, err := bundle.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	defer r.Close()
	cfg, err := BundleConfig(r.Manifest())
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	m, err := New[F](cfg, r)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return m, nil
}

// isBundle reports whether dir holds a bundle manifest.
func isBundle(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, bundle.ManifestName))
	return err == nil && !st.IsDir()
}

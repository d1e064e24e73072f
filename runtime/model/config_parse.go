package model

// Reading model configs (SPEC §1). Accepted inputs:
//   - the official config.yaml of the original xLSTM LM (xLSTMLMModelConfig, read upstream with
//     OmegaConf + dacite strict=True) or of xLSTM Large (xLSTMLargeConfig(**config));
//   - the same two as JSON, and the Hugging Face transformers xLSTMConfig config.json (model_type "xlstm").
//
// This file holds the entry points and the family detection; the readers are in config_lm.go and
// config_large.go, the checks in config_validate.go.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// ParseConfigYAML reads an official config.yaml: either the original xLSTM LM
// (xLSTMLMModelConfig: mlstm_block / slstm_block / slstm_at / context_length …) or
// xLSTM Large (xLSTMLargeConfig: num_heads, qk_dim_factor, gate_soft_cap, weight_mode …).
// The family is told by the keys. Reading is strict like dacite strict=True: an unknown key
// or a value of the wrong type is an error naming the key. The official defaults are applied,
// the derived sizes are resolved (SPEC §1) and the result is validated.
func ParseConfigYAML(data []byte) (*Config, error) {
	root, err := decodeYAML(data)
	if err != nil {
		return nil, err
	}
	return parseRoot(root, false)
}

// ParseConfigJSON reads a JSON config: the Hugging Face transformers xLSTMConfig config.json
// (model_type "xlstm", e.g. NX-AI/xLSTM-7b), the xLSTMLargeConfig keyword arguments written
// as JSON, or an original-LM config written as JSON (the same keys as config.yaml).
// Unknown keys and wrong types are errors naming the key. The result is validated.
func ParseConfigJSON(data []byte) (*Config, error) {
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return nil, &ConfigError{Msg: fmt.Sprintf("invalid JSON: %v", err), Err: err}
	}
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return nil, &ConfigError{Msg: "the JSON document is not an object"}
	}
	// Valid JSON objects are YAML; reading them with the same node walker gives the same
	// error paths and type checks. Tabs (JSON whitespace) may be refused by YAML as indentation.
	root, err := decodeYAML(bytes.ReplaceAll(data, []byte{'\t'}, []byte{' '}))
	if err != nil {
		return nil, err
	}
	return parseRoot(root, true)
}

// LoadConfig reads dir/config.yaml when it exists, else dir/config.json.
// When both exist config.yaml wins. Errors name the file.
func LoadConfig(dir string) (*Config, error) {
	yp := filepath.Join(dir, "config.yaml")
	data, err := os.ReadFile(yp)
	if err == nil {
		c, err := ParseConfigYAML(data)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", yp, err)
		}
		return c, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load config: %w", err)
	}
	jp := filepath.Join(dir, "config.json")
	data, err = os.ReadFile(jp)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("load config: neither %s nor %s exists: %w", yp, jp, err)
		}
		return nil, fmt.Errorf("load config: %w", err)
	}
	c, err := ParseConfigJSON(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", jp, err)
	}
	return c, nil
}

// srcFamily is the format a config was written in.
type srcFamily int

const (
	srcLM srcFamily = iota + 1
	srcLarge
	srcHF
)

// detectFamily tells the format by the top-level keys; a key of two families is an error
// rather than a guess. The Hugging Face keys count only in JSON.
func detectFamily(root *yaml.Node, isJSON bool) (srcFamily, error) {
	var lmHit, largeHit, hfHit, unknown string
	hfSure := false // a PretrainedConfig key: only a Hugging Face config.json has one
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, err := deref(root.Content[i], "")
		if err != nil || k.Kind != yaml.ScalarNode {
			continue // newFields reports it
		}
		name := k.Value
		switch {
		case isJSON && hfStandardKey(name):
			hfSure = true
			if hfHit == "" {
				hfHit = name
			}
		case lmOnlyKey(name):
			if lmHit == "" {
				lmHit = name
			}
		case largeOnlyKey(name):
			if largeHit == "" {
				largeHit = name
			}
		case isJSON && (hfModelKey(name) || hfStandardKey(name)):
			if hfHit == "" {
				hfHit = name
			}
		case sharedKey(name):
		default:
			if unknown == "" {
				unknown = name
			}
		}
	}
	switch {
	case hfSure:
		// NX-AI's published config.json also carries historical keys named
		// like the original LM's (add_post_blocks_norm, …): the HF reader
		// accepts those and names any other as unknown.
		return srcHF, nil
	case hfHit != "" && lmHit != "":
		return 0, &ConfigError{Key: lmHit, Msg: fmt.Sprintf("ambiguous family: key %q belongs to the original xLSTM LM, key %q to a Hugging Face xLSTMConfig", lmHit, hfHit)}
	case hfHit != "":
		return srcHF, nil
	case lmHit != "" && largeHit != "":
		return 0, &ConfigError{Key: lmHit, Msg: fmt.Sprintf("ambiguous family: key %q belongs to the original xLSTM LM (xLSTMLMModelConfig), key %q to xLSTM Large (xLSTMLargeConfig)", lmHit, largeHit)}
	case lmHit != "":
		return srcLM, nil
	case largeHit != "":
		return srcLarge, nil
	case unknown != "":
		return 0, &ConfigError{Key: unknown, Msg: fmt.Sprintf("unknown key %q", unknown)}
	}
	return 0, &ConfigError{Msg: "cannot tell the model family: no key of the original xLSTM LM " +
		"(mlstm_block, slstm_block, slstm_at, context_length, …) nor of xLSTM Large (num_heads, qk_dim_factor, gate_soft_cap, weight_mode, …)"}
}

// parseRoot reads, resolves and validates a decoded document.
func parseRoot(root *yaml.Node, isJSON bool) (*Config, error) {
	fam, err := detectFamily(root, isJSON)
	if err != nil {
		return nil, err
	}
	var c *Config
	switch fam {
	case srcLM:
		c, err = parseLM(root)
	case srcLarge:
		c, err = parseLarge(root, false)
	default:
		c, err = parseLarge(root, true)
	}
	if err != nil {
		return nil, err
	}
	c.resolve()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

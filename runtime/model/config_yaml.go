package model

// YAML node plumbing for the config readers. They walk a yaml.Node tree rather than decode into
// structs so that every error can name the offending key by its dotted path.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"gopkg.in/yaml.v3"
)

// ConfigError is the error returned for a config that cannot be read or is invalid.
// Its message starts with "config: " and names the offending key by its dotted path
// in the official key names (for example "mlstm_block.mlstm.num_heads").
type ConfigError struct {
	Key string // dotted path of the offending key; "" when the error is not about one key
	Msg string // the message, without the "config: " prefix
	Err error  // the underlying error, if any
}

// Error returns "config: " followed by the message.
func (e *ConfigError) Error() string { return "config: " + e.Msg }

// Unwrap returns the underlying error, if any.
func (e *ConfigError) Unwrap() error { return e.Err }

// keyErr returns a ConfigError about key, with the message "key: <format>".
func keyErr(key, format string, args ...any) *ConfigError {
	return &ConfigError{Key: key, Msg: key + ": " + fmt.Sprintf(format, args...)}
}

// Limits of the YAML reader: integers are 32-bit as in the official checkpoints, and alias
// chains are bounded so that a crafted document cannot loop.
const (
	maxInt32     = 1<<31 - 1
	minInt32     = -1 << 31
	maxAliasHops = 64
)

// decodeYAML parses exactly one YAML document whose root is a mapping.
func decodeYAML(data []byte) (root *yaml.Node, err error) {
	// yaml.v3 is not ours; make sure a bug in it on odd input cannot crash the caller.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &ConfigError{Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ConfigError{Msg: "empty document"}
		}
		return nil, &ConfigError{Msg: fmt.Sprintf("syntax: %v", err), Err: err}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, &ConfigError{Msg: fmt.Sprintf("syntax: %v", err), Err: err}
		}
		return nil, &ConfigError{Msg: "more than one YAML document"}
	}
	n := &doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) != 1 {
			return nil, &ConfigError{Msg: "empty document"}
		}
		n = n.Content[0]
	}
	n, err = deref(n, "")
	if err != nil {
		return nil, err
	}
	if isNull(n) {
		return nil, &ConfigError{Msg: "empty document"}
	}
	if n.Kind != yaml.MappingNode {
		return nil, &ConfigError{Msg: fmt.Sprintf("the document is not a mapping (line %d)", n.Line)}
	}
	return n, nil
}

// deref follows aliases; path names the value in errors.
func deref(n *yaml.Node, path string) (*yaml.Node, error) {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i >= maxAliasHops || n.Alias == nil {
			return nil, keyErr(nameOr(path), "unresolvable alias (line %d)", n.Line)
		}
		n = n.Alias
	}
	if n == nil {
		return nil, keyErr(nameOr(path), "missing value")
	}
	return n, nil
}

// nameOr names the root "(root)" in errors, which have no key path for it.
func nameOr(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

// joinPath appends key to a dotted path.
func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// Scalar type tests; an int or float check also requires the value to convert.

func isNull(n *yaml.Node) bool  { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }
func isStr(n *yaml.Node) bool   { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" }
func isInt(n *yaml.Node) bool   { _, ok := scalarInt(n); return ok }
func isFloat(n *yaml.Node) bool { _, ok := scalarFloat(n); return ok }

// describe names a node's YAML type for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "boolean " + v
		case "!!int":
			return "integer " + v
		case "!!float":
			return "float " + v
		case "!!str":
			return "string " + strconv.Quote(v)
		}
		return n.ShortTag() + " " + strconv.Quote(v)
	}
	return "an unsupported node"
}

// scalarInt converts an integer scalar (tag !!int) within int32 range.
func scalarInt(n *yaml.Node) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		return 0, false
	}
	if v < minInt32 || v > maxInt32 {
		return 0, false
	}
	return int(v), true
}

// scalarFloat converts a float or integer scalar (Python accepts an int for a float field).
func scalarFloat(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch n.ShortTag() {
	case "!!float", "!!int":
	default:
		return 0, false
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		return 0, false
	}
	return v, true
}

// scalarBool converts a boolean. Plain yes/no/on/off in their YAML 1.1 spellings are
// booleans too, as for PyYAML (and so OmegaConf) that read the official configs.
func scalarBool(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode {
		return false, false
	}
	switch n.ShortTag() {
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return false, false
		}
		return v, true
	case "!!str":
		if n.Style != 0 {
			return false, false
		}
		switch n.Value {
		case "yes", "Yes", "YES", "on", "On", "ON":
			return true, true
		case "no", "No", "NO", "off", "Off", "OFF":
			return false, true
		}
	}
	return false, false
}

// scalarOrList reports whether n is a scalar accepted by ok, or a list of such scalars.
func scalarOrList(n *yaml.Node, ok func(*yaml.Node) bool) bool {
	if n.Kind != yaml.SequenceNode {
		return ok(n)
	}
	for _, it := range n.Content {
		it, err := deref(it, "")
		if err != nil || !ok(it) {
			return false
		}
	}
	return true
}

package model

// Typed reading of one config mapping. The readers keep the first error and turn every later
// read into a no-op, so a parser can read all its keys in a row and check f.err once.

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// fields is one mapping of the config, keyed by name, with its dotted path.
type fields struct {
	path  string
	nodes map[string]*yaml.Node
	order []string
	err   error // first error met while reading values
}

// newFields checks that n is a mapping with string keys, no duplicates and only known keys.
func newFields(n *yaml.Node, path string, known func(string) bool) (*fields, error) {
	n, err := deref(n, path)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode {
		return nil, keyErr(nameOr(path), "want a mapping, got %s (line %d)", describe(n), n.Line)
	}
	f := &fields{path: path, nodes: make(map[string]*yaml.Node, len(n.Content)/2)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, err := deref(n.Content[i], path)
		if err != nil {
			return nil, err
		}
		if !isStr(kn) {
			if kn.Kind == yaml.ScalarNode && kn.ShortTag() == "!!merge" {
				return nil, keyErr(nameOr(path), "YAML merge keys (<<) are not supported (line %d)", kn.Line)
			}
			return nil, keyErr(nameOr(path), "keys must be strings, got %s (line %d)", describe(kn), kn.Line)
		}
		key := kn.Value
		full := joinPath(path, key)
		if !known(key) {
			return nil, &ConfigError{Key: full, Msg: fmt.Sprintf("unknown key %q (line %d)", full, kn.Line)}
		}
		if _, dup := f.nodes[key]; dup {
			return nil, &ConfigError{Key: full, Msg: fmt.Sprintf("duplicate key %q (line %d)", full, kn.Line)}
		}
		f.nodes[key] = n.Content[i+1]
		f.order = append(f.order, key)
	}
	return f, nil
}

// sub reads the nested mapping under key; an absent key gives an empty mapping, so that
// the caller reads the official defaults from it.
func (f *fields) sub(key string, known func(string) bool) (*fields, error) {
	n := f.get(key)
	if f.err != nil {
		return nil, f.err
	}
	if n == nil {
		return &fields{path: joinPath(f.path, key)}, nil
	}
	return newFields(n, joinPath(f.path, key), known)
}

func (f *fields) has(key string) bool { _, ok := f.nodes[key]; return ok }

// get returns the (dereferenced) value node of key, or nil when absent or after an error.
func (f *fields) get(key string) *yaml.Node {
	if f.err != nil {
		return nil
	}
	n, ok := f.nodes[key]
	if !ok {
		return nil
	}
	n, err := deref(n, joinPath(f.path, key))
	if err != nil {
		f.err = err
		return nil
	}
	return n
}

// typeErr records that key holds n where want was expected.
func (f *fields) typeErr(key, want string, n *yaml.Node) {
	if f.err == nil {
		f.err = keyErr(joinPath(f.path, key), "want %s, got %s (line %d)", want, describe(n), n.Line)
	}
}

// fail records an error about key.
func (f *fields) fail(key, format string, args ...any) {
	if f.err == nil {
		f.err = keyErr(joinPath(f.path, key), format, args...)
	}
}

// int reads an integer key, def when absent.
func (f *fields) int(key string, def int) int {
	n := f.get(key)
	if n == nil {
		return def
	}
	v, ok := scalarInt(n)
	if !ok {
		f.typeErr(key, "an integer (32-bit)", n)
		return def
	}
	return v
}

// optInt reads an integer-or-null key; present reports whether it held an integer.
func (f *fields) optInt(key string) (v int, present bool) {
	n := f.get(key)
	if n == nil || isNull(n) {
		return 0, false
	}
	v, ok := scalarInt(n)
	if !ok {
		f.typeErr(key, "an integer or null", n)
		return 0, false
	}
	return v, true
}

// reqInt reads a required integer key.
func (f *fields) reqInt(key string) int {
	if f.err == nil && !f.has(key) {
		full := joinPath(f.path, key)
		f.err = &ConfigError{Key: full, Msg: fmt.Sprintf("missing required key %q", full)}
		return 0
	}
	return f.int(key, 0)
}

// ignoredInts type-checks internal fields that upstream recomputes (int or null).
func (f *fields) ignoredInts(keys ...string) {
	for _, k := range keys {
		f.optInt(k)
	}
}

// float reads a number key, def when absent.
func (f *fields) float(key string, def float64) float64 {
	n := f.get(key)
	if n == nil {
		return def
	}
	v, ok := scalarFloat(n)
	if !ok {
		f.typeErr(key, "a number", n)
		return def
	}
	return v
}

// optFloat reads a number-or-null key; null gives (0, false), absent gives (def, defPresent).
func (f *fields) optFloat(key string, def float64, defPresent bool) (float64, bool) {
	n := f.get(key)
	if n == nil {
		return def, defPresent
	}
	if isNull(n) {
		return 0, false
	}
	v, ok := scalarFloat(n)
	if !ok {
		f.typeErr(key, "a number or null", n)
		return def, defPresent
	}
	return v, true
}

// dropout reads a dropout probability (only type- and range-checked; inference ignores it).
func (f *fields) dropout(key string) {
	p := f.float(key, 0)
	if f.err == nil && !(p >= 0 && p <= 1) {
		f.fail(key, "dropout probability %v is not in [0, 1]", p)
	}
}

// bool reads a boolean key, def when absent.
func (f *fields) bool(key string, def bool) bool {
	n := f.get(key)
	if n == nil {
		return def
	}
	v, ok := scalarBool(n)
	if !ok {
		f.typeErr(key, "a boolean", n)
		return def
	}
	return v
}

// str reads a string key, def when absent.
func (f *fields) str(key, def string) string {
	n := f.get(key)
	if n == nil {
		return def
	}
	if !isStr(n) {
		f.typeErr(key, "a string", n)
		return def
	}
	return n.Value
}

// enum reads a string key that must be one of set.
func (f *fields) enum(key, def string, set []string) string {
	v := f.str(key, def)
	if f.err == nil {
		if err := checkOneOf(joinPath(f.path, key), v, set); err != nil {
			f.err = err
		}
	}
	return v
}

// optEnum reads a string-or-null key that must be one of set when not null.
func (f *fields) optEnum(key string, set []string) {
	n := f.get(key)
	if n == nil || isNull(n) {
		return
	}
	f.enum(key, "", set)
}

// anyValue accepts any value (bookkeeping keys whose content does not matter here).
func (f *fields) anyValue(key string) { f.get(key) }

// mapping checks that key (when present) is a mapping; its content is not read.
func (f *fields) mapping(key string) {
	n := f.get(key)
	if n != nil && n.Kind != yaml.MappingNode {
		f.typeErr(key, "a mapping", n)
	}
}

// checkOneOf is the error for a string field outside its allowed values; both the readers and
// Validate use it so that the message is the same.
func checkOneOf(key, v string, set []string) error {
	if !slices.Contains(set, v) {
		return keyErr(key, "%q is not one of %s", v, strings.Join(set, ", "))
	}
	return nil
}

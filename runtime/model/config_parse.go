package model

// Reading, validating, fingerprinting and writing model configs (SPEC §1).
//
// Accepted inputs:
//   - the official config.yaml of the original xLSTM LM (xLSTMLMModelConfig, read upstream with
//     OmegaConf + dacite strict=True) or of xLSTM Large (xLSTMLargeConfig(**config));
//   - the same two as JSON, and the Hugging Face transformers xLSTMConfig config.json (model_type "xlstm").
//
// The readers walk a yaml.Node tree so that every error can name the offending key by its dotted path.

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

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

// Sanity limits. The official code has none; they keep every derived size far away from
// integer overflow and from allocations that cannot be meant.
const (
	maxDim       = 1 << 20 // embedding_dim, num_heads, block sizes, roundings
	maxVocab     = 1 << 26
	maxBlocks    = 1 << 16
	maxFactor    = 1024.0 // proj_factor, qk/v/ffn factors
	maxInt32     = 1<<31 - 1
	minInt32     = -1 << 31
	maxAliasHops = 64
)

// Valid values of the string-valued fields.
var (
	actFns       = []string{"gelu", "relu", "relu^2", "sigmoid", "swish", "selu"}
	slstmBackend = []string{"vanilla", "cuda"}
	weightModes  = []string{"single", "fused"}
	dtypeNames   = []string{"float32", "bfloat16", "float16"}
	backendModes = []string{"train", "train_with_padding", "inference"}
	biasInits    = []string{"powerlaw_blockdependent", "small_init", "standard", "zeros"}
	recInits     = []string{"zeros", "standard"}
	internalShp  = []string{"SBNGH", "SBGNH", "SBNHG"}
)

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------------------------
// Public entry points

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
	// JSON is (for everything json.Valid accepts and a config can hold) a subset of YAML;
	// reading it with the same node walker gives the same error paths and type checks.
	// Raw tabs in valid JSON are whitespace outside strings, which YAML may refuse as
	// indentation: make them spaces.
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

// ---------------------------------------------------------------------------------------------
// YAML node plumbing

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

// deref follows aliases.
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

func nameOr(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

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
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" {
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

func (f *fields) typeErr(key, want string, n *yaml.Node) {
	if f.err == nil {
		f.err = keyErr(joinPath(f.path, key), "want %s, got %s (line %d)", want, describe(n), n.Line)
	}
}

func (f *fields) fail(key, format string, args ...any) {
	if f.err == nil {
		f.err = keyErr(joinPath(f.path, key), format, args...)
	}
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

func isInt(n *yaml.Node) bool   { _, ok := scalarInt(n); return ok }
func isFloat(n *yaml.Node) bool { _, ok := scalarFloat(n); return ok }
func isStr(n *yaml.Node) bool   { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" }

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
		f.err = &ConfigError{Key: joinPath(f.path, key), Msg: fmt.Sprintf("missing required key %q", joinPath(f.path, key))}
		return 0
	}
	return f.int(key, 0)
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
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		f.typeErr(key, "a string", n)
		return def
	}
	return n.Value
}

// enum reads a string key that must be one of set.
func (f *fields) enum(key, def string, set []string) string {
	v := f.str(key, def)
	if f.err == nil && !oneOf(v, set) {
		f.fail(key, "%q is not one of %s", v, strings.Join(set, ", "))
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

// dropout reads a dropout probability (only type- and range-checked; inference ignores it).
func (f *fields) dropout(key string) {
	p := f.float(key, 0)
	if f.err == nil && !(p >= 0 && p <= 1) {
		f.fail(key, "dropout probability %v is not in [0, 1]", p)
	}
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

// ---------------------------------------------------------------------------------------------
// Key tables (read only)

func setOf(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// Keys of the original LM (xLSTMLMModelConfig ⊂ xLSTMBlockStackConfig) that xLSTM Large does not have.
var lmOnlyKeys = setOf("mlstm_block", "slstm_block", "context_length", "add_post_blocks_norm", "bias",
	"dropout", "slstm_at", "_block_map", "tie_weights", "weight_decay_on_embedding", "add_embedding_dropout")

// Keys shared by both families.
// eos_token_id is not a field of the official dataclasses either: it is accepted as an
// extension (an integer, or null for none) so that Config.EOS read from a Hugging Face
// config.json survives Config.YAML; without it Config.EOS is -1.
var sharedKeys = setOf("vocab_size", "embedding_dim", "num_blocks", "eos_token_id")

// Keys of xLSTMLargeConfig that the original LM does not have. tie_word_embeddings is not an
// xLSTMLargeConfig field: it is accepted as an extension so that a config read from a Hugging
// Face config.json can be written back as YAML (Config.YAML emits it only when true).
var largeOnlyKeys = setOf("num_heads", "use_bias", "norm_eps", "norm_reduction_force_float32", "add_out_norm",
	"qk_dim_factor", "v_dim_factor", "chunkwise_kernel", "sequence_kernel", "step_kernel", "mode", "chunk_size",
	"return_last_states", "autocast_kernel_dtype", "eps", "inference_state_dtype", "ffn_proj_factor",
	"ffn_round_up_to_multiple_of", "gate_soft_cap", "output_logit_soft_cap", "weight_mode", "tie_word_embeddings")

// Keys only the transformers xLSTMConfig defines (beyond the xLSTMLargeConfig ones).
var hfModelKeys = setOf("hidden_size", "num_hidden_layers", "use_cache", "pad_token_id", "bos_token_id",
	"max_inference_chunksize")

// Standard PretrainedConfig keys that may appear in a saved config.json (any value accepted).
var hfStandardKeys = setOf("model_type", "architectures", "transformers_version", "torch_dtype", "dtype",
	"_name_or_path", "_commit_hash", "_attn_implementation", "_attn_implementation_autoset", "attn_implementation",
	"output_hidden_states", "output_attentions", "return_dict", "torchscript", "use_bfloat16", "tf_legacy_loss",
	"pruned_heads", "chunk_size_feed_forward", "is_encoder_decoder", "is_decoder", "cross_attention_hidden_size",
	"add_cross_attention", "tie_encoder_decoder", "finetuning_task", "id2label", "label2id", "num_labels",
	"tokenizer_class", "prefix", "sep_token_id", "decoder_start_token_id", "task_specific_params", "problem_type",
	"quantization_config", "max_length", "min_length", "do_sample", "early_stopping", "num_beams",
	"num_beam_groups", "diversity_penalty", "temperature", "top_k", "top_p", "typical_p", "repetition_penalty",
	"length_penalty", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids",
	"num_return_sequences", "output_scores", "return_dict_in_generate", "forced_bos_token_id",
	"forced_eos_token_id", "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens",
	"begin_suppress_tokens")

var mlstmBlockKeys = setOf("mlstm", "_num_blocks", "_block_idx")

var mlstmLayerKeys = setOf("proj_factor", "round_proj_up_dim_up", "round_proj_up_to_multiple_of", "_proj_up_dim",
	"conv1d_kernel_size", "qkv_proj_blocksize", "num_heads", "embedding_dim", "bias", "dropout", "context_length",
	"_num_blocks", "_inner_embedding_dim")

var slstmBlockKeys = setOf("slstm", "feedforward", "_num_blocks", "_block_idx")

var slstmLayerKeys = setOf("hidden_size", "num_heads", "num_states", "backend", "function", "bias_init",
	"recurrent_weight_init", "_block_idx", "_num_blocks", "num_gates", "gradient_recurrent_cut",
	"gradient_recurrent_clipval", "forward_clipval", "batch_size", "input_shape", "internal_input_shape",
	"output_shape", "constants", "dtype", "dtype_b", "dtype_r", "dtype_w", "dtype_g", "dtype_s", "dtype_a",
	"enable_automatic_mixed_precision", "initial_val", "embedding_dim", "conv1d_kernel_size", "group_norm_weight",
	"dropout")

var ffnKeys = setOf("proj_factor", "round_proj_up_dim_up", "round_proj_up_to_multiple_of", "_proj_up_dim",
	"act_fn", "embedding_dim", "dropout", "bias", "ff_type", "_num_blocks")

func inSet(m map[string]bool) func(string) bool { return func(k string) bool { return m[k] } }

func lmKey(k string) bool    { return lmOnlyKeys[k] || sharedKeys[k] }
func largeKey(k string) bool { return largeOnlyKeys[k] || sharedKeys[k] }
func hfKey(k string) bool    { return largeKey(k) || hfModelKeys[k] || hfStandardKeys[k] }

// ---------------------------------------------------------------------------------------------
// Family detection and the top-level readers

type srcFamily int

const (
	srcLM srcFamily = iota + 1
	srcLarge
	srcHF
)

func topKeys(root *yaml.Node) []*yaml.Node {
	var ks []*yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k, err := deref(root.Content[i], ""); err == nil && k.Kind == yaml.ScalarNode {
			ks = append(ks, k)
		}
	}
	return ks
}

func detectFamily(root *yaml.Node, isJSON bool) (srcFamily, error) {
	var lmHit, largeHit, hfHit, unknown string
	for _, k := range topKeys(root) {
		name := k.Value
		switch {
		case lmOnlyKeys[name]:
			if lmHit == "" {
				lmHit = name
			}
		case largeOnlyKeys[name]:
			if largeHit == "" {
				largeHit = name
			}
		case isJSON && (hfModelKeys[name] || hfStandardKeys[name]):
			if hfHit == "" {
				hfHit = name
			}
		case sharedKeys[name]:
		default:
			if unknown == "" {
				unknown = name
			}
		}
	}
	switch {
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

// parseLM reads xLSTMLMModelConfig. The top-level embedding_dim, context_length, bias, dropout and
// num_blocks overwrite the nested ones, as the official __post_init__ does.
func parseLM(root *yaml.Node) (*Config, error) {
	f, err := newFields(root, "", lmKey)
	if err != nil {
		return nil, err
	}
	c := &Config{Family: FamilyLM}
	c.VocabSize = f.int("vocab_size", -1)
	c.EOS = extEOS(f)
	c.EmbeddingDim = f.int("embedding_dim", 128)
	c.NumBlocks = f.int("num_blocks", 1)
	lm := &c.LM
	lm.ContextLength = f.int("context_length", -1)
	lm.AddPostBlocksNorm = f.bool("add_post_blocks_norm", true)
	lm.Bias = f.bool("bias", false)
	lm.TieWeights = f.bool("tie_weights", false)
	f.bool("weight_decay_on_embedding", false)
	f.bool("add_embedding_dropout", false)
	f.dropout("dropout")
	if n := f.get("_block_map"); n != nil && !isNull(n) && (n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str") {
		f.typeErr("_block_map", "a string or null (it is recomputed)", n)
	}
	if f.err != nil {
		return nil, f.err
	}
	// Sizes must be sane before anything is allocated from them.
	if c.NumBlocks <= 0 || c.NumBlocks > maxBlocks {
		return nil, keyErr("num_blocks", "%d is not in [1, %d]", c.NumBlocks, maxBlocks)
	}

	var mb, sb *yaml.Node
	if n := f.get("mlstm_block"); n != nil && !isNull(n) {
		mb = n
	}
	if n := f.get("slstm_block"); n != nil && !isNull(n) {
		sb = n
	}
	if f.err != nil {
		return nil, f.err
	}
	if mb != nil {
		if err := parseMLSTMBlock(mb, &lm.MLSTM); err != nil {
			return nil, err
		}
	}
	if sb != nil {
		ffn, err := parseSLSTMBlock(sb, &lm.SLSTM)
		if err != nil {
			return nil, err
		}
		lm.FFN = ffn
	}

	// slstm_at: a list of block indices or "all"; forced to "all" without an mLSTM block.
	all := false
	var at []int
	if n := f.get("slstm_at"); n != nil {
		switch {
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
			if n.Value != "all" {
				return nil, keyErr("slstm_at", "want a list of block indices or \"all\", got %s (line %d)", describe(n), n.Line)
			}
			all = true
		case n.Kind == yaml.SequenceNode:
			for i, it := range n.Content {
				ip := fmt.Sprintf("slstm_at[%d]", i)
				it, err := deref(it, ip)
				if err != nil {
					return nil, err
				}
				v, ok := scalarInt(it)
				if !ok {
					return nil, keyErr(ip, "want a block index (integer), got %s (line %d)", describe(it), it.Line)
				}
				at = append(at, v)
			}
		default:
			return nil, keyErr("slstm_at", "want a list of block indices or \"all\", got %s (line %d)", describe(n), n.Line)
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	if mb == nil {
		all = true
	}
	lm.BlockIsSLSTM = make([]bool, c.NumBlocks)
	if all {
		for i := range lm.BlockIsSLSTM {
			lm.BlockIsSLSTM[i] = true
		}
	} else {
		for i, v := range at {
			ip := fmt.Sprintf("slstm_at[%d]", i)
			if v < 0 || v >= c.NumBlocks {
				return nil, keyErr(ip, "block index %d out of range [0, %d) (num_blocks=%d)", v, c.NumBlocks, c.NumBlocks)
			}
			if lm.BlockIsSLSTM[v] {
				return nil, keyErr(ip, "block index %d listed twice", v)
			}
			lm.BlockIsSLSTM[v] = true
		}
	}
	anyS := false
	for _, s := range lm.BlockIsSLSTM {
		anyS = anyS || s
	}
	if anyS && sb == nil {
		if mb == nil {
			return nil, keyErr("slstm_block", "required: without mlstm_block every block is an sLSTM block (slstm_at is forced to \"all\")")
		}
		return nil, keyErr("slstm_block", "required: slstm_at places sLSTM blocks")
	}
	return c, nil
}

// ignoredInts type-checks internal fields that upstream recomputes (int or null).
func (f *fields) ignoredInts(keys ...string) {
	for _, k := range keys {
		f.optInt(k)
	}
}

func parseMLSTMBlock(n *yaml.Node, m *MLSTMConfig) error {
	f, err := newFields(n, "mlstm_block", inSet(mlstmBlockKeys))
	if err != nil {
		return err
	}
	f.ignoredInts("_num_blocks", "_block_idx")
	if f.err != nil {
		return f.err
	}
	lf := &fields{path: "mlstm_block.mlstm", nodes: map[string]*yaml.Node{}}
	if ln := f.get("mlstm"); ln != nil {
		if lf, err = newFields(ln, "mlstm_block.mlstm", inSet(mlstmLayerKeys)); err != nil {
			return err
		}
	}
	if f.err != nil {
		return f.err
	}
	m.ConvKernelSize = lf.int("conv1d_kernel_size", 4)
	m.QKVProjBlockSize = lf.int("qkv_proj_blocksize", 4)
	m.NumHeads = lf.int("num_heads", 4)
	m.ProjFactor = lf.float("proj_factor", 2.0)
	m.RoundUp = lf.bool("round_proj_up_dim_up", true)
	m.RoundUpTo = lf.int("round_proj_up_to_multiple_of", 64)
	// Set from the top level by xLSTMBlockStackConfig.__post_init__; only type-checked here.
	lf.int("embedding_dim", -1)
	lf.bool("bias", false)
	lf.dropout("dropout")
	lf.int("context_length", -1)
	lf.ignoredInts("_num_blocks", "_proj_up_dim", "_inner_embedding_dim")
	return lf.err
}

func parseSLSTMBlock(n *yaml.Node, s *SLSTMConfig) (*FFNConfig, error) {
	f, err := newFields(n, "slstm_block", inSet(slstmBlockKeys))
	if err != nil {
		return nil, err
	}
	f.ignoredInts("_num_blocks", "_block_idx")
	if f.err != nil {
		return nil, f.err
	}
	lf := &fields{path: "slstm_block.slstm", nodes: map[string]*yaml.Node{}}
	if ln := f.get("slstm"); ln != nil {
		if lf, err = newFields(ln, "slstm_block.slstm", inSet(slstmLayerKeys)); err != nil {
			return nil, err
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	s.NumHeads = lf.int("num_heads", 4)
	s.ConvKernelSize = lf.int("conv1d_kernel_size", 4)
	s.Backend = lf.enum("backend", "cuda", slstmBackend)
	s.GroupNormWeight = lf.bool("group_norm_weight", true)
	// Fields that do not change the inference math are type-checked; the few values that
	// would change it in ways this implementation does not follow are refused.
	if fn := lf.str("function", "slstm"); lf.err == nil && fn != "slstm" {
		lf.fail("function", "%q is not supported (only \"slstm\"; \"lstm\" is a plain LSTM cell)", fn)
	}
	if g := lf.int("num_gates", 4); lf.err == nil && g != 4 {
		lf.fail("num_gates", "%d is not supported (the sLSTM has 4 gates)", g)
	}
	lf.enum("input_shape", "BSGNH", []string{"BSGNH"})
	lf.enum("output_shape", "BNSH", []string{"BNSH"})
	lf.enum("internal_input_shape", "SBNGH", internalShp)
	lf.enum("bias_init", "powerlaw_blockdependent", biasInits)
	lf.enum("recurrent_weight_init", "zeros", recInits)
	lf.bool("gradient_recurrent_cut", false)
	lf.optFloat("gradient_recurrent_clipval", 0, false)
	lf.optFloat("forward_clipval", 0, false)
	lf.int("batch_size", 8)
	lf.mapping("constants")
	lf.enum("dtype", "bfloat16", dtypeNames)
	for _, k := range []string{"dtype_b", "dtype_r", "dtype_w", "dtype_g", "dtype_s", "dtype_a"} {
		lf.optEnum(k, dtypeNames)
	}
	lf.bool("enable_automatic_mixed_precision", true)
	if iv := lf.get("initial_val"); iv != nil && !scalarOrList(iv, isFloat) {
		lf.typeErr("initial_val", "a number or a list of numbers", iv)
	}
	// Set from the top level (hidden_size = embedding_dim); only type-checked here.
	lf.ignoredInts("hidden_size", "num_states", "_block_idx", "_num_blocks")
	lf.int("embedding_dim", -1)
	lf.dropout("dropout")
	if lf.err != nil {
		return nil, lf.err
	}

	// feedforward: absent → the default FeedForwardConfig, null → no FFN.
	fn, present := f.nodes["feedforward"]
	if present {
		var err error
		if fn, err = deref(fn, "slstm_block.feedforward"); err != nil {
			return nil, err
		}
		if isNull(fn) {
			return nil, nil
		}
	}
	ff := &fields{path: "slstm_block.feedforward", nodes: map[string]*yaml.Node{}}
	if present {
		if ff, err = newFields(fn, "slstm_block.feedforward", inSet(ffnKeys)); err != nil {
			return nil, err
		}
	}
	c := &FFNConfig{}
	c.ProjFactor = ff.float("proj_factor", 1.3)
	c.ActFn = ff.str("act_fn", "gelu")
	c.RoundUp = ff.bool("round_proj_up_dim_up", true)
	c.RoundUpTo = ff.int("round_proj_up_to_multiple_of", 64)
	c.Bias = ff.bool("bias", false)
	ff.enum("ff_type", "ffn_gated", []string{"ffn_gated"})
	ff.int("embedding_dim", -1)
	ff.dropout("dropout")
	ff.ignoredInts("_proj_up_dim", "_num_blocks")
	if ff.err != nil {
		return nil, ff.err
	}
	return c, nil
}

// parseLarge reads xLSTMLargeConfig (hf=false; embedding_dim, num_heads, num_blocks and
// vocab_size are required) or the transformers xLSTMConfig (hf=true; its defaults, the
// hidden_size/num_hidden_layers aliases and the PretrainedConfig bookkeeping keys).
func parseLarge(root *yaml.Node, hf bool) (*Config, error) {
	known := largeKey
	if hf {
		known = hfKey
	}
	f, err := newFields(root, "", known)
	if err != nil {
		return nil, err
	}
	c := &Config{Family: FamilyLarge}
	g := &c.Large
	if hf {
		if n := f.get("model_type"); n != nil {
			if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || n.Value != "xlstm" {
				return nil, keyErr("model_type", "want \"xlstm\", got %s", describe(n))
			}
		}
		if n := f.get("architectures"); n != nil && !isNull(n) && (n.Kind != yaml.SequenceNode || !scalarOrList(n, isStr)) {
			f.typeErr("architectures", "a list of strings", n)
		}
		// hidden_size/embedding_dim and num_hidden_layers/num_blocks name the same size.
		c.EmbeddingDim = pickAlias(f, "hidden_size", "embedding_dim", 4096)
		c.NumBlocks = pickAlias(f, "num_hidden_layers", "num_blocks", 32)
		c.VocabSize = f.int("vocab_size", 50304)
		g.NumHeads = f.int("num_heads", 8)
		f.bool("use_cache", true)
		f.int("max_inference_chunksize", 16384)
		f.optInt("pad_token_id")
		f.optInt("bos_token_id")
		c.EOS = hfEOS(f)
		for _, k := range f.order {
			if hfStandardKeys[k] {
				f.anyValue(k)
			}
		}
	} else {
		c.EOS = extEOS(f)
		c.EmbeddingDim = f.reqInt("embedding_dim")
		g.NumHeads = f.reqInt("num_heads")
		c.NumBlocks = f.reqInt("num_blocks")
		c.VocabSize = f.reqInt("vocab_size")
	}
	g.UseBias = f.bool("use_bias", false)
	g.NormEps = f.float("norm_eps", 1e-6)
	g.NormReductionForceFloat32 = f.bool("norm_reduction_force_float32", true)
	g.AddOutNorm = f.bool("add_out_norm", true)
	g.QKDimFactor = f.float("qk_dim_factor", 0.5)
	g.VDimFactor = f.float("v_dim_factor", 1.0)
	g.ChunkSize = f.int("chunk_size", 64)
	g.Eps = f.float("eps", 1e-6)
	ffnDef := 2.6667
	if hf {
		ffnDef = 2.667
	}
	g.FFNProjFactor = f.float("ffn_proj_factor", ffnDef)
	g.FFNRoundUpTo = f.int("ffn_round_up_to_multiple_of", 64)
	g.GateSoftCap = softCap(f, "gate_soft_cap", 15.0)
	g.OutputLogitSoftCap = softCap(f, "output_logit_soft_cap", 30.0)
	g.WeightMode = f.str("weight_mode", "single")
	g.TieWordEmbeddings = f.bool("tie_word_embeddings", false)
	// Backend choices of the Python kernels: type-checked, not kept.
	f.str("chunkwise_kernel", "")
	f.str("sequence_kernel", "")
	f.str("step_kernel", "")
	f.enum("mode", "inference", backendModes)
	f.bool("return_last_states", false)
	f.enum("autocast_kernel_dtype", "bfloat16", dtypeNames)
	f.enum("inference_state_dtype", "float32", dtypeNames)
	if f.err != nil {
		return nil, f.err
	}
	return c, nil
}

// extEOS reads the eos_token_id extension of the official configs: an integer, or null/absent for none (-1).
func extEOS(f *fields) int {
	v, ok := f.optInt("eos_token_id")
	if !ok {
		return -1
	}
	return v
}

// hfEOS reads the transformers eos_token_id: an integer, a list of integers (the first one is
// kept), or null for none; the xLSTMConfig default is 2.
func hfEOS(f *fields) int {
	n := f.get("eos_token_id")
	if n == nil {
		return 2
	}
	if isNull(n) {
		return -1
	}
	if !scalarOrList(n, isInt) {
		f.typeErr("eos_token_id", "an integer, a list of integers or null", n)
		return -1
	}
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			return -1
		}
		n, _ = deref(n.Content[0], "eos_token_id")
	}
	v, _ := scalarInt(n)
	return v
}

// pickAlias reads two keys that name the same integer; they must agree when both are set.
func pickAlias(f *fields, a, b string, def int) int {
	va, okA := f.optInt(a)
	vb, okB := f.optInt(b)
	switch {
	case okA && okB && va != vb:
		f.fail(b, "%d disagrees with %s=%d", vb, a, va)
		return va
	case okA:
		return va
	case okB:
		return vb
	}
	return def
}

// softCap reads a soft cap: a positive number, or null for none (stored as 0).
func softCap(f *fields, key string, def float64) float64 {
	v, set := f.optFloat(key, def, true)
	if !set {
		return 0
	}
	if f.err == nil && !(v > 0) {
		f.fail(key, "%v is not allowed (a soft cap is a positive number, or null for none)", v)
	}
	return v
}

// ---------------------------------------------------------------------------------------------
// Derived sizes (SPEC §1)

// upProjDim is UpProjConfigMixin._set_proj_up_dim: ceil (or floor when !roundUp) of
// proj_factor*D / multiple, times multiple. ok is false when it cannot be computed.
func upProjDim(projFactor float64, d, multiple int, roundUp bool) (int, bool) {
	if multiple <= 0 || math.IsNaN(projFactor) || math.IsInf(projFactor, 0) {
		return 0, false
	}
	m := projFactor * float64(d) / float64(multiple)
	if roundUp {
		m = math.Ceil(m)
	} else {
		m = math.Floor(m)
	}
	r := m * float64(multiple)
	if !(math.Abs(r) < 1<<40) {
		return 0, false
	}
	return int(m) * multiple, true
}

// pyFloorDiv is Python's float floor division a // b (b != 0), which is not always floor(a/b).
func pyFloorDiv(a, b float64) float64 {
	mod := math.Mod(a, b)
	div := (a - mod) / b
	if mod != 0 && (b < 0) != (mod < 0) {
		div -= 1.0
	}
	if div == 0 {
		return math.Copysign(0, a/b)
	}
	fl := math.Floor(div)
	if div-fl > 0.5 {
		fl += 1.0
	}
	return fl
}

// pyInt is Python int(x) for a finite float well inside the int range; ok false otherwise.
func pyInt(x float64) (int, bool) {
	if !(math.Abs(x) < 1<<40) {
		return 0, false
	}
	return int(math.Trunc(x)), true
}

// largeFFNDim is round_up_to_next_multiple_of(D*ffn_proj_factor, m) = int(((x + m-1)//m)*m).
func largeFFNDim(d int, factor float64, m int) (int, bool) {
	if m <= 0 || math.IsNaN(factor) || math.IsInf(factor, 0) {
		return 0, false
	}
	x := float64(d) * factor
	return pyInt(pyFloorDiv(x+float64(m-1), float64(m)) * float64(m))
}

// resolved returns copies of the derived fields computed from the base fields
// (zero where they cannot be computed).
func (c *Config) resolved() (MLSTMConfig, SLSTMConfig, *FFNConfig, LargeConfig) {
	m, s, g := c.LM.MLSTM, c.LM.SLSTM, c.Large
	d := c.EmbeddingDim
	m.Inner, m.HeadDim = 0, 0
	if in, ok := upProjDim(m.ProjFactor, d, m.RoundUpTo, m.RoundUp); ok {
		m.Inner = in
	}
	if m.NumHeads > 0 {
		m.HeadDim = m.Inner / m.NumHeads
	}
	s.HeadDim = 0
	if s.NumHeads > 0 {
		s.HeadDim = d / s.NumHeads
	}
	var ffn *FFNConfig
	if c.LM.FFN != nil {
		cp := *c.LM.FFN
		cp.Up = 0
		if up, ok := upProjDim(cp.ProjFactor, d, cp.RoundUpTo, cp.RoundUp); ok {
			cp.Up = up
		}
		ffn = &cp
	}
	g.QKDim, g.VDim, g.DHQK, g.DHV, g.FFNDim = 0, 0, 0, 0, 0
	if v, ok := pyInt(float64(d) * g.QKDimFactor); ok {
		g.QKDim = v
	}
	if v, ok := pyInt(float64(d) * g.VDimFactor); ok {
		g.VDim = v
	}
	if g.NumHeads > 0 {
		g.DHQK = g.QKDim / g.NumHeads
		g.DHV = g.VDim / g.NumHeads
	}
	if v, ok := largeFFNDim(d, g.FFNProjFactor, g.FFNRoundUpTo); ok {
		g.FFNDim = v
	}
	return m, s, ffn, g
}

// resolve fills the derived sizes of the active family.
func (c *Config) resolve() {
	m, s, ffn, g := c.resolved()
	switch c.Family {
	case FamilyLM:
		c.LM.MLSTM, c.LM.SLSTM, c.LM.FFN = m, s, ffn
	case FamilyLarge:
		c.Large = g
	}
}

// ---------------------------------------------------------------------------------------------
// Validation

// Validate reports shapes the model cannot have, naming the key (official key names): non-positive
// sizes, head counts that do not divide their dimension, conv kernel size 1 or negative, an
// out-of-range block map, unknown activation/backend/weight-mode names, a missing context_length
// with mLSTM blocks, an EOS outside the vocabulary, and derived sizes that disagree with SPEC §1. Sub-configs of the original LM
// are checked when at least one block uses them.
func (c *Config) Validate() error {
	if c == nil {
		return &ConfigError{Msg: "nil config"}
	}
	if err := checkRange("vocab_size", c.VocabSize, 1, maxVocab); err != nil {
		return err
	}
	if err := checkRange("embedding_dim", c.EmbeddingDim, 1, maxDim); err != nil {
		return err
	}
	if err := checkRange("num_blocks", c.NumBlocks, 1, maxBlocks); err != nil {
		return err
	}
	if c.EOS != -1 && (c.EOS < 0 || c.EOS >= c.VocabSize) {
		return keyErr("eos_token_id", "%d is not a token id in [0, %d) (or -1 for none)", c.EOS, c.VocabSize)
	}
	switch c.Family {
	case FamilyLM:
		return c.validateLM()
	case FamilyLarge:
		return c.validateLarge()
	}
	return &ConfigError{Key: "family", Msg: fmt.Sprintf("family: unknown model family %d", int(c.Family))}
}

func checkRange(key string, v, lo, hi int) error {
	if v < lo || v > hi {
		if v < 1 && lo == 1 {
			return keyErr(key, "must be positive, got %d", v)
		}
		return keyErr(key, "%d is not in [%d, %d]", v, lo, hi)
	}
	return nil
}

func checkFactor(key string, v float64) error {
	if !(v > 0 && v <= maxFactor) {
		return keyErr(key, "%v is not in (0, %v]", v, maxFactor)
	}
	return nil
}

func checkConv(key string, k int) error {
	if k < 0 || k == 1 || k > maxDim {
		return keyErr(key, "%d is not allowed (0 = no conv, or 2…%d; the official code breaks on 1)", k, maxDim)
	}
	return nil
}

func (c *Config) validateLM() error {
	lm := &c.LM
	d := c.EmbeddingDim
	if len(lm.BlockIsSLSTM) != c.NumBlocks {
		return keyErr("slstm_at", "block map has %d entries, num_blocks is %d", len(lm.BlockIsSLSTM), c.NumBlocks)
	}
	anyM, anyS := false, false
	for _, s := range lm.BlockIsSLSTM {
		anyS = anyS || s
		anyM = anyM || !s
	}
	m, s, ffn, _ := c.resolved()
	if anyM {
		const p = "mlstm_block.mlstm."
		if lm.ContextLength <= 0 {
			return keyErr("context_length", "must be positive when there are mLSTM blocks, got %d", lm.ContextLength)
		}
		mc := &lm.MLSTM
		if err := checkRange(p+"num_heads", mc.NumHeads, 1, maxDim); err != nil {
			return err
		}
		if err := checkRange(p+"qkv_proj_blocksize", mc.QKVProjBlockSize, 1, maxDim); err != nil {
			return err
		}
		if err := checkConv(p+"conv1d_kernel_size", mc.ConvKernelSize); err != nil {
			return err
		}
		if err := checkFactor(p+"proj_factor", mc.ProjFactor); err != nil {
			return err
		}
		if err := checkRange(p+"round_proj_up_to_multiple_of", mc.RoundUpTo, 1, maxDim); err != nil {
			return err
		}
		if m.Inner <= 0 {
			return keyErr(p+"proj_factor", "inner dim %d (proj_factor %v × embedding_dim %d, rounded to a multiple of %d) is not positive",
				m.Inner, mc.ProjFactor, d, mc.RoundUpTo)
		}
		if m.Inner%mc.NumHeads != 0 {
			return keyErr(p+"num_heads", "inner dim %d is not divisible by num_heads %d", m.Inner, mc.NumHeads)
		}
		if m.Inner%mc.QKVProjBlockSize != 0 {
			return keyErr(p+"qkv_proj_blocksize", "inner dim %d is not divisible by qkv_proj_blocksize %d", m.Inner, mc.QKVProjBlockSize)
		}
		if mc.Inner != m.Inner || mc.HeadDim != m.HeadDim {
			return keyErr(p+"_inner_embedding_dim", "derived sizes Inner=%d HeadDim=%d, want %d and %d", mc.Inner, mc.HeadDim, m.Inner, m.HeadDim)
		}
	}
	if anyS {
		const p = "slstm_block.slstm."
		sc := &lm.SLSTM
		if err := checkRange(p+"num_heads", sc.NumHeads, 1, maxDim); err != nil {
			return err
		}
		if d%sc.NumHeads != 0 {
			return keyErr(p+"num_heads", "embedding_dim %d is not divisible by num_heads %d", d, sc.NumHeads)
		}
		if err := checkConv(p+"conv1d_kernel_size", sc.ConvKernelSize); err != nil {
			return err
		}
		if !oneOf(sc.Backend, slstmBackend) {
			return keyErr(p+"backend", "%q is not one of %s", sc.Backend, strings.Join(slstmBackend, ", "))
		}
		if sc.HeadDim != s.HeadDim {
			return keyErr(p+"num_heads", "derived head dim %d, want %d", sc.HeadDim, s.HeadDim)
		}
		if fc := lm.FFN; fc != nil {
			const q = "slstm_block.feedforward."
			if err := checkFactor(q+"proj_factor", fc.ProjFactor); err != nil {
				return err
			}
			if !oneOf(fc.ActFn, actFns) {
				return keyErr(q+"act_fn", "%q is not one of %s", fc.ActFn, strings.Join(actFns, ", "))
			}
			if err := checkRange(q+"round_proj_up_to_multiple_of", fc.RoundUpTo, 1, maxDim); err != nil {
				return err
			}
			if ffn.Up <= 0 {
				return keyErr(q+"proj_factor", "FFN dim %d (proj_factor %v × embedding_dim %d, rounded to a multiple of %d) is not positive",
					ffn.Up, fc.ProjFactor, d, fc.RoundUpTo)
			}
			if fc.Up != ffn.Up {
				return keyErr(q+"_proj_up_dim", "derived FFN dim %d, want %d", fc.Up, ffn.Up)
			}
		}
	}
	return nil
}

func (c *Config) validateLarge() error {
	g := &c.Large
	if err := checkRange("num_heads", g.NumHeads, 1, maxDim); err != nil {
		return err
	}
	if err := checkFactor("qk_dim_factor", g.QKDimFactor); err != nil {
		return err
	}
	if err := checkFactor("v_dim_factor", g.VDimFactor); err != nil {
		return err
	}
	if err := checkFactor("ffn_proj_factor", g.FFNProjFactor); err != nil {
		return err
	}
	if err := checkRange("ffn_round_up_to_multiple_of", g.FFNRoundUpTo, 1, maxDim); err != nil {
		return err
	}
	if err := checkRange("chunk_size", g.ChunkSize, 1, maxInt32); err != nil {
		return err
	}
	if !oneOf(g.WeightMode, weightModes) {
		return keyErr("weight_mode", "%q is not one of %s", g.WeightMode, strings.Join(weightModes, ", "))
	}
	for _, e := range []struct {
		key string
		v   float64
	}{{"norm_eps", g.NormEps}, {"eps", g.Eps}} {
		if !(e.v >= 0 && e.v < 1) {
			return keyErr(e.key, "%v is not in [0, 1)", e.v)
		}
	}
	for _, e := range []struct {
		key string
		v   float64
	}{{"gate_soft_cap", g.GateSoftCap}, {"output_logit_soft_cap", g.OutputLogitSoftCap}} {
		if !(e.v >= 0 && e.v < math.Inf(1)) {
			return keyErr(e.key, "%v is not allowed (a positive number, or 0/null for none)", e.v)
		}
	}
	_, _, _, r := c.resolved()
	if r.QKDim <= 0 {
		return keyErr("qk_dim_factor", "qk_dim = int(%d × %v) = %d is not positive", c.EmbeddingDim, g.QKDimFactor, r.QKDim)
	}
	if r.VDim <= 0 {
		return keyErr("v_dim_factor", "v_dim = int(%d × %v) = %d is not positive", c.EmbeddingDim, g.VDimFactor, r.VDim)
	}
	if r.QKDim%g.NumHeads != 0 {
		return keyErr("num_heads", "qk_dim %d is not divisible by num_heads %d", r.QKDim, g.NumHeads)
	}
	if r.VDim%g.NumHeads != 0 {
		return keyErr("num_heads", "v_dim %d is not divisible by num_heads %d", r.VDim, g.NumHeads)
	}
	if r.FFNDim <= 0 {
		return keyErr("ffn_proj_factor", "FFN dim %d is not positive", r.FFNDim)
	}
	if g.QKDim != r.QKDim || g.VDim != r.VDim || g.DHQK != r.DHQK || g.DHV != r.DHV || g.FFNDim != r.FFNDim {
		return keyErr("embedding_dim", "derived sizes qk=%d v=%d dqk=%d dv=%d ffn=%d, want %d %d %d %d %d",
			g.QKDim, g.VDim, g.DHQK, g.DHV, g.FFNDim, r.QKDim, r.VDim, r.DHQK, r.DHV, r.FFNDim)
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// Fingerprint

// fingerprintVersion names the canonical encoding; change it when the encoding changes.
const fingerprintVersion = "xlstm-go/config-fingerprint/v1"

// Fingerprint returns the SHA-256 of a canonical, versioned encoding of every field of the active
// family (sizes, derived sizes, flags, eps values, soft caps, block map, activation …), so that
// state saved for one model can be refused by another. It is deterministic, and two configs that
// differ in any such field have different fingerprints. Fields of the inactive family are ignored,
// and so is EOS (it only tells generation where to stop).
func (c *Config) Fingerprint() [32]byte {
	var b strings.Builder
	b.WriteString(fingerprintVersion)
	b.WriteByte('\n')
	kv := func(k string, v any) {
		b.WriteString(k)
		b.WriteByte('=')
		switch x := v.(type) {
		case int:
			b.WriteString(strconv.Itoa(x))
		case bool:
			b.WriteString(strconv.FormatBool(x))
		case float64:
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		case string:
			b.WriteString(strconv.Quote(x))
		}
		b.WriteByte('\n')
	}
	if c == nil {
		kv("nil", true)
		return sha256.Sum256([]byte(b.String()))
	}
	kv("family", c.Family.String())
	kv("family_id", int(c.Family))
	kv("vocab_size", c.VocabSize)
	kv("embedding_dim", c.EmbeddingDim)
	kv("num_blocks", c.NumBlocks)
	switch c.Family {
	case FamilyLM:
		lm := &c.LM
		kv("context_length", lm.ContextLength)
		kv("add_post_blocks_norm", lm.AddPostBlocksNorm)
		kv("bias", lm.Bias)
		kv("tie_weights", lm.TieWeights)
		bm := make([]byte, len(lm.BlockIsSLSTM))
		for i, s := range lm.BlockIsSLSTM {
			bm[i] = '0'
			if s {
				bm[i] = '1'
			}
		}
		kv("block_map", string(bm))
		m := &lm.MLSTM
		kv("mlstm.num_heads", m.NumHeads)
		kv("mlstm.conv1d_kernel_size", m.ConvKernelSize)
		kv("mlstm.qkv_proj_blocksize", m.QKVProjBlockSize)
		kv("mlstm.proj_factor", m.ProjFactor)
		kv("mlstm.round_proj_up_to_multiple_of", m.RoundUpTo)
		kv("mlstm.round_proj_up_dim_up", m.RoundUp)
		kv("mlstm.inner", m.Inner)
		kv("mlstm.head_dim", m.HeadDim)
		s := &lm.SLSTM
		kv("slstm.num_heads", s.NumHeads)
		kv("slstm.conv1d_kernel_size", s.ConvKernelSize)
		kv("slstm.backend", s.Backend)
		kv("slstm.group_norm_weight", s.GroupNormWeight)
		kv("slstm.head_dim", s.HeadDim)
		kv("ffn.present", lm.FFN != nil)
		if f := lm.FFN; f != nil {
			kv("ffn.proj_factor", f.ProjFactor)
			kv("ffn.act_fn", f.ActFn)
			kv("ffn.round_proj_up_to_multiple_of", f.RoundUpTo)
			kv("ffn.round_proj_up_dim_up", f.RoundUp)
			kv("ffn.bias", f.Bias)
			kv("ffn.up", f.Up)
		}
	case FamilyLarge:
		g := &c.Large
		kv("num_heads", g.NumHeads)
		kv("use_bias", g.UseBias)
		kv("norm_eps", g.NormEps)
		kv("norm_reduction_force_float32", g.NormReductionForceFloat32)
		kv("add_out_norm", g.AddOutNorm)
		kv("qk_dim_factor", g.QKDimFactor)
		kv("v_dim_factor", g.VDimFactor)
		kv("chunk_size", g.ChunkSize)
		kv("eps", g.Eps)
		kv("ffn_proj_factor", g.FFNProjFactor)
		kv("ffn_round_up_to_multiple_of", g.FFNRoundUpTo)
		kv("gate_soft_cap", g.GateSoftCap)
		kv("output_logit_soft_cap", g.OutputLogitSoftCap)
		kv("weight_mode", g.WeightMode)
		kv("tie_word_embeddings", g.TieWordEmbeddings)
		kv("qk_dim", g.QKDim)
		kv("v_dim", g.VDim)
		kv("dh_qk", g.DHQK)
		kv("dh_v", g.DHV)
		kv("ffn_dim", g.FFNDim)
	}
	return sha256.Sum256([]byte(b.String()))
}

// ---------------------------------------------------------------------------------------------
// Writing YAML

func yInt(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}
func yBool(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
}
func yStr(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
func yNull() *yaml.Node        { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"} }

// yFloat writes a float exactly (shortest round-trip digits) and always with a '.' before any
// exponent ("2.0", "1.0e-06"), so that YAML 1.1 readers (PyYAML) also see a float, as in the
// official config.yaml files.
func yFloat(v float64) *yaml.Node {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".IN") {
		if i := strings.IndexByte(s, 'e'); i >= 0 {
			s = s[:i] + ".0" + s[i:]
		} else {
			s += ".0"
		}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}
}

type yMap struct{ n *yaml.Node }

func newYMap() yMap { return yMap{&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}} }
func (m yMap) add(k string, v *yaml.Node) {
	m.n.Content = append(m.n.Content, yStr(k), v)
}

// addEOS writes the eos_token_id extension (see sharedKeys), only when the config names one.
func addEOS(m yMap, eos int) {
	if eos >= 0 {
		m.add("eos_token_id", yInt(eos))
	}
}

// YAML writes the config in the official config.yaml key names (xLSTMLMModelConfig or
// xLSTMLargeConfig) so that ParseConfigYAML of the result gives an equal Config. Only fields
// that Config keeps are written; the others take their official defaults when read back.
// Two extensions are written only when set: eos_token_id (EOS ≥ 0) and, for xLSTM Large,
// tie_word_embeddings (true).
// The config must be valid; YAML checks that the result reads back equal and errs otherwise.
func (c *Config) YAML() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("write config YAML: %w", err)
	}
	root := newYMap()
	switch c.Family {
	case FamilyLM:
		lm := &c.LM
		root.add("vocab_size", yInt(c.VocabSize))
		addEOS(root, c.EOS)
		root.add("context_length", yInt(lm.ContextLength))
		root.add("num_blocks", yInt(c.NumBlocks))
		root.add("embedding_dim", yInt(c.EmbeddingDim))
		root.add("add_post_blocks_norm", yBool(lm.AddPostBlocksNorm))
		root.add("bias", yBool(lm.Bias))
		root.add("tie_weights", yBool(lm.TieWeights))
		at := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for i, s := range lm.BlockIsSLSTM {
			if s {
				at.Content = append(at.Content, yInt(i))
			}
		}
		root.add("slstm_at", at)
		if lm.MLSTM != (MLSTMConfig{}) {
			m := &lm.MLSTM
			l := newYMap()
			l.add("conv1d_kernel_size", yInt(m.ConvKernelSize))
			l.add("qkv_proj_blocksize", yInt(m.QKVProjBlockSize))
			l.add("num_heads", yInt(m.NumHeads))
			l.add("proj_factor", yFloat(m.ProjFactor))
			l.add("round_proj_up_dim_up", yBool(m.RoundUp))
			l.add("round_proj_up_to_multiple_of", yInt(m.RoundUpTo))
			b := newYMap()
			b.add("mlstm", l.n)
			root.add("mlstm_block", b.n)
		}
		if lm.SLSTM != (SLSTMConfig{}) || lm.FFN != nil {
			s := &lm.SLSTM
			l := newYMap()
			l.add("backend", yStr(s.Backend))
			l.add("num_heads", yInt(s.NumHeads))
			l.add("conv1d_kernel_size", yInt(s.ConvKernelSize))
			l.add("group_norm_weight", yBool(s.GroupNormWeight))
			b := newYMap()
			b.add("slstm", l.n)
			if f := lm.FFN; f != nil {
				ff := newYMap()
				ff.add("proj_factor", yFloat(f.ProjFactor))
				ff.add("act_fn", yStr(f.ActFn))
				ff.add("round_proj_up_dim_up", yBool(f.RoundUp))
				ff.add("round_proj_up_to_multiple_of", yInt(f.RoundUpTo))
				ff.add("bias", yBool(f.Bias))
				b.add("feedforward", ff.n)
			} else {
				b.add("feedforward", yNull())
			}
			root.add("slstm_block", b.n)
		}
	case FamilyLarge:
		g := &c.Large
		capNode := func(v float64) *yaml.Node {
			if v == 0 {
				return yNull()
			}
			return yFloat(v)
		}
		root.add("embedding_dim", yInt(c.EmbeddingDim))
		root.add("num_heads", yInt(g.NumHeads))
		root.add("num_blocks", yInt(c.NumBlocks))
		root.add("vocab_size", yInt(c.VocabSize))
		addEOS(root, c.EOS)
		root.add("use_bias", yBool(g.UseBias))
		root.add("norm_eps", yFloat(g.NormEps))
		root.add("norm_reduction_force_float32", yBool(g.NormReductionForceFloat32))
		root.add("add_out_norm", yBool(g.AddOutNorm))
		root.add("qk_dim_factor", yFloat(g.QKDimFactor))
		root.add("v_dim_factor", yFloat(g.VDimFactor))
		root.add("chunk_size", yInt(g.ChunkSize))
		root.add("eps", yFloat(g.Eps))
		root.add("ffn_proj_factor", yFloat(g.FFNProjFactor))
		root.add("ffn_round_up_to_multiple_of", yInt(g.FFNRoundUpTo))
		root.add("gate_soft_cap", capNode(g.GateSoftCap))
		root.add("output_logit_soft_cap", capNode(g.OutputLogitSoftCap))
		root.add("weight_mode", yStr(g.WeightMode))
		if g.TieWordEmbeddings {
			// Not an xLSTMLargeConfig field (see largeOnlyKeys); written only when set.
			root.add("tie_word_embeddings", yBool(true))
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root.n); err != nil {
		return nil, fmt.Errorf("write config YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write config YAML: %w", err)
	}
	// Keep the promise: a config that would not read back the same (possible only for a
	// hand-built one, e.g. with an unused sub-config holding an unknown backend) is refused.
	back, err := ParseConfigYAML(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("write config YAML: the result does not read back: %w", err)
	}
	if !reflect.DeepEqual(back, c) {
		return nil, &ConfigError{Msg: "write config YAML: the config does not read back equal (derived sizes or unused sub-configs inconsistent)"}
	}
	return buf.Bytes(), nil
}

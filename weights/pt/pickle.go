package pt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// maxPickleSize bounds data.pkl (a 7B state_dict's pickle is under 100 kB).
const maxPickleSize = 64 << 20

// storageDTypes maps the allowed torch storage classes to their dtypes.
var storageDTypes = map[string]string{
	"FloatStorage":    "F32",
	"HalfStorage":     "F16",
	"BFloat16Storage": "BF16",
	"DoubleStorage":   "F64",
	"LongStorage":     "I64",
	"IntStorage":      "I32",
	"ShortStorage":    "I16",
	"CharStorage":     "I8",
	"ByteStorage":     "U8",
	"BoolStorage":     "BOOL",
}

// allowedGlobal reports whether module.name may be named by the pickle.
// Everything else (os.system, builtins.eval, ...) is refused before any
// object is built; nothing in a pickle is ever executed.
func allowedGlobal(module, name string) bool {
	switch module {
	case "torch":
		_, ok := storageDTypes[name]
		return ok
	case "torch._utils":
		switch name {
		case "_rebuild_tensor_v2", "_rebuild_tensor", "_rebuild_parameter", "_rebuild_parameter_with_state":
			return true
		}
	case "collections":
		return name == "OrderedDict"
	}
	return false
}

// GlobalError is returned for a pickle naming a global outside the
// allow-list.
type GlobalError struct{ Module, Name string }

// Error names the refused global.
func (e *GlobalError) Error() string {
	return fmt.Sprintf("pickle names %s.%s, which is not allowed (only torch storages, tensor rebuild functions and OrderedDict are)", e.Module, e.Name)
}

// Pickle opcodes this reader accepts, with how their argument is encoded.
const (
	argNone   = iota
	argFixed  // fixed byte count (n)
	argLine   // one newline-terminated line
	argLines2 // two lines (GLOBAL)
	argLen1   // 1-byte length, then data
	argLen4   // 4-byte little-endian length, then data
	argLen8   // 8-byte little-endian length, then data
)

type opArg struct {
	kind int
	n    int
}

// opcodes is the opcode allow-list. Left out on purpose: INST, OBJ, NEWOBJ,
// NEWOBJ_EX (instances of arbitrary classes), EXT1/2/4 (the extension
// registry), PERSID (text persistent ids) and the out-of-band buffers.
var opcodes = map[byte]opArg{
	'(': {argNone, 0}, '.': {argNone, 0}, '0': {argNone, 0}, '1': {argNone, 0}, '2': {argNone, 0},
	'F': {argLine, 0}, 'I': {argLine, 0}, 'J': {argFixed, 4}, 'K': {argFixed, 1}, 'L': {argLine, 0},
	'M': {argFixed, 2}, 'N': {argNone, 0}, 'Q': {argNone, 0}, 'R': {argNone, 0}, 'S': {argLine, 0},
	'T': {argLen4, 0}, 'U': {argLen1, 0}, 'V': {argLine, 0}, 'X': {argLen4, 0}, 'a': {argNone, 0},
	'b': {argNone, 0}, 'c': {argLines2, 0}, 'd': {argNone, 0}, '}': {argNone, 0}, 'e': {argNone, 0},
	'g': {argLine, 0}, 'h': {argFixed, 1}, 'j': {argFixed, 4}, 'l': {argNone, 0}, ']': {argNone, 0},
	'p': {argLine, 0}, 'q': {argFixed, 1}, 'r': {argFixed, 4}, 's': {argNone, 0}, 't': {argNone, 0},
	')': {argNone, 0}, 'u': {argNone, 0}, 'G': {argFixed, 8},
	0x80: {argFixed, 1}, 0x85: {argNone, 0}, 0x86: {argNone, 0}, 0x87: {argNone, 0},
	0x88: {argNone, 0}, 0x89: {argNone, 0}, 0x8a: {argLen1, 0}, 0x8b: {argLen4, 0},
	'B': {argLen4, 0}, 'C': {argLen1, 0}, 0x8c: {argLen1, 0}, 0x8d: {argLen8, 0},
	0x8e: {argLen8, 0}, 0x8f: {argNone, 0}, 0x90: {argNone, 0}, 0x91: {argNone, 0},
	0x93: {argNone, 0}, 0x94: {argNone, 0}, 0x95: {argFixed, 8}, 0x96: {argLen8, 0},
}

// scan walks the opcodes of a pickle before anything is unpickled: every
// opcode must be on the allow-list, every length must fit in the data (so
// that the unpickler never allocates more than the input's size), every
// GLOBAL must be allowed, and the stream must end with STOP.
func scan(data []byte) error {
	if len(data) > maxPickleSize {
		return fmt.Errorf("pickle of %d bytes exceeds the %d-byte limit", len(data), maxPickleSize)
	}
	i := 0
	for i < len(data) {
		op := data[i]
		at := i
		i++
		a, ok := opcodes[op]
		if !ok {
			return fmt.Errorf("pickle opcode 0x%02x at byte %d is not allowed", op, at)
		}
		rest := len(data) - i
		switch a.kind {
		case argFixed:
			if rest < a.n {
				return fmt.Errorf("pickle truncated at byte %d", at)
			}
			if op == 0x95 && binary.LittleEndian.Uint64(data[i:]) > uint64(rest-8) {
				return fmt.Errorf("pickle frame at byte %d runs past the end", at)
			}
			i += a.n
		case argLine, argLines2:
			lines := 1
			if a.kind == argLines2 {
				lines = 2
			}
			var parts [2][]byte
			for l := 0; l < lines; l++ {
				nl := bytes.IndexByte(data[i:], '\n')
				if nl < 0 {
					return fmt.Errorf("pickle truncated at byte %d", at)
				}
				parts[l] = data[i : i+nl]
				i += nl + 1
			}
			if op == 'c' {
				module, name := string(parts[0]), string(parts[1])
				if !allowedGlobal(module, name) {
					return &GlobalError{Module: module, Name: name}
				}
			}
		case argLen1, argLen4, argLen8:
			w := map[int]int{argLen1: 1, argLen4: 4, argLen8: 8}[a.kind]
			if rest < w {
				return fmt.Errorf("pickle truncated at byte %d", at)
			}
			var n uint64
			switch w {
			case 1:
				n = uint64(data[i])
			case 4:
				n = uint64(binary.LittleEndian.Uint32(data[i:]))
			case 8:
				n = binary.LittleEndian.Uint64(data[i:])
			}
			if n > uint64(rest-w) {
				return fmt.Errorf("pickle length %d at byte %d runs past the end", n, at)
			}
			i += w + int(n)
		}
		if op == '.' {
			return nil
		}
	}
	return errors.New("pickle has no STOP opcode (truncated)")
}

// storageRef is a storage named by a persistent id.
type storageRef struct {
	dtype string
	key   string
	numel int64
}

// storageClass is an allowed torch storage class.
type storageClass struct{ dtype string }

// rawTensor is what _rebuild_tensor_v2 returns.
type rawTensor struct {
	storage storageRef
	offset  int64
	shape   []int
	stride  []int64
}

// callable adapts a Go function to gopickle's Callable.
type callable func(args ...interface{}) (interface{}, error)

// Call calls the function.
func (c callable) Call(args ...interface{}) (interface{}, error) { return c(args...) }

// unpickle decodes data.pkl into its top-level object. Only allow-listed
// globals resolve; panics inside the unpickler become errors.
func unpickle(data []byte) (result interface{}, err error) {
	if err := scan(data); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			result, err = nil, fmt.Errorf("malformed pickle: %v", r)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(data))
	u.FindClass = findClass
	u.PersistentLoad = persistentLoad
	return u.Load()
}

func findClass(module, name string) (interface{}, error) {
	if !allowedGlobal(module, name) {
		return nil, &GlobalError{Module: module, Name: name}
	}
	if module == "torch" {
		return &storageClass{dtype: storageDTypes[name]}, nil
	}
	switch name {
	case "_rebuild_tensor_v2", "_rebuild_tensor":
		return callable(rebuildTensor), nil
	case "_rebuild_parameter", "_rebuild_parameter_with_state":
		return callable(func(args ...interface{}) (interface{}, error) {
			if len(args) < 1 {
				return nil, errors.New("_rebuild_parameter: no arguments")
			}
			if _, ok := args[0].(*rawTensor); !ok {
				return nil, fmt.Errorf("_rebuild_parameter: argument is %T, not a tensor", args[0])
			}
			return args[0], nil
		}), nil
	}
	// OrderedDict is resolved by the unpickler itself.
	return nil, &GlobalError{Module: module, Name: name}
}

// persistentLoad resolves ('storage', StorageClass, key, location, numel).
func persistentLoad(pid interface{}) (interface{}, error) {
	t, ok := pid.(*types.Tuple)
	if !ok || t.Len() != 5 {
		return nil, fmt.Errorf("persistent id %s is not a 5-tuple", describe(pid))
	}
	if s, _ := t.Get(0).(string); s != "storage" {
		return nil, fmt.Errorf("persistent id kind %s, want 'storage'", describe(t.Get(0)))
	}
	cls, ok := t.Get(1).(*storageClass)
	if !ok {
		return nil, fmt.Errorf("persistent id storage type %s is not an allowed torch storage", describe(t.Get(1)))
	}
	key, ok := t.Get(2).(string)
	if !ok || key == "" {
		return nil, fmt.Errorf("persistent id storage key %s is not a string", describe(t.Get(2)))
	}
	numel, ok := toInt(t.Get(4))
	if !ok || numel < 0 {
		return nil, fmt.Errorf("storage %s: bad element count %s", key, describe(t.Get(4)))
	}
	return storageRef{dtype: cls.dtype, key: key, numel: numel}, nil
}

// rebuildTensor reads (storage, storage_offset, size, stride, ...).
func rebuildTensor(args ...interface{}) (interface{}, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor: %d arguments, want at least 4", len(args))
	}
	st, ok := args[0].(storageRef)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor: storage is %T", args[0])
	}
	off, ok := toInt(args[1])
	if !ok || off < 0 {
		return nil, fmt.Errorf("_rebuild_tensor: bad storage offset %s", describe(args[1]))
	}
	size, err := intTuple(args[2])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor: size: %w", err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor: stride: %w", err)
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("_rebuild_tensor: size %v and stride %v differ in rank", size, stride)
	}
	shape := make([]int, len(size))
	for i, d := range size {
		if d > math.MaxInt32 {
			return nil, fmt.Errorf("_rebuild_tensor: dimension %d too large", d)
		}
		shape[i] = int(d)
	}
	return &rawTensor{storage: st, offset: off, shape: shape, stride: stride}, nil
}

// intTuple converts a tuple of non-negative ints.
func intTuple(v interface{}) ([]int64, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("%T is not a tuple", v)
	}
	out := make([]int64, t.Len())
	for i := range out {
		n, ok := toInt(t.Get(i))
		if !ok || n < 0 {
			return nil, fmt.Errorf("element %d (%s) is not a non-negative integer", i, describe(t.Get(i)))
		}
		out[i] = n
	}
	return out, nil
}

// toInt converts a pickled integer.
func toInt(v interface{}) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), true
		}
	case bool:
		return 0, false
	}
	return 0, false
}

// describe prints a pickled value for an error message: scalars by value,
// anything else by type only (containers may be cyclic).
func describe(v interface{}) string {
	switch x := v.(type) {
	case string:
		if len(x) > 64 {
			x = x[:64] + "..."
		}
		return fmt.Sprintf("%q", x)
	case int, int64, bool, float64, nil:
		return fmt.Sprint(x)
	case *big.Int:
		return "a big integer"
	}
	return fmt.Sprintf("a %T", v)
}

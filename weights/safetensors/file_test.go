package safetensors

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oneTensor builds a header with tensor "w" described by the given JSON
// fields (no braces), over data bytes of zeros.
func oneTensor(fields string, data int) []byte {
	return rawFile(`{"w":{`+fields+`}}`, make([]byte, data))
}

func withLength(n uint64, rest string) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, n)
	return append(b, rest...)
}

func TestParseErrors(t *testing.T) {
	const ok = `"dtype":"F32","shape":[2],"data_offsets":[0,8]`
	cases := []struct {
		name string
		file []byte
		want []string // substrings the error must contain
	}{
		{"empty file", nil, []string{"0 bytes", "shorter than"}},
		{"short file", []byte{1, 2, 3}, []string{"shorter than"}},
		{"header beyond file", withLength(100, "{}"), []string{"header length 100", "file size"}},
		{"header over limit", withLength(200<<20, "{}"), []string{"header length", "limit"}},
		{"header length huge", withLength(1<<63, "{}"), []string{"header length", "limit"}},
		{"empty header", withLength(0, ""), []string{"header", "invalid JSON"}},
		{"not json", rawFile(`{not json}`, nil), []string{"header", "invalid JSON"}},
		{"truncated json", rawFile(`{"w":{"dtype":"F32"`, nil), []string{"invalid JSON"}},
		{"array", rawFile(`[1,2]`, nil), []string{"not a JSON object"}},
		{"string", rawFile(`"x"`, nil), []string{"not a JSON object"}},
		{"trailing data", rawFile(`{} {}`, nil), []string{"after the header"}},
		{"trailing brace", rawFile(`{}}`, nil), []string{"header"}},
		{"invalid utf8", rawFile("{\"w\xff\":{}}", nil), []string{"UTF-8"}},
		{"duplicate key", rawFile(`{"w":{`+ok+`},"w":{`+ok+`}}`, make([]byte, 8)), []string{`duplicate key "w"`}},
		{"entry not object", rawFile(`{"w":5}`, nil), []string{`tensor "w"`, "not a JSON object"}},
		{"entry null", rawFile(`{"w":null}`, nil), []string{`tensor "w"`, "not a JSON object"}},
		{"entry array", rawFile(`{"w":[]}`, nil), []string{`tensor "w"`, "not a JSON object"}},
		{"missing dtype", oneTensor(`"shape":[2],"data_offsets":[0,8]`, 8), []string{`tensor "w"`, "missing dtype"}},
		{"null dtype", oneTensor(`"dtype":null,"shape":[2],"data_offsets":[0,8]`, 8), []string{`tensor "w"`, "missing dtype"}},
		{"missing shape", oneTensor(`"dtype":"F32","data_offsets":[0,8]`, 8), []string{`tensor "w"`, "missing shape"}},
		{"missing offsets", oneTensor(`"dtype":"F32","shape":[2]`, 8), []string{`tensor "w"`, "missing data_offsets"}},
		{"dtype not string", oneTensor(`"dtype":4,"shape":[2],"data_offsets":[0,8]`, 8), []string{`tensor "w"`, "field dtype"}},
		{"unknown dtype", oneTensor(`"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]`, 2), []string{`tensor "w"`, `unknown dtype "F8_E4M3"`}},
		{"lower-case dtype", oneTensor(`"dtype":"f32","shape":[2],"data_offsets":[0,8]`, 8), []string{`tensor "w"`, "unknown dtype"}},
		{"shape not array", oneTensor(`"dtype":"F32","shape":2,"data_offsets":[0,8]`, 8), []string{`tensor "w"`, "field shape"}},
		{"fractional dim", oneTensor(`"dtype":"F32","shape":[1.5],"data_offsets":[0,8]`, 8), []string{`tensor "w"`, "field shape"}},
		{"huge dim", oneTensor(`"dtype":"F32","shape":[1e30],"data_offsets":[0,8]`, 8), []string{`tensor "w"`, "field shape"}},
		{"negative dim", oneTensor(`"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]`, 8), []string{`tensor "w"`, "shape", "negative"}},
		{"numel overflow", oneTensor(`"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]`, 0), []string{`tensor "w"`, "shape", "overflow"}},
		{"numel overflow with zero", oneTensor(`"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]`, 0), []string{`tensor "w"`, "overflow"}},
		{"bytes overflow", oneTensor(`"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]`, 0), []string{`tensor "w"`, "data_offsets"}},
		{"offsets not array", oneTensor(`"dtype":"F32","shape":[2],"data_offsets":"0-8"`, 8), []string{`tensor "w"`, "field data_offsets"}},
		{"one offset", oneTensor(`"dtype":"F32","shape":[2],"data_offsets":[8]`, 8), []string{`tensor "w"`, "data_offsets", "[begin, end]"}},
		{"three offsets", oneTensor(`"dtype":"F32","shape":[2],"data_offsets":[0,8,16]`, 16), []string{`tensor "w"`, "data_offsets"}},
		{"begin after end", oneTensor(`"dtype":"F32","shape":[2],"data_offsets":[8,0]`, 8), []string{`tensor "w"`, "data_offsets", "begin <= end"}},
		{"negative begin", oneTensor(`"dtype":"F32","shape":[2],"data_offsets":[-8,0]`, 8), []string{`tensor "w"`, "data_offsets"}},
		{"offset overflow", oneTensor(`"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]`, 8), []string{`tensor "w"`, "field data_offsets"}},
		{"end beyond data", oneTensor(`"dtype":"F32","shape":[4],"data_offsets":[0,16]`, 8), []string{`tensor "w"`, "data_offsets", "beyond"}},
		{"size mismatch", oneTensor(`"dtype":"F32","shape":[3],"data_offsets":[0,8]`, 8), []string{`tensor "w"`, "data_offsets", "needs"}},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
			[]string{`tensor "b"`, `tensor "a"`, "overlap"}},
		{"overlap contained", rawFile(`{"a":{"dtype":"U8","shape":[12],"data_offsets":[0,12]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}`, make([]byte, 12)),
			[]string{`"b"`, `"a"`, "overlap"}},
		{"metadata not object", rawFile(`{"__metadata__":5}`, nil), []string{"__metadata__"}},
		{"metadata non-string value", rawFile(`{"__metadata__":{"k":1}}`, nil), []string{"__metadata__"}},
		{"metadata nested", rawFile(`{"__metadata__":{"k":{"a":"b"}}}`, nil), []string{"__metadata__"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.file)
			if err == nil {
				t.Fatalf("Parse succeeded with names %v", f.Names())
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name  string
		file  []byte
		names int
	}{
		{"empty object", rawFile(`{}`, nil), 0},
		{"padded header", rawFile(`{}      `, nil), 0},
		{"null metadata", rawFile(`{"__metadata__":null}`, nil), 0},
		{"extra field ignored", oneTensor(`"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1`, 8), 1},
		{"gap between tensors", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 16)), 2},
		{"empty tensor inside another", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]}}`, make([]byte, 8)), 2},
		{"scalar", oneTensor(`"dtype":"I64","shape":[],"data_offsets":[0,8]`, 8), 1},
		{"zero-dim with huge other dim", oneTensor(`"dtype":"F32","shape":[0,1099511627776],"data_offsets":[0,0]`, 0), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(f.Names()); got != c.names {
				t.Errorf("%d names, want %d", got, c.names)
			}
			for _, n := range f.Names() {
				if _, err := f.Raw(n); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestOpenErrorsNamePath(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty.safetensors", nil, "shorter than"},
		{"bad.safetensors", oneTensor(`"dtype":"F32","shape":[3],"data_offsets":[0,8]`, 8), `tensor "w"`},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%s) error = %v, want one naming the path and %q", c.name, err, c.want)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing.safetensors")); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) error = %v, want a not-exist error", err)
	}
}

package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// rawFile assembles a file from a literal header and data section, for tests
// that need byte-level control (hand-built dtypes, corrupt headers).
func rawFile(header string, data []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// le16 packs 16-bit values little-endian.
func le16(v ...uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

// writeTestFile writes tensors to dir/name, failing the test on error. It
// uses Encode and os.WriteFile rather than WriteFile, whose fsync makes
// tests that write many files slow.
func writeTestFile(t *testing.T, dir, name string, tensors ...Tensor) string {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, tensors, nil); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func itoa(n int) string { return strconv.Itoa(n) }

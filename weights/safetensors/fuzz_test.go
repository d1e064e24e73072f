package safetensors

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// fuzzSeeds returns valid files built with Encode, plus corrupted variants.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	enc := func(tensors []Tensor, meta map[string]string) []byte {
		var b bytes.Buffer
		if err := Encode(&b, tensors, meta); err != nil {
			f.Fatal(err)
		}
		return b.Bytes()
	}
	_, _, _, rt := roundTripTensors()
	valid := [][]byte{
		enc(rt, map[string]string{"format": "pt"}),
		enc([]Tensor{F32Tensor("w", []int{2, 2}, []float32{1, 2, 3, 4})}, nil),
		enc(nil, nil),
		enc([]Tensor{
			{Name: "h", DType: F16, Shape: []int{3}, Data: le16(0x3C00, 0x7C00, 0x0001)},
			{Name: "b", DType: BF16, Shape: []int{1, 2}, Data: le16(0x3F80, 0x7FC0)},
			{Name: "u", DType: U8, Shape: []int{3}, Data: []byte{1, 2, 3}},
			{Name: "i", DType: I16, Shape: []int{1}, Data: le16(0xffff)},
		}, nil),
	}
	for _, v := range valid {
		seeds = append(seeds, v)
		n := binary.LittleEndian.Uint64(v)
		// Truncated data, truncated header, bumped header length, and a
		// flipped byte inside the header.
		seeds = append(seeds, v[:len(v)-1], v[:8+n/2])
		bumped := bytes.Clone(v)
		binary.LittleEndian.PutUint64(bumped, n+8)
		seeds = append(seeds, bumped)
		flipped := bytes.Clone(v)
		flipped[8+n/3] ^= 0x20
		seeds = append(seeds, flipped)
	}
	seeds = append(seeds, nil, []byte("12345678"),
		rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
		rawFile(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, nil))
	return seeds
}

// FuzzParse checks that no input makes Parse or the read methods panic, and
// that what Parse accepts is internally consistent.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for _, name := range file.Names() {
			info, ok := file.Info(name)
			if !ok {
				t.Fatalf("Names lists %q but Info does not find it", name)
			}
			raw, err := file.Raw(name)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(raw)) != info.Size || info.Size != int64(info.NumElements()*info.DType.Size()) {
				t.Fatalf("tensor %q: %d raw bytes, info %+v", name, len(raw), info)
			}
			switch {
			case info.DType.isFloat():
				if err := file.ReadFloat64(name, make([]float64, info.NumElements())); err != nil {
					t.Fatal(err)
				}
				if _, err := file.Float32(name); err != nil {
					t.Fatal(err)
				}
			case info.DType.isInt():
				if _, err := file.Int64(name); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Re-encoding what was parsed must give a file that parses to the
		// same tensors.
		var tensors []Tensor
		for _, name := range file.Names() {
			info, _ := file.Info(name)
			raw, _ := file.Raw(name)
			tensors = append(tensors, Tensor{Name: name, DType: info.DType, Shape: info.Shape, Data: raw})
		}
		var b bytes.Buffer
		if err := Encode(&b, tensors, file.Metadata()); err != nil {
			return // e.g. an empty or invalid-UTF-8 name, which Encode refuses
		}
		again, err := Parse(b.Bytes())
		if err != nil {
			t.Fatalf("re-encoded file does not parse: %v", err)
		}
		for _, tn := range tensors {
			raw, err := again.Raw(tn.Name)
			if err != nil || !bytes.Equal(raw, tn.Data) {
				t.Fatalf("tensor %q changed on re-encode: %v", tn.Name, err)
			}
		}
	})
}

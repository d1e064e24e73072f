package refio

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/xlstm-go/xlstm/weights/safetensors"
)

func TestTokens(t *testing.T) {
	p := filepath.Join(t.TempDir(), "io.safetensors")
	tok := safetensors.Tensor{Name: "tokens", DType: safetensors.I64, Shape: []int{2, 3},
		Data: []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
			4, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0}}
	if err := safetensors.WriteFile(p, []safetensors.Tensor{tok}, nil); err != nil {
		t.Fatal(err)
	}
	got := Tokens(t, Open(t, p))
	if len(got) != 2 || !slices.Equal(got[0], []int{1, 2, 3}) || !slices.Equal(got[1], []int{4, 5, 6}) {
		t.Fatalf("tokens %v", got)
	}
}

package defaultmodel_test

import (
	"io/fs"
	"math"
	"testing"

	"github.com/xlstm-go/xlstm/runtime/engine"
	defaultmodel "github.com/xlstm-go/xlstm/weights/default"
)

// ruth is Ruth 1:16 (KJV), from a book held out of the default model's
// training data.
const ruth = "And Ruth said, Intreat me not to leave thee, or to return from following after thee: for whither thou goest, I will go; and where thou lodgest, I will lodge: thy people shall be my people, and thy God my God:\n"

// TestDefaultModel checks that the embedded bundle is the trained
// byte-level model: it loads, stays under 10 MB, and predicts held-out
// English far better than the bigram byte model does (3.3 bits/byte on the
// validation books); a random-weight bundle scores about 8.
func TestDefaultModel(t *testing.T) {
	var size int64
	fs.WalkDir(defaultmodel.FS(), ".", func(_ string, d fs.DirEntry, _ error) error {
		if info, err := d.Info(); err == nil && !d.IsDir() {
			size += info.Size()
		}
		return nil
	})
	if size > 10<<20 {
		t.Fatalf("bundle is %d bytes, over 10 MB", size)
	}
	b, err := engine.LoadBundle(defaultmodel.FS())
	if err != nil {
		t.Fatal(err)
	}
	if b.Tokenizer == nil || b.Tokenizer.Kind() != "byte" || b.Manifest.Tokenizer.Type != "byte" {
		t.Fatal("the default bundle does not carry the byte tokenizer")
	}
	ids := b.Tokenizer.EncodeWith(ruth, false)
	logits, err := b.Model.Forward(ids)
	if err != nil {
		t.Fatal(err)
	}
	V := b.Config.VocabSize
	var nll float64
	for i := 0; i+1 < len(ids); i++ {
		row := logits[i*V : (i+1)*V]
		mx := math.Inf(-1)
		for _, x := range row {
			mx = math.Max(mx, float64(x))
		}
		var z float64
		for _, x := range row {
			z += math.Exp(float64(x) - mx)
		}
		nll += math.Log(z) + mx - float64(row[ids[i+1]])
	}
	bits := nll / float64(len(ids)-1) / math.Ln2
	t.Logf("Ruth 1:16: %.3f bits/byte", bits)
	if bits > 2.5 {
		t.Fatalf("%.3f bits/byte on a held-out verse: want below 2.5 (the bigram baseline is about 3.3)", bits)
	}
}

package modeltest

import (
	"path/filepath"
	"testing"

	"github.com/xlstm-go/xlstm/runtime/model"
)

func TestConfigsBuildAndBundlesLoad(t *testing.T) {
	for _, tc := range []struct{ name, yaml string }{{"lm", TinyLM}, {"large", TinyLarge}} {
		for _, dt := range []string{"F32", "F16", "Q8", "Q4"} {
			t.Run(tc.name+"/"+dt, func(t *testing.T) {
				cfg, err := model.ParseConfigYAML([]byte(tc.yaml))
				if err != nil {
					t.Fatal(err)
				}
				src, err := Random(cfg, 1)
				if err != nil {
					t.Fatal(err)
				}
				rs, err := src.Rounded(dt)
				if err != nil {
					t.Fatal(err)
				}
				m, err := model.New[float32](cfg, rs)
				if err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join(t.TempDir(), "b")
				if err := WriteBundle(dir, tc.yaml, 1, dt); err != nil {
					t.Fatal(err)
				}
				b, err := model.LoadBundle[float32](dir)
				if err != nil {
					t.Fatal(err)
				}
				toks := []int{1, 200, 7, 42, 99, 3, 250, 0, 17, 5}
				want, err := m.Forward(toks)
				if err != nil {
					t.Fatal(err)
				}
				got, err := b.Forward(toks)
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("logit %d: bundle model gives %g, the rounded source's %g", i, got[i], want[i])
					}
				}
			})
		}
	}
}

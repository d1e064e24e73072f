package shaders

import (
	"strings"
	"testing"
)

func TestSources(t *testing.T) {
	for _, c := range []struct {
		name, format, want, err string
	}{
		{"matvec", "", "fn main", ""},
		{"matvec", "q8", "fn wload", ""},
		{"matmul", "q4", "unpack2x16float", ""},
		{"linear_rows", "f32", "bitcast<f32>", ""},
		{"nope", "", "", `no shader "nope"`},
		{"matvec", "q2", "", `unknown weight format "q2"`},
	} {
		var src string
		var err error
		if c.format == "" {
			src, err = Source(c.name)
		} else {
			src, err = WithWeights(c.name, c.format)
		}
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s/%s: error %v, want %q", c.name, c.format, err, c.err)
		case c.err == "" && (err != nil || !strings.Contains(src, c.want)):
			t.Errorf("%s/%s: %v, source lacks %q", c.name, c.format, err, c.want)
		}
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlstm-go/xlstm/internal/modeltest"
)

func TestReport(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	if err := modeltest.WriteBundle(model, modeltest.TinyLM, 1, "F32"); err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("the cat sat on the mat. ", 40)
	for _, f := range []string{"train.txt", "a.txt", "b.txt"} {
		os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644)
	}
	var out, errb bytes.Buffer
	report := filepath.Join(dir, "report.md")
	args := []string{"-model", model, "-train", filepath.Join(dir, "train.txt"), "-val", filepath.Join(dir, "a.txt") + "," + filepath.Join(dir, "b.txt"),
		"-seq", "32", "-threads", "1", "-prompt", "the", "-n", "5", "-out", report}
	if err := run(args, &out, &errb); err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(report)
	if string(saved) != out.String() {
		t.Fatal("the -out file differs from stdout")
	}
	for _, want := range []string{"| bits/byte on | a.txt (960 bytes) | b.txt (960 bytes) |", "| model (", "| bigram byte model", "| unigram byte model", "Sample (prompt \"the\""} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-model", "m"}, "required"},
		{[]string{"-model", "m", "-train", "t", "-val", "v", "-seq", "1"}, "-seq"},
		{[]string{"-model", filepath.Join(t.TempDir(), "none"), "-train", "t", "-val", "v"}, "manifest"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if err := run(tt.args, &out, &errb); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const kjvSample = `Ge1:1 In the beginning God created the heaven and the earth.
Ge1:2 And the earth was without form, and void.
Ruth1:1 Now it came to pass in the days when the judges ruled.
Phi1:1 Paul and Timotheus, the servants of Jesus Christ.
`

const webSample = `Genesis 1:1: In the beginning, God created the heavens and the earth.
Genesis 3:14: Yahweh God said to the serpent,
“Because you have done this,
you are cursed above all livestock.

Ruth 1:1: In the days when the judges judged, there was a famine in the land.
I Samuel 1:1: Now there was a certain man of Ramathaim Zophim.
(engWEB2015eb)
`

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		parse func(r *strings.Reader) ([]Verse, error)
		in    string
		want  []Verse
	}{
		{"kjv", func(r *strings.Reader) ([]Verse, error) { return ParseKJV(r) }, kjvSample, []Verse{
			{"Genesis", "In the beginning God created the heaven and the earth."},
			{"Genesis", "And the earth was without form, and void."},
			{"Ruth", "Now it came to pass in the days when the judges ruled."},
			{"Philippians", "Paul and Timotheus, the servants of Jesus Christ."},
		}},
		{"web", func(r *strings.Reader) ([]Verse, error) { return ParseWEB(r) }, webSample, []Verse{
			{"Genesis", "In the beginning, God created the heavens and the earth."},
			{"Genesis", "Yahweh God said to the serpent,\n“Because you have done this,\nyou are cursed above all livestock."},
			{"Ruth", "In the days when the judges judged, there was a famine in the land."},
			{"I Samuel", "Now there was a certain man of Ramathaim Zophim."},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d verses %q, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("verse %d: %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"kjv garbage", func() error { _, err := ParseKJV(strings.NewReader("hello world\n")); return err }, "kjv line 1"},
		{"kjv empty", func() error { _, err := ParseKJV(strings.NewReader("")); return err }, "no verses"},
		{"web leading text", func() error { _, err := ParseWEB(strings.NewReader("stray\nGenesis 1:1: x\n")); return err }, "before the first verse"},
		{"web empty", func() error { _, err := ParseWEB(strings.NewReader("(engWEB2015eb)\n")); return err }, "no verses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.err(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRunSplitsByBook(t *testing.T) {
	dir := t.TempDir()
	kjv, web := filepath.Join(dir, "kjv.raw"), filepath.Join(dir, "web.raw")
	os.WriteFile(kjv, []byte(kjvSample), 0o644)
	os.WriteFile(web, []byte(webSample), 0o644)
	var out, errb bytes.Buffer
	if err := run([]string{"-kjv", kjv, "-web", web, "-out", dir, "-valid", "Ruth,Genesis", "-clean", "Ruth"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	tr, _ := os.ReadFile(filepath.Join(dir, "train.txt"))
	va, _ := os.ReadFile(filepath.Join(dir, "valid.txt"))
	cl, _ := os.ReadFile(filepath.Join(dir, "valid-clean.txt"))
	wantClean := "Now it came to pass in the days when the judges ruled.\nIn the days when the judges judged, there was a famine in the land.\n"
	if string(cl) != wantClean || bytes.Count(va, []byte("\n")) != 8 || !bytes.Contains(va, []byte("judges judged")) {
		t.Fatalf("valid.txt %q, valid-clean.txt %q, want the 6 verses (8 lines) of Ruth and Genesis, and %q", va, cl, wantClean)
	}
	if bytes.Contains(tr, []byte("judges")) || bytes.Contains(tr, []byte("beginning")) || !bytes.Contains(tr, []byte("Ramathaim")) {
		t.Fatalf("train.txt has validation verses or lacks training ones: %q", tr)
	}
	if err := run([]string{"-kjv", kjv, "-web", web, "-out", dir, "-valid", "Jude", "-clean", ""}, &out, &errb); err == nil || !strings.Contains(err.Error(), "Jude") {
		t.Fatalf("absent validation book: err %v", err)
	}
	if err := run([]string{"-kjv", kjv, "-web", web, "-out", dir, "-valid", "Ruth", "-clean", "Mark"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "Mark") {
		t.Fatalf("-clean book outside -valid: err %v", err)
	}
}

// FuzzParse: neither parser panics, and every verse it returns has a book.
func FuzzParse(f *testing.F) {
	f.Add(kjvSample)
	f.Add(webSample)
	f.Fuzz(func(t *testing.T, in string) {
		for _, parse := range []func(*strings.Reader) ([]Verse, error){
			func(r *strings.Reader) ([]Verse, error) { return ParseKJV(r) },
			func(r *strings.Reader) ([]Verse, error) { return ParseWEB(r) },
		} {
			vs, err := parse(strings.NewReader(in))
			if err == nil && len(vs) == 0 {
				t.Fatal("no error and no verses")
			}
			for _, v := range vs {
				if v.Book == "" {
					t.Fatalf("verse without a book: %q", v)
				}
			}
		}
	})
}

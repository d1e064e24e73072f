package web

import (
	"io/fs"
	"strings"
	"testing"
)

func TestFS(t *testing.T) {
	fsys := FS()
	for _, tt := range []struct {
		name string
		want string // a string the file must contain
	}{
		{"index.html", `data-testid="generate"`},
		{"app.js", "new Worker('worker.js')"},
		{"worker.js", "wasm/main.wasm"},
		{"style.css", "prefers-color-scheme: dark"},
		{"wasm/PLACEHOLDER.txt", "make web"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := fs.ReadFile(fsys, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tt.want) {
				t.Errorf("%s does not contain %q", tt.name, tt.want)
			}
		})
	}
}

// TestTestIDs checks that the page carries every data-testid the browser
// tests and the issue name.
func TestTestIDs(t *testing.T) {
	b, err := fs.ReadFile(FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"prompt", "generate", "stop", "output", "backend", "stats", "progress", "error", "save-state", "restore-state"} {
		if !strings.Contains(string(b), `data-testid="`+id+`"`) {
			t.Errorf("index.html has no data-testid=%q", id)
		}
	}
}

// TestNoRemoteAssets checks that the page loads nothing from another origin.
func TestNoRemoteAssets(t *testing.T) {
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".css") || p == "app.js" || p == "worker.js") {
			return err
		}
		b, err := fs.ReadFile(FS(), p)
		if err != nil {
			return err
		}
		for _, s := range []string{"http://", "https://", "//cdn"} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s refers to %q: every asset must be served locally", p, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

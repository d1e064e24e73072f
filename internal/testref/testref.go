// Package testref finds the shared reference data (../shared beside the
// module root) for parity tests, and skips a test with a message when it is
// absent.
package testref

import (
	"os"
	"path/filepath"
	"testing"
)

// envVar overrides where the shared folder is.
const envVar = "XLSTM_SHARED"

// Shared returns the path of the shared folder, or "" when it cannot be found.
// XLSTM_SHARED wins; otherwise it walks up from the working directory to the
// module root (the folder with go.mod) and looks for ../shared beside it.
func Shared() string {
	if p := os.Getenv(envVar); p != "" {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared")
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				return filepath.Clean(p)
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Dir returns shared/<rel>, skipping the test with a message when it is absent.
func Dir(t testing.TB, rel string) string {
	t.Helper()
	root := Shared()
	if root == "" {
		t.Skipf("shared reference data not found (set %s or place it at ../shared beside the module root); skipping", envVar)
	}
	p := filepath.Join(root, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared reference data %s absent: %v; skipping", rel, err)
	}
	return p
}

// ReferenceSets lists the reference sets under shared/xlstm/reference.
func ReferenceSets() []string {
	return []string{"mlstm_only", "slstm_only", "mixed", "xlstm_large"}
}

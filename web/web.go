// Package web holds the in-browser demo page: static assets (HTML, CSS, the
// page script and the Web Worker) and, after `make web`, the Go-wasm engine
// (static/wasm/main.wasm) with Go's wasm_exec.js. cmd/serve embeds FS and
// serves it at "/"; bundles are fetched from /models/<name>/.
package web

import (
	"embed"
	"io/fs"
)

// The wasm directory always holds a committed placeholder so the pattern
// matches on a fresh clone, before `make web` has written main.wasm.
//
//go:embed all:static
var static embed.FS

// FS returns the page's assets rooted at the page directory (index.html at
// the top), ready for http.FileServer(http.FS(web.FS())). When main.wasm has
// not been built, the page itself says "run make web".
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub fails only on an invalid path name, and "static" is valid.
		panic("web: " + err.Error())
	}
	return sub
}

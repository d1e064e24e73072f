// Package defaultmodel embeds the project's default model: the weight
// bundle in this directory (manifest.json plus content-addressed shards),
// which `make serve` and the demo page run without any download. It is
// written by `make train-default` (cmd/train).
package defaultmodel

import (
	"embed"
	"io/fs"
)

//go:embed manifest.json *.bin
var files embed.FS

// FS returns the bundle's files at the root of a read-only file system, as
// bundle.OpenFS and engine.LoadBundle take it.
func FS() fs.FS { return files }

package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// asset is one page file, held in memory with its ETag, and gzipped when
// that saves at least a tenth (main.wasm: about 7 MB, 2 MB gzipped).
type asset struct {
	data []byte
	etag string
	gz   []byte
}

// noPage is served at / when the build carries no page.
const noPage = `<!doctype html>
<meta charset="utf-8">
<title>xlstm-go</title>
<p>The demo page is not in this build (package web was not built in).
The API is here: <code>GET /v1/models</code>, <code>POST /v1/completions</code>,
<code>POST /v1/chat/completions</code>.</p>
`

// loadAssets reads every file of fsys (nil: the notice page) into memory, so
// that nothing outside it can be reached and each has a content ETag.
func loadAssets(fsys fs.FS) (map[string]asset, error) {
	out := map[string]asset{}
	add := func(name string, data []byte) {
		sum := sha256.Sum256(data)
		out[name] = asset{data: data, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, gz: gzipped(data)}
	}
	if fsys == nil {
		add("index.html", []byte(noPage))
		return out, nil
	}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		add(name, data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := out["index.html"]; !ok {
		return nil, errors.New("no index.html")
	}
	return out, nil
}

// handleAsset serves the page: / is index.html, a directory path its
// index.html. Only files read by loadAssets exist.
func (s *Server) handleAsset(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		s.handleNotFound(w, r)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" || strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	a, ok := s.assets[name]
	if !ok || !fs.ValidPath(name) {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Encoding")
	data, etag := a.data, a.etag
	if a.gz != nil && r.Header.Get("Range") == "" && acceptsGzip(r) {
		data, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
		h.Set("Content-Encoding", "gzip")
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			h.Set("Content-Type", ct)
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, path.Base(name), time.Time{}, bytes.NewReader(data))
}

// gzipped compresses data, or returns nil when that saves less than a tenth
// or the file is small.
func gzipped(data []byte) []byte {
	if len(data) < 1024 {
		return nil
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression) // 7 MB in about a second; best is 3× slower for 1% less
	zw.Write(data)
	zw.Close()
	if b.Len() > len(data)-len(data)/10 {
		return nil
	}
	return b.Bytes()
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return strings.TrimSpace(q) != "q=0"
		}
	}
	return false
}

// handleBundleFile serves /models/<name>/<file>: manifest.json and the files
// it names, with ETags, Range requests, and a year of immutable caching for
// the content-addressed ones.
func (s *Server) handleBundleFile(w http.ResponseWriter, r *http.Request) {
	m, ok := s.models[r.PathValue("name")]
	if !ok {
		http.Error(w, "404 model not found", http.StatusNotFound)
		return
	}
	file := r.PathValue("file")
	sf, ok := m.served[file]
	if !ok {
		http.Error(w, "404 file not found in the bundle", http.StatusNotFound)
		return
	}
	f, err := m.files.Open(file)
	if err != nil {
		http.Error(w, "404 file not found in the bundle", http.StatusNotFound)
		return
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		// An fs.FS without Seek (none of ours): read it whole.
		data, err := io.ReadAll(f)
		if err != nil {
			http.Error(w, fmt.Sprintf("read %s: %v", file, err), http.StatusInternalServerError)
			return
		}
		rs = bytes.NewReader(data)
	}
	h := w.Header()
	h.Set("ETag", sf.etag)
	if sf.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("Content-Type", "application/octet-stream")
	} else {
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", "application/json")
	}
	h.Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, file, time.Time{}, rs)
}

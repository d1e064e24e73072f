package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xlstm-go/xlstm/weights/bundle"
)

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestFileRoutes(t *testing.T) {
	dir := bundleDir(t, tinyLM, 1)
	m, _ := testModel(t, "tiny", dir, 0)
	_, ts, _ := testServer(t, Config{Models: []*Model{m}})
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	man, err := bundle.ParseManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	shard := man.Shards[0]
	shardData, err := os.ReadFile(filepath.Join(dir, shard.File))
	if err != nil {
		t.Fatal(err)
	}
	res, _ := get(t, ts.URL+"/", nil)
	indexTag := res.Header.Get("ETag")
	res, _ = get(t, ts.URL+"/models/tiny/manifest.json", nil)
	manTag := res.Header.Get("ETag")

	tests := []struct {
		name, path string
		header     map[string]string
		status     int
		body       string // exact, when not ""
		headers    map[string]string
	}{
		{"index", "/", nil, 200, "<!doctype html><title>demo</title>", map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}},
		{"index by name", "/index.html", nil, 200, "<!doctype html><title>demo</title>", nil},
		{"asset", "/js/app.js", nil, 200, "console.log('app')", map[string]string{"Content-Type": "text/javascript; charset=utf-8"}},
		{"wasm", "/wasm/main.wasm", nil, 200, "\x00asm\x01\x00\x00\x00", map[string]string{"Content-Type": "application/wasm"}},
		{"asset revalidated", "/", map[string]string{"If-None-Match": indexTag}, 304, "", nil},
		{"missing asset", "/nope.js", nil, 404, "", nil},
		{"directory", "/js/", nil, 404, "", nil},
		{"unknown api route", "/v1/nope", nil, 404, "", map[string]string{"Content-Type": "application/json"}},
		{"manifest", "/models/tiny/manifest.json", nil, 200, string(raw), map[string]string{"Cache-Control": "no-cache", "Content-Type": "application/json"}},
		{"manifest revalidated", "/models/tiny/manifest.json", map[string]string{"If-None-Match": manTag}, 304, "", nil},
		{"shard", "/models/tiny/" + shard.File, nil, 200, string(shardData), map[string]string{
			"Cache-Control": "public, max-age=31536000, immutable", "ETag": `"` + shard.SHA256 + `"`, "Accept-Ranges": "bytes"}},
		{"shard range", "/models/tiny/" + shard.File, map[string]string{"Range": "bytes=10-19"}, 206, string(shardData[10:20]), map[string]string{
			"Content-Range": "bytes 10-19/" + itoa(len(shardData))}},
		{"shard suffix range", "/models/tiny/" + shard.File, map[string]string{"Range": "bytes=-5"}, 206, string(shardData[len(shardData)-5:]), nil},
		{"shard bad range", "/models/tiny/" + shard.File, map[string]string{"Range": "bytes=999999999-"}, 416, "", nil},
		{"shard revalidated", "/models/tiny/" + shard.File, map[string]string{"If-None-Match": `"` + shard.SHA256 + `"`}, 304, "", nil},
		{"file not in the manifest", "/models/tiny/secret.txt", nil, 404, "", nil},
		{"unknown model", "/models/other/manifest.json", nil, 404, "", nil},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.URL+tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %.100q)", res.StatusCode, tt.status, body)
			}
			if tt.body != "" && string(body) != tt.body {
				t.Errorf("body %.60q, want %.60q", body, tt.body)
			}
			for k, v := range tt.headers {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestAssetGzip: a compressible asset is sent gzipped to clients that
// accept it, whole to others and to Range requests, with distinct ETags.
func TestAssetGzip(t *testing.T) {
	m, _ := testModel(t, "tiny", bundleDir(t, tinyLM, 1), 0)
	big := strings.Repeat("console.log('xlstm');\n", 500)
	assets := fstest.MapFS{"index.html": {Data: []byte("<p>x</p>")}, "app.js": {Data: []byte(big)}}
	_, ts, _ := testServer(t, Config{Models: []*Model{m}, Assets: assets})
	tr := &http.Transport{DisableCompression: true}
	client := &http.Client{Transport: tr}
	do := func(h map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", ts.URL+"/app.js", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	res, body := do(map[string]string{"Accept-Encoding": "br, gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" || len(body) >= len(big)/2 {
		t.Fatalf("gzip: encoding %q, %d bytes of %d", res.Header.Get("Content-Encoding"), len(body), len(big))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || string(plain) != big {
		t.Fatalf("gunzipped body differs: %v", err)
	}
	gzTag := res.Header.Get("ETag")
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("gzip Content-Type %q", ct)
	}
	res, body = do(nil)
	if res.Header.Get("Content-Encoding") != "" || string(body) != big || res.Header.Get("ETag") == gzTag {
		t.Errorf("identity: encoding %q, %d bytes, ETag %q vs gzip %q", res.Header.Get("Content-Encoding"), len(body), res.Header.Get("ETag"), gzTag)
	}
	res, body = do(map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-6"})
	if res.StatusCode != 206 || string(body) != big[:7] {
		t.Errorf("range with gzip accepted: %d %q", res.StatusCode, body)
	}
	if res, _ = do(map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzTag}); res.StatusCode != 304 {
		t.Errorf("revalidating the gzip variant: %d", res.StatusCode)
	}
	if res, _ = do(map[string]string{"Accept-Encoding": "gzip;q=0"}); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestNoTraversal asks for files outside the served trees in every
// spelling; none may be served.
func TestNoTraversal(t *testing.T) {
	dir := bundleDir(t, tinyLM, 1) // root/m, with root/m/secret.txt and root/secret.txt
	root := filepath.Dir(dir)
	site := filepath.Join(root, "site")
	if err := os.Mkdir(site, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "index.html"), []byte("<p>page</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, _ := testModel(t, "tiny", dir, 0)
	_, ts, _ := testServer(t, Config{Models: []*Model{m}, Assets: os.DirFS(site)})
	paths := []string{
		"/models/tiny/secret.txt",
		"/models/tiny/..%2fsecret.txt",
		"/models/tiny/..%2f..%2fsecret.txt",
		"/models/tiny/%2e%2e%2f%2e%2e%2fsecret.txt",
		"/models/tiny/%2e%2e/secret.txt",
		"/models/tiny/..%5c..%5csecret.txt",
		"/models/tiny/%252e%252e%252fsecret.txt",
		"/models/tiny%2f..%2f..%2fm/secret.txt",
		"/models/tiny/manifest.json/..%2f..%2fsecret.txt",
		"/models/tiny/manifest.json%00",
		"/models/..%2f..%2fm/secret.txt",
		"/%2e%2e/secret.txt",
		"/%2e%2e/m/secret.txt",
		"/..%2fsecret.txt",
		"/..%2f..%2fetc%2fpasswd",
		"/%2e%2e/%2e%2e/etc/passwd",
		"/%2fetc%2fpasswd",
		"/site/../secret.txt",
		"/../m/secret.txt",
		"/secret.txt",
	}
	for _, p := range paths {
		res, body := get(t, ts.URL+p, nil)
		if strings.Contains(body, "SECRET") || strings.Contains(body, "root:") {
			t.Errorf("GET %s served a file outside the served trees (status %d)", p, res.StatusCode)
		}
		if res.StatusCode == http.StatusOK {
			t.Errorf("GET %s: status 200 with %.40q", p, body)
		}
	}
}

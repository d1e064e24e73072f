//go:build !js

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xlstm-go/xlstm/internal/modeltest"
)

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-backend", "cuda"}, `-backend "cuda": want cpu or webgpu`},
		{[]string{"-max-concurrent", "0"}, "-max-concurrent 0"},
		{[]string{"-max-tokens", "-1"}, "-max-tokens -1"},
		{[]string{"-threads", "0"}, "-threads 0"},
		{[]string{"-drain", "-1s"}, "-drain -1s"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-model", "/nonexistent/dir", "-addr", "127.0.0.1:0"}, "-model /nonexistent/dir"},
		{[]string{"-addr", "256.0.0.1:1"}, "256.0.0.1"},
	}
	for _, tt := range tests {
		err := run(context.Background(), tt.args, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error with %q", tt.args, err, tt.want)
		}
	}
}

// TestServe runs the command on a free port with the default model and a
// -model directory, asks each for a completion, and stops it.
func TestServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tiny")
	if err := modeltest.WriteBundle(dir, modeltest.TinyLM, 1, "F32"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args  []string
		model string
	}{
		{nil, "default"},
		{[]string{"-model", dir}, "tiny"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		addrc := make(chan string, 1)
		done := make(chan error, 1)
		args := append([]string{"-addr", "127.0.0.1:0"}, tt.args...)
		go func() { done <- run(ctx, args, io.Discard, func(a string) { addrc <- a }) }()
		var addr string
		select {
		case addr = <-addrc:
		case err := <-done:
			t.Fatalf("%v: %v", args, err)
		case <-time.After(20 * time.Second):
			t.Fatal("the server did not start")
		}
		res, err := http.Post("http://"+addr+"/v1/completions", "application/json",
			strings.NewReader(`{"model":"`+tt.model+`","prompt":"Hi","max_tokens":3}`))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Model string `json:"model"`
			Usage struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode != 200 || out.Model != tt.model || out.Usage.CompletionTokens != 3 {
			t.Errorf("%v: %d %+v", args, res.StatusCode, out)
		}
		res, err = http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(strings.ToLower(string(page)), "<html") {
			t.Errorf("GET /: %d %.80q", res.StatusCode, page)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	}
}

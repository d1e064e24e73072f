//go:build !js && !cgo

package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestNoWebGPUWithoutCgo(t *testing.T) {
	err := run(context.Background(), []string{"-backend", "webgpu", "-addr", "127.0.0.1:0"}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "webgpu backend not available in this build") {
		t.Errorf("-backend webgpu without cgo: %v", err)
	}
}

package server_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"

	"github.com/xlstm-go/xlstm/internal/server"
	defaultmodel "github.com/xlstm-go/xlstm/weights/default"
)

// Example serves the embedded default model and asks for a greedy
// completion.
func Example() {
	m, err := server.LoadModel("default", defaultmodel.FS(), server.CPUEngine(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := server.New(server.Config{
		Models: []*server.Model{m}, MaxConcurrent: 4, MaxTokens: 256,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	req := httptest.NewRequest("POST", "/v1/completions",
		strings.NewReader(`{"model": "default", "prompt": "Hello", "max_tokens": 8, "temperature": 0}`))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(strings.Contains(rec.Body.String(), `"usage":{"prompt_tokens":5,"completion_tokens":8,"total_tokens":13}`))
	// Output:
	// 200 application/json
	// true
}

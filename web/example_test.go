package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/xlstm-go/xlstm/web"
)

// Serving the page, as cmd/serve does; bundles go under /models/<name>/.
func ExampleFS() {
	srv := httptest.NewServer(http.FileServer(http.FS(web.FS())))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	// Output: 200 text/html; charset=utf-8
}

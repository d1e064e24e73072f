//go:build js && wasm

package main

import (
	"fmt"
	"net/http"
)

// failing answers every request with 500 and the start-up error, so that a
// Worker that cannot load its model says why instead of hanging.
func failing(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "{\"error\":{\"message\":%q,\"type\":\"server_error\"}}\n", "start-up: "+err.Error())
	})
}

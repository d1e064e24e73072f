// Command testserver serves the demo page for the browser tests: web.FS()
// at "/", the bundles in -models DIR at /models/<name>/, and a log of the
// requests at /__requests (GET lists the paths since the last DELETE), so
// that a test can see that a reload fetched no shard. It listens on
// 127.0.0.1 only and prints its base URL on the first line of stdout.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/xlstm-go/xlstm/web"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("testserver", flag.ContinueOnError)
	models := fs.String("models", "", "directory holding one bundle directory per model name")
	port := fs.Int("port", 0, "port on 127.0.0.1 (0 = any free one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *models == "" {
		return errors.New("-models DIR is required")
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		return err
	}
	fmt.Printf("http://%s/\n", ln.Addr())
	return http.Serve(ln, handler(*models))
}

// requestLog records the paths served.
type requestLog struct {
	mu    sync.Mutex
	paths []string
}

func (l *requestLog) add(p string) {
	l.mu.Lock()
	l.paths = append(l.paths, p)
	l.mu.Unlock()
}

func handler(models string) http.Handler {
	log := &requestLog{}
	mux := http.NewServeMux()
	mux.Handle("/models/", http.StripPrefix("/models/", http.FileServer(http.Dir(models))))
	mux.Handle("/", http.FileServer(http.FS(web.FS())))
	mux.HandleFunc("/__requests", func(w http.ResponseWriter, r *http.Request) {
		log.mu.Lock()
		defer log.mu.Unlock()
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(append([]string{}, log.paths...))
		case http.MethodDelete:
			log.paths = nil
		default:
			http.Error(w, "GET or DELETE", http.StatusMethodNotAllowed)
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/__requests" {
			log.add(r.URL.Path)
		}
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Run serves s on ln until ctx is done, then shuts down gracefully: new
// connections are refused, new generations get 503, and the streams in
// flight run to their end for up to drain; after that they are cut off.
func Run(ctx context.Context, ln net.Listener, s *Server, drain time.Duration) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          nil,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		// Drain time is over: cut the connections, which cancels their
		// generations.
		hs.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

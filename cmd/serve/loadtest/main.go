// Command loadtest starts bin/serve and runs concurrent streaming clients
// against it for a while, then writes time to first token, throughput,
// status counts and the server's RSS to results/ (make loadtest).
//
//	loadtest -server bin/serve [-clients 32] [-duration 60s] [-max-tokens 128]
//	         [-out results/loadtest] [-- server flags...]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// report is what a run measured.
type report struct {
	Command         string   `json:"command"`
	Machine         string   `json:"machine"`
	GoVersion       string   `json:"go_version"`
	ServerFlags     []string `json:"server_flags"`
	Clients         int      `json:"clients"`
	DurationS       float64  `json:"duration_s"`
	MaxTokens       int      `json:"max_tokens"`
	Requests        int      `json:"requests"`
	Completed       int      `json:"completed"`
	Status429       int      `json:"status_429"`
	Errors          int      `json:"errors"`
	ErrorSamples    []string `json:"error_samples,omitempty"`
	Tokens          int      `json:"completion_tokens"`
	TokPerS         float64  `json:"tok_per_s"`
	TTFTp50ms       float64  `json:"ttft_p50_ms"`
	TTFTp99ms       float64  `json:"ttft_p99_ms"`
	ITLp50ms        float64  `json:"inter_token_p50_ms"`
	ITLp99ms        float64  `json:"inter_token_p99_ms"`
	RSSStartMiB     float64  `json:"rss_start_mib"`
	RSSPeakMiB      float64  `json:"rss_peak_mib"`
	RSSEndMiB       float64  `json:"rss_end_mib"`
	ServerExitClean bool     `json:"server_exit_clean"`
	LoadAvgStart    string   `json:"loadavg_start"`
	LoadAvgEnd      string   `json:"loadavg_end"`
}

func run(args []string) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	server := fs.String("server", "bin/serve", "the server binary")
	clients := fs.Int("clients", 32, "concurrent streaming clients")
	duration := fs.Duration("duration", 60*time.Second, "how long the clients run")
	maxTokens := fs.Int("max-tokens", 128, "max_tokens of each request")
	out := fs.String("out", "results/loadtest", "write OUT.json and OUT.md")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clients < 1 || *duration <= 0 || *maxTokens < 1 {
		return errors.New("-clients, -duration and -max-tokens must be positive")
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	serverFlags := append([]string{"-addr", addr}, fs.Args()...)
	cmd := exec.Command(*server, serverFlags...)
	var serverLog bytes.Buffer
	cmd.Stderr = &serverLog
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", *server, err)
	}
	defer cmd.Process.Kill()
	base := "http://" + addr
	if err := waitHealthy(base, 30*time.Second); err != nil {
		return fmt.Errorf("%w; server log:\n%s", err, serverLog.String())
	}
	rep := &report{
		Command: "go run ./cmd/serve/loadtest " + strings.Join(args, " "), Machine: machine(), GoVersion: runtime.Version(),
		ServerFlags: serverFlags, Clients: *clients, MaxTokens: *maxTokens,
	}
	rep.RSSStartMiB = rssMiB(cmd.Process.Pid)
	rep.LoadAvgStart = loadavg()

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	var (
		mu    sync.Mutex
		ttft  []float64
		itl   []float64
		peak  = rep.RSSStartMiB
		start = time.Now()
	)
	stopRSS := make(chan struct{})
	rssDone := make(chan struct{})
	go func() {
		defer close(rssDone)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopRSS:
				return
			case <-t.C:
				if v := rssMiB(cmd.Process.Pid); v > peak {
					mu.Lock()
					peak = v
					mu.Unlock()
				}
			}
		}
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}}
	var wg sync.WaitGroup
	for i := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for ctx.Err() == nil {
				res := stream(ctx, client, base, *maxTokens, rng)
				mu.Lock()
				rep.Requests++
				switch {
				case res.status == http.StatusTooManyRequests:
					rep.Status429++
				case res.err != nil && ctx.Err() != nil:
					rep.Requests-- // cut off by the end of the run
				case res.err != nil:
					rep.Errors++
					if len(rep.ErrorSamples) < 5 {
						rep.ErrorSamples = append(rep.ErrorSamples, res.err.Error())
					}
				default:
					rep.Completed++
					rep.Tokens += res.tokens
					ttft = append(ttft, res.ttft.Seconds()*1000)
					itl = append(itl, res.itl...)
				}
				mu.Unlock()
				if res.status == http.StatusTooManyRequests {
					sleep(ctx, res.retryAfter)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopRSS)
	<-rssDone
	rep.DurationS = elapsed.Seconds()
	rep.TokPerS = float64(rep.Tokens) / elapsed.Seconds()
	rep.TTFTp50ms, rep.TTFTp99ms = percentile(ttft, 50), percentile(ttft, 99)
	rep.ITLp50ms, rep.ITLp99ms = percentile(itl, 50), percentile(itl, 99)
	rep.RSSPeakMiB = peak
	rep.RSSEndMiB = rssMiB(cmd.Process.Pid)
	rep.LoadAvgEnd = loadavg()
	cmd.Process.Signal(os.Interrupt)
	rep.ServerExitClean = cmd.Wait() == nil
	if err := write(*out, rep); err != nil {
		return err
	}
	fmt.Print(markdown(rep))
	if rep.Errors > 0 {
		return fmt.Errorf("%d errors other than 429: %v", rep.Errors, rep.ErrorSamples)
	}
	return nil
}

// result is one request's outcome.
type result struct {
	status     int
	retryAfter time.Duration
	ttft       time.Duration
	itl        []float64 // ms between text chunks
	tokens     int
	err        error
}

var words = strings.Fields("the a model state memory token cell gate stream river light quiet small large over under")

// stream runs one streaming completion and checks its SSE framing.
func stream(ctx context.Context, client *http.Client, base string, maxTokens int, rng *rand.Rand) result {
	var prompt []string
	for range 3 + rng.IntN(12) {
		prompt = append(prompt, words[rng.IntN(len(words))])
	}
	body, _ := json.Marshal(map[string]any{
		"prompt": strings.Join(prompt, " "), "max_tokens": maxTokens, "temperature": 0.8, "seed": rng.Int64(),
		"stream": true, "stream_options": map[string]bool{"include_usage": true},
	})
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/completions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer res.Body.Close()
	r := result{status: res.StatusCode}
	if res.StatusCode == http.StatusTooManyRequests {
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		r.retryAfter = time.Duration(max(secs, 1)) * time.Second
		io.Copy(io.Discard, res.Body)
		return r
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		r.err = fmt.Errorf("status %d: %.200s", res.StatusCode, b)
		return r
	}
	sc := bufio.NewScanner(res.Body)
	last := time.Time{}
	done := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			r.err = fmt.Errorf("bad SSE line %.100q", line)
			return r
		}
		if data == "[DONE]" {
			done = true
			break
		}
		var ev struct {
			Choices []struct {
				Text string `json:"text"`
			} `json:"choices"`
			Usage *struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
			Error any `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			r.err = fmt.Errorf("bad SSE data %.100q: %v", data, err)
			return r
		}
		if ev.Error != nil {
			r.err = fmt.Errorf("error event: %v", ev.Error)
			return r
		}
		if ev.Usage != nil {
			r.tokens = ev.Usage.CompletionTokens
		}
		if len(ev.Choices) > 0 && ev.Choices[0].Text != "" {
			now := time.Now()
			if last.IsZero() {
				r.ttft = now.Sub(start)
			} else {
				r.itl = append(r.itl, float64(now.Sub(last).Microseconds())/1000)
			}
			last = now
		}
	}
	if err := sc.Err(); err != nil {
		r.err = err
	} else if !done {
		r.err = errors.New("stream ended without [DONE]")
	} else if r.tokens == 0 {
		r.err = errors.New("no usage chunk")
	}
	return r
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHealthy(base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the server at %s did not become healthy in %v", base, limit)
}

// rssMiB reads a process's resident set size from /proc (0 where absent).
func rssMiB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// loadavg is /proc/loadavg's 1, 5 and 15 minute figures: the machine is
// shared, so the figures above depend on what else ran.
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

func machine() string {
	cpu := runtime.GOARCH
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d logical CPUs (%s/%s)", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

func markdown(r *report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Load test of cmd/serve\n\n")
	fmt.Fprintf(&b, "Command: `make loadtest` (`%s`), server flags `%s`.\n", r.Command, strings.Join(r.ServerFlags, " "))
	fmt.Fprintf(&b, "Machine: %s; %s. The load generator runs on the same machine. Load average (1, 5, 15 min) at the start %s, at the end %s.\n\n", r.Machine, r.GoVersion, r.LoadAvgStart, r.LoadAvgEnd)
	fmt.Fprintf(&b, "| measure | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| streaming clients | %d for %.1f s, max_tokens %d, temperature 0.8 |\n", r.Clients, r.DurationS, r.MaxTokens)
	fmt.Fprintf(&b, "| requests | %d: %d completed, %d answered 429, %d other errors |\n", r.Requests, r.Completed, r.Status429, r.Errors)
	fmt.Fprintf(&b, "| time to first token p50 / p99 (admitted requests, from sending the request to the first text chunk) | %.1f ms / %.1f ms |\n", r.TTFTp50ms, r.TTFTp99ms)
	fmt.Fprintf(&b, "| gap between text chunks as the client reads them (several often arrive in one read) p50 / p99 | %.2f ms / %.2f ms |\n", r.ITLp50ms, r.ITLp99ms)
	fmt.Fprintf(&b, "| completion tokens | %d, %.0f tok/s in total |\n", r.Tokens, r.TokPerS)
	fmt.Fprintf(&b, "| server RSS start / peak / end | %.1f / %.1f / %.1f MiB |\n", r.RSSStartMiB, r.RSSPeakMiB, r.RSSEndMiB)
	fmt.Fprintf(&b, "| server exit after SIGINT | %v |\n", map[bool]string{true: "clean", false: "error"}[r.ServerExitClean])
	return b.String()
}

// write stores OUT.json and OUT.md, each via a temp file and rename.
func write(out string, r *report) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{out + ".json", append(js, '\n')}, {out + ".md", []byte(markdown(r))}} {
		tmp := f.name + ".tmp"
		if err := os.WriteFile(tmp, f.data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, f.name); err != nil {
			return err
		}
	}
	return nil
}

//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/xlstm-go/xlstm/runtime/train/loop"
)

// buildTrain builds the command into dir.
func buildTrain(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH: cannot build the binary")
	}
	bin := filepath.Join(dir, "train")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// checkpointStep reads the step of out's checkpoint, or -1.
func checkpointStep(out string) int {
	data, err := os.ReadFile(filepath.Join(out, loop.LinkName, loop.StateFile))
	if err != nil {
		return -1
	}
	var st loop.State
	if json.Unmarshal(data, &st) != nil {
		return -1
	}
	return st.Step
}

// TestKillResume kills the training binary mid-run (SIGKILL, and SIGINT,
// which saves first), resumes it with -resume, and compares the sha256 of
// the final weights with an uninterrupted run's.
func TestKillResume(t *testing.T) {
	dir := t.TempDir()
	bin := buildTrain(t, dir)
	trainPath, valPath := corpus(t, dir)
	const steps = 200
	args := func(out string) []string {
		return []string{"-config", tinyConfig, "-data", trainPath, "-val", valPath, "-out", out, "-steps", "200",
			"-batch", "4", "-seq", "32", "-warmup", "10", "-eval-every", "50", "-save-every", "25", "-eval-batches", "2", "-threads", "2"}
	}
	whole := filepath.Join(dir, "whole")
	if out, err := exec.Command(bin, args(whole)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	want := weightsHash(t, filepath.Join(whole, loop.LinkName))

	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(dir, "run-"+sig.String())
			cmd := exec.Command(bin, args(out)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait for the second checkpoint, then stop the process mid-run.
			deadline := time.Now().Add(60 * time.Second)
			for checkpointStep(out) < 50 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the run was not stopped by %v (err %v): make it longer\n%s", sig, err, stderr.String())
			}
			if sig == syscall.SIGINT && exit.ExitCode() != 130 {
				t.Fatalf("SIGINT: exit code %d, want 130\n%s", exit.ExitCode(), stderr.String())
			}
			at := checkpointStep(out)
			if at < 50 || at >= steps {
				t.Fatalf("checkpoint at step %d after %v: want one mid-run", at, sig)
			}
			res, err := exec.Command(bin, append(args(out), "-resume")...).CombinedOutput()
			if err != nil {
				t.Fatalf("resume: %v\n%s", err, res)
			}
			if got := weightsHash(t, filepath.Join(out, loop.LinkName)); got != want {
				t.Fatalf("stopped by %v at step %d and resumed: weights sha256 %s, uninterrupted run %s", sig, at, got, want)
			}
			recs, err := loop.ReadMetrics(filepath.Join(out, loop.MetricsFile))
			if err != nil || len(recs) != steps {
				t.Fatalf("metrics after resume: %d records (err %v), want %d", len(recs), err, steps)
			}
			t.Logf("%v at checkpoint step %d: resumed weights identical", sig, at)
		})
	}
}

package loop

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// MetricsFile and PlotFile are written in the run directory.
const (
	MetricsFile = "metrics.jsonl"
	PlotFile    = "loss.png"
)

// Record is one line of metrics.jsonl: one training step.
type Record struct {
	Step     int      `json:"step"`
	Loss     float64  `json:"loss"`
	EvalLoss *float64 `json:"eval_loss,omitempty"` // only on evaluation steps
	LR       float64  `json:"lr"`
	GradNorm float64  `json:"grad_norm"`
	TokS     float64  `json:"tok_s"`
}

// ReadMetrics reads a metrics.jsonl file; a missing file is no records.
func ReadMetrics(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			// A torn last line (killed mid-write) is dropped; anything else is an error.
			if !sc.Scan() {
				break
			}
			return nil, fmt.Errorf("%s: line %d: %w", path, n, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// metricsLog appends records to metrics.jsonl.
type metricsLog struct {
	f *os.File
}

// openMetrics opens path for appending after keeping only the records up to
// step (those a resumed run has not redone), rewritten atomically.
func openMetrics(path string, step int) (*metricsLog, error) {
	recs, err := ReadMetrics(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	for _, r := range recs {
		if r.Step <= step {
			line, _ := json.Marshal(&r)
			buf.Write(append(line, '\n'))
		}
	}
	if err := writeSynced(path, buf.Bytes()); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	return &metricsLog{f: f}, nil
}

func (m *metricsLog) add(r *Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = m.f.Write(append(line, '\n'))
	return err
}

func (m *metricsLog) close() error { return m.f.Close() }

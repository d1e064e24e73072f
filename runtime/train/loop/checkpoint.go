package loop

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xlstm-go/xlstm/runtime/model"
	"github.com/xlstm-go/xlstm/weights/bundle"
)

// Checkpoint layout inside a run directory:
//
//	checkpoint -> ckpt-00001000   symlink, swapped atomically, to the newest complete checkpoint
//	ckpt-00001000/                a weight bundle (manifest.json, <sha256>.bin, F32) plus
//	    optimizer.state           the optimizer's step count and slots (not in the bundle's
//	                              tensor table: model loaders refuse unknown tensors)
//	    trainer.json              State: step (= the data position), seed, options, hashes
//
// A checkpoint is built in a hidden staging directory and renamed into place
// before the symlink moves, so a crash at any moment leaves the previous
// checkpoint intact.
const (
	LinkName      = "checkpoint"
	OptimizerFile = "optimizer.state"
	StateFile     = "trainer.json"
	stagePrefix   = ".ckpt-"
)

// State is trainer.json: everything beyond weights and optimizer slots that
// a bit-identical resume needs. Batches are a function of (Seed, Step), so
// Step is also the position in the data.
type State struct {
	Step            int     `json:"step"`
	Seed            uint64  `json:"seed"`
	Threads         int     `json:"threads"`
	Options         Options `json:"options"`
	Config          string  `json:"config_fingerprint"`
	Data            string  `json:"data_sha256"`
	OptimizerSHA256 string  `json:"optimizer_sha256"`
	Loss            float64 `json:"loss"`
}

// Checkpoint is what SaveCheckpoint writes.
type Checkpoint struct {
	Model     bundle.Model
	Tokenizer []byte // a tokenizer.json to store in the bundle; nil = the byte tokenizer
	Specs     []model.TensorSpec
	Params    [][]float32
	Optimizer Optimizer
	State     State
}

// SaveCheckpoint writes c into run directory out as ckpt-<step> and points
// out/checkpoint at it, then removes older checkpoints.
func SaveCheckpoint(out string, c *Checkpoint) error {
	name := fmt.Sprintf("ckpt-%08d", c.State.Step)
	stage := filepath.Join(out, stagePrefix+name+".tmp")
	if err := os.RemoveAll(stage); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := writeBundle(stage, c); err != nil {
		os.RemoveAll(stage)
		return err
	}
	opt := encodeOptimizer(c.Specs, c.Optimizer)
	sum := sha256.Sum256(opt)
	st := c.State
	st.OptimizerSHA256 = fmt.Sprintf("%x", sum)
	js, err := json.MarshalIndent(&st, "", " ")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{OptimizerFile, opt}, {StateFile, append(js, '\n')}} {
		if err := writeSynced(filepath.Join(stage, f.name), f.data); err != nil {
			os.RemoveAll(stage)
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	syncDir(stage)
	final := filepath.Join(out, name)
	if err := os.RemoveAll(final); err != nil { // an orphan of a crash between rename and link
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.Rename(stage, final); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmpLink := filepath.Join(out, stagePrefix+"link.tmp")
	os.Remove(tmpLink)
	if err := os.Symlink(name, tmpLink); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.Rename(tmpLink, filepath.Join(out, LinkName)); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	syncDir(out)
	return prune(out, name)
}

func writeBundle(dir string, c *Checkpoint) error {
	w, err := bundle.Create(dir, c.Model, bundle.Options{DType: bundle.F32})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if c.Tokenizer == nil {
		err = w.SetTokenizer(&bundle.Tokenizer{Type: "byte"})
	} else {
		err = w.AddTokenizerFile(c.Tokenizer)
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("checkpoint: %w", err)
	}
	for i, s := range c.Specs {
		if err := w.Add(s.Name, bundle.F32, s.Shape, 0, f32Bytes(c.Params[i])); err != nil {
			w.Abort()
			return fmt.Errorf("checkpoint: %s: %w", s.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// prune removes checkpoints other than keep and stale staging directories.
func prune(out, keep string) error {
	ents, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		stale := strings.HasPrefix(n, stagePrefix) || strings.HasPrefix(n, "."+stagePrefix) // staging, bundle temp dirs
		if n != keep && (stale || e.IsDir() && strings.HasPrefix(n, "ckpt-")) {
			if err := os.RemoveAll(filepath.Join(out, n)); err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
		}
	}
	return nil
}

// LoadCheckpoint reads out/checkpoint into params (shaped like specs) and
// opt's slots, and returns its State. A missing checkpoint is an error
// wrapping fs.ErrNotExist.
func LoadCheckpoint(out string, cfg *model.Config, specs []model.TensorSpec, params [][]float32, opt Optimizer) (*State, error) {
	dir := filepath.Join(out, LinkName)
	js, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("resume: no checkpoint in %s: %w", out, err)
	}
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	var st State
	if err := json.Unmarshal(js, &st); err != nil {
		return nil, fmt.Errorf("resume: %s: %w", StateFile, err)
	}
	r, err := bundle.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	defer r.Close()
	bc, err := model.BundleConfig(r.Manifest())
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if bc.Fingerprint() != cfg.Fingerprint() {
		return nil, errors.New("resume: the checkpoint's model config differs from -config")
	}
	for i, s := range specs {
		info, ok := r.Info(s.Name)
		if !ok || !slices.Equal(info.Shape, s.Shape) {
			return nil, fmt.Errorf("resume: tensor %s missing or mis-shaped in the checkpoint", s.Name)
		}
		if err := r.ReadFloat32(s.Name, params[i]); err != nil {
			return nil, fmt.Errorf("resume: %s: %w", s.Name, err)
		}
	}
	opt1, err := os.ReadFile(filepath.Join(dir, OptimizerFile))
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if fmt.Sprintf("%x", sha256.Sum256(opt1)) != st.OptimizerSHA256 {
		return nil, fmt.Errorf("resume: %s does not match the hash in %s", OptimizerFile, StateFile)
	}
	if err := decodeOptimizer(opt1, specs, opt); err != nil {
		return nil, fmt.Errorf("resume: %s: %w", OptimizerFile, err)
	}
	return &st, nil
}

// HasCheckpoint reports whether out holds a checkpoint.
func HasCheckpoint(out string) bool {
	_, err := os.Stat(filepath.Join(out, LinkName, StateFile))
	return err == nil
}

var optMagic = []byte("XLSTMOPT1\n")

// encodeOptimizer: magic, u64 steps, u32 slots, u32 tensors, per tensor
// (u32 name length, name, u32 rank, u32 dims), then each slot's tensors as
// float32 little-endian.
func encodeOptimizer(specs []model.TensorSpec, opt Optimizer) []byte {
	slots := opt.Slots()
	var b bytes.Buffer
	b.Write(optMagic)
	le := binary.LittleEndian
	b.Write(le.AppendUint64(nil, uint64(opt.Steps())))
	b.Write(le.AppendUint32(nil, uint32(len(slots))))
	b.Write(le.AppendUint32(nil, uint32(len(specs))))
	for _, s := range specs {
		b.Write(le.AppendUint32(nil, uint32(len(s.Name))))
		b.WriteString(s.Name)
		b.Write(le.AppendUint32(nil, uint32(len(s.Shape))))
		for _, d := range s.Shape {
			b.Write(le.AppendUint32(nil, uint32(d)))
		}
	}
	for _, slot := range slots {
		for _, t := range slot {
			b.Write(f32Bytes(t))
		}
	}
	return b.Bytes()
}

func decodeOptimizer(data []byte, specs []model.TensorSpec, opt Optimizer) error {
	le := binary.LittleEndian
	if !bytes.HasPrefix(data, optMagic) {
		return errors.New("not an optimizer state file")
	}
	p := data[len(optMagic):]
	take := func(n int) ([]byte, error) {
		if len(p) < n {
			return nil, errors.New("truncated")
		}
		v := p[:n]
		p = p[n:]
		return v, nil
	}
	u32 := func() (int, error) {
		v, err := take(4)
		if err != nil {
			return 0, err
		}
		return int(le.Uint32(v)), nil
	}
	v, err := take(8)
	if err != nil {
		return err
	}
	steps := le.Uint64(v)
	nslots, err := u32()
	if err != nil {
		return err
	}
	ntens, err := u32()
	if err != nil {
		return err
	}
	slots := opt.Slots()
	if nslots != len(slots) || ntens != len(specs) {
		return fmt.Errorf("%d slots of %d tensors, want %d of %d", nslots, ntens, len(slots), len(specs))
	}
	for _, s := range specs {
		n, err := u32()
		if err != nil {
			return err
		}
		name, err := take(n)
		if err != nil {
			return err
		}
		rank, err := u32()
		if err != nil {
			return err
		}
		shape := make([]int, rank)
		for i := range shape {
			if shape[i], err = u32(); err != nil {
				return err
			}
		}
		if string(name) != s.Name || !slices.Equal(shape, s.Shape) {
			return fmt.Errorf("tensor %q %v, want %q %v", name, shape, s.Name, s.Shape)
		}
	}
	for _, slot := range slots {
		for _, t := range slot {
			raw, err := take(4 * len(t))
			if err != nil {
				return err
			}
			for i := range t {
				t[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
			}
		}
	}
	if len(p) != 0 {
		return fmt.Errorf("%d unexpected trailing bytes", len(p))
	}
	opt.SetSteps(int(steps))
	return nil
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// writeSynced writes data to path through a temporary file, synced and
// renamed into place.
func writeSynced(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// syncDir flushes a directory entry list; best effort (not every platform
// can sync directories).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

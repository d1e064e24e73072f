package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// indexFile is the name of the Hugging Face shard index in a checkpoint
// directory: {"metadata": {...}, "weight_map": {"tensor": "shard file"}}.
const indexFile = "model.safetensors.index.json"

// singleFile is the name of an unsharded checkpoint's weights.
const singleFile = "model.safetensors"

// Set is several safetensors files read as one, such as the shards of a
// checkpoint. Every tensor name lives in exactly one file.
type Set struct {
	paths    []string
	files    []*File
	owner    map[string]int // tensor name → index into files
	names    []string       // sorted
	metadata map[string]string
}

// OpenFiles opens the given files as one Set. A tensor name present in two
// files is an error naming both files.
func OpenFiles(paths ...string) (*Set, error) {
	files, err := openAll(paths)
	if err != nil {
		return nil, err
	}
	return newSet(paths, files)
}

// OpenDir opens the weights of a checkpoint directory: the files named by
// model.safetensors.index.json if present (checked against the index), else
// model.safetensors, else the shards model_0.safetensors, model_1.safetensors,
// ... (the official xLSTM Large layout) or model-00001-of-00003.safetensors,
// ... (Hugging Face), in numeric order; shard sets with gaps or mixed naming
// are refused. The index's own "metadata" is not used.
func OpenDir(dir string) (*Set, error) {
	idx := filepath.Join(dir, indexFile)
	switch _, err := os.Stat(idx); {
	case err == nil:
		return openIndex(dir, idx)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, prefixErr("", err)
	}
	single := filepath.Join(dir, singleFile)
	switch _, err := os.Stat(single); {
	case err == nil:
		return OpenFiles(single)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, prefixErr("", err)
	}
	shards, err := findShards(dir)
	if err != nil {
		return nil, prefixErr(dir, err)
	}
	if len(shards) == 0 {
		return nil, prefixErr(dir, fmt.Errorf("no weights found in directory (looked for %s, %s, model_N.safetensors and model-NNNNN-of-NNNNN.safetensors)", indexFile, singleFile))
	}
	paths := make([]string, len(shards))
	for i, s := range shards {
		paths[i] = filepath.Join(dir, s)
	}
	return OpenFiles(paths...)
}

var (
	xlstmShard = regexp.MustCompile(`^model_([0-9]+)\.safetensors$`)
	hfShard    = regexp.MustCompile(`^model-([0-9]+)-of-([0-9]+)\.safetensors$`)
)

// findShards lists dir's shard files in numeric order. It refuses a mix of
// the two naming schemes, repeated numbers and gaps, because any of them
// means some weights would silently be missing or doubled.
func findShards(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type shard struct {
		name     string
		num, tot int
	}
	var xs, hs []shard
	for _, e := range ents {
		name := e.Name()
		if m := xlstmShard.FindStringSubmatch(name); m != nil {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				return nil, fmt.Errorf("shard %s: bad number: %w", name, err)
			}
			xs = append(xs, shard{name, n, 0})
		} else if m := hfShard.FindStringSubmatch(name); m != nil {
			n, err1 := strconv.Atoi(m[1])
			t, err2 := strconv.Atoi(m[2])
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("shard %s: bad number: %w", name, err)
			}
			hs = append(hs, shard{name, n, t})
		}
	}
	if len(xs) > 0 && len(hs) > 0 {
		return nil, fmt.Errorf("both %s and %s shard names present; remove one set or add %s", xs[0].name, hs[0].name, indexFile)
	}
	list := append(xs, hs...)
	sort.Slice(list, func(a, b int) bool { return list[a].num < list[b].num })
	for i, s := range list {
		if i > 0 && s.num == list[i-1].num {
			return nil, fmt.Errorf("shards %s and %s have the same number", list[i-1].name, s.name)
		}
		if i > 0 && s.num != list[i-1].num+1 {
			return nil, fmt.Errorf("shard missing between %s and %s", list[i-1].name, s.name)
		}
	}
	if len(hs) > 0 {
		tot := list[0].tot
		for _, s := range list {
			if s.tot != tot {
				return nil, fmt.Errorf("shards %s and %s disagree on the shard count", list[0].name, s.name)
			}
		}
		if list[0].num != 1 || len(list) != tot {
			return nil, fmt.Errorf("found %d of %d shards (%s ... %s)", len(list), tot, list[0].name, list[len(list)-1].name)
		}
	}
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.name
	}
	return names, nil
}

// openIndex opens the shards named by a Hugging Face index and checks that
// the index and the files agree tensor by tensor.
func openIndex(dir, idx string) (*Set, error) {
	b, err := os.ReadFile(idx)
	if err != nil {
		return nil, prefixErr("", err)
	}
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(b, &index); err != nil {
		return nil, prefixErr(idx, fmt.Errorf("invalid index JSON: %w", err))
	}
	if len(index.WeightMap) == 0 {
		return nil, prefixErr(idx, errors.New("weight_map is missing or empty"))
	}
	var shardNames []string
	seen := map[string]bool{}
	for tensor, file := range index.WeightMap {
		if err := checkShardName(file); err != nil {
			return nil, prefixErr(idx, fmt.Errorf("tensor %q: %w", tensor, err))
		}
		if !seen[file] {
			seen[file] = true
			shardNames = append(shardNames, file)
		}
	}
	sort.Strings(shardNames)
	paths := make([]string, len(shardNames))
	for i, s := range shardNames {
		paths[i] = filepath.Join(dir, s)
	}
	files, err := openAll(paths)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Set, error) {
		closeAll(files)
		return nil, prefixErr(idx, err)
	}
	byName := make(map[string]*File, len(files))
	for i, s := range shardNames {
		byName[s] = files[i]
	}
	// Sorted so that the first error reported is deterministic.
	tensors := make([]string, 0, len(index.WeightMap))
	for t := range index.WeightMap {
		tensors = append(tensors, t)
	}
	sort.Strings(tensors)
	for _, t := range tensors {
		file := index.WeightMap[t]
		if _, ok := byName[file].infos[t]; !ok {
			return fail(fmt.Errorf("tensor %q: weight_map names %s, which does not contain it", t, file))
		}
	}
	for i, f := range files {
		for _, t := range f.names {
			switch want, ok := index.WeightMap[t]; {
			case !ok:
				return fail(fmt.Errorf("tensor %q in %s is missing from weight_map", t, shardNames[i]))
			case want != shardNames[i]:
				return fail(fmt.Errorf("tensor %q is in %s, but weight_map names %s", t, shardNames[i], want))
			}
		}
	}
	return newSet(paths, files)
}

// checkShardName refuses anything but a plain file name, so that an index
// cannot make us open files outside the checkpoint directory.
func checkShardName(name string) error {
	if name == "" || strings.ContainsAny(name, `/\`+"\x00") || strings.Contains(name, "..") ||
		name == "." || filepath.VolumeName(name) != "" || filepath.IsAbs(name) {
		return fmt.Errorf("shard file name %q is not a plain file name", name)
	}
	return nil
}

// openAll opens every path, closing those already open if one fails.
func openAll(paths []string) ([]*File, error) {
	if len(paths) == 0 {
		return nil, errors.New("safetensors: no files given")
	}
	files := make([]*File, 0, len(paths))
	for _, p := range paths {
		f, err := Open(p)
		if err != nil {
			closeAll(files)
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func closeAll(files []*File) error {
	var errs []error
	for _, f := range files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// newSet indexes the tensors of files; on error it closes them.
func newSet(paths []string, files []*File) (*Set, error) {
	s := &Set{
		paths:    append([]string(nil), paths...),
		files:    files,
		owner:    map[string]int{},
		metadata: map[string]string{},
	}
	for i, f := range files {
		for _, name := range f.names {
			if j, dup := s.owner[name]; dup {
				closeAll(files)
				return nil, fmt.Errorf("safetensors: tensor %q is in both %s and %s", name, paths[j], paths[i])
			}
			s.owner[name] = i
			s.names = append(s.names, name)
		}
		for k, v := range f.metadata {
			if _, ok := s.metadata[k]; !ok { // earlier files win
				s.metadata[k] = v
			}
		}
	}
	sort.Strings(s.names)
	return s, nil
}

// Files returns the paths of the files in the set, in the order opened.
func (s *Set) Files() []string {
	return append([]string(nil), s.paths...)
}

// Close closes every file; calling it again does nothing.
func (s *Set) Close() error {
	return closeAll(s.files)
}

// Names returns all tensor names in sorted order.
func (s *Set) Names() []string {
	return append([]string(nil), s.names...)
}

// Metadata returns the files' "__metadata__" maps merged; where files
// disagree on a key, the earlier file wins.
func (s *Set) Metadata() map[string]string {
	m := make(map[string]string, len(s.metadata))
	for k, v := range s.metadata {
		m[k] = v
	}
	return m
}

// file returns the file holding the named tensor.
func (s *Set) file(name string) (*File, error) {
	i, ok := s.owner[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	return s.files[i], nil
}

// Info returns the description of the named tensor; Offset is relative to
// the data section of the file holding it.
func (s *Set) Info(name string) (Info, bool) {
	f, err := s.file(name)
	if err != nil {
		return Info{}, false
	}
	return f.Info(name)
}

// Raw returns the little-endian bytes of the named tensor (see File.Raw).
func (s *Set) Raw(name string) ([]byte, error) {
	f, err := s.file(name)
	if err != nil {
		return nil, err
	}
	return f.Raw(name)
}

// ReadFloat32 reads the named tensor into dst (see File.ReadFloat32).
func (s *Set) ReadFloat32(name string, dst []float32) error {
	f, err := s.file(name)
	if err != nil {
		return err
	}
	return f.ReadFloat32(name, dst)
}

// ReadFloat64 reads the named tensor into dst (see File.ReadFloat64).
func (s *Set) ReadFloat64(name string, dst []float64) error {
	f, err := s.file(name)
	if err != nil {
		return err
	}
	return f.ReadFloat64(name, dst)
}

// Float32 returns the named float tensor as a new []float32.
func (s *Set) Float32(name string) ([]float32, error) {
	f, err := s.file(name)
	if err != nil {
		return nil, err
	}
	return f.Float32(name)
}

// Float64 returns the named float tensor as a new []float64.
func (s *Set) Float64(name string) ([]float64, error) {
	f, err := s.file(name)
	if err != nil {
		return nil, err
	}
	return f.Float64(name)
}

// Int64 returns the named integer tensor as a new []int64 (see File.Int64).
func (s *Set) Int64(name string) ([]int64, error) {
	f, err := s.file(name)
	if err != nil {
		return nil, err
	}
	return f.Int64(name)
}

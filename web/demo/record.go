package demo

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/xlstm-go/xlstm/runtime/sample"
)

// A saved conversation is recordMagic, a little-endian uint32 length, that
// many bytes of JSON (recordMeta), then the recurrent state as
// engine.Session.MarshalState wrote it (versioned, with the model's config
// fingerprint, so a record of another model is refused there).
const recordMagic = "xLSTMweb"

const recordVersion = 1

// maxRecordMeta bounds the JSON part of a record read back.
const maxRecordMeta = 64 << 20

type recordMeta struct {
	Version int           `json:"version"`
	Params  sample.Params `json:"params"`
	RNG     []byte        `json:"rng"`     // sampler position
	Pending int           `json:"pending"` // last sampled token, not yet consumed
	Prompt  []int         `json:"prompt"`
	IDs     []int         `json:"ids"` // generated ids (replayed into the decoder)
	Pos     int           `json:"pos"`
}

// Saved is what Restore tells the page about a record.
type Saved struct {
	Params sample.Params `json:"params"`
	Prompt []int         `json:"prompt"`
	IDs    []int         `json:"ids"`
	Pos    int           `json:"pos"`
}

// Save encodes the conversation: its recurrent state, the sampler's settings
// and position, the pending token and the ids so far. Restore of the record,
// in this page or after a reload, then Continue gives the tokens the
// conversation would have given uninterrupted.
func (d *Demo) Save() ([]byte, error) {
	c := d.conv
	if c == nil || c.pending < 0 {
		return nil, errors.New("save: nothing to save yet: generate first")
	}
	rng, err := c.smp.RNGState()
	if err != nil {
		return nil, fmt.Errorf("save: %w", err)
	}
	state, err := c.sess.MarshalState()
	if err != nil {
		return nil, fmt.Errorf("save: %w", err)
	}
	meta, err := json.Marshal(recordMeta{
		Version: recordVersion, Params: c.params, RNG: rng, Pending: c.pending,
		Prompt: c.prompt, IDs: c.ids, Pos: c.sess.Pos(),
	})
	if err != nil {
		return nil, fmt.Errorf("save: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(recordMagic) + 4 + len(meta) + len(state))
	b.WriteString(recordMagic)
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(meta))))
	b.Write(meta)
	b.Write(state)
	return b.Bytes(), nil
}

// Restore replaces the conversation by a saved one. A record of another
// model, or a damaged one, is an error and leaves the current conversation.
func (d *Demo) Restore(rec []byte) (Saved, error) {
	meta, state, err := parseRecord(rec)
	if err != nil {
		return Saved{}, fmt.Errorf("restore: %w", err)
	}
	v := d.b.Config.VocabSize
	if meta.Pending < 0 || meta.Pending >= v {
		return Saved{}, fmt.Errorf("restore: pending token %d is outside the vocabulary of %d", meta.Pending, v)
	}
	for _, id := range append(append([]int(nil), meta.Prompt...), meta.IDs...) {
		if id < 0 || id >= v {
			return Saved{}, fmt.Errorf("restore: token id %d is outside the vocabulary of %d", id, v)
		}
	}
	smp, err := sample.New(meta.Params, v)
	if err != nil {
		return Saved{}, fmt.Errorf("restore: %w", err)
	}
	if err := smp.SetRNGState(meta.RNG); err != nil {
		return Saved{}, fmt.Errorf("restore: %w", err)
	}
	sess, err := d.eng.NewSession()
	if err != nil {
		return Saved{}, fmt.Errorf("restore: %w", err)
	}
	if err := sess.RestoreState(state); err != nil {
		sess.Close()
		return Saved{}, fmt.Errorf("restore: %w", err)
	}
	c := &conversation{sess: sess, params: meta.Params, smp: smp, prompt: meta.Prompt, ids: meta.IDs, pending: meta.Pending}
	if d.b.Tokenizer != nil {
		// Replaying the ids leaves the decoder holding exactly the bytes of a
		// character it was in the middle of.
		c.dec = d.b.Tokenizer.NewStreamDecoder()
		for _, id := range c.ids {
			c.dec.Add(id)
		}
	}
	d.dropConversation()
	d.conv = c
	return Saved{Params: meta.Params, Prompt: meta.Prompt, IDs: meta.IDs, Pos: sess.Pos()}, nil
}

func parseRecord(rec []byte) (*recordMeta, []byte, error) {
	h := len(recordMagic) + 4
	if len(rec) < h || string(rec[:len(recordMagic)]) != recordMagic {
		return nil, nil, errors.New("not a saved conversation (bad header)")
	}
	n := binary.LittleEndian.Uint32(rec[len(recordMagic):])
	if n > maxRecordMeta || int64(n) > int64(len(rec)-h) {
		return nil, nil, fmt.Errorf("record header claims %d bytes of metadata, have %d", n, len(rec)-h)
	}
	var meta recordMeta
	if err := json.Unmarshal(rec[h:h+int(n)], &meta); err != nil {
		return nil, nil, fmt.Errorf("record metadata: %w", err)
	}
	if meta.Version != recordVersion {
		return nil, nil, fmt.Errorf("record version %d: this page reads version %d", meta.Version, recordVersion)
	}
	return &meta, rec[h+int(n):], nil
}

package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// State is the recurrent state of one sequence: per block the mLSTM memory
// (C, n, m), or the sLSTM state (y, c, n, m), and the conv buffer. Its size
// does not grow with the sequence. A State belongs to the model that made it
// and is not safe for concurrent use.
type State[F Float] struct {
	fingerprint [32]byte
	pos         int
	blocks      []blockState[F]

	ws  arena[F] // scratch for the forward, reused across calls
	one [1]int   // Step's token, kept here so Step does not allocate
}

// blockState is one block's recurrent state.
type blockState[F Float] struct {
	// mLSTM: C (NH×DK×DV), n (NH×DK), m (NH). The original LM accumulates
	// k/sqrt(DH), xLSTM Large the unscaled k (SPEC §4.2, §8.1).
	c, n, m []F
	// sLSTM: y, c, n, m, each H (SPEC §5.2).
	sy, sc, sn, sm []F
	// conv holds the last K inputs, oldest first (SPEC §6); nil without conv.
	conv []F
}

// NewState returns a zero state (the official state=None) for this model.
func (m *Model[F]) NewState() *State[F] {
	c := m.cfg
	st := &State[F]{fingerprint: m.fp, blocks: make([]blockState[F], c.NumBlocks)}
	for i := range st.blocks {
		b := &st.blocks[i]
		switch {
		case c.Family == FamilyLarge:
			g := c.Large
			b.c = make([]F, g.NumHeads*g.DHQK*g.DHV)
			b.n = make([]F, g.NumHeads*g.DHQK)
			b.m = make([]F, g.NumHeads)
		case c.LM.BlockIsSLSTM[i]:
			h := c.EmbeddingDim
			b.sy, b.sc, b.sn, b.sm = make([]F, h), make([]F, h), make([]F, h), make([]F, h)
			if k := c.LM.SLSTM.ConvKernelSize; k > 0 {
				b.conv = make([]F, k*h)
			}
		default:
			mc := c.LM.MLSTM
			b.c = make([]F, mc.NumHeads*mc.HeadDim*mc.HeadDim)
			b.n = make([]F, mc.NumHeads*mc.HeadDim)
			b.m = make([]F, mc.NumHeads)
			if mc.ConvKernelSize > 0 {
				b.conv = make([]F, mc.ConvKernelSize*mc.Inner)
			}
		}
	}
	return st
}

// Pos returns how many tokens the state has consumed.
func (s *State[F]) Pos() int { return s.pos }

// Reset returns the state to zero (the start of a sequence).
func (s *State[F]) Reset() {
	for _, v := range s.vectors() {
		clear(v)
	}
	s.pos = 0
}

// CopyFrom makes s an exact copy of src (both must come from the same model).
func (s *State[F]) CopyFrom(src *State[F]) error {
	if s.fingerprint != src.fingerprint {
		return errors.New("state: copy from a state of another model")
	}
	dst, from := s.vectors(), src.vectors()
	for i := range dst {
		copy(dst[i], from[i])
	}
	s.pos = src.pos
	return nil
}

// vectors lists every state slice in the fixed order of the binary form.
func (s *State[F]) vectors() [][]F {
	var out [][]F
	for i := range s.blocks {
		b := &s.blocks[i]
		for _, v := range [][]F{b.c, b.n, b.m, b.sy, b.sc, b.sn, b.sm, b.conv} {
			if v != nil {
				out = append(out, v)
			}
		}
	}
	return out
}

func (m *Model[F]) checkState(st *State[F]) error {
	if st == nil {
		return errors.New("nil state")
	}
	if st.fingerprint != m.fp || len(st.blocks) != m.cfg.NumBlocks {
		return errors.New("state belongs to another model")
	}
	return nil
}

// The binary form: magic, version, element size (4 or 8), the model
// config's fingerprint, the position, the element count, then every value
// little-endian in vectors() order.
const stateMagic = "XLSTMST\x00"

const stateVersion = 1

// MarshalBinary encodes the state with a header naming its model (the config
// fingerprint), so it can be restored later, elsewhere, by the same model.
func (s *State[F]) MarshalBinary() ([]byte, error) {
	vecs := s.vectors()
	n := 0
	for _, v := range vecs {
		n += len(v)
	}
	size := elemSize[F]()
	buf := bytes.NewBuffer(make([]byte, 0, 64+n*size))
	buf.WriteString(stateMagic)
	var hdr [4 + 4 + 32 + 8 + 8]byte
	binary.LittleEndian.PutUint32(hdr[0:], stateVersion)
	binary.LittleEndian.PutUint32(hdr[4:], uint32(size))
	copy(hdr[8:40], s.fingerprint[:])
	binary.LittleEndian.PutUint64(hdr[40:], uint64(s.pos))
	binary.LittleEndian.PutUint64(hdr[48:], uint64(n))
	buf.Write(hdr[:])
	var b [8]byte
	for _, v := range vecs {
		for _, x := range v {
			if size == 4 {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(x)))
			} else {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(float64(x)))
			}
			buf.Write(b[:size])
		}
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary restores a state written by MarshalBinary. The state must
// come from NewState of the model it is restored for: a state of another
// model (another config fingerprint) is refused. A float32 state restores
// into a float64 model and vice versa.
func (s *State[F]) UnmarshalBinary(data []byte) error {
	const hdrLen = 8 + 56
	if len(data) < hdrLen || string(data[:8]) != stateMagic {
		return errors.New("state: not an xLSTM state (bad magic)")
	}
	h := data[8:hdrLen]
	if v := binary.LittleEndian.Uint32(h[0:]); v != stateVersion {
		return fmt.Errorf("state: unsupported version %d (want %d)", v, stateVersion)
	}
	size := int(binary.LittleEndian.Uint32(h[4:]))
	if size != 4 && size != 8 {
		return fmt.Errorf("state: bad element size %d", size)
	}
	var fp [32]byte
	copy(fp[:], h[8:40])
	if fp != s.fingerprint {
		return fmt.Errorf("state: saved for another model (config fingerprint %x, this model %x)", fp[:6], s.fingerprint[:6])
	}
	pos := binary.LittleEndian.Uint64(h[32+8:])
	n := binary.LittleEndian.Uint64(h[48:])
	vecs := s.vectors()
	want := 0
	for _, v := range vecs {
		want += len(v)
	}
	if n != uint64(want) || uint64(len(data)-hdrLen) != n*uint64(size) {
		return fmt.Errorf("state: %d values in %d bytes, want %d values", n, len(data)-hdrLen, want)
	}
	if pos > math.MaxInt32 {
		return fmt.Errorf("state: implausible position %d", pos)
	}
	p := data[hdrLen:]
	for _, v := range vecs {
		for i := range v {
			if size == 4 {
				v[i] = F(math.Float32frombits(binary.LittleEndian.Uint32(p)))
			} else {
				v[i] = F(math.Float64frombits(binary.LittleEndian.Uint64(p)))
			}
			p = p[size:]
		}
	}
	s.pos = int(pos)
	return nil
}

func elemSize[F Float]() int {
	var x F
	if _, ok := any(x).(float32); ok {
		return 4
	}
	return 8
}

// arena hands out scratch slices for one forward call. When a call needs
// more than it holds, it allocates and grows at the next reset, so after a
// warm-up call of the same size nothing is allocated. mark and release
// hand a block's scratch back for the next block, so a long sequence's
// working set stays the size of one block's, not of all of them.
type arena[F Float] struct {
	buf  []F
	off  int // next free element of buf
	virt int // the offset had every take fit in buf
	peak int // the largest virt of this call: the size to grow to
}

// arenaMark is a position of an arena to go back to.
type arenaMark struct{ off, virt int }

func (a *arena[F]) reset() {
	if a.peak > len(a.buf) {
		a.buf = make([]F, a.peak)
	}
	a.off, a.virt, a.peak = 0, 0, 0
}

// mark returns the current position.
func (a *arena[F]) mark() arenaMark { return arenaMark{a.off, a.virt} }

// release gives back everything taken since m: those slices must not be
// used again.
func (a *arena[F]) release(m arenaMark) { a.off, a.virt = m.off, m.virt }

// take returns n zeroed elements.
func (a *arena[F]) take(n int) []F {
	a.virt += n
	a.peak = max(a.peak, a.virt)
	if a.off+n > len(a.buf) {
		return make([]F, n)
	}
	s := a.buf[a.off : a.off+n : a.off+n]
	a.off += n
	clear(s)
	return s
}

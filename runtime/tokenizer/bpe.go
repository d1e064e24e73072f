package tokenizer

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// Bounds of a Tokenizer's merge cache: words longer than cacheMaxWord bytes
// are not cached, and the cache is emptied when it holds cacheMaxWords words.
const (
	cacheMaxWord  = 256
	cacheMaxWords = 1 << 16
)

// wordCache maps a pre-token to its ids. It is safe for concurrent use.
type wordCache struct {
	mu sync.RWMutex
	m  map[string][]int32
}

func (c *wordCache) get(w string) ([]int32, bool) {
	c.mu.RLock()
	ids, ok := c.m[w]
	c.mu.RUnlock()
	return ids, ok
}

func (c *wordCache) put(w string, ids []int32) {
	if len(w) > cacheMaxWord {
		return
	}
	c.mu.Lock()
	if len(c.m) >= cacheMaxWords {
		clear(c.m)
	}
	c.m[strings.Clone(w)] = ids
	c.mu.Unlock()
}

// bpeModel is the "BPE" model of tokenizer.json: a vocabulary, merges ranked
// by their order in the file, and a cache of words already split.
type bpeModel struct {
	vocab        map[string]int32
	merges       map[uint64]uint64 // left<<32|right → rank<<32|merged id
	unk          int32             // id of unk_token, -1 when there is none (unknown characters are dropped)
	fuseUnk      bool
	ignoreMerges bool
	// byteLevel: pieces are raw text whose bytes stand for byte-level
	// characters (the ByteLevel pre-tokenizer's mapping, done here).
	byteLevel bool
	byteEnc   [256]rune
	byteIDs   [256]int32 // vocabulary id of each byte's character, -1 if absent
	cache     wordCache
}

// pairKey packs a pair of ids into a merges key.
func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// merge returns the rank and result of merging a and b, if they merge.
func (m *bpeModel) merge(a, b int32) (rank, id int32, ok bool) {
	v, ok := m.merges[pairKey(a, b)]
	return int32(v >> 32), int32(uint32(v)), ok
}

// tokenize appends the ids of one pre-token to dst.
func (m *bpeModel) tokenize(piece string, dst []int) []int {
	if piece == "" {
		return dst
	}
	ids, ok := m.cache.get(piece)
	if !ok {
		ids = m.word(piece)
		m.cache.put(piece, ids)
	}
	for _, id := range ids {
		dst = append(dst, int(id))
	}
	return dst
}

// symbol is one part of a word being merged; n == 0 marks a part merged
// into its left neighbour.
type symbol struct {
	id, prev, next, n int32
}

// mergeItem is a candidate merge of the symbol at pos with its right
// neighbour into id; lower rank first, then leftmost.
type mergeItem struct {
	rank, pos, id int32
}

func (a mergeItem) less(b mergeItem) bool {
	return a.rank < b.rank || a.rank == b.rank && a.pos < b.pos
}

// mergeQueue is a binary min-heap of merge candidates.
type mergeQueue []mergeItem

func (q *mergeQueue) push(it mergeItem) {
	h := append(*q, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].less(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	*q = h
}

func (q *mergeQueue) pop() mergeItem {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l, r, small := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].less(h[small]) {
			small = l
		}
		if r < len(h) && h[r].less(h[small]) {
			small = r
		}
		if small == i {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	*q = h
	return top
}

// word splits one pre-token into ids: its characters, then the merges in
// rank order, exactly as Hugging Face's BPE model does (without dropout).
func (m *bpeModel) word(w string) []int32 {
	if m.ignoreMerges {
		key := w
		if m.byteLevel {
			key = byteLevelString(&m.byteEnc, w)
		}
		if id, ok := m.vocab[key]; ok {
			return []int32{id}
		}
	}
	syms := make([]symbol, 0, len(w))
	unkID, unkLen := int32(-1), int32(0)
	add := func(id, n int32) {
		k := int32(len(syms))
		syms = append(syms, symbol{id: id, prev: k - 1, next: k + 1, n: n})
	}
	char := func(id, n int32, found bool) {
		switch {
		case found:
			if unkID >= 0 {
				add(unkID, unkLen)
				unkID = -1
			}
			add(id, n)
		case m.unk < 0:
			// No unk_token: the character is dropped.
		case unkID >= 0 && m.fuseUnk:
			unkLen += n
		default:
			if unkID >= 0 {
				add(unkID, unkLen)
			}
			unkID, unkLen = m.unk, n
		}
	}
	if m.byteLevel {
		for i := 0; i < len(w); i++ {
			id := m.byteIDs[w[i]]
			char(id, 1, id >= 0)
		}
	} else {
		for i := 0; i < len(w); {
			_, n := utf8.DecodeRuneInString(w[i:])
			id, ok := m.vocab[w[i:i+n]]
			char(id, int32(n), ok)
			i += n
		}
	}
	if unkID >= 0 {
		add(unkID, unkLen)
	}
	if len(syms) == 0 {
		return nil
	}
	syms[len(syms)-1].next = -1
	m.mergeAll(syms)
	out := make([]int32, 0, len(syms))
	for _, s := range syms {
		if s.n != 0 {
			out = append(out, s.id)
		}
	}
	return out
}

// mergeAll applies the merges to syms in place, lowest rank first and, among
// equal ranks, leftmost first (Hugging Face's Word::merge_all).
func (m *bpeModel) mergeAll(syms []symbol) {
	q := make(mergeQueue, 0, len(syms))
	for i := 0; i+1 < len(syms); i++ {
		if rank, id, ok := m.merge(syms[i].id, syms[i+1].id); ok {
			q.push(mergeItem{rank, int32(i), id})
		}
	}
	for len(q) > 0 {
		top := q.pop()
		s := &syms[top.pos]
		if s.n == 0 || s.next < 0 {
			continue
		}
		nextPos := s.next
		right := syms[nextPos]
		if _, id, ok := m.merge(s.id, right.id); !ok || id != top.id {
			continue // stale: the pair has changed since it was queued
		}
		s.id = top.id
		s.n += right.n
		s.next = right.next
		syms[nextPos].n = 0
		if right.next >= 0 && int(right.next) < len(syms) {
			syms[right.next].prev = top.pos
		}
		if s.prev >= 0 {
			if rank, id, ok := m.merge(syms[s.prev].id, s.id); ok {
				q.push(mergeItem{rank, s.prev, id})
			}
		}
		if s.next >= 0 && int(s.next) < len(syms) {
			if rank, id, ok := m.merge(s.id, syms[s.next].id); ok {
				q.push(mergeItem{rank, top.pos, id})
			}
		}
	}
}

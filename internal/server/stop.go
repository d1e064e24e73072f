package server

import "strings"

// stopper finds stop strings in generated text. It holds back a tail that
// could still become a stop string, so a stream never shows part of one.
type stopper struct {
	stops   []string
	pending string
}

// add appends generated text. It returns the text now safe to show and
// whether a stop string was found; the text before it is then the rest.
func (s *stopper) add(text string) (out string, stopped bool) {
	if len(s.stops) == 0 {
		return text, false
	}
	buf := s.pending + text
	cut := -1
	for _, st := range s.stops {
		if i := strings.Index(buf, st); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 {
		s.pending = ""
		return buf[:cut], true
	}
	hold := 0
	for _, st := range s.stops {
		for n := min(len(st)-1, len(buf)); n > hold; n-- {
			if strings.HasSuffix(buf, st[:n]) {
				hold = n
				break
			}
		}
	}
	s.pending = buf[len(buf)-hold:]
	return buf[:len(buf)-hold], false
}

// flush returns the held-back tail at the end of generation.
func (s *stopper) flush() string {
	out := s.pending
	s.pending = ""
	return out
}

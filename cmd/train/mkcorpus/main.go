// Command mkcorpus builds the training corpus of `make data` from two Bible
// translations as Debian's tools print them: the King James Version from
// `bible -f gen1:1-rev22:21` (bible-kjv) and the World English Bible from
// `diatheke -b engWEB2015eb -f plain -k Gen1:1-Rev22:21` (sword-text-web).
// It writes the verse texts, one verse per line (poetry keeps its line
// breaks), to OUT/train.txt and OUT/valid.txt, split by book: the
// validation set is the books named by -valid in both translations.
// OUT/valid-clean.txt holds the validation books named by -clean: those
// without close parallels in the training books (Mark has most of its text
// in Matthew and Luke, Jude in 2 Peter), for an unflattered score.
//
//	mkcorpus -kjv FILE -web FILE -out DIR [-valid Ruth,Jonah,Mark,Philippians,Jude]
//	         [-clean Ruth,Jonah,Philippians]
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mkcorpus:", err)
		}
		os.Exit(1)
	}
}

// kjvBooks maps the `bible` tool's book abbreviations that differ from the
// full names used in -valid.
var kjvBooks = map[string]string{
	"Ge": "Genesis", "Exo": "Exodus", "Lev": "Leviticus", "Num": "Numbers", "Deu": "Deuteronomy",
	"Josh": "Joshua", "Jdgs": "Judges", "1Sm": "I Samuel", "2Sm": "II Samuel", "1Ki": "I Kings",
	"2Ki": "II Kings", "1Chr": "I Chronicles", "2Chr": "II Chronicles", "Neh": "Nehemiah", "Est": "Esther",
	"Psa": "Psalms", "Prv": "Proverbs", "Eccl": "Ecclesiastes", "SSol": "Song of Solomon", "Isa": "Isaiah",
	"Jer": "Jeremiah", "Lam": "Lamentations", "Eze": "Ezekiel", "Dan": "Daniel", "Hos": "Hosea",
	"Obad": "Obadiah", "Mic": "Micah", "Hab": "Habakkuk", "Zep": "Zephaniah", "Hag": "Haggai",
	"Zec": "Zechariah", "Mal": "Malachi", "Mat": "Matthew", "Rom": "Romans", "1Cor": "I Corinthians",
	"2Cor": "II Corinthians", "Gal": "Galatians", "Eph": "Ephesians", "Phi": "Philippians",
	"Col": "Colossians", "1Th": "I Thessalonians", "2Th": "II Thessalonians", "1Tim": "I Timothy",
	"2Tim": "II Timothy", "Phmn": "Philemon", "Heb": "Hebrews", "Jas": "James", "1Pet": "I Peter",
	"2Pet": "II Peter", "1Jn": "I John", "2Jn": "II John", "3Jn": "III John", "Rev": "Revelation of John",
}

// Verse is one verse: its book's full name and its text.
type Verse struct {
	Book, Text string
}

var (
	kjvLine = regexp.MustCompile(`^([1-3]?[A-Za-z]+)[0-9]+:[0-9]+ (.*)$`)
	webLine = regexp.MustCompile(`^((?:I{1,3} )?[A-Z][A-Za-z ]*?) [0-9]+:[0-9]+: ?(.*)$`)
)

// ParseKJV reads `bible -f` output: one "Abbr C:V text" line per verse.
func ParseKJV(r io.Reader) ([]Verse, error) {
	var out []Verse
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" {
			continue
		}
		m := kjvLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("kjv line %d: %.40q is not \"Book C:V text\"", n, line)
		}
		book := m[1]
		if full, ok := kjvBooks[book]; ok {
			book = full
		}
		out = append(out, Verse{Book: book, Text: strings.TrimSpace(m[2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("kjv: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("kjv: no verses")
	}
	return out, nil
}

// ParseWEB reads diatheke's plain output: "Book C:V: text" starts a verse,
// other non-empty lines continue it (poetry), and the closing "(module)"
// line is dropped.
func ParseWEB(r io.Reader) ([]Verse, error) {
	var out []Verse
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch m := webLine.FindStringSubmatch(line); {
		case line == "" || strings.HasPrefix(line, "(") && strings.HasSuffix(line, ")") && !strings.Contains(line, " "):
		case m != nil:
			out = append(out, Verse{Book: m[1], Text: strings.TrimSpace(m[2])})
		case len(out) == 0:
			return nil, fmt.Errorf("web line %d: %.40q comes before the first verse", n, line)
		default:
			v := &out[len(out)-1]
			v.Text = strings.TrimSpace(v.Text + "\n" + line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("web: no verses")
	}
	return out, nil
}

// Split writes the verses of the books in valid to v, the others to t, one
// verse a line, and returns how many verses of each book set it wrote.
func Split(verses []Verse, valid map[string]bool, t, v *bytes.Buffer) (nt, nv int) {
	for _, x := range verses {
		if x.Text == "" {
			continue
		}
		w := t
		if valid[x.Book] {
			w, nv = v, nv+1
		} else {
			nt++
		}
		w.WriteString(x.Text)
		w.WriteByte('\n')
	}
	return nt, nv
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mkcorpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kjv := fs.String("kjv", "", "output of `bible -f gen1:1-rev22:21`")
	web := fs.String("web", "", "output of `diatheke -b engWEB2015eb -f plain -k Gen1:1-Rev22:21`")
	out := fs.String("out", "", "directory for train.txt and valid.txt")
	validBooks := fs.String("valid", "Ruth,Jonah,Mark,Philippians,Jude", "books held out for validation (full names)")
	cleanBooks := fs.String("clean", "Ruth,Jonah,Philippians", "the validation books without close parallels in the training books, also written to valid-clean.txt")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *kjv == "" || *web == "" || *out == "" {
		return errors.New("-kjv, -web and -out are required")
	}
	valid, clean := bookSet(*validBooks), bookSet(*cleanBooks)
	for b := range clean {
		if !valid[b] {
			return fmt.Errorf("-clean book %q is not one of the -valid books", b)
		}
	}
	var t, v, c, discard bytes.Buffer
	for _, src := range []struct {
		path  string
		parse func(io.Reader) ([]Verse, error)
	}{{*kjv, ParseKJV}, {*web, ParseWEB}} {
		f, err := os.Open(src.path)
		if err != nil {
			return err
		}
		verses, err := src.parse(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", src.path, err)
		}
		seen := map[string]bool{}
		for _, x := range verses {
			seen[x.Book] = true
		}
		for b := range valid {
			if !seen[b] {
				return fmt.Errorf("%s: no verses of validation book %q", src.path, b)
			}
		}
		nt, nv := Split(verses, valid, &t, &v)
		Split(verses, clean, &discard, &c)
		fmt.Fprintf(stdout, "%s: %d books, %d training and %d validation verses\n", src.path, len(seen), nt, nv)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"train.txt": t.Bytes(), "valid.txt": v.Bytes(), "valid-clean.txt": c.Bytes()} {
		if err := writeAtomic(filepath.Join(*out, name), b); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s: train.txt %d bytes, valid.txt %d bytes, valid-clean.txt %d bytes\n", *out, t.Len(), v.Len(), c.Len())
	return nil
}

func bookSet(list string) map[string]bool {
	set := map[string]bool{}
	for _, b := range strings.Split(list, ",") {
		if b = strings.TrimSpace(b); b != "" {
			set[b] = true
		}
	}
	return set
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

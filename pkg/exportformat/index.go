package exportformat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// IndexLineError reports a line of index.jsonl that is not an index line
// and not the last line (a torn last line is expected after an interrupted
// run and ignored).
type IndexLineError struct {
	Line int // counted from 1
	Err  error
}

// Error names the line and what is wrong with it.
func (e *IndexLineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the parse error.
func (e *IndexLineError) Unwrap() error { return e.Err }

// ReadIndex parses index.jsonl. lines holds one IndexLine per path: the
// last line written for it, in the order those lines were written. A torn
// last line, one without its newline or not valid as a line, is what an
// interrupted write leaves: it is ignored and torn reports it. A bad line
// before the last is an *IndexLineError. Blank lines are skipped.
func ReadIndex(r io.Reader) (lines []IndexLine, torn bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var pending error // a bad line, fatal unless it turns out to be the last
	for n := 1; ; n++ {
		raw, rerr := br.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return nil, false, fmt.Errorf("read index line %d: %w", n, rerr)
		}
		ended := rerr == nil
		if len(bytes.TrimSpace(raw)) > 0 {
			if pending != nil {
				return nil, false, pending
			}
			if !ended {
				torn = true
				break
			}
			var l IndexLine
			err := json.Unmarshal(raw, &l)
			if err == nil && l.Path == "" {
				err = errors.New("no path")
			}
			if err != nil {
				pending = &IndexLineError{Line: n, Err: err}
			} else {
				lines = append(lines, l)
			}
		}
		if !ended {
			break
		}
	}
	return latest(lines), torn || pending != nil, nil
}

// latest keeps, for each path, only its last line.
func latest(lines []IndexLine) []IndexLine {
	last := make(map[string]int, len(lines))
	for i, l := range lines {
		last[l.Path] = i
	}
	if len(last) == len(lines) {
		return lines
	}
	kept := lines[:0]
	for i, l := range lines {
		if last[l.Path] == i {
			kept = append(kept, l)
		}
	}
	return kept
}

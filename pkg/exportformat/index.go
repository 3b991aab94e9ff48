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

// IndexRecord is a line of an index as IndexReader reads it, with where it
// stands in the file.
type IndexRecord struct {
	IndexLine
	// Offset is where the line starts, in bytes from the start of what
	// the reader reads; Number counts lines from 1, blank ones included.
	Offset int64
	Number int
}

// IndexReader reads index.jsonl (or removed/index.jsonl) one line at a
// time, holding only that line, so that an index of any length is read in
// flat memory:
//
//	r := exportformat.NewIndexReader(f)
//	for r.Next() {
//		rec := r.Record()
//		…
//	}
//	if err := r.Err(); err != nil { … }
//
// It yields every line as written, in order; the last line for a path is
// the one that counts (ReadIndex keeps only those). Blank lines are
// skipped. A torn last line, one without its newline or not valid as a
// line, is what an interrupted write leaves: it is not yielded, and Torn
// reports it. A bad line before the last ends the reading with an
// *IndexLineError, and so does a line longer than MaxIndexLine or a path
// longer than MaxPath, wherever they are (its Err is a *LimitError).
type IndexReader struct {
	br     *bufio.Reader
	line   []byte // the line last read
	offset int64  // where the next line starts
	number int    // the number of the line last read
	rec    IndexRecord
	// bad is a line that failed to parse: fatal unless it is the last.
	bad  *IndexLineError
	torn bool
	err  error
	done bool
}

// NewIndexReader returns a reader of the index r holds.
func NewIndexReader(r io.Reader) *IndexReader {
	return &IndexReader{br: bufio.NewReader(r)}
}

// Next reads the next line; it reports false at the end of the index or
// on an error (see Err).
func (r *IndexReader) Next() bool {
	for !r.done {
		raw, start, ended, err := r.readLine()
		if err != nil {
			r.err, r.done = err, true
			return false
		}
		if len(bytes.TrimSpace(raw)) > 0 {
			if ok := r.take(raw, start, ended); ok {
				return true
			}
		}
		if !ended {
			r.finish()
		}
	}
	return false
}

// readLine reads one line and reports where it started and whether it
// ended with a newline. The line is valid until the next call.
func (r *IndexReader) readLine() (raw []byte, start int64, ended bool, err error) {
	r.number++
	r.line = r.line[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.line)+len(chunk) > MaxIndexLine {
			return nil, 0, false, &IndexLineError{Line: r.number, Err: &LimitError{What: "the line", Limit: MaxIndexLine}}
		}
		r.line = append(r.line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			start = r.offset
			r.offset += int64(len(r.line))
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, 0, false, fmt.Errorf("read index line %d: %w", r.number, err)
			}
			return r.line, start, err == nil, nil
		}
	}
}

// take parses a non-blank line and reports whether it is a line to yield.
func (r *IndexReader) take(raw []byte, start int64, ended bool) bool {
	if r.bad != nil {
		// A line follows the bad one: the bad one was not torn.
		r.err, r.done = r.bad, true
		return false
	}
	if !ended {
		r.torn = true
		return false
	}
	var l IndexLine
	err := json.Unmarshal(raw, &l)
	switch {
	case err == nil && len(l.Path) > MaxPath:
		// No export has such a path, torn line or not.
		r.err, r.done = &IndexLineError{Line: r.number, Err: &LimitError{What: "its path", Limit: MaxPath}}, true
		return false
	case err == nil && l.Path == "":
		err = errors.New("no path")
	}
	if err != nil {
		r.bad = &IndexLineError{Line: r.number, Err: err}
		return false
	}
	r.rec = IndexRecord{IndexLine: l, Offset: start, Number: r.number}
	return true
}

// finish ends the reading at the end of the input: a bad last line was a
// torn one.
func (r *IndexReader) finish() {
	if r.bad != nil {
		r.torn = true
	}
	r.done = true
}

// Record is the line Next read.
func (r *IndexReader) Record() IndexRecord { return r.rec }

// Err is what ended the reading early: a bad line before the last (an
// *IndexLineError) or a failure to read; nil at the end of the index.
func (r *IndexReader) Err() error { return r.err }

// Torn reports whether the index ended in a torn line, once Next has
// returned false.
func (r *IndexReader) Torn() bool { return r.torn }

// Damage is the *IndexLineError of a torn last line that ended in a
// newline: not a write cut short, which leaves no newline, but a damaged
// line (Torn reports it too). It is nil otherwise, and until Next has
// returned false.
func (r *IndexReader) Damage() error {
	if !r.done || r.err != nil || r.bad == nil {
		return nil
	}
	return r.bad
}

// ReadIndex parses a whole index.jsonl, as IndexReader reads it. lines
// holds one IndexLine per path: the last line written for it, in the
// order those lines were written. It holds every path of the index in
// memory; IndexReader does not.
func ReadIndex(r io.Reader) (lines []IndexLine, torn bool, err error) {
	ir := NewIndexReader(r)
	for ir.Next() {
		lines = append(lines, ir.Record().IndexLine)
	}
	if err := ir.Err(); err != nil {
		return nil, false, err
	}
	return latest(lines), ir.Torn(), nil
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

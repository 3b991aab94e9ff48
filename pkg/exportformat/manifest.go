package exportformat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// SummaryEntries is how many entries of each of the manifest's lists a
// Summary holds.
const SummaryEntries = 100

// Summary is manifest.json with its lists cut short: Skipped, Failed,
// Removed and Incremental.Pending hold their first SummaryEntries entries
// at most, and Lengths says how many each has. Those lists grow with the
// export (skipped has an entry for every attachment --no-attachments left
// out); a Summary is what a reader needs to judge or present an export
// in bounded memory, however long they are.
type Summary struct {
	Manifest
	Lengths ListLengths
}

// ListLengths counts the entries of the manifest's lists.
type ListLengths struct {
	Skipped, Failed, Removed int
	Pending                  int // Incremental.Pending's
}

// ManifestError reports a manifest.json no reader can take for one: not
// JSON of a manifest's shape, or beyond a limit of what a reader holds
// (Err is then a *LimitError).
type ManifestError struct{ Err error }

// Error names the breach, or what does not parse.
func (e *ManifestError) Error() string {
	var limit *LimitError
	if errors.As(e.Err, &limit) {
		return limit.Error()
	}
	return "parse " + ManifestName + ": " + e.Err.Error()
}

// Unwrap returns the parse error or the *LimitError.
func (e *ManifestError) Unwrap() error { return e.Err }

// readManifest decodes a manifest.json of the stated size (-1 when
// unknown), keeping keep entries of each list (-1 every one). What is
// wrong with the manifest is a *ManifestError; any other error is the
// source's.
func readManifest(r io.Reader, size int64, keep int) (*Summary, error) {
	if size > MaxManifestSize {
		return nil, &ManifestError{Err: &LimitError{What: ManifestName, Limit: MaxManifestSize}}
	}
	in := &valueReader{r: io.LimitReader(r, MaxManifestSize+1)}
	d := &manifestDecoder{in: in, dec: json.NewDecoder(in), keep: keep}
	err := d.top()
	switch {
	case in.err != nil:
		return nil, in.err
	case err != nil:
		return nil, &ManifestError{Err: err}
	}
	return &d.s, nil
}

// manifestDecoder decodes manifest.json one value at a time: a value at
// its top, a key, or one entry of a list. What it holds is bounded by
// the largest of them (maxManifestValue), and the entries it keeps.
type manifestDecoder struct {
	in   *valueReader
	dec  *json.Decoder
	keep int
	s    Summary
}

// top decodes the manifest's object, and refuses anything after it.
func (d *manifestDecoder) top() error {
	tok, err := d.token(ManifestName)
	switch {
	case err != nil:
		return err
	case tok == nil:
		return nil // null, as json.Unmarshal takes it: an empty manifest
	case tok != json.Delim('{'):
		return fmt.Errorf("%v where an object should start", tok)
	}
	if err := d.members(d.field); err != nil {
		return err
	}
	if _, err := d.token(ManifestName); !errors.Is(err, io.EOF) {
		if err != nil {
			return err
		}
		return errors.New("more after the manifest's object")
	}
	return nil
}

// members reads the members of an object whose '{' has been read,
// handing each key to field, which reads its value.
func (d *manifestDecoder) members(field func(key string) error) error {
	for d.more() {
		tok, err := d.token("a key in " + ManifestName)
		if err != nil {
			return err
		}
		key, _ := tok.(string) // a key is a string, or Token fails
		if err := field(key); err != nil {
			return err
		}
	}
	_, err := d.token(ManifestName) // '}'
	return err
}

// field reads the value of a member of the manifest's object.
func (d *manifestDecoder) field(key string) error {
	m := &d.s.Manifest
	switch key {
	case "skipped":
		return list(d, key, &m.Skipped, &d.s.Lengths.Skipped)
	case "failed":
		return list(d, key, &m.Failed, &d.s.Lengths.Failed)
	case "removed":
		return list(d, key, &m.Removed, &d.s.Lengths.Removed)
	case "incremental":
		return d.incremental()
	case "counts":
		m.Counts = nil // a key given twice: the later value, as json.Unmarshal keeps it
	case "options":
		m.Options = nil
	case "endpoints":
		m.Endpoints = nil
	}
	if v := m.field(key); v != nil {
		return d.value(v, key)
	}
	return d.skip(key)
}

// field returns where the value of the manifest's member key goes, or
// nil for a key it has no field for (or a list the decoder streams).
func (m *Manifest) field(key string) any {
	fields := map[string]any{
		"format": &m.Format, "product": &m.Product, "site": &m.Site, "query": &m.Query,
		"startedAt": &m.StartedAt, "finishedAt": &m.FinishedAt, "complete": &m.Complete,
		"counts": &m.Counts, "redaction": &m.Redaction, "tool": &m.Tool,
		"requests": &m.Requests, "points": &m.Points, "endpoints": &m.Endpoints, "stopped": &m.Stopped, "options": &m.Options,
	}
	return fields[key]
}

// incremental reads the manifest's incremental object, its list of
// pending items streamed like the manifest's own lists.
func (d *manifestDecoder) incremental() error {
	tok, err := d.token("incremental in " + ManifestName)
	switch {
	case err != nil:
		return err
	case tok == nil:
		d.s.Incremental = nil
		return nil
	case tok != json.Delim('{'):
		return fmt.Errorf("incremental is %v, not an object", tok)
	}
	inc := &Incremental{}
	d.s.Incremental = inc
	fields := map[string]any{
		"since": &inc.Since, "startedAt": &inc.StartedAt, "running": &inc.Running,
		"updated": &inc.Updated, "removed": &inc.Removed,
	}
	return d.members(func(key string) error {
		if key == "pending" {
			return list(d, key, &inc.Pending, &d.s.Lengths.Pending)
		}
		if v := fields[key]; v != nil {
			return d.value(v, key)
		}
		return d.skip(key)
	})
}

// list reads a list one entry at a time, counting every entry in n and
// keeping as many as the decoder keeps.
func list[T any](d *manifestDecoder, key string, kept *[]T, n *int) error {
	what := key + " in " + ManifestName
	tok, err := d.token(what)
	switch {
	case err != nil:
		return err
	case tok == nil:
		return nil
	case tok != json.Delim('['):
		return fmt.Errorf("%s is %v, not a list", key, tok)
	}
	if *kept == nil {
		*kept = []T{}
	}
	for d.more() {
		var v T
		d.in.mark(d.dec, maxManifestEntry, "an entry of "+key+" in "+ManifestName)
		if err := d.dec.Decode(&v); err != nil {
			return err
		}
		*n++
		if d.keep < 0 || len(*kept) < d.keep {
			*kept = append(*kept, v)
		}
	}
	_, err = d.token(what) // ']'
	return err
}

// value decodes the value of key into v.
func (d *manifestDecoder) value(v any, key string) error {
	d.in.mark(d.dec, maxManifestValue, key+" in "+ManifestName)
	return d.dec.Decode(v)
}

// skip reads past the value of a key the manifest's reader does not know
// (an extension of a later format), a token at a time, whatever its size.
func (d *manifestDecoder) skip(key string) error {
	depth := 0
	for {
		tok, err := d.token(key + " in " + ManifestName)
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > maxManifestDepth {
				return fmt.Errorf("%s nests deeper than %d levels", key, maxManifestDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// token reads the next token; what names it should it be too large.
func (d *manifestDecoder) token(what string) (json.Token, error) {
	d.in.mark(d.dec, maxManifestValue, what)
	return d.dec.Token()
}

// more reports whether the object or list at hand has another member.
func (d *manifestDecoder) more() bool {
	d.in.mark(d.dec, maxManifestValue, ManifestName)
	return d.dec.More()
}

// valueReader feeds a json.Decoder, refusing to let it buffer more than
// max bytes from the start of the value at hand (the decoder holds a
// value whole before decoding it), or to read more than MaxManifestSize
// in all.
type valueReader struct {
	r     io.Reader // limited to MaxManifestSize+1 bytes
	read  int64
	start int64
	max   int64
	what  string
	err   error // the source's own error, other than io.EOF
}

// mark starts a value at where dec has read to: it may take limit bytes.
func (v *valueReader) mark(dec *json.Decoder, limit int64, what string) {
	v.start, v.max, v.what = dec.InputOffset(), limit, what
}

func (v *valueReader) Read(p []byte) (int, error) {
	if v.read > MaxManifestSize {
		return 0, &LimitError{What: ManifestName, Limit: MaxManifestSize}
	}
	room := v.start + v.max - v.read
	if room <= 0 {
		return 0, &LimitError{What: v.what, Limit: v.max}
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := v.r.Read(p)
	v.read += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		v.err = err
	}
	return n, err
}

// cut returns the summary with every list cut to its first n entries,
// copied so that the rest can be let go.
func (s *Summary) cut(n int) *Summary {
	c := *s
	c.Skipped = slices.Clone(s.Skipped[:min(n, len(s.Skipped))])
	c.Failed = slices.Clone(s.Failed[:min(n, len(s.Failed))])
	c.Removed = slices.Clone(s.Removed[:min(n, len(s.Removed))])
	if s.Incremental != nil {
		inc := *s.Incremental
		inc.Pending = slices.Clone(inc.Pending[:min(n, len(inc.Pending))])
		c.Incremental = &inc
	}
	return &c
}

package exportformat_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

func TestReadIndex(t *testing.T) {
	const (
		a  = `{"path":"a.json","kind":"issue","id":"1","size":1,"sha256":"aa"}`
		b  = `{"path":"b.json","kind":"issue","id":"2","size":2,"sha256":"bb"}`
		a2 = `{"path":"a.json","kind":"issue","id":"1","size":3,"sha256":"cc"}`
	)
	cases := []struct {
		name    string
		in      string
		want    []string // path:sha256 of each line
		torn    bool
		errLine int // an *IndexLineError for this line
	}{
		{name: "empty", in: ""},
		{name: "lines", in: a + "\n" + b + "\n", want: []string{"a.json:aa", "b.json:bb"}},
		{name: "last line for a path wins, in its place", in: a + "\n" + b + "\n" + a2 + "\n", want: []string{"b.json:bb", "a.json:cc"}},
		{name: "no newline after the last line", in: a + "\n" + b, want: []string{"a.json:aa"}, torn: true},
		{name: "torn last line", in: a + "\n" + `{"path":"b.js` + "\n", want: []string{"a.json:aa"}, torn: true},
		{name: "last line without a path", in: a + "\n{}\n", want: []string{"a.json:aa"}, torn: true},
		{name: "blank lines and CRLF", in: a + "\r\n\n" + b + "\r\n\n", want: []string{"a.json:aa", "b.json:bb"}},
		{name: "bad line before the last", in: a + "\n" + "garbage\n" + b + "\n", errLine: 2},
		{name: "bad line before a torn one", in: "garbage\n" + `{"pa`, errLine: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines, torn, err := exportformat.ReadIndex(strings.NewReader(tc.in))
			if tc.errLine != 0 {
				var lineErr *exportformat.IndexLineError
				if !errors.As(err, &lineErr) || lineErr.Line != tc.errLine {
					t.Fatalf("err = %v, want an error on line %d", err, tc.errLine)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range lines {
				got = append(got, l.Path+":"+l.SHA256)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") || torn != tc.torn {
				t.Errorf("ReadIndex = %q, torn %v; want %q, torn %v", got, torn, tc.want, tc.torn)
			}
		})
	}
}

func TestReadIndexFields(t *testing.T) {
	in := `{"path":"issues/1/attachments/2-a.png","kind":"attachment","id":"2","key":"ABC-1","item":"1","size":5,"sha256":"ab","updated":"2025-03-01T10:00:00Z","mediaId":"m-1","future":true}` + "\n"
	lines, _, err := exportformat.ReadIndex(strings.NewReader(in))
	if err != nil || len(lines) != 1 {
		t.Fatalf("ReadIndex = %v, %v", lines, err)
	}
	l := lines[0]
	if l.Kind != exportformat.KindAttachment || l.Key != "ABC-1" || l.Item != "1" || l.Size != 5 || l.MediaID != "m-1" || l.Updated.IsZero() {
		t.Errorf("line = %+v", l)
	}
}

func TestIndexReaderGivesEveryLineWithItsPlace(t *testing.T) {
	const (
		a  = `{"path":"a.json","kind":"issue","id":"1","size":1,"sha256":"aa"}`
		a2 = `{"path":"a.json","kind":"issue","id":"1","size":3,"sha256":"cc"}`
	)
	in := a + "\n\n" + a2 + "\n" + `{"path":"b.js`
	r := exportformat.NewIndexReader(strings.NewReader(in))
	var got []exportformat.IndexRecord
	for r.Next() {
		got = append(got, r.Record())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !r.Torn() {
		t.Error("the torn last line is not reported")
	}
	if len(got) != 2 {
		t.Fatalf("%d records, want both lines of a.json: %+v", len(got), got)
	}
	if got[0].Offset != 0 || got[0].Number != 1 || got[0].SHA256 != "aa" {
		t.Errorf("first record %+v", got[0])
	}
	if want := int64(len(a) + 2); got[1].Offset != want || got[1].Number != 3 || got[1].SHA256 != "cc" {
		t.Errorf("second record %+v, want offset %d, line 3", got[1], want)
	}
	if in[got[1].Offset:got[1].Offset+int64(len(a2))] != a2 {
		t.Error("the offset does not point at the line")
	}
}

// Damage tells a damaged last line from one an interrupted write cut
// short; both are torn.
func TestIndexReaderDamage(t *testing.T) {
	const a = `{"path":"a.json","kind":"issue","id":"1","size":1,"sha256":"aa"}`
	for _, tc := range []struct {
		in      string
		damaged bool
	}{
		{a + "\n" + `{"path":"b.js`, false},
		{a + "\n" + `{"path":"b.js` + "\n", true},
		{a + "\n{}\n\n", true},
		{a + "\n", false},
	} {
		r := exportformat.NewIndexReader(strings.NewReader(tc.in))
		for r.Next() {
		}
		var lineErr *exportformat.IndexLineError
		if got := errors.As(r.Damage(), &lineErr); got != tc.damaged || r.Err() != nil || (got && !r.Torn()) {
			t.Errorf("%q: damage %v (torn %v, err %v), want %v", tc.in, r.Damage(), r.Torn(), r.Err(), tc.damaged)
		}
	}
}

// TestIndexReaderLimits stops at a line longer than MaxIndexLine, or a
// path longer than MaxPath, last line or not (a torn last line is not
// read for its path): no export has one, and a reader holds a line whole.
func TestIndexReaderLimits(t *testing.T) {
	const a = `{"path":"a.json","kind":"issue","id":"1","size":1,"sha256":"aa"}`
	long := `{"path":"b.json","id":"` + strings.Repeat("x", exportformat.MaxIndexLine) + `"}`
	longPath := `{"path":"` + strings.Repeat("p", exportformat.MaxPath+1) + `"}`
	for _, tc := range []struct {
		in   string
		want string
	}{
		{a + "\n" + long + "\n" + a + "\n", "line 2: the line is larger than 64 KiB"},
		{a + "\n" + long, "line 2: the line is larger than 64 KiB"},
		{strings.Repeat(" ", exportformat.MaxIndexLine) + "\n", "line 1: the line is larger than 64 KiB"},
		{longPath + "\n" + a + "\n", "line 1: its path is larger than 4 KiB"},
		{a + "\n" + longPath + "\n", "line 2: its path is larger than 4 KiB"},
	} {
		_, _, err := exportformat.ReadIndex(strings.NewReader(tc.in))
		var (
			lineErr *exportformat.IndexLineError
			limit   *exportformat.LimitError
		)
		if !errors.As(err, &lineErr) || !errors.As(err, &limit) || err.Error() != tc.want {
			t.Errorf("%.40q…: err = %v, want %q", tc.in, err, tc.want)
		}
	}
	// A line of the largest size is read.
	largest := `{"path":"c.json","id":"` + strings.Repeat("x", exportformat.MaxIndexLine-26) + `"}` + "\n"
	if lines, _, err := exportformat.ReadIndex(strings.NewReader(largest)); err != nil || len(lines) != 1 || len(largest) != exportformat.MaxIndexLine {
		t.Errorf("a line of %d bytes: %d lines, %v", len(largest), len(lines), err)
	}
}

package mdtree

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestName makes hostile titles into names every file system takes and
// that still read as the titles.
func TestName(t *testing.T) {
	long := strings.Repeat("Überraschungsei 日本語 📎 ", 20)
	for _, tc := range []struct{ title, want string }{
		{"Release notes", "Release notes"},
		{"CON", "CON_"},
		{"con", "con_"},
		{"aux.txt", "aux_.txt"},
		{"NUL .tar.gz", "NUL_ .tar.gz"},
		{"COM1", "COM1_"},
		{"lpt9.md", "lpt9_.md"},
		{"COM¹", "COM¹_"},
		{"CONSOLE", "CONSOLE"},
		{"COM10", "COM10"},
		{`a/b\c:d*e?f"g<h>i|j`, "a-b-c-d_e_f'g(h)i-j"},
		{"C# & F#: 100% [draft] ^2", "C_ & F_ - 100_ (draft) _2"},
		{`Runbook: Sable contract & <Archived> "checks"`, "Runbook - Sable contract & (Archived) 'checks'"},
		{"10:30 : a", "10-30 - a"},
		{"Q&amp;A &#42; R&D", "Q_amp;A __42; R&D"},
		{"trailing dot.", "trailing dot"},
		{"trailing space ", "trailing space"},
		{"dots and spaces. . .", "dots and spaces"},
		{"..", "__"},
		{".hidden", "_hidden"},
		{"...more", "___more"},
		{"", "Untitled"},
		{"   ", "Untitled"},
		{"tab\tand\nnew\r\nline", "tab and new line"},
		{"esc\x1b[31mred\x7f", "esc (31mred"},
		{"bidi \u202etxt.exe\u202c", "bidi txt.exe"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{"Cafe\u0301", "Café"}, // NFC
		{"日本語のページ — Überblick", "日本語のページ — Überblick"},
	} {
		if got := Name(tc.title); got != tc.want {
			t.Errorf("Name(%q) = %q, want %q", tc.title, got, tc.want)
		}
		checkComponent(t, Name(tc.title)+".md")
	}
	if got := Name(long); got != norm.NFC.String(strings.TrimSpace(long)) {
		t.Errorf("a long title changed: %q", got)
	}
	if got := FileName(""); got != "file" {
		t.Errorf("FileName(\"\") = %q", got)
	}
}

// TestSuffixedCutsOnCharacters cuts a 300-byte Unicode title on a
// character's boundary within the limits, and appends the id.
func TestSuffixedCutsOnCharacters(t *testing.T) {
	title := strings.Repeat("日本語📎ü", 20) // 300 bytes
	if len(title) != 300 {
		t.Fatalf("%d bytes", len(title))
	}
	for _, lim := range []struct{ units, bytes int }{{100, 243}, {200, 255}, {40, 255}, {300, 50}} {
		got, added := suffixed(Name(title), "1234", "", 0, lim.units, lim.bytes)
		if !added || !strings.HasSuffix(got, " (1234)") || !utf8.ValidString(got) {
			t.Errorf("%v: %q", lim, got)
		}
		if Units(got) > lim.units || len(got) > lim.bytes {
			t.Errorf("%v: %q is %d units, %d bytes", lim, got, Units(got), len(got))
		}
		if !strings.HasPrefix(title, strings.TrimSuffix(got, " (1234)")) {
			t.Errorf("%v: %q is not the title's start", lim, got)
		}
	}
	got, _ := suffixed("report", "att9", ".pdf", 2, 100, 255)
	if got != "report (att9-2).pdf" {
		t.Errorf("level 2: %q", got)
	}
	got, _ = suffixed(strings.Repeat("x", 80), "att9", ".pdf", 0, 30, 255)
	if got != strings.Repeat("x", 18)+" (att9).pdf" {
		t.Errorf("a long file name: %q", got)
	}
}

// TestPlanSiblings gives clashing siblings names that differ on every
// file system, whatever their order.
func TestPlanSiblings(t *testing.T) {
	for _, style := range []string{StyleObsidian, StyleIndex} {
		t.Run(style, func(t *testing.T) {
			kids := []*Node{
				{ID: "1", Title: "Notes"},
				{ID: "2", Title: "notes"},
				{ID: "3", Title: "Same"},
				{ID: "4", Title: "Same"},
				{ID: "5", Title: "Same (3)"},
				{ID: "6", Title: "Blog", Children: []*Node{{ID: "61", Title: "x"}}},
				{ID: "7", Title: "Unique", Files: []File{{"a1", "report.pdf"}, {"a2", "report.pdf"}, {"a3", "Report.PDF"}, {"a4", "con.txt"}, {"a5", ".."}, {"a6", "x.md"}}},
				{ID: "8", Title: "Straße"},
				{ID: "9", Title: "STRASSE"},
				{ID: "10", Title: "Unique.attachments", Children: []*Node{{ID: "101", Title: "index"}, {ID: "102", Title: "attachments", Files: []File{{"b1", "f"}}}}},
				{ID: "11", Title: "Cafe\u0301"},
				{ID: "12", Title: "Café"},
			}
			blog := &Node{ID: "blog", Title: "Blog", Kind: Group, Children: []*Node{{ID: "b", Title: "2024-01-01 Post"}}}
			space := &Node{ID: "space:1", Title: "DEMO", Kind: Group, Children: append(slices.Clone(kids), blog)}
			places := Plan(style, []*Node{space})
			paths := checkPlan(t, places, []*Node{space})
			name := func(id string) string {
				for n, p := range places {
					if n.ID == id {
						return path.Base(p.Dir)
					}
				}
				return ""
			}
			for id, want := range map[string]string{
				"1": "Notes (1)", "2": "notes (2)", "3": "Same (3)", "4": "Same (4)", "5": "Same (3) (5)",
				"6": "Blog (6)", "blog": "Blog", "8": "Straße (8)", "9": "STRASSE (9)", "11": "Café (11)", "12": "Café (12)",
			} {
				if got := name(id); got != want {
					t.Errorf("node %s: %q, want %q", id, got, want)
				}
			}
			var files []string
			for _, n := range kids[6:7] {
				for _, f := range places[n].Files {
					files = append(files, path.Base(f))
				}
			}
			slices.Sort(files)
			want := []string{"con_.txt", "report (a1).pdf", "report (a2).pdf", "Report (a3).PDF", "x.md", "__"}
			slices.Sort(want)
			if !slices.Equal(files, want) {
				t.Errorf("attachments %q, want %q", files, want)
			}
			// The same names whatever the siblings' order.
			rev := slices.Clone(kids)
			slices.Reverse(rev)
			space2 := &Node{ID: "space:1", Title: "DEMO", Kind: Group, Children: append(rev, blog)}
			if again := checkPlan(t, Plan(style, []*Node{space2}), []*Node{space2}); !slices.Equal(again, paths) {
				t.Errorf("another order, other names:\n%q\n%q", again, paths)
			}
		})
	}
}

// TestPlanDeep lays out a 30-level tree of long titles, each level with
// attachments and a sibling: every path fits, the tree is kept as deep as
// it fits, and the rest continues at the top of the space.
func TestPlanDeep(t *testing.T) {
	for _, style := range []string{StyleObsidian, StyleIndex} {
		t.Run(style, func(t *testing.T) {
			space := &Node{ID: "space:1", Title: "DEMO", Kind: Group}
			parent := space
			var chain []*Node
			for i := range 30 {
				n := &Node{
					ID:    fmt.Sprint(1000000000 + i),
					Title: fmt.Sprintf("Level %d — %s", i, strings.Repeat("a rather long title for a page ", 1+i%4)),
					Files: []File{{fmt.Sprint("att", i), strings.Repeat("diagram ", 1+i%6) + ".png"}},
				}
				leaf := &Node{ID: fmt.Sprint(2000000000 + i), Title: fmt.Sprintf("Leaf %d: %s", i, strings.Repeat("ü日", 60))}
				if i%5 == 0 {
					n.Kind = Folder
					n.Files = nil
				}
				parent.Children = append(parent.Children, n, leaf)
				chain = append(chain, n)
				parent = n
			}
			places := Plan(style, []*Node{space})
			paths := checkPlan(t, places, []*Node{space})
			if !slices.Equal(paths, checkPlan(t, Plan(style, []*Node{space}), []*Node{space})) {
				t.Error("two plans of one tree differ")
			}
			nested, moved := 0, 0
			for i, n := range chain[1:] {
				switch path.Dir(places[n].Dir) {
				case places[chain[i]].Dir:
					nested++
				case "DEMO":
					moved++
					if !strings.HasSuffix(places[n].Dir, " ("+n.ID+")") {
						t.Errorf("moved up without its id: %s", places[n].Dir)
					}
				default:
					t.Errorf("%s is neither under its parent nor at the top", places[n].Dir)
				}
			}
			t.Logf("%d nested, %d moved: %q", nested, moved, paths[:6])
			if nested < 10 || moved == 0 {
				t.Errorf("%d levels nested, %d moved up", nested, moved)
			}
		})
	}
}

// checkPlan checks the paths of a plan as a user's file systems would,
// and that every node is placed, and returns the paths, sorted.
func checkPlan(t *testing.T, places map[*Node]*Place, roots []*Node) []string {
	t.Helper()
	var paths []string
	var walk func(ns []*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			p := places[n]
			if p == nil {
				t.Fatalf("node %s not placed", n.ID)
			}
			if p.Note != "" {
				paths = append(paths, p.Note)
			}
			if len(p.Files) != len(n.Files) {
				t.Errorf("node %s: %d files placed of %d", n.ID, len(p.Files), len(n.Files))
			}
			for _, f := range n.Files {
				paths = append(paths, p.Files[f.ID])
			}
			if n.Kind == Note && p.Note == "" {
				t.Errorf("node %s has no note", n.ID)
			}
			walk(n.Children)
		}
	}
	walk(roots)
	checkPaths(t, paths)
	slices.Sort(paths)
	return paths
}

// checkPaths checks file paths relative to DEST: each component safe on
// Windows, macOS and Linux and in links, each path short enough, and no
// two names in a folder the same to a case-insensitive file system.
func checkPaths(t *testing.T, paths []string) {
	t.Helper()
	seen := map[string]string{}
	files := map[string]bool{}
	for _, p := range paths {
		if files[p] {
			t.Errorf("%s: twice", p)
		}
		files[p] = true
		if n := len(utf16.Encode([]rune(p))); n > 200 {
			t.Errorf("%s: %d UTF-16 code units", p, n)
		}
		parts := strings.Split(p, "/")
		for i, c := range parts {
			checkComponent(t, c)
			full := strings.Join(parts[:i+1], "/")
			k := strings.ToLower(norm.NFC.String(strings.Join(parts[:i+1], "/")))
			if other, ok := seen[k]; ok && other != full {
				t.Errorf("%q and %q are one file to a case-insensitive file system", other, full)
			}
			seen[k] = full
		}
	}
}

var devices = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true}

func init() {
	for _, d := range "0123456789¹²³" {
		devices["COM"+string(d)] = true
		devices["LPT"+string(d)] = true
	}
}

func checkComponent(t *testing.T, c string) {
	t.Helper()
	switch {
	case c == "" || len(c) > 255:
		t.Errorf("%q: %d bytes", c, len(c))
	case !utf8.ValidString(c) || !norm.NFC.IsNormalString(c):
		t.Errorf("%q: not NFC UTF-8", c)
	case strings.ContainsAny(c, `<>:"/\|?*#%[]^`) || strings.IndexFunc(c, unicode.IsControl) >= 0:
		t.Errorf("%q: a character a file system or a link refuses", c)
	case strings.HasPrefix(c, ".") || strings.HasPrefix(c, " ") || strings.HasSuffix(c, ".") || strings.HasSuffix(c, " "):
		t.Errorf("%q: a dot or space at an end", c)
	}
	base, _, _ := strings.Cut(c, ".")
	if devices[strings.ToUpper(strings.TrimRight(base, " "))] {
		t.Errorf("%q: a Windows device name", c)
	}
}

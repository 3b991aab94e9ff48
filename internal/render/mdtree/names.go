package mdtree

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aumo-cli/aumo/internal/mdtext"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Limits of the names and paths the view writes.
const (
	// MaxPath is the longest path of a file relative to DEST, in UTF-16
	// code units (what Windows counts): DEST's own path has the rest of
	// Windows' 260.
	MaxPath = 200
	// MaxComponent is the longest file or folder name, in bytes.
	MaxComponent = 255
	// MaxTitle is the longest name made of a title, in UTF-16 code
	// units: a longer title is cut, and the item's id appended.
	MaxTitle = 100
	// maxGroup is the longest name of a space's or a project's folder.
	maxGroup = 60
	// maxStemBytes leaves room in a component for ".attachments".
	maxStemBytes = MaxComponent - len(".attachments")
	// minStem is the least of a title a name keeps, its id appended,
	// before the item moves up to the top of its space instead.
	minStem = 16
	// attMin is the room left for an attachment's name.
	attMin = 32
	// maxExt is the longest extension kept apart when a file's name is
	// cut.
	maxExt = 10
)

// Name makes a title into a file or folder name that every common file
// system accepts and that Markdown and wiki links can hold, still
// reading as the title: see the package comment for the rules. An empty
// title is "Untitled". Name does not limit the length; the layout does.
func Name(title string) string { return safe(title, "Untitled") }

// FileName makes an attachment's name safe as Name does a title (an
// empty one is "file"), its extension kept.
func FileName(name string) string { return safe(name, "file") }

func safe(s, empty string) string {
	s = clean(s)
	if s == "" {
		return empty
	}
	s = finish(s)
	if s == "" {
		return empty
	}
	return s
}

// clean is s in NFC with every character that a file system or a link
// refuses replaced: "-" for / \ | and : (": " is " - "), "(" and ")"
// for < [ and > ], "'" for a double quote, "_" for ? * # % ^ and for an
// "&" that would read as a character reference; a space for control
// characters and other white space (runs collapse to one); nothing for
// bidirectional controls and byte order marks.
func clean(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			space = true
			continue
		case unicode.Is(unicode.Bidi_Control, r) || r == '\uFEFF':
			continue
		case r == ':' && strings.HasPrefix(s[i+1:], " ") && !space && b.Len() > 0:
			// "Runbook: deploys" reads "Runbook - deploys".
			b.WriteString(" -")
			continue
		case r == '&' && mdtext.LooksLikeEntity(s[i:]):
			r = '_'
		case r < utf8.RuneSelf && replace[r] != 0:
			r = rune(replace[r])
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// replace are the characters names leave out, and what stands for each:
// those Windows refuses, and those that break a Markdown or wiki link.
var replace = [utf8.RuneSelf]byte{
	'/': '-', '\\': '-', '|': '-', ':': '-',
	'<': '(', '[': '(', '>': ')', ']': ')',
	'"': '\'',
	'?': '_', '*': '_', '#': '_', '%': '_', '^': '_',
}

// finish makes a cleaned name safe at its ends: no leading or trailing
// space, no leading dot (a hidden file; each becomes "_"), no trailing
// dot, and no Windows device name before its first dot ("CON", "aux.txt"
// gain a "_": "CON_", "aux_.txt").
func finish(s string) string {
	s = strings.TrimSpace(s)
	if rest := strings.TrimLeft(s, "."); len(rest) < len(s) {
		s = strings.Repeat("_", len(s)-len(rest)) + rest
	}
	s = strings.TrimRight(s, ". ")
	end := strings.IndexByte(s, '.')
	if end < 0 {
		end = len(s)
	}
	if base := strings.TrimRight(s[:end], " "); reserved(base) {
		s = base + "_" + s[len(base):]
	}
	return s
}

// reserved reports whether name is one of Windows' device names.
func reserved(name string) bool {
	switch u := strings.ToUpper(name); u {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$":
		return true
	default:
		for _, p := range []string{"COM", "LPT"} {
			if rest, ok := strings.CutPrefix(u, p); ok {
				return len(rest) == 1 && rest[0] >= '0' && rest[0] <= '9' || rest == "¹" || rest == "²" || rest == "³"
			}
		}
	}
	return false
}

// Units is the length of s in UTF-16 code units.
func Units(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// cut is the longest prefix of s, ending on a character's boundary, of at
// most units UTF-16 code units and bytes bytes.
func cut(s string, units, bytes int) string {
	n := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > units || i+utf8.RuneLen(r) > bytes {
			return s[:i]
		}
		n += w
	}
	return s
}

// fold is the form of a name that case-insensitive, normalization-
// insensitive file systems (Windows', macOS's) compare.
func fold(name string) string {
	return norm.NFC.String(cases.Fold().String(norm.NFC.String(name)))
}

// splitExt splits a safe file name into its base and its extension (the
// dot included), when it has a short one.
func splitExt(name string) (base, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || len(name)-i > maxExt || strings.ContainsRune(name[i:], ' ') {
		return name, ""
	}
	return name[:i], name[i:]
}

// suffixed is base with the suffix " (id)" (" (id-n)" for n > 1) and ext,
// cut to units and bytes: the cut falls in base, and a base that had to
// be cut gets the suffix even at n = 0. It reports whether the suffix was
// added.
func suffixed(base, id, ext string, n, units, bytes int) (string, bool) {
	name, ok := tryName(base, "", ext, units, bytes)
	if ok && n == 0 {
		return name, false
	}
	sfx := " (" + id + ")"
	if n > 1 {
		sfx = " (" + id + "-" + strconv.Itoa(n) + ")"
	}
	name, _ = tryName(base, sfx, ext, units, bytes)
	return name, true
}

// tryName joins base, sfx and ext, base cut to fit; ok says nothing was
// cut.
func tryName(base, sfx, ext string, units, bytes int) (name string, ok bool) {
	// One unit and byte to spare for the "_" finish may add.
	u := units - Units(sfx) - Units(ext) - 1
	b := bytes - len(sfx) - len(ext) - 1
	short := cut(base, max(u, 0), max(b, 0))
	if short != base {
		short = strings.TrimRight(short, " .")
	}
	name = finish(short + sfx + ext)
	if name == "" {
		name = "_"
	}
	return name, short == base
}

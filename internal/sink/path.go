package sink

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits every path of an export respects so that it extracts unchanged on
// Windows, macOS and Linux.
const (
	// MaxNameBytes is the longest path component, in bytes.
	MaxNameBytes = 255
	// MaxPathBytes is the longest relative path, in bytes: what is left of
	// Windows' 260-character path limit for a reasonably short output folder.
	MaxPathBytes = 200
)

// Names the sink writes itself; a Put under them would corrupt the export.
const (
	manifestName = "manifest.json"
	indexName    = "index.jsonl"
)

// tmpPrefix starts every temporary name the sink creates inside an export
// directory, so that paths given to Put can never collide with one.
const tmpPrefix = ".aumo-tmp-"

// PortableName makes one path component portable to Windows, macOS and
// Linux: no control characters, none of <>:"|?*\ or '/', no trailing dot or
// space, no Windows device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9, in any
// case, also with an extension like "con.txt"), valid UTF-8 (invalid bytes
// become '_'), at most maxBytes bytes (the stem is shortened and the
// extension kept, never cutting a UTF-8 sequence), never empty ("_"), never
// "." or "..". A maxBytes below 1 means MaxNameBytes.
func PortableName(name string, maxBytes int) string {
	if maxBytes < 1 {
		maxBytes = MaxNameBytes
	}
	if isPortableName(name) && len(name) <= maxBytes {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte('_')
		case unicode.IsControl(r) || strings.ContainsRune(reservedChars, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	s := trimTrailing(b.String())
	s = shorten(s, maxBytes)
	if s == "" {
		return "_"
	}
	if isDeviceName(s) {
		// The underscore makes the stem no longer a device name; shortening
		// afterwards cannot make it one again.
		s = shorten("_"+s, maxBytes)
	}
	return s
}

// reservedChars are the characters Windows refuses in names; '/' is the
// separator everywhere.
const reservedChars = `<>:"|?*\/`

// trimTrailing drops the trailing dots and spaces Windows silently strips,
// which would make two different names collide or "." and ".." appear.
func trimTrailing(s string) string {
	return strings.TrimRight(s, ". ")
}

// shorten cuts s to at most maxBytes bytes, keeping its extension when the
// extension leaves room for a stem.
func shorten(s string, maxBytes int) string {
	if len(s) <= maxBytes {
		return s
	}
	stem, ext := splitExt(s)
	if len(ext) > maxBytes/2 {
		stem, ext = s, ""
	}
	stem = trimTrailing(cutUTF8(stem, maxBytes-len(ext)))
	if stem == "" {
		// A lone extension would be a hidden file named after a type.
		return trimTrailing(cutUTF8(s, maxBytes))
	}
	return stem + ext
}

// splitExt splits off an extension of up to two short alphanumeric
// suffixes, so that "report.tar.gz" keeps ".tar.gz" when shortened but
// "v1.2 final notes" keeps nothing.
func splitExt(s string) (stem, ext string) {
	stem = s
	for range 2 {
		i := strings.LastIndexByte(stem, '.')
		if i <= 0 || !isExtSuffix(stem[i+1:]) {
			break
		}
		if len(s)-i > 16 {
			break
		}
		stem = stem[:i]
	}
	return stem, s[len(stem):]
}

func isExtSuffix(s string) bool {
	if s == "" || len(s) > 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum {
			return false
		}
	}
	return true
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// end inside a UTF-8 sequence.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// deviceNames are reserved by Windows whatever the extension; the
// superscript digits are reserved too.
var deviceNames = []string{
	"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
	"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
	"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
}

// isDeviceName reports whether Windows would take s for a device: it looks
// at the part before the first dot, ignoring trailing spaces.
func isDeviceName(s string) bool {
	stem, _, _ := strings.Cut(s, ".")
	stem = strings.TrimRight(stem, " ")
	if len(stem) < 3 || len(stem) > 7 {
		return false
	}
	for _, d := range deviceNames {
		if strings.EqualFold(stem, d) {
			return true
		}
	}
	return false
}

// isPortableName reports whether PortableName would keep s as it is,
// length aside. It allocates nothing, so Put can check every component.
func isPortableName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if unicode.IsControl(r) || strings.ContainsRune(reservedChars, r) {
			return false
		}
		i += size
	}
	if c := s[len(s)-1]; c == '.' || c == ' ' {
		return false
	}
	return !isDeviceName(s)
}

// AttachmentPath returns dir + "/attachments/" + id + "-" + a portable form
// of name, shortened so that the whole relative path is at most
// MaxPathBytes and its last component at most MaxNameBytes bytes. The
// engine's dir and id are trusted to be portable and short; name is not.
func AttachmentPath(dir, id, name string) string {
	prefix := "attachments/" + id + "-"
	if dir != "" {
		prefix = dir + "/" + prefix
	}
	budget := min(MaxNameBytes-len(id)-1, MaxPathBytes-len(prefix))
	return prefix + PortableName(name, max(budget, 1))
}

// ErrBadPath is wrapped by the errors of paths Put refuses, so that the
// engine can tell a naming bug from a failing disk.
var ErrBadPath = errors.New("path not allowed in an export")

// checkPath reports why path cannot name a file of an export: it must be
// relative, '/'-separated, made of portable components, and none of the
// sink's own files or temporary names.
func checkPath(path string) error {
	switch {
	case path == "":
		return fmt.Errorf("empty path: %w", ErrBadPath)
	case len(path) > MaxPathBytes:
		return fmt.Errorf("%q is longer than %d bytes: %w", path, MaxPathBytes, ErrBadPath)
	case path[0] == '/':
		return fmt.Errorf("%q is absolute: %w", path, ErrBadPath)
	case path == manifestName || path == indexName || path == lockName:
		return fmt.Errorf("%q is written by the sink itself: %w", path, ErrBadPath)
	}
	for rest := path; ; {
		comp, tail, more := strings.Cut(rest, "/")
		switch {
		case comp == "":
			return fmt.Errorf("%q has an empty component: %w", path, ErrBadPath)
		case comp == "." || comp == "..":
			return fmt.Errorf("%q has a %q component: %w", path, comp, ErrBadPath)
		case len(comp) > MaxNameBytes:
			return fmt.Errorf("%q has a component longer than %d bytes: %w", path, MaxNameBytes, ErrBadPath)
		case strings.HasPrefix(comp, tmpPrefix):
			return fmt.Errorf("%q uses the sink's temporary prefix: %w", path, ErrBadPath)
		case !isPortableName(comp):
			return fmt.Errorf("%q has a component that is not portable (%q): %w", path, comp, ErrBadPath)
		}
		if !more {
			return nil
		}
		rest = tail
	}
}

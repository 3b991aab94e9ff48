package sink

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPortableName(t *testing.T) {
	longE := strings.Repeat("é", 200) + ".pdf" // 404 bytes
	longCJK := strings.Repeat("文", 134) + ".pdf"
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "report.pdf", 255, "report.pdf"},
		{"unicode kept", "résumé 文書.pdf", 255, "résumé 文書.pdf"},
		{"traversal", "../../etc/passwd", 255, ".._.._etc_passwd"},
		{"slashes", `a/b\c`, 255, "a_b_c"},
		{"reserved characters", `a<b>c:d"e|f?g*h`, 255, "a_b_c_d_e_f_g_h"},
		{"device with extension", "con.txt", 255, "_con.txt"},
		{"device", "CON", 255, "_CON"},
		{"device with double extension", "aux.tar.gz", 255, "_aux.tar.gz"},
		{"device mixed case", "Nul.Txt", 255, "_Nul.Txt"},
		{"device with space before extension", "prn .txt", 255, "_prn .txt"},
		{"com and lpt", "COM1.log", 255, "_COM1.log"},
		{"lpt9", "lpt9", 255, "_lpt9"},
		{"superscript com", "com¹", 255, "_com¹"},
		{"not a device: com0", "com0", 255, "com0"},
		{"not a device: longer stem", "console.txt", 255, "console.txt"},
		{"not a device: later component", "my.con", 255, "my.con"},
		{"trailing dot and space", "name. ", 255, "name"},
		{"trailing dots", "name...", 255, "name"},
		{"controls", "\x00\x1f\x7f", 255, "___"},
		{"c1 control", "a\u0085b", 255, "a_b"},
		{"tab and newline", "a\tb\nc", 255, "a_b_c"},
		{"invalid utf-8", "a\xffb\xc3", 255, "a_b_"},
		{"empty", "", 255, "_"},
		{"dot", ".", 255, "_"},
		{"dot dot", "..", 255, "_"},
		{"only dots and spaces", ". . .", 255, "_"},
		{"hidden file kept", ".bashrc", 255, ".bashrc"},
		{"leading dots kept", "..foo", 255, "..foo"},
		{"long é keeps extension", longE, 255, strings.Repeat("é", 125) + ".pdf"},
		{"long CJK keeps extension", longCJK, 255, strings.Repeat("文", 83) + ".pdf"},
		{"double extension kept", strings.Repeat("a", 300) + ".tar.gz", 100, strings.Repeat("a", 93) + ".tar.gz"},
		{"extension too long for budget", "abcdefgh.pdf", 6, "abcdef"},
		{"cut never splits a rune", "ééé", 5, "éé"},
		{"cut leaves nothing", "é", 1, "_"},
		{"cut ends in a dot", "ab.cd efg", 3, "ab"},
		{"cut before extension ends in space", "ab  cdefgh.pdf", 8, "ab.pdf"},
		{"no real extension", "v1.2 final notes", 8, "v1.2 fin"},
		{"device after cut", "CONSOLE", 3, "_CO"},
		{"non-positive max means 255", strings.Repeat("x", 300), 0, strings.Repeat("x", 255)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PortableName(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("PortableName(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			checkPortable(t, got, tt.max)
		})
	}
}

// checkPortable asserts what every result of PortableName must satisfy.
func checkPortable(t *testing.T, got string, maxBytes int) {
	t.Helper()
	if maxBytes < 1 {
		maxBytes = MaxNameBytes
	}
	if len(got) > maxBytes {
		t.Errorf("%q is %d bytes, more than %d", got, len(got), maxBytes)
	}
	if !utf8.ValidString(got) {
		t.Errorf("%q is not valid UTF-8", got)
	}
	if !isPortableName(got) {
		t.Errorf("%q is not portable", got)
	}
	if again := PortableName(got, maxBytes); again != got {
		t.Errorf("PortableName is not idempotent: %q then %q", got, again)
	}
}

func FuzzPortableName(f *testing.F) {
	for _, s := range []string{"../../etc/passwd", `a/b\c`, "con.txt", "aux.tar.gz", "name. ", "\x00\x1f\x7f", "\xff", "", ".", "..", "é.pdf"} {
		f.Add(s, 255)
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, name string, maxBytes int) {
		maxBytes = maxBytes%300 + 1
		if maxBytes < 1 {
			maxBytes += 300
		}
		checkPortable(t, PortableName(name, maxBytes), maxBytes)
	})
}

func TestAttachmentPath(t *testing.T) {
	tests := []struct {
		name, dir, id, in string
		want              string
	}{
		{"plain", "issues/10001", "20001", "report.pdf", "issues/10001/attachments/20001-report.pdf"},
		{"traversal", "issues/1", "2", "../../etc/passwd", "issues/1/attachments/2-.._.._etc_passwd"},
		{"backslash", "pages/1", "2", `a/b\c`, "pages/1/attachments/2-a_b_c"},
		{"device", "issues/1", "2", "con.txt", "issues/1/attachments/2-_con.txt"},
		{"empty", "issues/1", "2", "", "issues/1/attachments/2-_"},
		{"dot dot", "issues/1", "2", "..", "issues/1/attachments/2-_"},
		{"trailing dot", "issues/1", "2", "name. ", "issues/1/attachments/2-name"},
		{"no dir", "", "7", "a.txt", "attachments/7-a.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AttachmentPath(tt.dir, tt.id, tt.in)
			if got != tt.want {
				t.Errorf("AttachmentPath(%q, %q, %q) = %q, want %q", tt.dir, tt.id, tt.in, got, tt.want)
			}
			if err := checkPath(got); err != nil {
				t.Errorf("Put would refuse %q: %v", got, err)
			}
		})
	}
}

func TestAttachmentPathShortens(t *testing.T) {
	dir := "blogposts/123456789012"
	for _, name := range []string{
		strings.Repeat("é", 200) + ".pdf",
		strings.Repeat("文", 134) + ".pdf",
		strings.Repeat("x", 400) + ".pdf",
		strings.Repeat("\xff", 400) + ".pdf",
	} {
		got := AttachmentPath(dir, "987654321", name)
		if len(got) > MaxPathBytes {
			t.Errorf("%q is %d bytes, more than %d", got, len(got), MaxPathBytes)
		}
		if !strings.HasSuffix(got, ".pdf") {
			t.Errorf("%q lost its extension", got)
		}
		if !strings.HasPrefix(got, dir+"/attachments/987654321-") {
			t.Errorf("%q lost its prefix", got)
		}
		if err := checkPath(got); err != nil {
			t.Errorf("Put would refuse %q: %v", got, err)
		}
	}
	// A long id leaves less room in the component than the path allows.
	id := strings.Repeat("9", 240)
	got := AttachmentPath("", id, strings.Repeat("n", 100)+".txt")
	if comp := got[strings.LastIndexByte(got, '/')+1:]; len(comp) > MaxNameBytes {
		t.Errorf("component of %d bytes, more than %d", len(comp), MaxNameBytes)
	}
}

func TestCheckPath(t *testing.T) {
	ok := []string{
		"manifest.jsonx",
		"fields.json",
		"issues/10001/issue.json",
		"issues/10001/manifest.json",
		"pages/1/attachments/2-résumé 文.pdf",
		"removed/issues/1/issue.json",
		".hidden",
		strings.Repeat("a", MaxPathBytes),
	}
	for _, p := range ok {
		if err := checkPath(p); err != nil {
			t.Errorf("checkPath(%q) = %v, want nil", p, err)
		}
	}
	bad := []string{
		"",
		"/etc/passwd",
		"../../etc/passwd",
		"a/../b",
		"..",
		".",
		"a/./b",
		"a//b",
		"a/",
		`a/b\c`,
		"C:/x",
		"issues/con.txt",
		"issues/CON",
		"a/name. ",
		"a/\x00b",
		"a/\xffb",
		"manifest.json",
		"index.jsonl",
		tmpPrefix + "x",
		"a/" + tmpPrefix + "x",
		strings.Repeat("a", MaxPathBytes+1),
	}
	for _, p := range bad {
		err := checkPath(p)
		if err == nil {
			t.Errorf("checkPath(%q) = nil, want an error", p)
			continue
		}
		if !errors.Is(err, ErrBadPath) {
			t.Errorf("checkPath(%q) = %v, not ErrBadPath", p, err)
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := map[string]string{
		"-":                    KindStdout,
		"out":                  KindDir,
		"out/":                 KindDir,
		"./exports/jira":       KindDir,
		"x.tar":                KindTar,
		"X.TAR":                KindTar,
		"x.tar.gz":             KindTarGz,
		"x.tgz":                KindTarGz,
		"x.Tar.Gz":             KindTarGz,
		"x.tar.zst":            KindTarZst,
		"x.tar.gz/":            KindDir,
		"x.zst":                KindDir,
		"archive.tar.gz.notes": KindDir,
	}
	for in, want := range tests {
		if got := KindOf(in); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", in, got, want)
		}
	}
}

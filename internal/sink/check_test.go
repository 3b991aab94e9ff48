package sink

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func wantCheckError(t *testing.T, out string, opts Options, want string) {
	t.Helper()
	err := Check(out, opts)
	if err == nil {
		t.Fatalf("Check(%q) = nil, want an error saying %q", out, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Check(%q) = %q, want it to say %q", out, err, want)
	}
	if s, err := Open(out, opts); err == nil {
		_ = s.Abort()
		t.Errorf("Open(%q) succeeded where Check refuses", out)
	}
}

func TestCheckAccepts(t *testing.T) {
	base := t.TempDir()
	empty := filepath.Join(base, "empty")
	export := filepath.Join(base, "export")
	for _, d := range []string{empty, export} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(export, manifestName), []byte(initialManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(export, "fields.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		filepath.Join(base, "new"),
		empty,
		export,
		filepath.Join(base, "x.tar"),
		filepath.Join(base, "x.tgz"),
		filepath.Join(base, "x.tar.zst"),
		"-",
	} {
		if err := Check(out, Options{TempDir: base}); err != nil {
			t.Errorf("Check(%q) = %v", out, err)
		}
	}
	ents, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Errorf("Check left files behind: %v", ents)
	}
}

func TestCheckRefusesNonExport(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "thesis.docx"), []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantCheckError(t, dir, Options{}, "not an aumo export")
	// A manifest.json that is not a file does not make an export either.
	if err := os.Mkdir(filepath.Join(dir, manifestName), 0o700); err != nil {
		t.Fatal(err)
	}
	wantCheckError(t, dir, Options{}, "not an aumo export")
}

func TestCheckRefusesMissingParent(t *testing.T) {
	base := t.TempDir()
	for _, name := range []string{"out", "out.tar", "out.tar.gz", "out.tar.zst"} {
		wantCheckError(t, filepath.Join(base, "missing", name), Options{}, "does not exist")
	}
}

func TestCheckRefusesFileAsParent(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"out", "out.tar", "out.tar.zst"} {
		wantCheckError(t, filepath.Join(file, name), Options{}, "not a directory")
	}
	wantCheckError(t, file, Options{}, "not a directory")
}

func TestCheckRefusesUnwritableParent(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits do not make a directory read-only on Windows")
	}
	base := t.TempDir()
	ro := filepath.Join(base, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(ro, 0o700) })
	if os.Geteuid() == 0 {
		// Root writes whatever the mode says; what can be asserted is that
		// Check tries a write rather than trusting the mode bits.
		if err := Check(filepath.Join(ro, "out.tar"), Options{}); err != nil {
			t.Errorf("as root, Check refused a directory root can write in: %v", err)
		}
		file := filepath.Join(base, "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		wantCheckError(t, filepath.Join(file, "out.tar"), Options{}, "not a directory")
		return
	}
	for _, name := range []string{"out", "out.tar", "out.tar.gz"} {
		wantCheckError(t, filepath.Join(ro, name), Options{}, "cannot write")
	}
	// An existing, empty directory that cannot be written in.
	wantCheckError(t, ro, Options{}, "cannot write")
}

func TestCheckRefusesExistingTarball(t *testing.T) {
	base := t.TempDir()
	for _, name := range []string{"x.tar", "x.tar.gz", "x.tgz", "x.tar.zst"} {
		p := filepath.Join(base, name)
		if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		wantCheckError(t, p, Options{}, "already exists")
		if got := readFile(t, p); got != "old" {
			t.Errorf("%s changed to %q", name, got)
		}
	}
}

func TestCheckRefusesTerminal(t *testing.T) {
	wantCheckError(t, "-", Options{Stdout: os.Stdout, StdoutIsTerminal: true}, "use --out FILE")
}

func TestCheckRefusesLittleFreeSpace(t *testing.T) {
	if _, ok, _ := freeBytes(t.TempDir()); !ok {
		t.Skip("free space is not known on this platform")
	}
	base := t.TempDir()
	huge := Options{MinFreeBytes: 1 << 62, TempDir: base}
	for _, out := range []string{filepath.Join(base, "out"), filepath.Join(base, "out.tar.zst"), "-"} {
		wantCheckError(t, out, huge, "not enough free space")
	}
	if err := Check(filepath.Join(base, "out"), Options{MinFreeBytes: -1}); err != nil {
		t.Errorf("Check with the space check off: %v", err)
	}
}

func TestStdoutNeedsWriter(t *testing.T) {
	if s, err := Open("-", Options{TempDir: t.TempDir()}); err == nil {
		_ = s.Abort()
		t.Error("Open(\"-\") without a writer succeeded")
	}
}

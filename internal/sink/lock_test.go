package sink

import (
	"filippo.io/age"

	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// lockPath is where the lock of out lives: inside a directory export,
// beside a tarball.
func lockPath(out string) string {
	if KindOf(out) == KindDir {
		return filepath.Join(out, ".aumo.lock")
	}
	return filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".lock")
}

func mustNotExist(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s is still there (%v)", p, err)
	}
}

func mustExist(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); err != nil {
		t.Errorf("%s: %v", p, err)
	}
}

func testRecipients(t *testing.T) []age.Recipient {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return []age.Recipient{id.Recipient()}
}

var lockKinds = []string{"dir", "tar", "tar.gz", "tar.zst", "tar.zst.age"}

func lockTarget(t *testing.T, kind string) string {
	t.Helper()
	if kind == "dir" {
		return filepath.Join(t.TempDir(), "export")
	}
	return filepath.Join(t.TempDir(), "export."+kind)
}

func TestLockOutputRefusesASecondHolder(t *testing.T) {
	for _, kind := range lockKinds {
		t.Run(kind, func(t *testing.T) {
			out := lockTarget(t, kind)
			l, err := LockOutput(out)
			if err != nil {
				t.Fatal(err)
			}
			mustExist(t, lockPath(out))
			if _, err := LockOutput(out); !errors.Is(err, ErrLocked) {
				t.Errorf("second LockOutput: %v, want ErrLocked", err)
			}
			// A sink opened without the caller's lock takes it: refused too.
			if _, err := Open(out, Options{InitialManifest: []byte(initialManifest)}); !errors.Is(err, ErrLocked) {
				t.Errorf("Open while locked: %v, want ErrLocked", err)
			}
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			mustNotExist(t, lockPath(out))
			l2, err := LockOutput(out)
			if err != nil {
				t.Fatalf("LockOutput after Release: %v", err)
			}
			if err := l2.Release(); err != nil {
				t.Fatal(err)
			}
			if err := l2.Release(); err != nil {
				t.Errorf("second Release: %v", err)
			}
		})
	}
}

func TestLockOutputStdoutHoldsNothing(t *testing.T) {
	a, err := LockOutput("-")
	if err != nil {
		t.Fatal(err)
	}
	b, err := LockOutput("-")
	if err != nil {
		t.Fatalf("two exports to standard output: %v", err)
	}
	if err := errors.Join(a.Release(), b.Release()); err != nil {
		t.Fatal(err)
	}
	var none *OutputLock
	if err := none.Release(); err != nil {
		t.Errorf("nil Release: %v", err)
	}
}

// A new directory export's directory is made to hold the lock, and goes
// again if the run wrote nothing; an existing directory stays.
func TestLockOutputOfANewDirectory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	l, err := LockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(out, Options{MinFreeBytes: -1}); err != nil {
		t.Errorf("Check of the directory holding only its lock: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, out)

	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	l, err = LockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	mustExist(t, out)
	mustNotExist(t, lockPath(out))

	if _, err := LockOutput(filepath.Join(t.TempDir(), "missing", "export")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a missing parent: %v", err)
	}
}

// With the caller's lock, Open takes no other; the lock stays the
// caller's to release, after the sink ends.
func TestOpenWithTheCallersLock(t *testing.T) {
	for _, kind := range lockKinds {
		t.Run(kind, func(t *testing.T) {
			out := lockTarget(t, kind)
			l, err := LockOutput(out)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{InitialManifest: []byte(initialManifest), Lock: l, MinFreeBytes: -1}
			if strings.HasSuffix(kind, ".age") {
				opts.Recipients = testRecipients(t)
			}
			if _, err := Open(lockTarget(t, kind), opts); err == nil {
				t.Error("Open accepted the lock of another output")
			}
			s, err := Open(out, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Finish([]byte(finalManifest)); err != nil {
				t.Fatal(err)
			}
			mustExist(t, lockPath(out))
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			mustNotExist(t, lockPath(out))
			mustExist(t, out)
		})
	}
}

// Without the caller's lock, the sink holds one from Open to its end,
// whether it finishes or aborts.
func TestOpenTakesTheLockUntilTheEnd(t *testing.T) {
	for _, kind := range lockKinds {
		for _, end := range []string{"finish", "abort"} {
			t.Run(kind+"/"+end, func(t *testing.T) {
				out := lockTarget(t, kind)
				opts := Options{InitialManifest: []byte(initialManifest), MinFreeBytes: -1}
				if strings.HasSuffix(kind, ".age") {
					opts.Recipients = testRecipients(t)
				}
				s, err := Open(out, opts)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := LockOutput(out); !errors.Is(err, ErrLocked) {
					t.Errorf("LockOutput while the sink is open: %v, want ErrLocked", err)
				}
				if end == "finish" {
					err = s.Finish([]byte(finalManifest))
				} else {
					err = s.Abort()
				}
				if err != nil {
					t.Fatal(err)
				}
				mustNotExist(t, lockPath(out))
				l, err := LockOutput(out)
				if err != nil {
					t.Fatalf("LockOutput after the sink ended: %v", err)
				}
				_ = l.Release()
			})
		}
	}
}

func TestLockOutputRemovesStalePartials(t *testing.T) {
	base := t.TempDir()
	stale := []string{".x.tar.partial-123", ".x.tar.partial-4242"}
	kept := []string{
		".x.tar.partial-1.tar.partial-5", // x.tar.partial-1.tar's, not x.tar's
		".y.tar.partial-7",
		"x.tar.partial-8",
		".x.tar.partial-",
		"notes.txt",
	}
	for _, name := range append(slices.Clone(stale), kept...) {
		if err := os.WriteFile(filepath.Join(base, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := LockOutput(filepath.Join(base, "x.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Release() }()
	for _, name := range stale {
		mustNotExist(t, filepath.Join(base, name))
	}
	for _, name := range kept {
		mustExist(t, filepath.Join(base, name))
	}
}

// A tarball whose name is too long to extend keeps its temporary and lock
// files under a name of its own, which the next holder still recognises.
func TestLongTarballNames(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, strings.Repeat("n", 230)+".tar")
	other := filepath.Join(base, strings.Repeat("n", 231)+".tar")
	mine, theirs := partialPattern(out), partialPattern(other)
	if mine == theirs || len(mine) > MaxNameBytes-12 || besideName(out, lockSuffix) == besideName(other, lockSuffix) {
		t.Fatalf("patterns %q and %q", mine, theirs)
	}
	left := filepath.Join(base, strings.TrimSuffix(mine, "*")+"99")
	alive := filepath.Join(base, strings.TrimSuffix(theirs, "*")+"99")
	for _, p := range []string{left, alive} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := LockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, left)
	mustExist(t, alive)
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestPutRefusesTheLockName(t *testing.T) {
	if err := checkPath(".aumo.lock"); !errors.Is(err, ErrBadPath) {
		t.Errorf("checkPath(.aumo.lock) = %v, want ErrBadPath", err)
	}
}

// TestKilledHolderBlocksNobody kills a process holding an output's lock
// (this test binary, running TestHelperHoldOutput) with SIGKILL: the lock
// dies with it, and the next holder removes the partial tarball it left.
func TestKilledHolderBlocksNobody(t *testing.T) {
	for _, kind := range []string{"dir", "tar.gz"} {
		t.Run(kind, func(t *testing.T) {
			out := lockTarget(t, kind)
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldOutput$")
			cmd.Dir = filepath.Dir(out)
			cmd.Env = append(os.Environ(), "AUMO_SINK_HELPER_KIND="+kind)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "open\n" {
				t.Fatalf("helper said %q, %v", line, err)
			}
			partials, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".export.tar.gz.partial-*"))
			if kind != "dir" && len(partials) != 1 {
				t.Fatalf("the helper's partial tarball: %v", partials)
			}
			if _, err := LockOutput(out); !errors.Is(err, ErrLocked) {
				t.Fatalf("LockOutput while the helper holds it: %v, want ErrLocked", err)
			}
			for _, p := range partials {
				mustExist(t, p) // a live run's
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			mustExist(t, lockPath(out)) // left by the killed run

			l, err := LockOutput(out)
			if err != nil {
				t.Fatalf("LockOutput after the holder was killed: %v", err)
			}
			for _, p := range partials {
				mustNotExist(t, p)
			}
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			mustNotExist(t, lockPath(out))
		})
	}
}

// TestHelperHoldOutput is the process TestKilledHolderBlocksNobody kills:
// it opens a sink of the kind asked in its working directory, writes a
// file, says so and waits.
func TestHelperHoldOutput(t *testing.T) {
	var out string
	switch os.Getenv("AUMO_SINK_HELPER_KIND") {
	case "":
		return // only as the helper process
	case "dir":
		out = "export"
	default:
		out = "export.tar.gz"
	}
	s, err := Open(out, Options{InitialManifest: []byte(initialManifest), MinFreeBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), "fields.json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	_, _ = os.Stdout.WriteString("open\n")
	time.Sleep(time.Hour)
}

func TestIsPartialOf(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		{".x.tar.partial-1", true},
		{".x.tar.partial-3846723", true},
		{".x.tar.partial-", false},
		{".x.tar.partial-1.tar.partial-2", false},
		{".x.tar.lock", false},
		{"x.tar", false},
	} {
		if got := isPartialOf(c.name, ".x.tar.partial-"); got != c.want {
			t.Errorf("isPartialOf(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}

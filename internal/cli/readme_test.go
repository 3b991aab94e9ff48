//go:build system

package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReadmeWalkthrough runs the README's commands one by one, as a
// person pastes them into bash: they work, and they leave the checkout as
// they found it.
func TestReadmeWalkthrough(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := fencedBlockAfter(t, string(readme), "To try the commands one by one")
	before := topLevel(t, root)

	tmp := t.TempDir()
	cmd := exec.Command("bash", "-e", "-c", block)
	cmd.Dir = root
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "TMPDIR=" + tmp, "GOCACHE=" + goEnv(t, "GOCACHE"), "GOMODCACHE=" + goEnv(t, "GOMODCACHE")}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A sandbox left running would hold the output open.
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrWaitDelay) {
			t.Fatalf("the commands left a process running:\n%s", out.String())
		}
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), "Intact"); n != 2 {
		t.Errorf("%d exports said Intact, want 2:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "/demo-site/index.html") {
		t.Errorf("no website to open:\n%s", out.String())
	}
	if after := topLevel(t, root); !slices.Equal(before, after) {
		t.Errorf("the commands left files in the checkout: before %v, after %v", before, after)
	}
}

// fencedBlockAfter is the first ```sh block after the line holding mark.
func fencedBlockAfter(t *testing.T, doc, mark string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, mark)
	if !ok {
		t.Fatalf("README.md has no %q", mark)
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatalf("README.md has no shell block after %q", mark)
	}
	return block
}

func topLevel(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

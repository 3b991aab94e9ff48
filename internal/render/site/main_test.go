package site

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aumo-cli/aumo/internal/render/rendertest"
)

// The sandbox's exports, made once for the package's tests: each test
// renders its own copy.
var sandboxExports struct {
	sync.Mutex
	dir  string
	made map[string]string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aumo-site-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sandboxExports.dir, sandboxExports.made = dir, map[string]string{}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// sandboxExport is a copy, the test's own, of an export of the sandbox's
// generated Jira project or Confluence space (product "jira" or
// "confluence") of 40 items.
func sandboxExport(t *testing.T, product string) string {
	t.Helper()
	src := madeExport(t, product)
	dst := filepath.Join(t.TempDir(), product)
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func madeExport(t *testing.T, product string) string {
	t.Helper()
	sandboxExports.Lock()
	defer sandboxExports.Unlock()
	if p, ok := sandboxExports.made[product]; ok {
		return p
	}
	var src string
	switch product {
	case "jira":
		src = rendertest.Jira(t, 40)
	case "confluence":
		src = rendertest.Confluence(t, 40)
	default:
		t.Fatalf("no sandbox export of %q", product)
	}
	p := filepath.Join(sandboxExports.dir, product)
	if err := os.CopyFS(p, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	sandboxExports.made[product] = p
	return p
}

package exportformat

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A directory's files under removed/ are checked against
// removed/index.jsonl, and are no part of the counts.
func TestVerifyChecksRemovedFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	write("issues/1/issue.json", "")
	write("removed/issues/2/issue.json", "")
	write(IndexName, `{"path":"issues/1/issue.json","kind":"issue","id":"1","item":"1","size":0,"sha256":"`+empty+`"}`+"\n")
	write(RemovedIndexName, `{"path":"removed/issues/2/issue.json","kind":"issue","id":"2","item":"2","size":0,"sha256":"`+empty+`","removed":"2026-11-24T00:00:00Z"}`+"\n")
	write(ManifestName, `{"format":"aumo-export/1","complete":true,"counts":{"issue":1,"files":1,"bytes":0}}`)
	r, err := Verify(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Files != 2 {
		t.Fatalf("report: %+v", r)
	}
	// A removed file that changed is corrupt like any other.
	write("removed/issues/2/issue.json", "changed")
	if r, err = Verify(context.Background(), dir); err != nil || r.OK() || len(r.Corrupt) != 1 || !strings.HasPrefix(r.Corrupt[0].Path, "removed/") {
		t.Fatalf("after a change under removed/: %+v, %v", r, err)
	}
}

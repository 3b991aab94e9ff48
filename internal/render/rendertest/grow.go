package rendertest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Grow writes to dst an export of copies copies of the directory export
// src: every item again under new ids (a copy's ids are the original's
// with the copy's number in front; Jira keys are renumbered; titles end
// " (copy N)"), its page tree and attachments with it. Attachments are
// hard links to src's files, so a large export costs little disk.
// Markdown files are left out: render makes its own.
func Grow(tb testing.TB, src, dst string, copies int) {
	tb.Helper()
	lines := exporttest.Index(tb, src)
	if err := os.MkdirAll(dst, 0o750); err != nil {
		tb.Fatal(err)
	}
	idx, err := os.Create(filepath.Join(dst, exportformat.IndexName))
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(idx)
	enc := json.NewEncoder(w)
	for k := range copies {
		for _, l := range lines {
			if l.Kind == exportformat.KindMarkdown || (k > 0 && (l.Kind == exportformat.KindFields || l.Kind == exportformat.KindSpace)) {
				continue
			}
			out := growLine(tb, src, dst, l, k)
			if err := enc.Encode(out); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		tb.Fatal(err)
	}
	m, err := os.ReadFile(filepath.Join(src, exportformat.ManifestName))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, exportformat.ManifestName), m, 0o600); err != nil { //nolint:gosec // a test export in the test's folder
		tb.Fatal(err)
	}
}

// growLine writes copy k of the file of l and returns its index line.
func growLine(tb testing.TB, src, dst string, l exportformat.IndexLine, k int) exportformat.IndexLine {
	out := l
	out.Path = copyPath(l.Path, k)
	out.ID, out.Item = copyID(l.ID, k, l.Kind), copyID(l.Item, k, "")
	if l.Key != "" {
		out.Key = copyKey(l.Key, k)
	}
	target := filepath.Join(dst, filepath.FromSlash(out.Path))
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		tb.Fatal(err)
	}
	from := filepath.Join(src, filepath.FromSlash(l.Path))
	if l.Kind == exportformat.KindAttachment || l.Kind == exportformat.KindFields || l.Kind == exportformat.KindSpace {
		if err := os.Link(from, target); err != nil {
			tb.Fatal(err)
		}
		return out
	}
	data, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	data = copyJSON(tb, data, k)
	if err := os.WriteFile(target, data, 0o600); err != nil { //nolint:gosec // a test export in the test's folder
		tb.Fatal(err)
	}
	sum := sha256.Sum256(data)
	out.Size, out.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
	return out
}

// copyPath is where copy k of the file at p goes.
func copyPath(p string, k int) string {
	parts := strings.Split(p, "/")
	switch {
	case len(parts) >= 3 && exportformat.HasMarkdown(strings.TrimSuffix(parts[0], "s")):
		parts[1] = copyID(parts[1], k, "")
	case len(parts) == 2 && parts[0] == "folders":
		parts[1] = copyID(strings.TrimSuffix(parts[1], ".json"), k, "") + ".json"
	}
	return path.Join(parts...)
}

func copyID(id string, k int, kind string) string {
	if k == 0 || id == "" || kind == exportformat.KindAttachment || kind == exportformat.KindSpace || kind == exportformat.KindFields {
		return id
	}
	return strconv.Itoa(k) + id
}

func copyKey(key string, k int) string {
	project, n, ok := strings.Cut(key, "-")
	num, err := strconv.Atoi(n)
	if !ok || err != nil || k == 0 {
		return key
	}
	return project + "-" + strconv.Itoa(num+k*100000)
}

// copyJSON renames an item's, a folder's or a page's JSON for copy k.
func copyJSON(tb testing.TB, data []byte, k int) []byte {
	if k == 0 {
		return data
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatal(err)
	}
	for _, f := range []string{"id", "parentId"} {
		if s, ok := doc[f].(string); ok {
			doc[f] = copyID(s, k, "")
		}
	}
	if s, ok := doc["key"].(string); ok {
		doc["key"] = copyKey(s, k)
	}
	suffix := " (copy " + strconv.Itoa(k) + ")"
	if s, ok := doc["title"].(string); ok {
		doc["title"] = s + suffix
	}
	if fields, ok := doc["fields"].(map[string]any); ok {
		if s, ok := fields["summary"].(string); ok {
			fields["summary"] = s + suffix
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

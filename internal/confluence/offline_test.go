package confluence_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// sharedExport is an export of the sandbox's space ENG (120 pages and
// blog posts, seed 4, no attachments), made once for the tests that only
// read it, in main's temporary directory.
var sharedExport struct {
	sync.Mutex
	dir, err string
}

func readOnlyExport(t *testing.T) string {
	t.Helper()
	sharedExport.Lock()
	defer sharedExport.Unlock()
	if sharedExport.err != "" {
		t.Fatal(sharedExport.err)
	}
	if sharedExport.dir != "" {
		return sharedExport.dir
	}
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{}, confluence.Scopes...)
	srv.SetConfluenceSpace("ENG", 120, 4, sandbox.ConfluenceOptions{})
	client := exporttest.Client(t, srv.URL(), atlassian.Confluence, tokens)
	out := filepath.Join(testDir, "read-only-export")
	opts := exporttest.Options(out, atlassian.Confluence, "space = ENG", client)
	opts.NoAttachments = true
	sharedExport.err = "the shared export failed"
	exporttest.Export(t, opts, confluence.New(confluence.Options{Client: client, CQL: opts.Query, SiteURL: sandbox.DefaultSites[0].URL}))
	sharedExport.dir, sharedExport.err = out, ""
	return out
}

// testDir is a temporary directory for the whole run's tests.
var testDir string

func TestMain(m *testing.M) {
	var err error
	if testDir, err = os.MkdirTemp("", "aumo-confluence-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(testDir)
	os.Exit(code)
}

// TestMarkdownFromTheExportAlone makes the Markdown of every page and
// blog post again from what the export on disk holds (the manifest's
// site and redaction, the spaces' keys, the items' paths and titles)
// and finds it the same, byte for byte, as what the export wrote: the
// Markdown can be rendered offline, without the API.
func TestMarkdownFromTheExportAlone(t *testing.T) {
	out := readOnlyExport(t)

	var m exportformat.Manifest
	readJSON(t, filepath.Join(out, exportformat.ManifestName), &m)
	spaceKeys := map[string]string{}
	spaces, _ := filepath.Glob(filepath.Join(out, "spaces", "*.json"))
	for _, p := range spaces {
		var sp struct {
			ID  json.Number `json:"id"`
			Key string      `json:"key"`
		}
		readJSON(t, p, &sp)
		spaceKeys[sp.ID.String()] = sp.Key
	}
	type item struct {
		kind, path string
		doc        map[string]any
	}
	var items []item
	byID, byTitle := map[string]string{}, map[string]string{}
	for _, kind := range []string{exportformat.KindPage, exportformat.KindBlogpost} {
		files, _ := filepath.Glob(filepath.Join(out, kind+"s", "*", kind+".json"))
		for _, p := range files {
			var doc map[string]any
			readJSON(t, p, &doc)
			rel, _ := filepath.Rel(out, p)
			rel = filepath.ToSlash(rel)
			items = append(items, item{kind, rel, doc})
			id, _ := doc["id"].(string)
			byID[id] = rel
			if kind == exportformat.KindPage {
				title, _ := doc["title"].(string)
				byTitle[spaceKeys[str(doc["spaceId"])]+"\x00"+title] = rel
			}
		}
	}
	if len(items) < 100 {
		t.Fatalf("only %d items", len(items))
	}
	for _, it := range items {
		r := confluence.Render{
			Kind: it.kind, Site: m.Site.URL, SpaceKey: spaceKeys[str(it.doc["spaceId"])],
			Redacted: m.Redaction == exportformat.RedactionAccountIDs,
			PagePath: func(space, title string) (string, bool) { p, ok := byTitle[space+"\x00"+title]; return p, ok },
			ItemPath: func(id string) (string, bool) { p, ok := byID[id]; return p, ok },
		}
		got := confluence.Markdown(it.doc, r)
		want, err := os.ReadFile(filepath.Join(out, strings.TrimSuffix(it.path, ".json")+".md"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: the Markdown made from the export differs from the one written:\n%s\nwant:\n%s", it.path, got, want)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// str is a JSON string or number as text.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

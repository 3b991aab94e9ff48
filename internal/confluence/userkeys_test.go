package confluence_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/sandbox"
)

// userKeyExport exports a generated space whose bodies name people by
// Server user key, with a token that may look them up.
func userKeyExport(t *testing.T, keep, refuse bool) (*sandbox.Server, string, *confluence.Source) {
	t.Helper()
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{}, append(slices.Clone(confluence.Scopes), "read:confluence-user")...)
	srv.SetConfluenceSpace("ENG", 60, 9, sandbox.ConfluenceOptions{})
	srv.RefuseConfluenceUserKeys(refuse)
	client := exporttest.Client(t, srv.URL(), atlassian.Confluence, tokens)
	out := filepath.Join(t.TempDir(), "export")
	opts := exporttest.Options(out, atlassian.Confluence, "space = ENG", client)
	opts.NoAttachments = true
	src := confluence.New(confluence.Options{Client: client, CQL: opts.Query, KeepAccountIDs: keep, SiteURL: sandbox.DefaultSites[0].URL})
	exporttest.Export(t, opts, src)
	return srv, out, src
}

// userKeyItems are the exported items whose bodies name someone by user
// key.
func userKeyItems(t *testing.T, srv *sandbox.Server) []sandbox.ConfluenceItem {
	t.Helper()
	site := sandbox.DefaultSites[0]
	space, _ := srv.ConfluenceSpaceAt(site.CloudID, "ENG")
	var items []sandbox.ConfluenceItem
	for _, id := range slices.Concat(space.Pages, space.BlogPosts) {
		it, _ := srv.ConfluenceItemAt(site.CloudID, id)
		if it.Trashed || it.Restricted || len(it.UserKeys) == 0 {
			continue
		}
		items = append(items, it)
	}
	if len(items) < 5 {
		t.Fatalf("only %d items name people by user key", len(items))
	}
	return items
}

func readItem(t *testing.T, out string, it sandbox.ConfluenceItem) (doc, md string) {
	t.Helper()
	dir := filepath.Join(out, it.Type+"s", it.ID)
	j, err := os.ReadFile(filepath.Join(dir, it.Type+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile(filepath.Join(dir, it.Type+".md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(j), exporttest.Normalize(strings.ReplaceAll(string(m), `\`, ""))
}

// reviewedBy is the sentence the sandbox writes around user keys, as the
// Markdown should read it.
func reviewedBy(it sandbox.ConfluenceItem) string {
	var names []string
	for _, k := range it.UserKeys {
		n := "@unknown user"
		if k.Name != "" {
			n = "@" + k.Name
		}
		names = append(names, n)
	}
	return "Reviewed by " + strings.Join(names, " and ") + "."
}

// TestUserKeysNamedAndRemoved: references by user key leave the JSON
// as account ids do, the Markdown names the person behind each key, or
// says "@unknown user" for a key Confluence maps to no one; the keys are
// looked up in as few requests as the keys allow, 2 points a person.
func TestUserKeysNamedAndRemoved(t *testing.T) {
	srv, out, src := userKeyExport(t, false, false)
	keys, known := map[string]bool{}, map[string]bool{}
	for _, it := range userKeyItems(t, srv) {
		doc, md := readItem(t, out, it)
		for _, k := range it.UserKeys {
			keys[k.Key] = k.Name != ""
			if k.Name != "" {
				known[k.Key] = true
			}
			if strings.Contains(doc, k.Key) || strings.Contains(md, k.Key) {
				t.Errorf("%s: the user key %s is exported", it.ID, k.Key)
			}
		}
		if strings.Contains(doc, "ri:userkey") || strings.Contains(doc, "ri:user ") {
			t.Errorf("%s: a user reference is left in the JSON", it.ID)
		}
		if want := reviewedBy(it); !strings.Contains(md, want) {
			t.Errorf("%s: Markdown lacks %q", it.ID, want)
		}
	}
	if len(known) == 0 || len(known) == len(keys) {
		t.Fatalf("%d user keys, %d known: the test proves little", len(keys), len(known))
	}
	st := srv.Stats().Confluence
	// The export's batches ask for their own keys: at most one lookup a
	// batch of 25 pages or blog posts (60 pages, 6 blog posts).
	if batches := 3 + 1; st.UserMigration > batches {
		t.Errorf("%d user key lookups for %d keys in %d batches, want at most one a batch", st.UserMigration, len(keys), batches)
	}
	if w := src.Warnings(); len(w) != 0 {
		t.Errorf("warnings after a lookup that answered: %q", w)
	}
}

// TestUserKeysRefused: when Confluence refuses the lookup, references by
// user key still leave the JSON, the Markdown names no one and shows no
// key, and the export asks only once.
func TestUserKeysRefused(t *testing.T) {
	srv, out, src := userKeyExport(t, false, true)
	for _, it := range userKeyItems(t, srv) {
		doc, md := readItem(t, out, it)
		for _, k := range it.UserKeys {
			if strings.Contains(doc, k.Key) || strings.Contains(md, k.Key) {
				t.Errorf("%s: the user key %s is exported", it.ID, k.Key)
			}
		}
		if strings.Contains(doc, "ri:userkey") {
			t.Errorf("%s: a user reference is left in the JSON", it.ID)
		}
		if want := "Reviewed by @unknown user"; !strings.Contains(md, want) || !strings.Contains(doc, want) {
			t.Errorf("%s: Markdown or JSON lacks %q", it.ID, want)
		}
	}
	if n := srv.Stats().Confluence.UserMigration; n != 1 {
		t.Errorf("%d user key lookups after a refusal, want 1", n)
	}
	// The user hears why those people read "@unknown user".
	if w := src.Warnings(); len(w) != 1 || !strings.Contains(w[0], "refused to look up") || !strings.Contains(w[0], "read:confluence-user") {
		t.Errorf("warnings after a refused lookup: %q", w)
	}
}

// TestUserKeysKeptWithAccountIDs: --keep-account-ids keeps the storage
// as Confluence gave it, and the Markdown still names people.
func TestUserKeysKeptWithAccountIDs(t *testing.T) {
	srv, out, _ := userKeyExport(t, true, false)
	for _, it := range userKeyItems(t, srv) {
		doc, md := readItem(t, out, it)
		for _, k := range it.UserKeys {
			if !strings.Contains(doc, `ri:userkey=\"`+k.Key+`\"`) {
				t.Errorf("%s: the reference to %s is not kept", it.ID, k.Key)
			}
		}
		if want := reviewedBy(it); !strings.Contains(md, want) {
			t.Errorf("%s: Markdown lacks %q", it.ID, want)
		}
	}
}

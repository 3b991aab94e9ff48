package exportcmd

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/iostreams"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// A repair exports with the very options the export was made with: what
// the flags made of them, recorded in the manifest, is read back the
// same.
func TestRepairReadsTheOptionsTheExportRecorded(t *testing.T) {
	site := tokenstore.Site{CloudID: "c1", URL: "https://acme.atlassian.net", Name: "acme"}
	for _, tc := range []struct {
		product string
		args    []string
	}{
		{"jira", []string{"--jql=project = ABC"}},
		{"jira", []string{"--jql=project = ABC", "--fields", "summary,comment", "--no-attachments", "--keep-account-ids", "--format", "md", "--since", "7d"}},
		{"confluence", []string{"--cql=space = ENG"}},
		{"confluence", []string{"--cql=space = ENG", "--include-archived", "--max-attachment-size", "2MB", "--format", "json"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "export")
			opts, jo, co, err := parse(t, tc.product, append(tc.args, "--out", out))
			if err != nil {
				t.Fatal(err)
			}
			var p repairer = jiraExport{jo}
			if co != nil {
				p = confluenceExport{co}
			}
			made := engineOptions(opts, p, site)
			m := recordedManifest(t, made)

			again, againOpts, err := productOf(m, opts.Factory, out)
			if err != nil {
				t.Fatal(err)
			}
			repair := engineOptions(againOpts, again, site)
			if !maps.Equal(made.Choices, repair.Choices) || made.Query != repair.Query || made.Product != repair.Product ||
				made.Redaction != repair.Redaction || made.NoAttachments != repair.NoAttachments ||
				made.MaxAttachmentSize != repair.MaxAttachmentSize || made.NoJSON != repair.NoJSON || made.NoMarkdown != repair.NoMarkdown {
				t.Errorf("the export's options:\n%+v\nthe repair's:\n%+v", made, repair)
			}
		})
	}
}

// recordedManifest is the manifest an export with opts begins with.
func recordedManifest(t *testing.T, opts export.Options) *exportformat.Manifest {
	t.Helper()
	p, err := export.Prepare(opts)
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Close()
	b, err := os.ReadFile(filepath.Join(opts.Out, exportformat.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m exportformat.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func TestRepairRefusesOptionsItDoesNotKnow(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	base := func() *exportformat.Manifest {
		return &exportformat.Manifest{Format: exportformat.Format, Product: "jira", Query: "project = ABC", Complete: true,
			Redaction: exportformat.RedactionAccountIDs, Options: map[string]string{"fields": "*all", "attachments": "all", "format": "json,md"}}
	}
	for _, tc := range []struct {
		name string
		edit func(m *exportformat.Manifest)
		want string
	}{
		{"no options recorded", func(m *exportformat.Manifest) { m.Options = nil }, "does not record the options"},
		{"an option of a newer aumo", func(m *exportformat.Manifest) { m.Options["colour"] = "blue" }, `option colour "blue"`},
		{"another product's option", func(m *exportformat.Manifest) { m.Options["includeArchived"] = "true" }, "includeArchived"},
		{"an attachment limit it does not write", func(m *exportformat.Manifest) { m.Options["attachments"] = "up to 2 MB" }, "attachments"},
		{"another format", func(m *exportformat.Manifest) { m.Options["format"] = "html" }, "format"},
		{"another redaction", func(m *exportformat.Manifest) { m.Redaction = "partial" }, "redaction"},
		{"no fields", func(m *exportformat.Manifest) { delete(m.Options, "fields") }, "fields"},
		{"another product", func(m *exportformat.Manifest) { m.Product = "bitbucket" }, `"bitbucket"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.edit(m)
			var ue *export.UnrepairableError
			if _, _, err := productOf(m, f, "abc"); !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("productOf: %v, want an UnrepairableError saying %q", err, tc.want)
			}
		})
	}
	if _, _, err := productOf(base(), f, "abc"); err != nil {
		t.Errorf("an export this aumo makes: %v", err)
	}
}

// What a repair leaves is the damage verify finds next: extra files,
// damaged copies under removed/, the files of what it could not fetch.
func TestStillDamaged(t *testing.T) {
	found := &exportformat.Report{
		Missing: []string{"issues/1/issue.md", "issues/2/issue.md", "removed/issues/4/issue.md"},
		Corrupt: []exportformat.CorruptFile{{Path: "spaces/5.json"}},
		Extra:   []string{"notes.txt"},
	}
	plan := &export.RepairPlan{
		Targets: []export.RepairTarget{
			{Kind: "issue", ID: "1", Paths: []string{"issues/1/issue.md"}},
			{Kind: "issue", ID: "2", Paths: []string{"issues/2/issue.md"}},
			{Kind: "space", ID: "5", Paths: []string{"spaces/5.json"}},
		},
		Unowned: []string{"removed/issues/4/issue.md"},
	}
	o := export.RepairOutcome{Written: plan.Targets[:1], Failed: plan.Targets[1:2], NotFetched: plan.Targets[2:]}
	var damaged *cmdutil.DamagedError
	err := stillDamaged("abc", found, plan, o)
	if !errors.As(err, &damaged) || err.Error() != "export abc is damaged: 2 missing files, 1 extra file, 1 corrupt file" {
		t.Errorf("left: %v", err)
	}
	o = export.RepairOutcome{Written: plan.Targets}
	plan.Unowned, found.Extra = nil, nil
	if err := stillDamaged("abc", found, plan, o); err != nil {
		t.Errorf("all mended: %v", err)
	}
}

// The links of the issues a repair writes again resolve to the export's
// other issues, whatever files it holds of them.
func TestRepairLinksToTheExportsIssues(t *testing.T) {
	dir := t.TempDir()
	index := `{"path":"issues/1/issue.md","kind":"markdown","id":"1","key":"ABC-1","item":"1","size":1,"sha256":"x"}
{"path":"issues/2/attachments/5-a.txt","kind":"attachment","id":"5","key":"ABC-2","item":"2","size":1,"sha256":"x"}
{"path":"issues/2/issue.md","kind":"markdown","id":"2","key":"ABC-2","item":"2","size":1,"sha256":"x"}
{"path":"fields.json","kind":"fields","id":"fields","size":1,"sha256":"x"}
`
	if err := os.WriteFile(filepath.Join(dir, exportformat.IndexName), []byte(index), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := jiraExport{}.exportLinks(dir, &export.RepairPlan{})
	if err != nil || !maps.Equal(keys, map[string]string{"ABC-1": "1", "ABC-2": "2"}) {
		t.Errorf("keys %v, %v", keys, err)
	}
}

package confluence

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aumo-cli/aumo/internal/mdtext"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

func TestExportTitles(t *testing.T) {
	md := func(space, title string) *fstest.MapFile {
		fm := mdtext.FrontMatter([]mdtext.Field{{Key: "id", Value: "x"}, {Key: "title", Value: title}, {Key: "space", Value: space}})
		return &fstest.MapFile{Data: []byte(fm + "\n# " + title + "\n")}
	}
	fsys := fstest.MapFS{
		"spaces/5.json":             {Data: []byte(`{"id":"5","key":"ENG"}`)},
		"pages/1/page.json":         {Data: []byte(`{"id":"1","title":"Home","spaceId":"5"}`)},
		"pages/1/page.md":           md("ENG", "Home"),
		"pages/2/page.md":           md("ENG", `Runbook: "on call" & more`), // --format md
		"pages/3/page.json":         {Data: []byte(`{"id":"3","title":"Elsewhere","spaceId":"6"}`)},
		"pages/3/page.md":           md("OPS", "Elsewhere"), // its space's file is gone
		"pages/4/page.json":         {Data: []byte(`{"id":"4",`)},
		"blogposts/7/blogpost.json": {Data: []byte(`{"id":"7","title":"News","spaceId":"5"}`)},
	}
	var lines []exportformat.IndexLine
	for _, p := range slices.Sorted(maps.Keys(fsys)) {
		kind, id, _ := strings.Cut(p, "/")
		kind = strings.TrimSuffix(kind, "s")
		id, _, _ = strings.Cut(strings.TrimSuffix(id, ".json"), "/")
		if strings.HasSuffix(p, ".md") {
			kind = exportformat.KindMarkdown
		}
		lines = append(lines, exportformat.IndexLine{Path: p, Kind: kind, ID: id, Item: id})
	}
	got := ExportTitles(fsys, lines)
	want := map[string]string{
		itemKey("1"): "pages/1/page.json", titleKey("ENG", "Home"): "pages/1/page.json",
		itemKey("2"): "pages/2/page.json", titleKey("ENG", `Runbook: "on call" & more`): "pages/2/page.json",
		itemKey("3"): "pages/3/page.json", titleKey("OPS", "Elsewhere"): "pages/3/page.json",
		itemKey("4"): "pages/4/page.json", // unreadable: by id only
		itemKey("7"): "blogposts/7/blogpost.json",
	}
	if !maps.Equal(got, want) {
		t.Errorf("titles:\n%q\nwant:\n%q", got, want)
	}
}

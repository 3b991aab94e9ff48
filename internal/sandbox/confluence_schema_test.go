package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// confluenceSpec is one section (v1 or v2) of
// testdata/atlassian/confluence-schemas.json: the schemas of that
// document the sandbox's answers must meet, and the 200 response schema
// of each operation by its operationId.
type confluenceSpec struct {
	specSchemas
	operations map[string]map[string]any
}

func loadConfluenceSpec(t *testing.T, section string) confluenceSpec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "atlassian", "confluence-schemas.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	var part struct {
		Operations map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc[section], &part); err != nil {
		t.Fatal(err)
	}
	spec := confluenceSpec{
		specSchemas: specSchemas{
			schemas: loadSchemas(t, "confluence-schemas.json", section),
			// "YYYY-MM-DDTHH:mm:ss.sssZ", as the spec describes it.
			timeLayout: "2006-01-02T15:04:05.000Z07:00",
		},
		operations: map[string]map[string]any{},
	}
	for id, op := range part.Operations {
		spec.operations[id] = op.Schema
	}
	return spec
}

// validateOperation checks an answer against an operation's response
// schema.
func (cs confluenceSpec) validateOperation(t *testing.T, operation string, v any) []string {
	t.Helper()
	schema, ok := cs.operations[operation]
	if !ok {
		t.Fatalf("no operation %s in the excerpt", operation)
	}
	return cs.validateSchema(operation, schema, v)
}

// TestConfluenceValidatorCatches shows the validator is not vacuous.
func TestConfluenceValidatorCatches(t *testing.T) {
	v1, v2 := loadConfluenceSpec(t, "v1"), loadConfluenceSpec(t, "v2")
	for name, c := range map[string]struct {
		spec   confluenceSpec
		schema string
		body   string
	}{
		"numeric page id":    {v2, "PageBulk", `{"id":1}`},
		"bad status":         {v2, "PageBulk", `{"status":"gone"}`},
		"parent type":        {v2, "PageBulk", `{"parentType":"space"}`},
		"not a v2 time":      {v2, "PageBulk", `{"createdAt":"2026-03-01T08:00:00.000+0000"}`},
		"file size":          {v2, "AttachmentBulk", `{"fileSize":"12"}`},
		"resolution":         {v2, "InlineCommentModel", `{"resolutionStatus":"closed"}`},
		"space type":         {v2, "SpaceBulk", `{"type":"team"}`},
		"search lacks":       {v1, "SearchPageResponseSearchResult", `{"results":[]}`},
		"hit lacks":          {v1, "SearchResult", `{"title":"t"}`},
		"string space id":    {v1, "Space", `{"id":"98304","key":"K","name":"n","type":"global","status":"current","_expandable":{},"_links":{}}`},
		"label array":        {v1, "ContentMetadata", `{"labels":{"results":[{"name":"x"}]}}`},
		"version lacks when": {v1, "Version", `{"number":1,"minorEdit":false}`},
	} {
		var v any
		if err := json.Unmarshal([]byte(c.body), &v); err != nil {
			t.Fatal(err)
		}
		if errs := c.spec.validate(c.schema, v); len(errs) == 0 {
			t.Errorf("%s: %s passes as %s", name, c.body, c.schema)
		}
	}
}

// TestConfluenceResponsesMatchSpec validates an answer of every route
// against the spec's response schema for it, and the objects in them
// against the models the exporter reads.
func TestConfluenceResponsesMatchSpec(t *testing.T) {
	v1, v2 := loadConfluenceSpec(t, "v1"), loadConfluenceSpec(t, "v2")
	s, tk := startConfluence(t, 40, 17, ConfluenceOptions{AttachmentPercent: 80})
	cloud := DefaultSites[0].CloudID
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	var withComments, withInline, withAtts, blogWithComments, blogWithInline, blogWithAtts ConfluenceItem
	var footerReply, inlineReply ConfluenceComment
	for _, it := range cfContents(t, s, "DEMO") {
		if it.Trashed || it.Restricted {
			continue
		}
		for _, c := range it.Comments {
			switch {
			case !c.Inline && c.ParentID != "" && footerReply.ID == "":
				footerReply, withComments = c, it
			case c.Inline && c.ParentID != "" && inlineReply.ID == "":
				inlineReply, withInline = c, it
			}
		}
		if len(it.Attachments) > 2 && withAtts.ID == "" {
			withAtts = it
		}
		if it.Type != "blogpost" {
			continue
		}
		for _, c := range it.Comments {
			if c.Inline && blogWithInline.ID == "" {
				blogWithInline = it
			}
			if !c.Inline && blogWithComments.ID == "" {
				blogWithComments = it
			}
		}
		if len(it.Attachments) > 0 && blogWithAtts.ID == "" {
			blogWithAtts = it
		}
	}
	for what, id := range map[string]string{
		"a reply": footerReply.ID, "an inline reply": inlineReply.ID, "a page with attachments": withAtts.ID,
		"a blog post with comments": blogWithComments.ID, "one with inline comments": blogWithInline.ID, "one with attachments": blogWithAtts.ID,
	} {
		if id == "" {
			t.Fatalf("the space lacks %s", what)
		}
	}
	allExpand := "childTypes.all,metadata.labels,space,version,extensions,container"
	search := func(cql string) response {
		expand := "content." + strings.ReplaceAll(allExpand, ",", ",content.")
		return s.get(cfPath("/rest/api/search?"+url.Values{"cql": {cql}, "limit": {"100"}, "expand": {expand}}.Encode()), tk)
	}
	cases := []struct {
		name, operation, item string
		spec                  confluenceSpec
		r                     response
	}{
		{"search pages", "searchByCQL", "SearchResult", v1, search("space = DEMO and type in (page, blogpost)")},
		{"search comments", "searchByCQL", "SearchResult", v1, search("space = DEMO and type = comment")},
		{"search attachments", "searchByCQL", "SearchResult", v1, search("space = DEMO and type = attachment")},
		{"search bare", "searchByCQL", "SearchResult", v1, s.get(cfPath("/rest/api/search?cql=space%3DDEMO&limit=100"), tk)},
		{"content search", "searchContentByCQL", "Content", v1, s.get(cfPath("/rest/api/content/search?"+url.Values{
			"cql": {"space = DEMO"}, "limit": {"100"}, "expand": {allExpand + ",ancestors,body.storage,body.atlas_doc_format"},
		}.Encode()), tk)},
		{"pages storage", "getPages", "PageBulk", v2, s.get(cfPath("/api/v2/pages?limit=250&body-format=storage"), tk)},
		{"pages adf", "getPages", "PageBulk", v2, s.get(cfPath("/api/v2/pages?limit=5&body-format=atlas_doc_format"), tk)},
		{"page", "getPageById", "", v2, s.get(cfPath("/api/v2/pages/"+sp.HomepageID+"?body-format=storage"), tk)},
		{"blog posts", "getBlogPosts", "BlogPostBulk", v2, s.get(cfPath("/api/v2/blogposts?body-format=atlas_doc_format"), tk)},
		{"blog post", "getBlogPostById", "", v2, s.get(cfPath("/api/v2/blogposts/"+sp.BlogPosts[0]), tk)},
		{"spaces", "getSpaces", "SpaceBulk", v2, s.get(cfPath("/api/v2/spaces?description-format=plain"), tk)},
		{"folder", "getFolderById", "", v2, s.get(cfPath("/api/v2/folders/"+sp.Folders[0]), tk)},
		{"labels", "getPageLabels", "Label", v2, s.get(cfPath("/api/v2/pages/"+sp.Pages[2]+"/labels?limit=250"), tk)},
		{"blog labels", "getBlogPostLabels", "Label", v2, s.get(cfPath("/api/v2/blogposts/"+sp.BlogPosts[0]+"/labels"), tk)},
		{"footer comments", "getPageFooterComments", "FooterCommentModel", v2,
			s.get(cfPath("/api/v2/pages/"+withComments.ID+"/footer-comments?body-format=storage"), tk)},
		{"inline comments", "getPageInlineComments", "InlineCommentModel", v2,
			s.get(cfPath("/api/v2/pages/"+withInline.ID+"/inline-comments?body-format=atlas_doc_format"), tk)},
		{"blog footer comments", "getBlogPostFooterComments", "FooterCommentModel", v2,
			s.get(cfPath("/api/v2/blogposts/"+blogWithComments.ID+"/footer-comments?body-format=storage"), tk)},
		{"blog inline comments", "getBlogPostInlineComments", "InlineCommentModel", v2,
			s.get(cfPath("/api/v2/blogposts/"+blogWithInline.ID+"/inline-comments"), tk)},
		{"footer children", "getFooterCommentChildren", "ChildrenCommentModel", v2,
			s.get(cfPath("/api/v2/footer-comments/"+footerReply.ParentID+"/children?body-format=storage"), tk)},
		{"inline children", "getInlineCommentChildren", "InlineCommentChildrenModel", v2,
			s.get(cfPath("/api/v2/inline-comments/"+inlineReply.ParentID+"/children?body-format=storage"), tk)},
		{"attachments", "getPageAttachments", "AttachmentBulk", v2, s.get(cfPath("/api/v2/pages/"+withAtts.ID+"/attachments"), tk)},
		{"blog attachments", "getBlogpostAttachments", "AttachmentBulk", v2, s.get(cfPath("/api/v2/blogposts/"+blogWithAtts.ID+"/attachments"), tk)},
		{"users", "createBulkUserLookup", "User", v2, s.post(cfPath("/api/v2/users-bulk"), tk, map[string]any{"accountIds": usersOf(t, s, tk)})},
		{"user keys", "getBulkUserMigration", "MigratedUser", v1, s.get(cfPath("/rest/api/user/bulk/migration?"+url.Values{"key": userKeysOf(t, s)}.Encode()), tk)},
	}
	for _, c := range cases {
		if c.r.status != http.StatusOK {
			t.Fatalf("%s: status %d, body %s", c.name, c.r.status, c.r.body)
		}
		var v any
		if err := json.Unmarshal(c.r.body, &v); err != nil {
			t.Fatalf("%s: %v in %s", c.name, err, c.r.body)
		}
		errs := c.spec.validateOperation(t, c.operation, v)
		if c.item != "" {
			results, _ := v.(map[string]any)["results"].([]any)
			if len(results) == 0 {
				t.Errorf("%s: no results to check", c.name)
			}
			for _, res := range results {
				errs = append(errs, c.spec.validate(c.item, res)...)
			}
		}
		for _, e := range errs[:min(len(errs), 20)] {
			t.Errorf("%s: %s", c.name, e)
		}
	}
}

// usersOf returns the account ids the pages name.
func usersOf(t *testing.T, s *sandbox, tk string) []string {
	t.Helper()
	ids := map[string]bool{}
	pages, _ := walkList[cfPageT](t, s, tk, "/wiki/api/v2/pages?limit=250")
	for _, p := range pages {
		ids[p.AuthorID], ids[p.OwnerID] = true, true
	}
	return mapKeysSorted(ids)
}

// userKeysOf returns the user keys the pages name.
func userKeysOf(t *testing.T, s *sandbox) []string {
	t.Helper()
	sp, _ := s.ConfluenceSpaceAt(DefaultSites[0].CloudID, "DEMO")
	var keys []string
	for _, id := range sp.Pages {
		it, _ := s.ConfluenceItemAt(DefaultSites[0].CloudID, id)
		for _, k := range it.UserKeys {
			keys = append(keys, k.Key)
		}
	}
	if len(keys) == 0 {
		t.Fatal("no page names anyone by user key")
	}
	return keys
}

package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jiraKeys lists every issue a query finds, by key, in pages of size.
func jiraKeys(t *testing.T, s *sandbox, tk, jql string, size int) []string {
	t.Helper()
	issues, _ := s.walk(t, tk, url.Values{"jql": {jql}, "fields": {"key"}, "maxResults": {strconv.Itoa(size)}})
	keys := make([]string, len(issues))
	for i, iss := range issues {
		keys[i] = iss.Key
	}
	return keys
}

func jiraCount(t *testing.T, s *sandbox, tk, jql string) int {
	t.Helper()
	r := s.post(jiraPath("/search/approximate-count"), tk, map[string]string{"jql": jql})
	wantStatus(t, "approximate-count "+jql, r, http.StatusOK)
	return decode[struct{ Count int }](t, r).Count
}

// abcKeys are ABC-from … ABC-to, in that direction.
func abcKeys(from, to int, skip ...int) []string {
	var out []string
	step := 1
	if from > to {
		step = -1
	}
	for n := from; ; n += step {
		if !slices.Contains(skip, n) {
			out = append(out, "ABC-"+strconv.Itoa(n))
		}
		if n == to {
			return out
		}
	}
}

// TestJiraEditIssue edits an issue and finds it as an incremental export
// would: by updated, newest first or last, counted, fetched, with its
// attachments as they were.
func TestJiraEditIssue(t *testing.T) {
	s, tk := startJira(t, 30, 4, JiraOptions{VanishedEvery: -1, ForbiddenEvery: -1, RetriableErrorEvery: -1})
	cloud := DefaultSites[0].CloudID
	const recent = "project = ABC AND updated >= -10m"
	if keys := jiraKeys(t, s, tk, recent, 50); len(keys) != 0 || jiraCount(t, s, tk, recent) != 0 {
		t.Fatalf("before any edit, %s finds %v", recent, keys)
	}
	before, _ := s.JiraIssueAt(cloud, "ABC", 6)
	fetch := func() issueBean {
		t.Helper()
		r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{"issueIdsOrKeys": []string{"ABC-7"},
			"fields": []string{"summary", "updated", "created", "attachment", "customfield_10021"}})
		got := decode[bulkResults](t, r)
		if len(got.Issues) != 1 {
			t.Fatalf("bulkfetch ABC-7: %s", r.body)
		}
		return got.Issues[0]
	}
	old := fetch()

	s.clock.Advance(time.Minute)
	now := s.clock.Now()
	if !s.EditJiraIssue("abc-7") {
		t.Fatal("EditJiraIssue(abc-7) = false")
	}
	for _, key := range []string{"ABC-31", "ABC-0", "XYZ-1", "ABC", "ABC-x"} {
		if s.EditJiraIssue(key) {
			t.Errorf("EditJiraIssue(%q) = true", key)
		}
	}

	if keys := jiraKeys(t, s, tk, recent, 50); !slices.Equal(keys, []string{"ABC-7"}) {
		t.Errorf("%s finds %v, want ABC-7", recent, keys)
	}
	if n := jiraCount(t, s, tk, recent); n != 1 {
		t.Errorf("approximate-count of %s = %d", recent, n)
	}
	if keys := jiraKeys(t, s, tk, `project = ABC AND updated >= "2026-03-01 08:55"`, 50); !slices.Equal(keys, []string{"ABC-7"}) {
		t.Errorf("updated after a date finds %v", keys)
	}
	if n := jiraCount(t, s, tk, "project = ABC AND updated < -10m"); n != 29 {
		t.Errorf("%d issues not updated lately, want 29", n)
	}
	// Without ORDER BY and by key the edit changes nothing; by updated
	// the edited issue is the newest, whatever the page size.
	for _, size := range []int{50, 4} {
		if keys := jiraKeys(t, s, tk, "project = ABC", size); !slices.Equal(keys, abcKeys(30, 1)) {
			t.Errorf("pages of %d, newest first: %v", size, keys)
		}
		if keys := jiraKeys(t, s, tk, "project = ABC ORDER BY updated DESC", size); !slices.Equal(keys, append([]string{"ABC-7"}, abcKeys(30, 1, 7)...)) {
			t.Errorf("pages of %d, by updated: %v", size, keys)
		}
		if keys := jiraKeys(t, s, tk, "project = ABC ORDER BY updated ASC", size); !slices.Equal(keys, append(abcKeys(1, 30, 7), "ABC-7")) {
			t.Errorf("pages of %d, by updated ascending: %v", size, keys)
		}
	}

	edited := fetch()
	var summary, was, updated string
	_ = json.Unmarshal(edited.Fields["summary"], &summary)
	_ = json.Unmarshal(old.Fields["summary"], &was)
	_ = json.Unmarshal(edited.Fields["updated"], &updated)
	if summary != was+" (edited)" || updated != jiraTime(now) {
		t.Errorf("edited: summary %q (was %q), updated %s, want %s", summary, was, updated, jiraTime(now))
	}
	for _, f := range []string{"created", "attachment"} {
		if string(edited.Fields[f]) != string(old.Fields[f]) {
			t.Errorf("the edit changed %s: %s, was %s", f, edited.Fields[f], old.Fields[f])
		}
	}
	after, ok := s.JiraIssueAt(cloud, "ABC", 6)
	if !ok || !after.Updated.Equal(now) || after.Summary != summary || !after.Created.Equal(before.Created) ||
		!reflect.DeepEqual(after.Attachments, before.Attachments) || after.Comments != before.Comments {
		t.Errorf("JiraIssueAt after the edit %+v, before %+v", after, before)
	}

	// A second edit moves updated on again.
	s.clock.Advance(30 * time.Minute)
	s.EditJiraIssue("ABC-7")
	if keys := jiraKeys(t, s, tk, recent, 50); !slices.Equal(keys, []string{"ABC-7"}) {
		t.Errorf("after a second edit, %s finds %v", recent, keys)
	}
	if again, _ := s.JiraIssueAt(cloud, "ABC", 6); !again.Updated.Equal(s.clock.Now()) || again.Summary != was+" (edited) (edited)" {
		t.Errorf("after a second edit %+v", again)
	}

	// Setting the project again undoes the edits.
	s.SetJiraProject("ABC", 30, 4, JiraOptions{VanishedEvery: -1, ForbiddenEvery: -1, RetriableErrorEvery: -1})
	if reset, _ := s.JiraIssueAt(cloud, "ABC", 6); !reflect.DeepEqual(reset, before) {
		t.Errorf("after SetJiraProject %+v, want %+v", reset, before)
	}
}

// TestJiraDeleteIssue deletes an issue: search, the count and bulkfetch
// no longer know it, per-issue routes and its attachments answer 404.
func TestJiraDeleteIssue(t *testing.T) {
	s, tk := startJira(t, 30, 5, JiraOptions{MinAttachments: 1, VanishedEvery: -1, ForbiddenEvery: -1, RetriableErrorEvery: -1})
	cloud := DefaultSites[0].CloudID
	iss, _ := s.JiraIssueAt(cloud, "ABC", 7)
	if len(iss.Attachments) == 0 {
		t.Fatal("ABC-8 has no attachment")
	}
	s.clock.Advance(time.Minute)
	s.EditJiraIssue("ABC-3")
	if !s.DeleteJiraIssue("ABC-8") || !s.DeleteJiraIssue("ABC-3") {
		t.Fatal("DeleteJiraIssue = false")
	}
	for _, key := range []string{"ABC-8", "ABC-31", "XYZ-1"} {
		if s.DeleteJiraIssue(key) || s.EditJiraIssue(key) {
			t.Errorf("%s deleted or edited again", key)
		}
	}

	for _, size := range []int{50, 3} {
		if keys := jiraKeys(t, s, tk, "project = ABC", size); !slices.Equal(keys, abcKeys(30, 1, 3, 8)) {
			t.Errorf("pages of %d: %v", size, keys)
		}
		if keys := jiraKeys(t, s, tk, "project = ABC ORDER BY updated ASC", size); !slices.Equal(keys, abcKeys(1, 30, 3, 8)) {
			t.Errorf("pages of %d by updated: %v", size, keys)
		}
	}
	if n := jiraCount(t, s, tk, "project = ABC"); n != 28 {
		t.Errorf("approximate-count %d, want 28", n)
	}
	if keys := jiraKeys(t, s, tk, "project = ABC AND updated >= -10m", 50); len(keys) != 0 {
		t.Errorf("a deleted edited issue found: %v", keys)
	}

	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{"issueIdsOrKeys": []string{"ABC-8", iss.ID, "ABC-9"}})
	got := decode[bulkResults](t, r)
	if len(got.Issues) != 1 || got.Issues[0].Key != "ABC-9" || len(got.IssueErrors) != 0 {
		t.Errorf("bulkfetch of a deleted issue: %s", r.body)
	}
	for _, path := range []string{"/issue/ABC-8/comment", "/issue/" + iss.ID + "/worklog", "/issue/ABC-8/changelog"} {
		wantJiraError(t, path, s.get(jiraPath(path), tk), http.StatusNotFound, "Issue does not exist")
	}
	wantStatus(t, "attachment of a deleted issue", s.get(jiraPath("/attachment/content/"+iss.Attachments[0].ID), tk), http.StatusNotFound)
	if _, ok := s.JiraIssueAt(cloud, "ABC", 7); ok {
		t.Error("JiraIssueAt finds a deleted issue")
	}
	if _, ok := s.JiraAttachmentContent(cloud, iss.Attachments[0].ID); ok {
		t.Error("JiraAttachmentContent finds a deleted issue's attachment")
	}
	if st := s.Stats().Jira; st.Search == 0 || st.BulkFetch != 1 || st.ApproximateCount != 1 || st.AttachmentContent != 1 {
		t.Errorf("stats %+v", st)
	}
	s.ResetStats()
	if st := s.Stats(); st != (Stats{}) {
		t.Errorf("after ResetStats %+v", st)
	}
	jiraCount(t, s, tk, "project = ABC")
	if st := s.Stats(); st.Jira.ApproximateCount != 1 || st.Jira.Requests() != 1 || st.APIRequests != 1 {
		t.Errorf("one request after ResetStats: %+v", st)
	}
}

// TestJiraFailIssueFetch: bulkfetch names the issue in issueErrors on
// every try, asked for by id or key, whether it exists, vanished or was
// deleted since; GET /issue tells the two apart.
func TestJiraFailIssueFetch(t *testing.T) {
	s, tk := startJira(t, 12, 5, JiraOptions{VanishedEvery: 10, ForbiddenEvery: -1, RetriableErrorEvery: -1})
	for _, key := range []string{"ABC-2", "abc-4", "ABC-10"} {
		if !s.FailJiraIssueFetch(key) {
			t.Fatalf("FailJiraIssueFetch(%s) = false", key)
		}
	}
	for _, key := range []string{"ABC-13", "XYZ-1", "ABC"} {
		if s.FailJiraIssueFetch(key) {
			t.Errorf("FailJiraIssueFetch(%s) = true", key)
		}
	}
	id := func(n int) string { return strconv.Itoa(jiraIDBase + n - 1) }
	fetch := func(what string) {
		t.Helper()
		r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{"issueIdsOrKeys": []string{"ABC-1", id(2), "ABC-2", "ABC-4", "ABC-10", "ABC-3"}, "fields": []string{"summary"}})
		got := decode[bulkResults](t, r)
		var keys, failed []string
		for _, iss := range got.Issues {
			keys = append(keys, iss.Key)
		}
		for _, e := range got.IssueErrors {
			failed = append(failed, e.ID)
			if e.ErrorMessage == "" {
				t.Errorf("%s: issueError without a message: %s", what, r.body)
			}
		}
		if !slices.Equal(keys, []string{"ABC-1", "ABC-3"}) || !slices.Equal(failed, []string{id(2), id(4), id(10)}) {
			t.Errorf("%s: issues %v, issueErrors %v", what, keys, failed)
		}
	}
	fetch("first try")
	fetch("second try")
	wantStatus(t, "the issue alone", s.get(jiraPath("/issue/"+id(2)+"?fields=summary"), tk), http.StatusOK)

	if !s.DeleteJiraIssue("ABC-2") {
		t.Fatal("DeleteJiraIssue = false")
	}
	if s.FailJiraIssueFetch("ABC-2") {
		t.Error("FailJiraIssueFetch of a deleted issue = true")
	}
	fetch("deleted")
	wantJiraError(t, "the deleted issue alone", s.get(jiraPath("/issue/"+id(2)+"?fields=summary"), tk), http.StatusNotFound, "Issue does not exist")

	// A new project forgets it.
	s.SetJiraProject("ABC", 12, 5, JiraOptions{VanishedEvery: -1, ForbiddenEvery: -1, RetriableErrorEvery: -1})
	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{"issueIdsOrKeys": []string{"ABC-2", "ABC-4"}})
	if got := decode[bulkResults](t, r); len(got.Issues) != 2 || len(got.IssueErrors) != 0 {
		t.Errorf("after SetJiraProject: %.300s", r.body)
	}
}

// firstPage is the first page of the space that search shows and that
// suits: not the home page, neither trashed nor restricted.
func firstPage(t *testing.T, s *sandbox, ok func(ConfluenceItem) bool) ConfluenceItem {
	t.Helper()
	for _, it := range cfContents(t, s, "DEMO")[1:] {
		if it.Type == "page" && !it.Trashed && !it.Restricted && ok(it) {
			return it
		}
	}
	t.Fatal("no such page")
	return ConfluenceItem{}
}

// TestConfluenceEditPage edits a page: its version and lastmodified move
// on, its body gains a paragraph, nothing else changes.
func TestConfluenceEditPage(t *testing.T) {
	s, tk := startConfluence(t, 30, 2, ConfluenceOptions{})
	cloud := DefaultSites[0].CloudID
	const recent = `space = DEMO AND lastmodified >= now("-10m")`
	if hits, _ := s.walkSearch(t, tk, url.Values{"cql": {recent}}); len(hits) != 0 {
		t.Fatalf("before any edit, %d hits", len(hits))
	}
	page := firstPage(t, s, func(it ConfluenceItem) bool { return len(it.Attachments) > 0 && len(it.Comments) > 0 })
	getPage := func(format string) cfPageT {
		t.Helper()
		r := s.get(cfPath("/api/v2/pages/"+page.ID+"?body-format="+format), tk)
		wantStatus(t, "page", r, http.StatusOK)
		return decode[cfPageT](t, r)
	}
	oldStorage, oldADF := getPage("storage"), getPage("atlas_doc_format")

	s.clock.Advance(time.Minute)
	now := s.clock.Now()
	if !s.EditConfluencePage(page.ID) {
		t.Fatal("EditConfluencePage = false")
	}
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	for _, id := range []string{sp.Folders[0], page.Attachments[0].ID, page.Comments[0].ID, "1", "x", "2000000000"} {
		if s.EditConfluencePage(id) {
			t.Errorf("EditConfluencePage(%s) = true", id)
		}
	}

	hits, _ := s.walkSearch(t, tk, url.Values{"cql": {recent}, "expand": {"content.version"}})
	if len(hits) != 1 || hits[0].Content.ID != page.ID || hits[0].Content.Version.Number != page.Version+1 ||
		hits[0].Content.Version.When != cfTime(now) || hits[0].LastModified != cfTime(now) {
		t.Fatalf("%s: %+v", recent, hits)
	}
	storage, adf := getPage("storage"), getPage("atlas_doc_format")
	if storage.Version.Number != page.Version+1 || storage.Version.AuthorID != DefaultUser.AccountID ||
		storage.Body["storage"].Value != oldStorage.Body["storage"].Value+"<p>Edited.</p>" {
		t.Errorf("edited page %+v", storage)
	}
	var doc, oldDoc struct{ Content []map[string]any }
	_ = json.Unmarshal([]byte(adf.Body["atlas_doc_format"].Value), &doc)
	_ = json.Unmarshal([]byte(oldADF.Body["atlas_doc_format"].Value), &oldDoc)
	last, _ := json.Marshal(doc.Content[len(doc.Content)-1])
	if len(doc.Content) != len(oldDoc.Content)+1 || string(last) != `{"content":[{"text":"Edited.","type":"text"}],"type":"paragraph"}` {
		t.Errorf("edited ADF ends with %s", last)
	}
	after, _ := s.ConfluenceItemAt(cloud, page.ID)
	want := page
	want.Version, want.Updated = page.Version+1, now
	if !reflect.DeepEqual(after, want) {
		t.Errorf("ConfluenceItemAt after the edit %+v, want %+v", after, want)
	}
	atts, _ := walkList[cfAttachmentT](t, s, tk, "/wiki/api/v2/pages/"+page.ID+"/attachments")
	if len(atts) != len(page.Attachments) || atts[0].ID != page.Attachments[0].ID {
		t.Errorf("attachments after the edit %+v", atts)
	}

	s.SetConfluenceSpace("DEMO", 30, 2, ConfluenceOptions{})
	if reset, _ := s.ConfluenceItemAt(cloud, page.ID); !reflect.DeepEqual(reset, page) {
		t.Errorf("after SetConfluenceSpace %+v, want %+v", reset, page)
	}
}

// TestConfluenceAddComment adds a comment: search by type and
// lastmodified finds it with its container, the page's comment lists
// hold it, and the page itself is not bumped.
func TestConfluenceAddComment(t *testing.T) {
	s, tk := startConfluence(t, 30, 3, ConfluenceOptions{})
	cloud := DefaultSites[0].CloudID
	held := searchable(t, s, "DEMO")
	page := firstPage(t, s, func(it ConfluenceItem) bool { return len(it.Comments) == 0 })
	childTypes := func() bool {
		t.Helper()
		p := s.cfSearch(t, tk, url.Values{"cql": {"id = " + page.ID}, "expand": {"content.childTypes.comment"}})
		if len(p.Results) != 1 {
			t.Fatalf("id = %s: %d hits", page.ID, len(p.Results))
		}
		return p.Results[0].Content.ChildTypes["comment"].Value
	}
	if childTypes() {
		t.Fatal("a page without comments has childTypes.comment")
	}

	s.clock.Advance(time.Minute)
	now := s.clock.Now()
	id, ok := s.AddConfluenceComment(page.ID)
	if !ok || id == "" {
		t.Fatal("AddConfluenceComment = false")
	}
	if _, taken := held[id]; taken {
		t.Fatalf("comment id %s is taken", id)
	}
	if sp, _ := s.ConfluenceSpaceAt(DefaultSites[1].CloudID, "DEMO"); slices.Contains(sp.Pages, id) {
		t.Fatalf("comment id %s is a page on the other site", id)
	}
	if _, ok := s.AddConfluenceComment(id); ok {
		t.Error("a comment on a comment")
	}

	for _, cql := range []string{
		`type in (comment, attachment) AND lastmodified >= now("-10m")`,
		`space = DEMO AND type in (comment, attachment) AND lastmodified >= now("-10m")`,
		`space in (DEMO, OTHER) AND type IN ("comment", "attachment") AND lastmodified >= now("-10m") ORDER BY lastmodified`,
	} {
		hits, _ := s.walkSearch(t, tk, url.Values{"cql": {cql}, "expand": {"content.container,content.version"}})
		if len(hits) != 1 || hits[0].Content.ID != id || hits[0].Content.Type != "comment" || hits[0].Content.Container == nil ||
			string(hits[0].Content.Container.ID) != strconv.Quote(page.ID) || hits[0].Content.Version.When != cfTime(now) ||
			hits[0].Content.Version.By.AccountID != DefaultUser.AccountID {
			t.Errorf("%s: %+v", cql, hits)
		}
	}
	// The page is not bumped.
	if hits, _ := s.walkSearch(t, tk, url.Values{"cql": {`type in (page, blogpost) AND lastmodified >= now("-10m")`}}); len(hits) != 0 {
		t.Errorf("the comment bumped %+v", hits)
	}
	if after, _ := s.ConfluenceItemAt(cloud, page.ID); after.Version != page.Version || !after.Updated.Equal(page.Updated) ||
		!reflect.DeepEqual(after.Comments, []ConfluenceComment{{ID: id}}) {
		t.Errorf("ConfluenceItemAt after the comment %+v", after)
	}
	if !childTypes() {
		t.Error("childTypes.comment is false after a comment")
	}

	// The exporter's query: the container's comments and attachments.
	r := s.get(cfPath("/rest/api/content/search?"+url.Values{
		"cql":    {"container in (" + page.ID + ") AND type in (comment, attachment)"},
		"expand": {"container,version,extensions,ancestors,body.storage,body.atlas_doc_format"},
	}.Encode()), tk)
	wantStatus(t, "content search", r, http.StatusOK)
	content := decode[struct {
		Results []struct {
			ID        string
			Type      string
			Container struct{ ID string }
			Body      map[string]struct{ Value string }
		}
	}](t, r)
	var found bool
	for _, c := range content.Results {
		if c.ID == id {
			found = c.Type == "comment" && c.Container.ID == page.ID && c.Body["storage"].Value == "<p>A new comment.</p>" &&
				strings.Contains(c.Body["atlas_doc_format"].Value, "A new comment.")
		}
	}
	if !found || len(content.Results) != 1+len(page.Attachments) {
		t.Errorf("content search: %s", r.body)
	}

	comments, _ := walkList[cfCommentT](t, s, tk, "/wiki/api/v2/pages/"+page.ID+"/footer-comments?body-format=storage")
	if len(comments) != 1 || comments[0].ID != id || comments[0].PageID != page.ID || comments[0].Version.AuthorID != DefaultUser.AccountID ||
		comments[0].Body["storage"].Value != "<p>A new comment.</p>" {
		t.Errorf("footer comments %+v", comments)
	}
	if replies, _ := walkList[cfCommentT](t, s, tk, "/wiki/api/v2/footer-comments/"+id+"/children"); len(replies) != 0 {
		t.Errorf("replies %+v", replies)
	}

	// A second comment takes the next id.
	id2, _ := s.AddConfluenceComment(page.ID)
	if numericID(t, id2) != numericID(t, id)+1 {
		t.Errorf("second comment %s after %s", id2, id)
	}
}

// TestConfluenceDeletePage purges a page and a blog post: no search,
// list or route shows them or what they held.
func TestConfluenceDeletePage(t *testing.T) {
	s, tk := startConfluence(t, 40, 4, ConfluenceOptions{})
	cloud := DefaultSites[0].CloudID
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	items := map[string]ConfluenceItem{}
	for _, it := range cfContents(t, s, "DEMO") {
		items[it.ID] = it
	}
	page := firstPage(t, s, func(it ConfluenceItem) bool { return len(it.Attachments) > 0 && len(it.Comments) > 0 })
	var children []ConfluenceItem
	for _, it := range items {
		if it.ParentID == page.ID {
			children = append(children, it)
		}
	}
	for _, id := range sp.Folders {
		if f, _ := s.ConfluenceItemAt(cloud, id); f.ParentID == page.ID {
			children = append(children, f)
		}
	}
	blog := items[sp.BlogPosts[0]]
	held := searchable(t, s, "DEMO")
	bodies := map[string]string{}
	for _, ch := range children {
		if ch.Type == "page" {
			r := s.get(cfPath("/api/v2/pages/"+ch.ID+"?body-format=storage"), tk)
			bodies[ch.ID] = decode[cfPageT](t, r).Body["storage"].Value
		}
	}

	if !s.DeleteConfluencePage(page.ID) || !s.DeleteConfluencePage(blog.ID) {
		t.Fatal("DeleteConfluencePage = false")
	}
	for _, id := range []string{page.ID, sp.HomepageID, page.Comments[0].ID, sp.Folders[0]} {
		if s.DeleteConfluencePage(id) {
			t.Errorf("DeleteConfluencePage(%s) = true", id)
		}
	}
	if s.EditConfluencePage(page.ID) {
		t.Error("a deleted page edited")
	}
	if _, ok := s.AddConfluenceComment(page.ID); ok {
		t.Error("a comment on a deleted page")
	}

	gone := map[string]bool{page.ID: true, blog.ID: true}
	for _, it := range []ConfluenceItem{page, blog} {
		for _, c := range it.Comments {
			gone[c.ID] = true
		}
		for _, a := range it.Attachments {
			gone[a.ID] = true
		}
	}
	hits, _ := s.walkSearch(t, tk, url.Values{"cql": {"space = DEMO"}, "limit": {"100"}})
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.Content.ID)
	}
	var want []string
	for id := range held {
		if !gone[id] {
			want = append(want, id)
		}
	}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("search finds %d, want %d", len(ids), len(want))
	}
	for _, cql := range []string{"id = " + page.ID, "container = " + page.ID, "container = " + blog.ID, "type = blogpost AND id = " + blog.ID} {
		if p := s.cfSearch(t, tk, url.Values{"cql": {cql}}); p.TotalSize != 0 {
			t.Errorf("%s: %d hits", cql, p.TotalSize)
		}
	}

	for _, path := range []string{"/pages/" + page.ID, "/pages/" + page.ID + "/footer-comments", "/pages/" + page.ID + "/attachments",
		"/pages/" + page.ID + "/labels", "/blogposts/" + blog.ID, "/footer-comments/" + page.Comments[0].ID + "/children"} {
		wantV2Error(t, path, s.get(cfPath("/api/v2"+path), tk), http.StatusNotFound, "NOT_FOUND")
	}
	a := page.Attachments[0]
	wantStatus(t, "download", s.get(cfPath("/rest/api/content/"+page.ID+"/child/attachment/"+a.ID+"/download"), tk), http.StatusNotFound)
	pages, _ := walkList[cfPageT](t, s, tk, "/wiki/api/v2/pages?limit=250&status=current,trashed")
	blogs, _ := walkList[cfPageT](t, s, tk, "/wiki/api/v2/blogposts?limit=250")
	for _, p := range append(pages, blogs...) {
		if gone[p.ID] {
			t.Errorf("v2 lists deleted %s", p.ID)
		}
	}
	if len(blogs) != len(sp.BlogPosts)-1 {
		t.Errorf("%d blog posts listed of %d", len(blogs), len(sp.BlogPosts))
	}
	if _, ok := s.ConfluenceItemAt(cloud, page.ID); ok {
		t.Error("ConfluenceItemAt finds a deleted page")
	}
	if _, ok := s.ConfluenceAttachmentContent(cloud, a.ID); ok {
		t.Error("ConfluenceAttachmentContent finds a deleted page's attachment")
	}
	after, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	if len(after.Pages) != len(sp.Pages)-1 || slices.Contains(after.Pages, page.ID) || slices.Contains(after.BlogPosts, blog.ID) {
		t.Errorf("ConfluenceSpaceAt after the deletion %+v", after)
	}

	// The children move to the parent, their bodies and versions as
	// they were.
	if len(bodies) == 0 {
		t.Fatal("the deleted page had no child page")
	}
	for _, ch := range children {
		moved, _ := s.ConfluenceItemAt(cloud, ch.ID)
		if moved.ParentID != page.ParentID || moved.Version != ch.Version || !moved.Updated.Equal(ch.Updated) {
			t.Errorf("child %s after the deletion: %+v", ch.ID, moved)
		}
		if body, ok := bodies[ch.ID]; ok {
			r := s.get(cfPath("/api/v2/pages/"+ch.ID+"?body-format=storage"), tk)
			if got := decode[cfPageT](t, r); got.ParentID != page.ParentID || got.Body["storage"].Value != body {
				t.Errorf("child %s after the deletion: parent %s, body changed %v", ch.ID, got.ParentID, got.Body["storage"].Value != body)
			}
		}
	}
	if p := s.cfSearch(t, tk, url.Values{"cql": {"parent = " + page.ParentID}}); p.TotalSize == 0 {
		t.Error("no pages under the deleted page's parent")
	}
}

// TestChangedResponsesMatchSpec checks what the changes add against the
// specs: an edited issue, an edited page, a new comment.
func TestChangedResponsesMatchSpec(t *testing.T) {
	js := loadJiraSchemas(t)
	sj, tj := startJira(t, 20, 7, JiraOptions{})
	sj.clock.Advance(time.Minute)
	sj.EditJiraIssue("ABC-4")
	sj.DeleteJiraIssue("ABC-5")
	jira := map[string]response{
		"SearchAndReconcileResults": sj.get(jiraPath("/search/jql?"+url.Values{
			"jql": {"project = ABC AND updated >= -5m"}, "fields": {"*all"}, "expand": {"renderedFields,names,schema,changelog"},
		}.Encode()), tj),
		"BulkIssueResults": sj.post(jiraPath("/issue/bulkfetch"), tj, map[string]any{
			"issueIdsOrKeys": []string{"ABC-4", "ABC-5"}, "fields": []string{"*all"}, "expand": []string{"renderedFields", "changelog"},
		}),
	}
	for schema, r := range jira {
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil || !strings.Contains(string(r.body), "(edited)") {
			t.Fatalf("%s: %.300s", schema, r.body)
		}
		for _, e := range js.validate(schema, v) {
			t.Errorf("%s: %s", schema, e)
		}
	}

	v1, v2 := loadConfluenceSpec(t, "v1"), loadConfluenceSpec(t, "v2")
	s, tk := startConfluence(t, 20, 8, ConfluenceOptions{})
	page := firstPage(t, s, func(ConfluenceItem) bool { return true })
	s.clock.Advance(time.Minute)
	s.EditConfluencePage(page.ID)
	id, _ := s.AddConfluenceComment(page.ID)
	expand := "content.childTypes.all,content.metadata.labels,content.space,content.version,content.extensions,content.container"
	cases := []struct {
		name, operation, item string
		spec                  confluenceSpec
		r                     response
	}{
		{"search", "searchByCQL", "SearchResult", v1, s.get(cfPath("/rest/api/search?"+url.Values{
			"cql": {`lastmodified >= now("-5m")`}, "expand": {expand},
		}.Encode()), tk)},
		{"content search", "searchContentByCQL", "Content", v1, s.get(cfPath("/rest/api/content/search?"+url.Values{
			"cql": {"container = " + page.ID + " AND type in (comment, attachment)"}, "expand": {"container,version,extensions,ancestors,body.storage,body.atlas_doc_format"},
		}.Encode()), tk)},
		{"page", "getPageById", "", v2, s.get(cfPath("/api/v2/pages/"+page.ID+"?body-format=atlas_doc_format"), tk)},
		{"footer comments", "getPageFooterComments", "FooterCommentModel", v2,
			s.get(cfPath("/api/v2/pages/"+page.ID+"/footer-comments?body-format=storage"), tk)},
	}
	for _, c := range cases {
		if c.r.status != http.StatusOK || !strings.Contains(string(c.r.body), id) && c.name != "page" {
			t.Fatalf("%s: status %d, body %.300s", c.name, c.r.status, c.r.body)
		}
		var v any
		if err := json.Unmarshal(c.r.body, &v); err != nil {
			t.Fatal(err)
		}
		errs := c.spec.validateOperation(t, c.operation, v)
		if c.item != "" {
			for _, res := range v.(map[string]any)["results"].([]any) {
				errs = append(errs, c.spec.validate(c.item, res)...)
			}
		}
		for _, e := range errs[:min(len(errs), 20)] {
			t.Errorf("%s: %s", c.name, e)
		}
	}
}

// TestChangesWhileReading changes items while requests read them; run
// with -race.
func TestChangesWhileReading(t *testing.T) {
	s := start(t, Options{})
	s.SetJiraProject("ABC", 40, 1, JiraOptions{})
	s.SetConfluenceSpace("DEMO", 20, 1, ConfluenceOptions{})
	tk := s.login().AccessToken
	page := firstPage(t, s, func(ConfluenceItem) bool { return true })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= 20; i++ {
			s.EditJiraIssue("ABC-" + strconv.Itoa(i))
			s.DeleteJiraIssue("ABC-" + strconv.Itoa(20+i))
			s.EditConfluencePage(page.ID)
			s.AddConfluenceComment(page.ID)
		}
	}()
	for range 10 {
		s.walk(t, tk, url.Values{"jql": {"project = ABC ORDER BY updated"}, "maxResults": {"7"}})
		s.walkSearch(t, tk, url.Values{"cql": {"container = " + page.ID}})
	}
	<-done
	if it, _ := s.ConfluenceItemAt(DefaultSites[0].CloudID, page.ID); it.Version != page.Version+20 || len(it.Comments) != len(page.Comments)+20 {
		t.Errorf("after 20 edits and comments: version %d, %d comments", it.Version, len(it.Comments))
	}
	if n := jiraCount(t, s, tk, "project = ABC AND updated >= -1h"); n != 20 {
		t.Errorf("%d issues edited lately, want 20", n)
	}
}

package jira

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/mdtext"
	"github.com/aumo-cli/aumo/internal/redact"
	"github.com/aumo-cli/aumo/pkg/adf"
)

// Render is what an issue's Markdown is made of besides the issue's JSON:
// all of it is in an export on disk, so the Markdown can be made again
// offline, without the API.
type Render struct {
	// Fields are the export's fields.json (ParseFields): the display
	// names and types of the custom fields.
	Fields []Field
	// Files are the issue's attachment files as written.
	Files []export.AttachmentFile
	// IssuePath is the path, relative to the issue's Markdown, of the
	// Markdown of the issue with key when the export holds it; nil or
	// false: the link keeps pointing to the site.
	IssuePath func(key string) (string, bool)
	// Site is the site's URL (https://example.atlassian.net), as the
	// export's manifest records it: links to the site's issues and the
	// front matter's url are made of it. "": the site is read from the
	// issue's self, unless that is an API gateway's address, which no
	// browser opens: then links stay as the documents have them and the
	// front matter has no url.
	Site string
}

// Markdown renders an issue for reading: YAML front matter, the main
// fields as a table, the description and environment, the issue's links,
// subtasks and custom fields, every comment, the worklogs, the history
// and the attachments as relative links. It uses the issue as exported
// (redacted unless --keep-account-ids) and nothing else.
func (is *Issue) Markdown(files []export.AttachmentFile) []byte {
	r := is.render
	r.Files = files
	return Markdown(is.JSON, r)
}

// Markdown renders issueJSON, an issue as exported, with what r gives.
func Markdown(issueJSON []byte, r Render) []byte {
	var doc map[string]any
	if err := json.Unmarshal(issueJSON, &doc); err != nil {
		return []byte(fmt.Sprintf("# Issue\n\n(the issue's JSON could not be read: %s)\n", mdtext.Plain(err.Error())))
	}
	v := newView(doc, r)
	var b strings.Builder
	b.WriteString(v.frontMatter())
	b.WriteString("\n" + mdtext.Heading(1, mdtext.Plain(v.key+": "+str(v.fields["summary"]))) + "\n\n")
	b.WriteString(table([]string{"Field", "Value"}, v.mainRows()))
	for _, section := range []func() string{
		func() string { return v.rich("Description", v.fields["description"]) },
		func() string { return v.rich("Environment", v.fields["environment"]) },
		v.issueLinks,
		v.subtasks,
		v.customFields,
		v.comments,
		v.worklogs,
		v.history,
		v.attachments,
	} {
		if s := section(); s != "" {
			b.WriteString("\n" + s + v.notes())
		}
	}
	return []byte(b.String())
}

// view is an issue being rendered.
type view struct {
	doc, fields map[string]any
	id, key     string
	site        string // https://example.atlassian.net; "" when not known
	r           Render
	opts        adf.Options
	// problems are those of the rich text rendered since the last notes.
	problems []string
	seen     map[string]bool
}

func newView(doc map[string]any, r Render) *view {
	v := &view{doc: doc, r: r, id: str(doc["id"]), key: str(doc["key"])}
	v.fields, _ = doc["fields"].(map[string]any)
	v.site = siteURL(r.Site, str(doc["self"]))
	media := map[string]string{}
	for _, f := range r.Files {
		if f.MediaID != "" {
			media[f.MediaID] = f.Path
		}
	}
	v.opts = adf.Options{
		Media: func(id string) (string, bool) { p, ok := media[id]; return p, ok },
		Link:  v.link,
		// A card to an issue reads as the issue's key.
		CardTitle: func(url string) string {
			if key, ok := v.browseKey(url); ok {
				return key
			}
			return ""
		},
	}
	return v
}

// link rewrites a URL of an ADF document: a link to an issue the export
// holds becomes the relative path of its Markdown, a redacted link to a
// person becomes no link (the person's name stays as text).
func (v *view) link(url string) string {
	if redact.ProfileLink(url) && strings.Contains(url, redact.Redacted) {
		return ""
	}
	if key, ok := v.browseKey(url); ok {
		if p, ok := v.issuePath(key); ok {
			return p
		}
	}
	return url
}

// browseKey reads the issue key of a link to an issue of the site:
// <site>/browse/KEY, with or without a query or fragment.
func (v *view) browseKey(url string) (string, bool) {
	if v.site == "" {
		return "", false
	}
	rest, ok := strings.CutPrefix(url, v.site+"/browse/")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(rest, "?#/"); i >= 0 {
		rest = rest[:i]
	}
	return rest, isIssueKey(rest)
}

// isIssueKey tells "ABC-123" from anything else.
func isIssueKey(s string) bool {
	project, num, ok := strings.Cut(s, "-")
	if !ok || project == "" || num == "" {
		return false
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (v *view) issuePath(key string) (string, bool) {
	if v.r.IssuePath == nil || key == "" {
		return "", false
	}
	return v.r.IssuePath(key)
}

// issueRef is a link to another issue, by key: relative when the export
// holds it, else to the site.
func (v *view) issueRef(key string) string {
	if key == "" {
		return ""
	}
	if p, ok := v.issuePath(key); ok {
		return "[" + mdtext.Plain(key) + "](" + mdtext.LinkDest(p) + ")"
	}
	if v.site != "" {
		return "[" + mdtext.Plain(key) + "](" + mdtext.LinkDest(v.site+"/browse/"+key) + ")"
	}
	return mdtext.Plain(key)
}

// issueLine is another issue as a line: its linked key, summary and
// status.
func (v *view) issueLine(is map[string]any) string {
	f, _ := is["fields"].(map[string]any)
	line := v.issueRef(str(is["key"]))
	if s := str(f["summary"]); s != "" {
		line += " " + mdtext.Plain(s)
	}
	if s := name(f["status"]); s != "" {
		line += " (" + mdtext.Plain(s) + ")"
	}
	return line
}

func (v *view) frontMatter() string {
	f := v.fields
	return mdtext.FrontMatter([]mdtext.Field{
		{Key: "id", Value: v.id}, {Key: "key", Value: v.key},
		{Key: "type", Value: name(f["issuetype"])}, {Key: "project", Value: key(f["project"])},
		{Key: "status", Value: name(f["status"])}, {Key: "priority", Value: name(f["priority"])},
		{Key: "created", Value: str(f["created"])}, {Key: "updated", Value: str(f["updated"])},
		{Key: "reporter", Value: person(f["reporter"])}, {Key: "assignee", Value: person(f["assignee"])},
		{Key: "url", Value: v.browseURL()},
		{Key: "labels", Values: strs(f["labels"])},
		{Key: "resolution", Value: name(f["resolution"])}, {Key: "resolved", Value: str(f["resolutiondate"])},
		{Key: "due", Value: str(f["duedate"])}, {Key: "parent", Value: key(f["parent"])},
		{Key: "components", Values: names(f["components"])}, {Key: "fixVersions", Values: names(f["fixVersions"])},
	})
}

// mainRows are the standard fields of the table under the title, as
// Markdown cells.
func (v *view) mainRows() [][]string {
	f := v.fields
	rows := [][]string{
		{"Status", mdtext.Plain(name(f["status"]))},
		{"Type", mdtext.Plain(name(f["issuetype"]))},
		{"Priority", mdtext.Plain(name(f["priority"]))},
		{"Resolution", mdtext.Plain(name(f["resolution"]))},
		{"Assignee", mdtext.Plain(person(f["assignee"]))},
		{"Reporter", mdtext.Plain(person(f["reporter"]))},
		{"Parent", v.parent()},
		{"Components", plainList(names(f["components"]))},
		{"Affects versions", plainList(names(f["versions"]))},
		{"Fix versions", plainList(names(f["fixVersions"]))},
		{"Labels", plainList(strs(f["labels"]))},
		{"Due date", mdtext.Plain(str(f["duedate"]))},
		{"Time tracking", timeTracking(f["timetracking"])},
		{"Created", mdtext.Plain(shortTime(str(f["created"])))},
		{"Updated", mdtext.Plain(shortTime(str(f["updated"])))},
		{"Resolved", mdtext.Plain(shortTime(str(f["resolutiondate"])))},
	}
	out := rows[:0]
	for _, r := range rows {
		if r[1] != "" {
			out = append(out, r)
		}
	}
	return out
}

func (v *view) parent() string {
	p, _ := v.fields["parent"].(map[string]any)
	if p == nil {
		return ""
	}
	return v.issueLine(p)
}

// timeTracking sums up the estimates and the time logged.
func timeTracking(t any) string {
	m, _ := t.(map[string]any)
	var parts []string
	for _, p := range [][2]string{{"originalEstimate", "estimated"}, {"timeSpent", "logged"}, {"remainingEstimate", "remaining"}} {
		if s := str(m[p[0]]); s != "" {
			parts = append(parts, s+" "+p[1])
		}
	}
	return mdtext.Plain(strings.Join(parts, ", "))
}

// rich is a section holding an ADF document, or "" when it is empty.
func (v *view) rich(title string, doc any) string {
	md := v.adf(doc)
	if md == "" {
		return ""
	}
	return mdtext.Heading(2, mdtext.Plain(title)) + "\n\n" + md + "\n"
}

// adf converts an ADF document (or, from older data, a plain string);
// the converter's problems wait for notes.
func (v *view) adf(doc any) string {
	switch d := doc.(type) {
	case nil:
		return ""
	case string:
		return plainText(d)
	}
	md, problems := adf.Convert(doc, v.opts)
	v.addProblems(problems)
	return strings.TrimSpace(md)
}

// adfCell converts an ADF document (or a plain string) for a table cell:
// one line; the converter's problems wait for notes.
func (v *view) adfCell(doc any) string {
	switch d := doc.(type) {
	case nil:
		return ""
	case string:
		return plainCell(d)
	}
	md, problems := adf.ConvertCell(doc, v.opts)
	v.addProblems(problems)
	return md
}

func (v *view) addProblems(problems []string) {
	if v.seen == nil {
		v.seen = map[string]bool{}
	}
	for _, p := range problems {
		v.problems = mdtext.AddProblem(v.problems, v.seen, p)
	}
}

// notes are the problems of the rich text rendered since the last call,
// each once, as HTML comments that readers do not see: "<!-- aumo:
// code block in a table cell flattened to inline code -->". They follow
// the text they are about, after a blank line; "" when there are none.
func (v *view) notes() string {
	if len(v.problems) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, p := range v.problems {
		b.WriteString(mdtext.Note(p) + "\n")
	}
	v.problems, v.seen = nil, nil
	return b.String()
}

// plainText renders a plain string, a field's text from older data, as
// Markdown that reads as that text and keeps its lines: a line break
// becomes a hard break, empty lines start a new paragraph.
func plainText(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	var b strings.Builder
	para := false // a line of the paragraph is written
	for _, l := range strings.Split(s, "\n") {
		l = strings.Trim(l, " \t")
		switch {
		case l == "":
			para = false
			continue
		case para:
			b.WriteString(hardBreak(b.String()))
		case b.Len() > 0:
			b.WriteString("\n\n")
		}
		b.WriteString(mdtext.EscapeLineStart(mdtext.EscapeText(l)))
		para = true
	}
	return b.String()
}

// plainCell renders a plain string for a table cell: its lines joined
// by <br>, as a cell holds them.
func plainCell(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s), "\n") {
		if l = strings.Trim(l, " \t"); l != "" {
			lines = append(lines, mdtext.EscapeText(l))
		}
	}
	return mdtext.Cell(strings.Join(lines, "\n"))
}

// hardBreak ends a line of a paragraph, md: with a backslash, or with
// two spaces when md ends with an escaped backslash, which some renderers
// would read with the break's backslash as text.
func hardBreak(md string) string {
	if strings.HasSuffix(md, `\`) {
		return "  \n"
	}
	return "\\\n"
}

// issueLinks lists the issue's links with their type's wording: "blocks
// DEMO-12 …", "is blocked by DEMO-3 …".
func (v *view) issueLinks() string {
	links, _ := v.fields["issuelinks"].([]any)
	var lines []string
	for _, l := range links {
		m, _ := l.(map[string]any)
		typ, _ := m["type"].(map[string]any)
		verb, other := str(typ["outward"]), m["outwardIssue"]
		if in, ok := m["inwardIssue"].(map[string]any); ok {
			verb, other = str(typ["inward"]), in
		}
		is, _ := other.(map[string]any)
		if is == nil {
			continue
		}
		if verb == "" {
			verb = str(typ["name"])
		}
		lines = append(lines, "- "+mdtext.Plain(verb)+" "+v.issueLine(is))
	}
	return section("Links", "", lines)
}

func (v *view) subtasks() string {
	subs, _ := v.fields["subtasks"].([]any)
	var lines []string
	for _, s := range subs {
		if m, ok := s.(map[string]any); ok {
			lines = append(lines, "- "+v.issueLine(m))
		}
	}
	return section("Subtasks", fmt.Sprintf(" (%d)", len(lines)), lines)
}

func (v *view) attachments() string {
	if len(v.r.Files) == 0 {
		return ""
	}
	sorted := append([]export.AttachmentFile(nil), v.r.Files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	lines := make([]string, 0, len(sorted))
	for _, f := range sorted {
		label := f.Name
		if label == "" {
			label = f.Path
		}
		lines = append(lines, "- ["+mdtext.Plain(label)+"]("+mdtext.LinkDest(linkPath(f.Path))+")")
	}
	return section("Attachments", "", lines)
}

// section is a titled list, or "" when lines is empty.
func section(title, count string, lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return mdtext.Heading(2, mdtext.Plain(title)+count) + "\n\n" + strings.Join(lines, "\n") + "\n"
}

// table writes a GFM table of Markdown cells.
func table(header []string, rows [][]string) string {
	if len(rows) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

func plainList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = mdtext.Plain(s)
	}
	return strings.Join(out, ", ")
}

func name(v any) string {
	m, _ := v.(map[string]any)
	return str(m["name"])
}

// names are the names of a list of objects (components, versions).
func names(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s := name(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func key(v any) string {
	m, _ := v.(map[string]any)
	return str(m["key"])
}

func person(v any) string {
	m, _ := v.(map[string]any)
	return str(m["displayName"])
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// browseURL is the issue's address on the site; "" when the site is not
// known.
func (v *view) browseURL() string {
	if v.site == "" || v.key == "" {
		return ""
	}
	return v.site + "/browse/" + v.key
}

// siteURL is the site's address: site when given, else the start of the
// issue's self, unless that is the API gateway's (https://api.atlassian.com
// /ex/jira/<cloudId>), which is no site a browser opens: then "".
func siteURL(site, self string) string {
	if site != "" {
		return strings.TrimRight(site, "/")
	}
	base, _, ok := strings.Cut(self, "/rest/api/")
	if !ok {
		return ""
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || strings.EqualFold(u.Hostname(), "api.atlassian.com") || strings.HasPrefix(u.Path, "/ex/") {
		return ""
	}
	return base
}

func shortTime(s string) string {
	if t, err := time.Parse(jiraTime, s); err == nil {
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return s
}

// linkPath escapes what would end a Markdown link target early.
func linkPath(p string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(p)
}

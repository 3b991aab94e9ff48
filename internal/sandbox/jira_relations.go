package sandbox

import (
	"html"
	"strconv"
	"time"
)

// jiraExtra is what an issue has besides the fields drawn in
// genJiraIssue: components, versions and the values of the custom fields
// of every kind Jira has (options, cascading options, people, dates,
// text). It is drawn from a stream of its own, so adding it left every
// other draw as it was.
type jiraExtra struct {
	components                []int // positions in jiraComponents
	affects, fix              int   // positions in jiraVersions; -1 for none
	environment               bool
	severity, region          int // -1 for none
	platforms                 []int
	onCall                    []int // positions in the user pool
	goLive, lastIncident      bool
	ticket                    int // 0 for none
	tags                      []string
	originalEstimate, remains int // seconds; 0 for none
}

// Fixed tables of the generated issues' components, versions and options;
// some carry what Markdown must escape.
var (
	jiraComponents = []struct{ id, name string }{
		{"10100", "Export engine"}, {"10101", "Billing | Invoices"}, {"10102", "Search & <Index>"}, {"10103", "Mobile app"},
	}
	jiraVersions = []struct {
		id, name string
		released bool
		date     string
	}{
		{"10200", "2.3.0", true, "2026-01-15"}, {"10201", "2.3.1", true, "2026-02-01"},
		{"10202", "2.4.0", false, "2026-03-15"}, {"10203", "3.0 *beta*", false, ""},
	}
	jiraSeverities = []string{"Critical", "Major", "Minor"}
	jiraPlatforms  = []string{"Web", "iOS", "Android", "Windows & <macOS>"}
	jiraRegions    = []struct{ parent, child string }{{"Europe", "Nordics"}, {"Europe", "Iberia"}, {"Americas", "Brazil"}, {"Asia", "Japan"}}
	jiraTags       = []string{"q1", "exports", "customer-facing", "hot_fix"}
)

// drawJiraExtra draws the extra of issue ref as site shows it.
func drawJiraExtra(ref jiraRef, site int, bug bool) jiraExtra {
	r := jiraRand(ref.p.seed, site, drawExtra, ref.global(), 0)
	users := ref.p.opts.Users
	x := jiraExtra{affects: -1, fix: -1, severity: -1, region: -1}
	for range r.IntN(3) {
		x.components = append(x.components, r.IntN(len(jiraComponents)))
	}
	x.components = unique(x.components)
	if r.IntN(2) == 0 {
		x.fix = r.IntN(len(jiraVersions))
	}
	if bug {
		x.affects = r.IntN(2)
		x.environment = true
		x.severity = r.IntN(len(jiraSeverities))
	}
	for range r.IntN(3) {
		x.platforms = append(x.platforms, r.IntN(len(jiraPlatforms)))
	}
	x.platforms = unique(x.platforms)
	if r.IntN(3) == 0 {
		x.region = r.IntN(len(jiraRegions))
	}
	for range r.IntN(3) {
		x.onCall = append(x.onCall, r.IntN(users))
	}
	x.onCall = unique(x.onCall)
	x.goLive, x.lastIncident = r.IntN(3) == 0, r.IntN(4) == 0
	if r.IntN(3) == 0 {
		x.ticket = 1000 + r.IntN(9000)
	}
	for range r.IntN(3) {
		x.tags = append(x.tags, jiraTags[r.IntN(len(jiraTags))])
	}
	x.tags = unique(x.tags)
	if r.IntN(2) == 0 {
		x.originalEstimate = (1 + r.IntN(16)) * 3600
		x.remains = r.IntN(x.originalEstimate/3600+1) * 3600
	}
	return x
}

// Issues relate by position, so that both ends of a relation agree
// without drawing: in every ten issues the first is the parent of the
// next two (which Jira lists as its subtasks); every fourth issue blocks
// the one two before it; every sixth relates to the one five after it.
const (
	jiraFamily   = 10
	jiraChildren = 2
	jiraBlocks   = 4
	jiraRelates  = 6
)

// parent is the position of the issue's parent, or -1.
func (iss *jiraIssue) parentAt() int {
	if k := iss.i % jiraFamily; k >= 1 && k <= jiraChildren {
		return iss.i - k
	}
	return -1
}

// childrenAt are the positions of the issue's subtasks.
func (iss *jiraIssue) childrenAt() []int {
	if iss.i%jiraFamily != 0 {
		return nil
	}
	var out []int
	for k := 1; k <= jiraChildren && iss.i+k < iss.p.n; k++ {
		out = append(out, iss.i+k)
	}
	return out
}

// jiraLinkEnd is one link of an issue: its type, whether the other issue
// is at the outward end, and that issue's position.
type jiraLinkEnd struct {
	typ     int // position in jiraLinkTypes
	outward bool
	other   int
}

var jiraLinkTypes = []struct{ id, name, inward, outward string }{
	{"10000", "Blocks", "is blocked by", "blocks"},
	{"10003", "Relates", "relates to", "relates to"},
}

// linksAt are the issue's links, in the order Jira shows them.
func (iss *jiraIssue) linksAt() []jiraLinkEnd {
	i, n := iss.i, iss.p.n
	var out []jiraLinkEnd
	if i%jiraBlocks == jiraBlocks-1 && i >= 2 {
		out = append(out, jiraLinkEnd{0, true, i - 2})
	}
	if (i+2)%jiraBlocks == jiraBlocks-1 && i+2 < n {
		out = append(out, jiraLinkEnd{0, false, i + 2})
	}
	if i%jiraRelates == 0 && i+5 < n {
		out = append(out, jiraLinkEnd{1, true, i + 5})
	}
	if i >= 5 && (i-5)%jiraRelates == 0 {
		out = append(out, jiraLinkEnd{1, false, i - 5})
	}
	return out
}

// linkID is the id of the link from position a to position b of a
// project: the same at both ends.
func (iss *jiraIssue) linkID(typ, a, b int) string {
	lo := min(a, b)
	return strconv.FormatInt(jiraIDBase+int64(iss.p.slot*MaxJiraIssues+lo)*4+int64(typ), 10)
}

// linkedIssue is another issue of the project as a link shows it: id,
// key and a few fields.
func (c *jiraCall) linkedIssue(iss *jiraIssue, i int) map[string]any {
	other := genJiraIssue(jiraRef{p: iss.p, i: i}, iss.site)
	id := strconv.FormatInt(other.id(), 10)
	st, pr, it := jiraStatuses[other.status], jiraPriorities[other.priority], jiraIssueTypes[other.issueType]
	return map[string]any{
		"id": id, "key": other.key(), "self": c.siteURL + "/rest/api/3/issue/" + id,
		"fields": map[string]any{
			"summary":   other.summary,
			"status":    map[string]any{"self": c.siteURL + "/rest/api/3/status/" + st.id, "id": st.id, "name": st.name, "description": "", "iconUrl": c.siteURL + "/"},
			"priority":  map[string]any{"self": c.siteURL + "/rest/api/3/priority/" + pr.id, "id": pr.id, "name": pr.name},
			"issuetype": map[string]any{"self": c.siteURL + "/rest/api/3/issuetype/" + it.id, "id": it.id, "name": it.name, "subtask": false},
		},
	}
}

func (c *jiraCall) issueLinks(iss *jiraIssue) []any {
	out := []any{}
	for _, l := range iss.linksAt() {
		t := jiraLinkTypes[l.typ]
		a, b := iss.i, l.other
		if !l.outward {
			a, b = b, a
		}
		id := iss.linkID(l.typ, a, b)
		link := map[string]any{
			"id": id, "self": c.siteURL + "/rest/api/3/issueLink/" + id,
			"type": map[string]any{"id": t.id, "name": t.name, "inward": t.inward, "outward": t.outward, "self": c.siteURL + "/rest/api/3/issueLinkType/" + t.id},
		}
		if l.outward {
			link["outwardIssue"] = c.linkedIssue(iss, l.other)
		} else {
			link["inwardIssue"] = c.linkedIssue(iss, l.other)
		}
		out = append(out, link)
	}
	return out
}

func (c *jiraCall) subtasks(iss *jiraIssue) []any {
	out := []any{}
	for _, k := range iss.childrenAt() {
		out = append(out, c.linkedIssue(iss, k))
	}
	return out
}

func (c *jiraCall) parent(iss *jiraIssue) any {
	k := iss.parentAt()
	if k < 0 {
		return nil
	}
	return c.linkedIssue(iss, k)
}

func (c *jiraCall) components(iss *jiraIssue) []any {
	out := []any{}
	for _, k := range iss.extra.components {
		cp := jiraComponents[k]
		out = append(out, map[string]any{"self": c.siteURL + "/rest/api/3/component/" + cp.id, "id": cp.id, "name": cp.name})
	}
	return out
}

// versions are a version field: none, or the one at position k.
func (c *jiraCall) versions(k int) []any {
	if k < 0 {
		return []any{}
	}
	v := jiraVersions[k]
	out := map[string]any{"self": c.siteURL + "/rest/api/3/version/" + v.id, "id": v.id, "name": v.name, "archived": false, "released": v.released}
	if v.date != "" {
		out["releaseDate"] = v.date
	}
	return []any{out}
}

func (c *jiraCall) option(id int, value string) map[string]any {
	sid := strconv.Itoa(id)
	return map[string]any{"self": c.siteURL + "/rest/api/3/customFieldOption/" + sid, "value": value, "id": sid}
}

// environment is a bug's environment: ADF, as in v3.
func (iss *jiraIssue) environment() any {
	if !iss.extra.environment {
		return nil
	}
	return adfDoc(adfParagraph(adfText("Firefox 140 on macOS 15; "),
		map[string]any{"type": "text", "text": "staging", "marks": []any{map[string]any{"type": "code"}}}, adfText(" only.")))
}

// timeTracking is the issue's estimates and the time its worklogs
// spent, or null when it has no estimate.
func (iss *jiraIssue) timeTracking() any {
	x := iss.extra
	if x.originalEstimate == 0 {
		return nil
	}
	return map[string]any{
		"originalEstimate": jiraDuration(x.originalEstimate), "originalEstimateSeconds": x.originalEstimate,
		"remainingEstimate": jiraDuration(x.remains), "remainingEstimateSeconds": x.remains,
	}
}

// extraValue is the value of a field of the extra, and whether id is one.
func (c *jiraCall) extraValue(iss *jiraIssue, id string) (any, bool) {
	x := iss.extra
	switch id {
	case "components":
		return c.components(iss), true
	case "fixVersions":
		return c.versions(x.fix), true
	case "versions":
		return c.versions(x.affects), true
	case "parent":
		return c.parent(iss), true
	case "subtasks":
		return c.subtasks(iss), true
	case "issuelinks":
		return c.issueLinks(iss), true
	case "timetracking":
		return iss.timeTracking(), true
	}
	return c.customValue(iss, id)
}

// customValue is the value of one of the extra's custom fields.
func (c *jiraCall) customValue(iss *jiraIssue, id string) (any, bool) {
	x := iss.extra
	switch id {
	case "customfield_10031":
		if x.severity < 0 {
			return nil, true
		}
		return c.option(10400+x.severity, jiraSeverities[x.severity]), true
	case "customfield_10032":
		out := []any{}
		for _, k := range x.platforms {
			out = append(out, c.option(10410+k, jiraPlatforms[k]))
		}
		return nullIfEmpty(out), true
	case "customfield_10033":
		if x.region < 0 {
			return nil, true
		}
		rg := jiraRegions[x.region]
		o := c.option(10420+x.region*2, rg.parent)
		o["child"] = c.option(10421+x.region*2, rg.child)
		return o, true
	case "customfield_10034":
		out := []any{}
		for _, k := range x.onCall {
			out = append(out, c.user(k))
		}
		return nullIfEmpty(out), true
	case "customfield_10035":
		if !x.goLive {
			return nil, true
		}
		return iss.created.AddDate(0, 0, 30).Format(time.DateOnly), true
	case "customfield_10036":
		if !x.lastIncident {
			return nil, true
		}
		return jiraTime(iss.created.Add(-26 * time.Hour)), true
	case "customfield_10037":
		if x.ticket == 0 {
			return nil, true
		}
		return "ZD-" + strconv.Itoa(x.ticket) + " *urgent*", true
	case "customfield_10038":
		return nullIfEmpty(stringsAsAny(x.tags)), true
	}
	return nil, false
}

// nullIfEmpty is an empty multi-value custom field as Jira shows it: null.
func nullIfEmpty(v []any) any {
	if len(v) == 0 {
		return nil
	}
	return v
}

func stringsAsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// releaseNotes is the rich-text custom field: a paragraph, a list and a
// link to the issue before, as ADF.
func (c *jiraCall) releaseNotes(iss *jiraIssue) map[string]any {
	item := func(nodes ...any) any {
		return map[string]any{"type": "listItem", "content": []any{adfParagraph(nodes...)}}
	}
	items := []any{item(adfText("Fixed for " + jiraTags[iss.i%len(jiraTags)]))}
	if iss.i > 0 {
		link := c.siteURL + "/browse/" + iss.p.key + "-" + strconv.Itoa(iss.i)
		items = append(items, item(adfText("See "), map[string]any{"type": "inlineCard", "attrs": map[string]any{"url": link}}))
	}
	return adfDoc(adfParagraph(adfText("Release notes: "+iss.summary)), map[string]any{"type": "bulletList", "content": items})
}

// releaseNotesHTML is the release notes as renderedFields shows them.
func (c *jiraCall) releaseNotesHTML(iss *jiraIssue) string {
	h := "<p>Release notes: " + html.EscapeString(iss.summary) + "</p>\n<ul>\n\t<li>Fixed for " + html.EscapeString(jiraTags[iss.i%len(jiraTags)]) + "</li>\n"
	if iss.i > 0 {
		link := html.EscapeString(c.siteURL + "/browse/" + iss.p.key + "-" + strconv.Itoa(iss.i))
		h += "\t<li>See <a href=\"" + link + "\" class=\"external-link\" rel=\"nofollow noreferrer\">" + link + "</a></li>\n"
	}
	return h + "</ul>"
}

package sandbox

import (
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// jiraTime is Jira's form of a time: milliseconds and a numeric zone
// without a colon, which is not RFC 3339.
func jiraTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// jiraRenderedTime is how renderedFields shows a time.
func jiraRenderedTime(t time.Time) string { return t.UTC().Format("02/Jan/06 3:04 PM") }

// jiraJSONType is the spec's JsonTypeBean: a field's type.
type jiraJSONType struct {
	Type     string `json:"type"`
	Items    string `json:"items,omitempty"`
	System   string `json:"system,omitempty"`
	Custom   string `json:"custom,omitempty"`
	CustomID int64  `json:"customId,omitempty"`
}

// jiraFieldDef is one field of GET /field and of the issues.
type jiraFieldDef struct {
	id, name    string
	custom      bool
	navigable   bool
	onIssue     bool // issuekey is searchable but never among an issue's fields
	clauseNames []string
	schema      jiraJSONType
}

func systemField(id, name, typ, items string, navigable bool, clauses ...string) jiraFieldDef {
	return jiraFieldDef{id: id, name: name, navigable: navigable, onIssue: true,
		clauseNames: append([]string{id}, clauses...), schema: jiraJSONType{Type: typ, Items: items, System: id}}
}

func customField(num int64, name, typ, plugin string) jiraFieldDef {
	id := "customfield_" + strconv.FormatInt(num, 10)
	return jiraFieldDef{id: id, name: name, custom: true, navigable: true, onIssue: true,
		clauseNames: []string{"cf[" + strconv.FormatInt(num, 10) + "]", name},
		schema:      jiraJSONType{Type: typ, Custom: plugin, CustomID: num}}
}

// jiraFields are the fields of the generated issues. Comment and worklog
// are not navigable, as in Jira: "*navigable", bulkfetch's default,
// leaves them out.
var jiraFields = []jiraFieldDef{
	{id: "issuekey", name: "Key", navigable: true, clauseNames: []string{"id", "issue", "issuekey", "key"},
		schema: jiraJSONType{Type: "string"}},
	systemField("summary", "Summary", "string", "", true),
	systemField("description", "Description", "string", "", true),
	systemField("status", "Status", "status", "", true),
	systemField("issuetype", "Issue Type", "issuetype", "", true, "type"),
	systemField("priority", "Priority", "priority", "", true),
	systemField("project", "Project", "project", "", true),
	systemField("reporter", "Reporter", "user", "", true),
	systemField("creator", "Creator", "user", "", true),
	systemField("assignee", "Assignee", "user", "", true),
	systemField("labels", "Labels", "array", "string", true),
	systemField("created", "Created", "datetime", "", true, "createdDate"),
	systemField("updated", "Updated", "datetime", "", true, "updatedDate"),
	systemField("resolution", "Resolution", "resolution", "", true),
	systemField("resolutiondate", "Resolved", "datetime", "", true, "resolved"),
	systemField("duedate", "Due date", "date", "", true, "due"),
	systemField("environment", "Environment", "string", "", true),
	systemField("attachment", "Attachment", "array", "attachment", true),
	systemField("components", "Components", "array", "component", true, "component"),
	systemField("fixVersions", "Fix versions", "array", "version", true, "fixVersion"),
	systemField("versions", "Affects versions", "array", "version", true, "affectedVersion"),
	systemField("parent", "Parent", "issuelink", "", true),
	systemField("subtasks", "Sub-tasks", "array", "issuelinks", true),
	systemField("issuelinks", "Linked Issues", "array", "issuelinks", true, "issueLink"),
	systemField("timetracking", "Time tracking", "timetracking", "", true),
	systemField("comment", "Comment", "comments-page", "", false),
	systemField("worklog", "Log Work", "array", "worklog", false),
	customField(10016, "Story point estimate", "number", "com.pyxis.greenhopper.jira:jsw-story-points"),
	customField(10021, "Release notes", "string", "com.atlassian.jira.plugin.system.customfieldtypes:textarea"),
	customField(10030, "Reviewer", "user", "com.atlassian.jira.plugin.system.customfieldtypes:userpicker"),
	customField(10031, "Severity", "option", "com.atlassian.jira.plugin.system.customfieldtypes:select"),
	withItems(customField(10032, "Affected platforms", "array", "com.atlassian.jira.plugin.system.customfieldtypes:multiselect"), "option"),
	customField(10033, "Region", "option-with-child", "com.atlassian.jira.plugin.system.customfieldtypes:cascadingselect"),
	withItems(customField(10034, "On call", "array", "com.atlassian.jira.plugin.system.customfieldtypes:multiuserpicker"), "user"),
	customField(10035, "Go-live date", "date", "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"),
	customField(10036, "Last incident", "datetime", "com.atlassian.jira.plugin.system.customfieldtypes:datetime"),
	customField(10037, "Customer ticket", "string", "com.atlassian.jira.plugin.system.customfieldtypes:textfield"),
	withItems(customField(10038, "Tags | internal", "array", "com.atlassian.jira.plugin.system.customfieldtypes:labels"), "string"),
}

func withItems(f jiraFieldDef, items string) jiraFieldDef {
	f.schema.Items = items
	return f
}

func jiraField(id string) (jiraFieldDef, bool) {
	for _, f := range jiraFields {
		if f.id == id {
			return f, true
		}
	}
	return jiraFieldDef{}, false
}

// jiraSelection is what a request asks to see of each issue.
type jiraSelection struct {
	fields map[string]bool
	// idsOnly: no field but id or key, which search answers with bare
	// {"id"} objects in its largest pages.
	idsOnly, withKey bool

	rendered, names, schema bool
	changelog               int // how many changelog entries to embed; 0 for none
	properties              bool
}

// selectJiraFields reads the fields parameter: comma-separated lists,
// "*all", "*navigable", field ids, and "-id" to exclude. Names Jira does
// not know are ignored, as Jira does.
func selectJiraFields(specs []string, def string) jiraSelection {
	var tokens []string
	for _, spec := range specs {
		for t := range strings.SplitSeq(spec, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tokens = append(tokens, t)
			}
		}
	}
	if len(tokens) == 0 {
		tokens = []string{def}
	}
	sel := jiraSelection{fields: map[string]bool{}}
	include := func(navigableOnly bool) {
		for _, f := range jiraFields {
			if f.onIssue && (f.navigable || !navigableOnly) {
				sel.fields[f.id] = true
			}
		}
	}
	var excluded []string
	positive := false
	for _, t := range tokens {
		switch {
		case t == "*all":
			include(false)
			positive = true
		case t == "*navigable":
			include(true)
			positive = true
		case strings.HasPrefix(t, "-"):
			excluded = append(excluded, t[1:])
		case t == "id":
			positive = true
		case t == "key":
			sel.withKey, positive = true, true
		default:
			positive = true
			if f, ok := jiraField(t); ok && f.onIssue {
				sel.fields[t] = true
			}
		}
	}
	if !positive {
		include(true)
	}
	for _, id := range excluded {
		delete(sel.fields, id)
	}
	sel.idsOnly = len(sel.fields) == 0
	return sel
}

// expand applies an expand list to a selection.
func (sel *jiraSelection) expand(items []string, changelogCap int) {
	for _, e := range items {
		switch strings.TrimSpace(e) {
		case "renderedFields":
			sel.rendered = true
		case "names":
			sel.names = true
		case "schema":
			sel.schema = true
		case "changelog":
			sel.changelog = changelogCap
		}
	}
}

// jiraIssueBean is the spec's IssueBean, as far as the sandbox fills it.
type jiraIssueBean struct {
	Expand         string                  `json:"expand"`
	ID             string                  `json:"id"`
	Self           string                  `json:"self"`
	Key            string                  `json:"key"`
	RenderedFields any                     `json:"renderedFields,omitempty"`
	Properties     any                     `json:"properties,omitempty"`
	Names          map[string]string       `json:"names,omitempty"`
	Schema         map[string]jiraJSONType `json:"schema,omitempty"`
	Changelog      *jiraChangelogPage      `json:"changelog,omitempty"`
	Fields         map[string]any          `json:"fields"`
}

// jiraIDOnly is an issue of a search that asked for ids (and keys) only.
type jiraIDOnly struct {
	ID  string `json:"id"`
	Key string `json:"key,omitempty"`
}

type jiraChangelogPage struct {
	StartAt    int               `json:"startAt"`
	MaxResults int               `json:"maxResults"`
	Total      int               `json:"total"`
	Histories  []jiraHistoryJSON `json:"histories"`
}

const jiraIssueExpand = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"

// namesAndSchema describe the selected fields, for expand=names,schema.
func (sel jiraSelection) namesAndSchema() (map[string]string, map[string]jiraJSONType) {
	var names map[string]string
	var schema map[string]jiraJSONType
	if sel.names {
		names = map[string]string{}
	}
	if sel.schema {
		schema = map[string]jiraJSONType{}
	}
	for _, f := range jiraFields {
		if !sel.fields[f.id] {
			continue
		}
		if names != nil {
			names[f.id] = f.name
		}
		if schema != nil {
			schema[f.id] = f.schema
		}
	}
	return names, schema
}

// issue renders iss as selected.
func (c *jiraCall) issue(iss *jiraIssue, sel jiraSelection) jiraIssueBean {
	c.objects++
	id := strconv.FormatInt(iss.id(), 10)
	bean := jiraIssueBean{
		Expand: jiraIssueExpand,
		ID:     id,
		Self:   c.siteURL + "/rest/api/3/issue/" + id,
		Key:    iss.key(),
		Fields: map[string]any{},
	}
	for _, f := range jiraFields {
		if sel.fields[f.id] {
			bean.Fields[f.id] = c.fieldValue(iss, f.id)
		}
	}
	if sel.rendered {
		rendered := map[string]any{}
		for id := range bean.Fields {
			rendered[id] = c.renderedValue(iss, id)
		}
		bean.RenderedFields = rendered
	}
	if sel.properties {
		bean.Properties = map[string]any{}
	}
	if sel.changelog > 0 {
		bean.Changelog = c.embeddedChangelog(iss, sel.changelog)
	}
	return bean
}

// fieldValue is the value of one field of iss.
func (c *jiraCall) fieldValue(iss *jiraIssue, id string) any {
	if v, ok := c.extraValue(iss, id); ok {
		return v
	}
	switch id {
	case "summary":
		return iss.summary
	case "description":
		if !iss.hasDescription {
			return nil
		}
		doc, _ := c.description(iss)
		return doc
	case "status":
		st := jiraStatuses[iss.status]
		return map[string]any{
			"self": c.siteURL + "/rest/api/3/status/" + st.id, "description": "", "iconUrl": c.siteURL + "/",
			"name": st.name, "id": st.id,
			"statusCategory": map[string]any{
				"self": c.siteURL + "/rest/api/3/statuscategory/" + strconv.Itoa(st.categoryID), "id": st.categoryID,
				"key": st.categoryKey, "colorName": st.color, "name": st.name,
			},
		}
	case "issuetype":
		it := jiraIssueTypes[iss.issueType]
		level := 0
		if it.name == "Epic" {
			level = 1
		}
		return map[string]any{
			"self": c.siteURL + "/rest/api/3/issuetype/" + it.id, "id": it.id, "description": it.description,
			"iconUrl": c.siteURL + "/rest/api/2/universal_avatar/view/type/issuetype/avatar/" + it.id + "?size=medium",
			"name":    it.name, "subtask": false, "avatarId": 10300 + len(it.name), "hierarchyLevel": level,
		}
	case "priority":
		pr := jiraPriorities[iss.priority]
		return map[string]any{
			"self": c.siteURL + "/rest/api/3/priority/" + pr.id, "id": pr.id, "name": pr.name, "statusColor": pr.color,
			"iconUrl": c.siteURL + "/images/icons/priorities/" + strings.ToLower(pr.name) + ".svg",
		}
	case "project":
		p := iss.p
		return map[string]any{
			"self": c.siteURL + "/rest/api/3/project/" + p.id(), "id": p.id(), "key": p.key, "name": p.name,
			"projectTypeKey": "software", "simplified": false,
			"avatarUrls": jiraAvatarURLs(c.siteURL+"/rest/api/3/universal_avatar/view/type/project/avatar/10400", "?size="),
		}
	case "reporter":
		return c.user(iss.reporter)
	case "creator":
		return c.user(iss.creator)
	case "assignee":
		return c.userOrNull(iss.assignee)
	case "labels":
		return append([]string{}, iss.labels...)
	case "created":
		return jiraTime(iss.created)
	case "updated":
		return jiraTime(iss.updated)
	case "resolution":
		if !iss.resolved() {
			return nil
		}
		return map[string]any{"self": c.siteURL + "/rest/api/3/resolution/10000", "id": "10000",
			"description": "Work has been completed on this issue.", "name": "Done"}
	case "resolutiondate":
		if !iss.resolved() {
			return nil
		}
		return jiraTime(iss.spanEnd)
	case "duedate":
		if iss.storyPoints < 8 {
			return nil
		}
		return iss.created.AddDate(0, 0, 14).Format(time.DateOnly)
	case "environment":
		return iss.environment()
	case "attachment":
		out := make([]jiraAttachmentJSON, len(iss.attachments))
		for j, a := range iss.attachments {
			out[j] = c.attachment(a)
		}
		return out
	case "comment":
		n := min(iss.comments, JiraEmbeddedComments)
		page := jiraEmbeddedComments{
			Comments: make([]jiraCommentJSON, n), Self: c.siteURL + "/rest/api/3/issue/" + strconv.FormatInt(iss.id(), 10) + "/comment",
			MaxResults: n, Total: iss.comments,
		}
		for j := range n {
			page.Comments[j] = c.comment(iss.comment(j), false)
		}
		return page
	case "worklog":
		n := min(iss.worklogs, JiraEmbeddedWorklogs)
		page := jiraWorklogPage{Worklogs: make([]jiraWorklogJSON, n), MaxResults: JiraEmbeddedWorklogs, Total: iss.worklogs}
		for j := range n {
			page.Worklogs[j] = c.worklog(iss.worklog(j))
		}
		return page
	case "customfield_10016":
		if iss.storyPoints == 0 {
			return nil
		}
		return float64(iss.storyPoints)
	case "customfield_10021":
		if !iss.hasNotes {
			return nil
		}
		return c.releaseNotes(iss)
	case "customfield_10030":
		return c.userOrNull(iss.reviewer)
	}
	return nil
}

// renderedValue is the HTML of one field, or null for fields Jira does
// not render.
func (c *jiraCall) renderedValue(iss *jiraIssue, id string) any {
	switch id {
	case "description":
		if !iss.hasDescription {
			return nil
		}
		_, h := c.description(iss)
		return h
	case "customfield_10021":
		if !iss.hasNotes {
			return nil
		}
		return c.releaseNotesHTML(iss)
	case "environment":
		if !iss.extra.environment {
			return nil
		}
		return "<p>Firefox 140 on macOS 15; <tt>staging</tt> only.</p>"
	case "created":
		return jiraRenderedTime(iss.created)
	case "updated":
		return jiraRenderedTime(iss.updated)
	case "resolutiondate":
		if !iss.resolved() {
			return nil
		}
		return jiraRenderedTime(iss.spanEnd)
	case "comment":
		n := min(iss.comments, JiraEmbeddedComments)
		page := jiraEmbeddedComments{Comments: make([]jiraCommentJSON, n), MaxResults: n, Total: iss.comments}
		for j := range n {
			cm := c.commentJSON(iss.comment(j), true)
			cm.Body, cm.RenderedBody = *cm.RenderedBody, nil
			page.Comments[j] = cm
		}
		return page
	}
	return nil
}

func (iss *jiraIssue) resolved() bool { return jiraStatuses[iss.status].categoryKey == "done" }

// description returns the issue's description as ADF and as the HTML of
// renderedFields. Both carry what an exporter must handle: a mention by
// account id, the first attachment by media uuid, a link to the site;
// the issue at jiraHostileBody, the hostile script too.
func (c *jiraCall) description(iss *jiraIssue) (map[string]any, string) {
	u := jiraUserAt(c.me, iss.mention)
	sentence := jiraSentences[iss.sentence]
	blocks := []any{adfParagraph(adfText(sentence+" "), adfMention(u), adfText(" — please take a look."))}
	var h strings.Builder
	h.WriteString("<p>" + html.EscapeString(sentence) + " " + c.profileLink(u) + " — please take a look.</p>")
	if len(iss.attachments) > 0 {
		a := iss.attachments[0]
		media := map[string]any{"type": "media", "attrs": map[string]any{"id": iss.mediaUUID(0), "type": "file", "collection": ""}}
		content := c.siteURL + "/rest/api/3/attachment/content/" + a.idString()
		if a.width > 0 {
			attrs := media["attrs"].(map[string]any)
			attrs["width"], attrs["height"] = a.width, a.height
			blocks = append(blocks, map[string]any{"type": "mediaSingle", "attrs": map[string]any{"layout": "center"}, "content": []any{media}})
			h.WriteString("\n\n<p><span class=\"image-wrap\" style=\"\"><img src=\"" + html.EscapeString(content) +
				"\" alt=\"" + html.EscapeString(a.filename) + "\" height=\"" + strconv.Itoa(a.height) + "\" width=\"" +
				strconv.Itoa(a.width) + "\" style=\"border: 0px solid black\" /></span></p>")
		} else {
			blocks = append(blocks, map[string]any{"type": "mediaGroup", "content": []any{media}})
			h.WriteString("\n\n<p><span class=\"nobr\"><a href=\"" + html.EscapeString(content) + "\" title=\"" +
				html.EscapeString(a.filename) + " attached to " + iss.key() + "\">" + html.EscapeString(a.filename) + "</a></span></p>")
		}
	}
	if iss.i > 0 {
		link := c.siteURL + "/browse/" + iss.p.key + "-" + strconv.Itoa(iss.i)
		blocks = append(blocks, adfParagraph(adfText("Follows "), map[string]any{"type": "inlineCard", "attrs": map[string]any{"url": link}}))
		h.WriteString("\n\n<p>Follows <a href=\"" + html.EscapeString(link) + "\" class=\"external-link\" rel=\"nofollow noreferrer\">" +
			html.EscapeString(link) + "</a></p>")
	}
	if iss.i == jiraHostileBody {
		more, moreHTML := hostileDescription()
		blocks = append(blocks, more...)
		h.WriteString(moreHTML)
	}
	return adfDoc(blocks...), h.String()
}

// profileLink is how rendered HTML shows a mention: the account id in
// the URL and in attributes, which a privacy filter must find.
func (c *jiraCall) profileLink(u jiraUser) string {
	id := html.EscapeString(u.accountID)
	return "<a href=\"" + c.siteURL + "/secure/ViewProfile.jspa?accountId=" + html.EscapeString(url.QueryEscape(u.accountID)) +
		"\" class=\"user-hover\" data-account-id=\"" + id + "\" accountid=\"" + id + "\" rel=\"" + id + "\">@" +
		html.EscapeString(u.name) + "</a>"
}

func adfDoc(blocks ...any) map[string]any {
	return map[string]any{"type": "doc", "version": 1, "content": blocks}
}

func adfParagraph(nodes ...any) map[string]any {
	return map[string]any{"type": "paragraph", "content": nodes}
}

func adfText(s string) map[string]any { return map[string]any{"type": "text", "text": s} }

func adfMention(u jiraUser) map[string]any {
	return map[string]any{"type": "mention", "attrs": map[string]any{"id": u.accountID, "text": "@" + u.name, "accessLevel": ""}}
}

// jiraUserDetails is the spec's UserDetails.
type jiraUserDetails struct {
	Self         string            `json:"self"`
	AccountID    string            `json:"accountId"`
	EmailAddress *string           `json:"emailAddress"` // null when the user hides it
	AvatarURLs   map[string]string `json:"avatarUrls"`
	DisplayName  string            `json:"displayName"`
	Active       bool              `json:"active"`
	TimeZone     string            `json:"timeZone,omitempty"`
	AccountType  string            `json:"accountType"`
}

func (c *jiraCall) user(k int) *jiraUserDetails {
	u := jiraUserAt(c.me, k)
	out := &jiraUserDetails{
		Self:      c.siteURL + "/rest/api/3/user?accountId=" + url.QueryEscape(u.accountID),
		AccountID: u.accountID,
		// Avatar URLs embed the account id too.
		AvatarURLs:  jiraAvatarURLs("https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/"+u.accountID, "/"),
		DisplayName: u.name, Active: u.active, TimeZone: u.timeZone, AccountType: u.accountType,
	}
	if u.email != "" {
		out.EmailAddress = &u.email
	}
	return out
}

// userOrNull renders user k, or null for -1.
func (c *jiraCall) userOrNull(k int) any {
	if k < 0 {
		return nil
	}
	return c.user(k)
}

func jiraAvatarURLs(base, sep string) map[string]string {
	out := map[string]string{}
	for _, size := range []string{"16", "24", "32", "48"} {
		out[size+"x"+size] = base + sep + size
	}
	return out
}

// jiraAttachmentJSON is the spec's Attachment; content and thumbnail are
// site URLs, as in Jira.
type jiraAttachmentJSON struct {
	Self      string           `json:"self"`
	ID        string           `json:"id"`
	Filename  string           `json:"filename"`
	Author    *jiraUserDetails `json:"author"`
	Created   string           `json:"created"`
	Size      int64            `json:"size"`
	MimeType  string           `json:"mimeType"`
	Content   string           `json:"content"`
	Thumbnail string           `json:"thumbnail,omitempty"`
}

func (c *jiraCall) attachment(a jiraAttachmentGen) jiraAttachmentJSON {
	c.objects++
	id := a.idString()
	out := jiraAttachmentJSON{
		Self: c.siteURL + "/rest/api/3/attachment/" + id, ID: id, Filename: a.filename, Author: c.user(a.author),
		Created: jiraTime(a.created), Size: a.size, MimeType: a.mimeType,
		Content: c.siteURL + "/rest/api/3/attachment/content/" + id,
	}
	if a.width > 0 {
		out.Thumbnail = c.siteURL + "/rest/api/3/attachment/thumbnail/" + id
	}
	return out
}

// jiraEmbeddedComments is the comment field of an issue.
type jiraEmbeddedComments struct {
	Comments   []jiraCommentJSON `json:"comments"`
	Self       string            `json:"self,omitempty"`
	MaxResults int               `json:"maxResults"`
	Total      int               `json:"total"`
	StartAt    int               `json:"startAt"`
}

// jiraCommentJSON is the spec's Comment.
type jiraCommentJSON struct {
	Self         string           `json:"self"`
	ID           string           `json:"id"`
	Author       *jiraUserDetails `json:"author"`
	Body         any              `json:"body"`
	RenderedBody *string          `json:"renderedBody,omitempty"`
	UpdateAuthor *jiraUserDetails `json:"updateAuthor"`
	Created      string           `json:"created"`
	Updated      string           `json:"updated"`
	Visibility   *jiraVisibility  `json:"visibility,omitempty"`
	JsdPublic    bool             `json:"jsdPublic"`
}

type jiraVisibility struct {
	Type       string `json:"type"`
	Value      string `json:"value"`
	Identifier string `json:"identifier"`
}

func (c *jiraCall) comment(cm jiraComment, rendered bool) jiraCommentJSON {
	c.objects++
	return c.commentJSON(cm, rendered)
}

// commentJSON is a comment as the API shows it, not counted: the
// rendering of a comment that renderedFields repeats is the same object
// the comment field returned, and costs nothing of its own, as an
// issue's rendered fields cost nothing besides the issue.
func (c *jiraCall) commentJSON(cm jiraComment, rendered bool) jiraCommentJSON {
	iss := cm.issue
	id := strconv.FormatInt(iss.entityID(cm.j), 10)
	nodes := []any{adfText(cm.text)}
	h := "<p>" + html.EscapeString(cm.text)
	if cm.mention >= 0 {
		u := jiraUserAt(c.me, cm.mention)
		nodes = append(nodes, adfText(" cc "), adfMention(u))
		h += " cc " + c.profileLink(u)
	}
	h += "</p>"
	out := jiraCommentJSON{
		Self:   c.siteURL + "/rest/api/3/issue/" + strconv.FormatInt(iss.id(), 10) + "/comment/" + id,
		ID:     id,
		Author: c.user(cm.author), Body: adfDoc(adfParagraph(nodes...)), UpdateAuthor: c.user(cm.editor),
		Created: jiraTime(cm.created), Updated: jiraTime(cm.updated), JsdPublic: true,
	}
	if rendered {
		out.RenderedBody = &h
	}
	if cm.restricted {
		out.Visibility = &jiraVisibility{Type: "role", Value: "Developers", Identifier: "10002"}
	}
	return out
}

// jiraWorklogPage is the worklog field of an issue and the spec's
// PageOfWorklogs.
type jiraWorklogPage struct {
	StartAt    int               `json:"startAt"`
	MaxResults int               `json:"maxResults"`
	Total      int               `json:"total"`
	Worklogs   []jiraWorklogJSON `json:"worklogs"`
}

// jiraWorklogJSON is the spec's Worklog.
type jiraWorklogJSON struct {
	Self             string           `json:"self"`
	Author           *jiraUserDetails `json:"author"`
	UpdateAuthor     *jiraUserDetails `json:"updateAuthor"`
	Comment          any              `json:"comment,omitempty"`
	Created          string           `json:"created"`
	Updated          string           `json:"updated"`
	Started          string           `json:"started"`
	TimeSpent        string           `json:"timeSpent"`
	TimeSpentSeconds int              `json:"timeSpentSeconds"`
	ID               string           `json:"id"`
	IssueID          string           `json:"issueId"`
}

func (c *jiraCall) worklog(wl jiraWorklog) jiraWorklogJSON {
	c.objects++
	iss := wl.issue
	issueID := strconv.FormatInt(iss.id(), 10)
	id := strconv.FormatInt(iss.entityID(wl.j), 10)
	out := jiraWorklogJSON{
		Self:   c.siteURL + "/rest/api/3/issue/" + issueID + "/worklog/" + id,
		Author: c.user(wl.author), UpdateAuthor: c.user(wl.author),
		Created: jiraTime(wl.created), Updated: jiraTime(wl.created), Started: jiraTime(wl.started),
		TimeSpent: jiraDuration(wl.seconds), TimeSpentSeconds: wl.seconds, ID: id, IssueID: issueID,
	}
	if wl.text != "" {
		out.Comment = adfDoc(adfParagraph(adfText(wl.text)))
	}
	return out
}

// jiraDuration is Jira's short form of a time spent, as "1h 30m".
func jiraDuration(seconds int) string {
	var parts []string
	if h := seconds / 3600; h > 0 {
		parts = append(parts, strconv.Itoa(h)+"h")
	}
	if m := seconds % 3600 / 60; m > 0 || len(parts) == 0 {
		parts = append(parts, strconv.Itoa(m)+"m")
	}
	return strings.Join(parts, " ")
}

// jiraHistoryJSON is the spec's Changelog: one entry of an issue's
// history.
type jiraHistoryJSON struct {
	ID      string           `json:"id"`
	Author  *jiraUserDetails `json:"author,omitempty"`
	Created string           `json:"created"`
	Items   []jiraChange     `json:"items"`
}

func (c *jiraCall) history(h jiraHistory) jiraHistoryJSON {
	c.objects++
	out := jiraHistoryJSON{ID: strconv.FormatInt(h.issue.entityID(h.j), 10), Created: jiraTime(h.created), Items: h.items}
	if h.author >= 0 {
		out.Author = c.user(h.author)
	}
	return out
}

// embeddedChangelog is expand=changelog: the newest entries first, as the
// spec describes it, at most limit of them.
func (c *jiraCall) embeddedChangelog(iss *jiraIssue, limit int) *jiraChangelogPage {
	n := min(iss.histories, limit)
	page := &jiraChangelogPage{MaxResults: n, Total: iss.histories, Histories: make([]jiraHistoryJSON, n)}
	for k := range n {
		page.Histories[k] = c.history(iss.history(c.me, iss.histories-1-k))
	}
	return page
}

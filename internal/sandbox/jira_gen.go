package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// jiraEpoch is just after the newest issue of every project.
var jiraEpoch = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// jiraStride is the time each issue has to itself: issue i lives in
// [epoch-(n-i)·stride, epoch-(n-i-1)·stride), created in the first
// quarter and last updated in the last. So key, id, created and updated
// all grow together, a date clause of JQL is a range of positions found
// by bisection, and an issue's comments, worklogs and changes all fall
// between its created and updated times.
const jiraStride = 90 * time.Minute

// What a generator draws for; each item has a stream of its own, so any
// comment of any issue can be built without the ones before it.
const (
	drawIssue = iota + 1
	drawTimes
	drawComment
	drawWorklog
	drawHistory
	drawUser
	drawExtra
)

// jiraRand returns the stream for one item. The position is mixed before
// it seeds the generator, so that neighbours do not start alike.
func jiraRand(seed uint64, site, kind, global, j int) *rand.Rand {
	pos := uint64(site)<<56 | uint64(kind)<<48 | uint64(global)<<16 | uint64(j) //nolint:gosec // all in range: site < 256, global < 2^24, j < 2^16
	return rand.New(rand.NewPCG(seed, splitmix(pos)))                           //nolint:gosec // test data must be reproducible, not secret
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// jiraMediaSeed is the seed of a project's media uuids and contents.
func jiraMediaSeed(seed uint64, slot int) uint64 {
	b := binary.BigEndian.AppendUint64([]byte("aumo-sandbox-jira-media"), seed)
	sum := sha256.Sum256(append(b, byte(slot))) //nolint:gosec // slot < MaxJiraProjects
	return binary.BigEndian.Uint64(sum[:8])
}

func jiraProjectName(seed uint64, key string) string {
	r := jiraRand(seed, 0, drawIssue, 0, 0)
	kinds := []string{"Platform", "Support", "Operations", "Mobile", "Billing"}
	return testTopics[r.IntN(len(testTopics))] + " " + kinds[r.IntN(len(kinds))] + " (" + key + ")"
}

// jiraTimes returns when issue i was created and last updated.
func jiraTimes(p *jiraProject, site, i int) (created, updated time.Time) {
	r := jiraRand(p.seed, site, drawTimes, p.slot*MaxJiraIssues+i, 0)
	base := jiraEpoch.Add(-time.Duration(p.n-i) * jiraStride)
	quarter := int64(jiraStride / 4)
	created = base.Add(time.Duration(r.Int64N(quarter))).Truncate(time.Millisecond)
	updated = base.Add(3*jiraStride/4 + time.Duration(r.Int64N(quarter))).Truncate(time.Millisecond)
	return created, updated
}

// jiraIssue is the part of an issue that is cheap to draw: everything but
// its comments, worklogs and changelog, of which only the counts.
type jiraIssue struct {
	jiraRef
	site             int
	created, updated time.Time
	// spanEnd ends the issue's own stretch of time, which its comments,
	// worklogs, changes and attachments keep to: updated as drawn,
	// before any EditJiraIssue.
	spanEnd time.Time

	vanished, forbidden, retriable bool

	summary                               string
	issueType, status, priority           int
	reporter, creator, assignee, reviewer int // positions in the user pool; -1 for none
	mention                               int
	labels                                []string
	storyPoints                           int // 0 for none
	hasDescription, hasNotes              bool
	sentence                              int
	attachments                           []jiraAttachmentGen
	comments, worklogs, histories         int
	extra                                 jiraExtra
}

type jiraAttachmentGen struct {
	issue         *jiraIssue
	j             int
	filename      string
	mimeType      string
	size          int64
	author        int
	created       time.Time
	width, height int // of images
}

func (a jiraAttachmentGen) id() int64 {
	return jiraIDBase + int64(a.issue.global())*jiraAttachmentStride + int64(a.j)
}

func (a jiraAttachmentGen) idString() string { return strconv.FormatInt(a.id(), 10) }

// special reports whether issue number n is one of every rate, counting
// from offset: n ≡ offset (mod rate).
func special(n, rate, offset int) bool { return rate > 0 && n%rate == offset%rate }

var (
	jiraSummaries = []string{
		"%s %s for %s",
		"Fix %[2]s export in %[3]s (%[1]s)",
		"%[3]s: %[1]s %[2]s <b>not</b> rendered & escaped",
		"Überprüfung: %s %s für %s — 日本語 ✓",
	}
	jiraLabels = []string{"backend", "frontend", "customer", "regression", "needs-triage", "säkerhet", "tech-debt"}
	jiraExts   = map[string]string{
		".pdf": "application/pdf", ".png": "image/png", ".txt": "text/plain", ".csv": "text/csv",
		".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		".zip":  "application/zip", ".json": "application/json", ".jpg": "image/jpeg", ".mp4": "video/mp4",
	}
)

// jiraMimeType guesses as Jira does, from the name; a fixed table keeps
// it the same on every machine, unlike mime.TypeByExtension.
func jiraMimeType(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		if t, ok := jiraExts[strings.ToLower(name[i:])]; ok {
			return t
		}
	}
	return "application/octet-stream"
}

// genJiraIssue draws issue ref as site shows it.
func genJiraIssue(ref jiraRef, site int) *jiraIssue {
	p, o, n := ref.p, ref.p.opts, ref.i+1
	r := jiraRand(p.seed, site, drawIssue, ref.global(), 0)
	iss := &jiraIssue{jiraRef: ref, site: site}
	iss.created, iss.updated = jiraTimes(p, site, ref.i)
	iss.spanEnd = iss.updated
	iss.vanished = special(n, o.VanishedEvery, 0)
	iss.forbidden = !iss.vanished && special(n, o.ForbiddenEvery, 0)
	iss.retriable = !iss.vanished && !iss.forbidden && special(n, o.RetriableErrorEvery, 0)

	iss.summary = fmt.Sprintf(jiraSummaries[r.IntN(len(jiraSummaries))], testAdjectives[r.IntN(len(testAdjectives))],
		testNouns[r.IntN(len(testNouns))], testTopics[r.IntN(len(testTopics))])
	if s, ok := jiraHostileSummaries[ref.i]; ok {
		iss.summary = s
	}
	iss.issueType = r.IntN(len(jiraIssueTypes))
	iss.status = r.IntN(len(jiraStatuses))
	iss.priority = r.IntN(len(jiraPriorities))
	iss.reporter = r.IntN(o.Users)
	iss.creator = iss.reporter
	if r.IntN(5) == 0 {
		iss.creator = r.IntN(o.Users)
	}
	iss.assignee, iss.reviewer = -1, -1
	if r.IntN(4) != 0 {
		iss.assignee = r.IntN(o.Users)
	}
	if r.IntN(3) == 0 {
		iss.reviewer = r.IntN(o.Users)
	}
	iss.mention = r.IntN(o.Users)
	for range r.IntN(4) {
		iss.labels = append(iss.labels, jiraLabels[r.IntN(len(jiraLabels))])
	}
	iss.labels = unique(iss.labels)
	if r.IntN(3) != 0 {
		iss.storyPoints = []int{1, 2, 3, 5, 8, 13}[r.IntN(6)]
	}
	iss.hasDescription = n%6 != 0
	iss.hasNotes = r.IntN(3) == 0
	iss.sentence = r.IntN(len(jiraSentences))
	iss.extra = drawJiraExtra(ref, site, jiraIssueTypes[iss.issueType].name == "Bug")

	names, hostile := hostileNames[ref.i%20]
	names = append([]string(nil), names...)
	if !hostile {
		for range o.MinAttachments + r.IntN(o.MaxAttachments-o.MinAttachments+1) {
			ext := testExtensions[r.IntN(len(testExtensions))]
			names = append(names, testNouns[r.IntN(len(testNouns))]+"-"+strconv.Itoa(r.IntN(1000))+ext)
		}
	}
	large := special(n, o.LargeAttachmentEvery, 0)
	if large {
		names = append(names, "recording-"+p.key+"-"+strconv.Itoa(n)+".mp4")
	}
	iss.attachments = make([]jiraAttachmentGen, len(names))
	for j, name := range names {
		a := jiraAttachmentGen{
			issue: iss, j: j, filename: name, mimeType: jiraMimeType(name), size: testSize(r),
			author: r.IntN(o.Users), created: iss.spread(j, len(names)),
		}
		if large && j == len(names)-1 {
			a.size = o.LargeAttachmentSize
		}
		if strings.HasPrefix(a.mimeType, "image/") {
			a.width, a.height = 200+r.IntN(1400), 150+r.IntN(900)
		}
		iss.attachments[j] = a
	}

	iss.comments = longOr(r, n, o.LongThreadEvery, 3, o.LongThreadComments, o.MaxComments)
	iss.worklogs = longOr(r, n, o.LongWorklogEvery, 4, o.LongWorklogs, o.MaxWorklogs)
	iss.histories = longOr(r, n, o.LongChangelogEvery, 5, o.LongChangelogHistories, o.MaxHistories)
	if e, ok := p.edits[ref.i]; ok {
		iss.updated = e.at
		iss.summary += strings.Repeat(jiraEditedSuffix, e.count)
	}
	return iss
}

// longOr draws how many items of a kind an issue has. The draw happens
// whether or not the issue is special, so that changing a rate leaves
// the other issues as they were.
func longOr(r *rand.Rand, n, rate, offset, long, most int) int {
	k := r.IntN(most + 1)
	if special(n, rate, offset) {
		return long
	}
	return k
}

// unique keeps the first of each value of s, in order, in place.
func unique[T comparable](s []T) []T {
	seen := map[T]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (iss *jiraIssue) key() string { return iss.p.key + "-" + strconv.Itoa(iss.i+1) }

// spread places item j of count evenly between the issue's created time
// and spanEnd, to the millisecond; the issue's span is long enough that
// items stay in order even at 9999 of a kind.
func (iss *jiraIssue) spread(j, count int) time.Time {
	span := iss.spanEnd.Sub(iss.created)
	return iss.created.Add(span * time.Duration(j+1) / time.Duration(count+1)).Truncate(time.Millisecond)
}

func (iss *jiraIssue) mediaUUID(j int) string {
	return mediaUUID(iss.p.mediaSeed, iss.site, iss.global(), j)
}

func (iss *jiraIssue) content(j int) io.Reader {
	return testContent(iss.p.mediaSeed, iss.site, iss.global(), j, iss.attachments[j].size)
}

// entityID is the id of item j of a kind (comment, worklog, changelog).
func (iss *jiraIssue) entityID(j int) int64 {
	return jiraIDBase + int64(iss.global())*jiraPerIssueStride + int64(j)
}

// jiraUser is one account of the user pool.
type jiraUser struct {
	accountID   string
	name        string
	email       string // "" when hidden: the API shows null
	timeZone    string // "" when hidden: the API leaves it out
	accountType string
	active      bool
}

// jiraUserSeed makes the pool the same for every project, seed and site,
// as accounts are the same across a tenant's products.
const jiraUserSeed = 0x6a697261_75736572

var (
	jiraFirstNames = []struct{ shown, ascii string }{
		{"Zoë", "zoe"}, {"Łukasz", "lukasz"}, {"José", "jose"}, {"Siobhán", "siobhan"}, {"Nguyễn", "nguyen"},
		{"Priya", "priya"}, {"Olu", "olu"}, {"Mei", "mei"}, {"Björn", "bjorn"}, {"Amélie", "amelie"},
		{"Tariq", "tariq"}, {"Grace", "grace"}, {"Hiroshi", "hiroshi"}, {"Ines", "ines"},
	}
	jiraLastNames = []string{"Ångström", "O'Brien", "Müller", "Okafor", "Tanaka", "García", "Kowalski", "Smith", "Nakamura", "Dubois"}
	jiraTimeZones = []string{"Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata"}
)

// jiraUserAt returns user k of the pool; user 0 is me, the signed-in
// user.
func jiraUserAt(me User, k int) jiraUser {
	if k == 0 {
		return jiraUser{accountID: me.AccountID, name: me.Name, email: me.Email, timeZone: "Europe/London", accountType: "atlassian", active: true}
	}
	r := jiraRand(jiraUserSeed, 0, drawUser, 0, k)
	u := jiraUser{accountType: "atlassian", active: true}
	switch {
	case k%3 == 1 || k == 9:
		u.accountID = "557058:" + randomUUID(r)
	case k%7 == 5:
		u.accountID = "712020:" + randomUUID(r)
	default:
		var b [12]byte
		fillRandom(r, b[:])
		u.accountID = hex.EncodeToString(b[:])
	}
	first := jiraFirstNames[r.IntN(len(jiraFirstNames))]
	last := jiraLastNames[r.IntN(len(jiraLastNames))]
	u.name = first.shown + " " + last
	u.email = first.ascii + "." + strconv.Itoa(k) + "@example.com"
	u.timeZone = jiraTimeZones[r.IntN(len(jiraTimeZones))]
	switch {
	case k == 7:
		// Display names are not unique: this one repeats user 1's.
		u.name = jiraUserAt(me, 1).name
	case k == 8:
		u.name, u.email, u.timeZone, u.active = "Former user", "", "", false
	case k == 9:
		u.name, u.email, u.timeZone, u.accountType = "Automation for Jira", "", "", "app"
	case k%4 == 2:
		u.email, u.timeZone = "", ""
	}
	return u
}

func fillRandom(r *rand.Rand, b []byte) {
	var word [8]byte
	for i := 0; i < len(b); i += len(word) {
		binary.LittleEndian.PutUint64(word[:], r.Uint64())
		copy(b[i:], word[:])
	}
}

func randomUUID(r *rand.Rand) string {
	var u [16]byte
	fillRandom(r, u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return hex.EncodeToString(u[0:4]) + "-" + hex.EncodeToString(u[4:6]) + "-" + hex.EncodeToString(u[6:8]) +
		"-" + hex.EncodeToString(u[8:10]) + "-" + hex.EncodeToString(u[10:16])
}

// jiraStatus is a workflow status and its category.
type jiraStatus struct {
	id, name           string
	categoryID         int
	categoryKey, color string
}

// Fixed tables of the generated issues, with Jira's usual ids.
var (
	jiraIssueTypes = []struct{ id, name, description string }{
		{"10001", "Task", "A small, distinct piece of work."},
		{"10002", "Bug", "A problem or error."},
		{"10003", "Story", "Functionality or a feature expressed as a user goal."},
		{"10004", "Epic", "A collection of related bugs, stories, and tasks."},
	}
	jiraStatuses = []jiraStatus{
		{"10000", "To Do", 2, "new", "blue-gray"},
		{"3", "In Progress", 4, "indeterminate", "yellow"},
		{"10001", "Done", 3, "done", "green"},
	}
	jiraPriorities = []struct{ id, name, color string }{
		{"1", "Highest", "#d04437"}, {"2", "High", "#f15C75"}, {"3", "Medium", "#f79232"},
		{"4", "Low", "#707070"}, {"5", "Lowest", "#999999"},
	}
)

// jiraSentences are the text of bodies; some carry what must be escaped
// in HTML or survive a round trip through UTF-8.
var jiraSentences = []string{
	"Reproduced on the staging site after the last deploy.",
	"Steps: open the report, click <Export> & wait — nothing happens.",
	"Customer says \"it worked yesterday\"; logs attached.",
	"Ünïcödé check: 日本語, العربية, emoji 📎 and a tab\there.",
	"Looks fine to me, closing once CI is green.",
	"Can we split this? It touches billing, search and the mobile app.",
}

// jiraComment, jiraWorklog and jiraHistory are drawn one at a time.
type jiraComment struct {
	issue            *jiraIssue
	j                int
	author, editor   int
	created, updated time.Time
	text             string
	mention          int // -1 for none
	restricted       bool
}

func (iss *jiraIssue) comment(j int) jiraComment {
	o := iss.p.opts
	r := jiraRand(iss.p.seed, iss.site, drawComment, iss.global(), j)
	c := jiraComment{issue: iss, j: j, author: r.IntN(o.Users), mention: -1}
	c.editor = c.author
	c.created = iss.spread(j, iss.comments)
	c.updated = c.created
	c.text = jiraSentences[r.IntN(len(jiraSentences))]
	if r.IntN(3) == 0 {
		c.mention = r.IntN(o.Users)
	}
	if r.IntN(6) == 0 {
		c.updated = c.created.Add(time.Duration(1+r.IntN(120)) * time.Second)
	}
	c.restricted = j%11 == 5
	return c
}

type jiraWorklog struct {
	issue            *jiraIssue
	j                int
	author           int
	created, started time.Time
	seconds          int
	text             string // "" for none
}

func (iss *jiraIssue) worklog(j int) jiraWorklog {
	o := iss.p.opts
	r := jiraRand(iss.p.seed, iss.site, drawWorklog, iss.global(), j)
	wl := jiraWorklog{issue: iss, j: j, author: r.IntN(o.Users)}
	wl.created = iss.spread(j, iss.worklogs)
	wl.started = wl.created.Add(-time.Duration(1+r.IntN(8)) * time.Hour)
	wl.seconds = (1 + r.IntN(16)) * 900
	if r.IntN(2) == 0 {
		wl.text = jiraSentences[r.IntN(len(jiraSentences))]
	}
	return wl
}

// jiraChange is one item of a changelog entry, as Jira shows it; from and
// to are nil where Jira shows null.
type jiraChange struct {
	Field      string  `json:"field"`
	FieldType  string  `json:"fieldtype"`
	FieldID    string  `json:"fieldId"`
	From       *string `json:"from"`
	FromString *string `json:"fromString"`
	To         *string `json:"to"`
	ToString   *string `json:"toString"`
}

type jiraHistory struct {
	issue   *jiraIssue
	j       int
	author  int // -1 for a change the system made, which has no author
	created time.Time
	items   []jiraChange
}

func nullable(s string) *string { return &s }

func (iss *jiraIssue) history(me User, j int) jiraHistory {
	o := iss.p.opts
	r := jiraRand(iss.p.seed, iss.site, drawHistory, iss.global(), j)
	h := jiraHistory{issue: iss, j: j, author: r.IntN(o.Users), created: iss.spread(j, iss.histories)}
	if r.IntN(10) == 0 {
		h.author = -1
	}
	user := func() (*string, *string) {
		if r.IntN(4) == 0 {
			return nil, nil
		}
		u := jiraUserAt(me, r.IntN(o.Users))
		return nullable(u.accountID), nullable(u.name)
	}
	for range 1 + r.IntN(2) {
		var c jiraChange
		switch r.IntN(8) {
		case 0, 1:
			from, to := jiraStatuses[r.IntN(len(jiraStatuses))], jiraStatuses[r.IntN(len(jiraStatuses))]
			c = jiraChange{"status", "jira", "status", nullable(from.id), nullable(from.name), nullable(to.id), nullable(to.name)}
		case 2, 3:
			// User-valued: from and to are account ids.
			c = jiraChange{Field: "assignee", FieldType: "jira", FieldID: "assignee"}
			c.From, c.FromString = user()
			c.To, c.ToString = user()
		case 4:
			c = jiraChange{Field: "summary", FieldType: "jira", FieldID: "summary",
				FromString: nullable(jiraSentences[r.IntN(len(jiraSentences))]), ToString: nullable(iss.summary)}
		case 5:
			c = jiraChange{Field: "Story point estimate", FieldType: "custom", FieldID: "customfield_10016",
				FromString: nullable(strconv.Itoa(1 + r.IntN(8))), ToString: nullable(strconv.Itoa(1 + r.IntN(13)))}
		case 6:
			c = jiraChange{Field: "Reviewer", FieldType: "custom", FieldID: "customfield_10030"}
			c.From, c.FromString = user()
			c.To, c.ToString = user()
		default:
			if len(iss.attachments) == 0 {
				p := jiraPriorities[r.IntN(len(jiraPriorities))]
				c = jiraChange{"priority", "jira", "priority", nullable("3"), nullable("Medium"), nullable(p.id), nullable(p.name)}
				break
			}
			a := iss.attachments[r.IntN(len(iss.attachments))]
			c = jiraChange{Field: "Attachment", FieldType: "jira", FieldID: "attachment", To: nullable(a.idString()), ToString: nullable(a.filename)}
		}
		h.items = append(h.items, c)
	}
	return h
}

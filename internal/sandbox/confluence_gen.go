package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// confluenceEpoch is just after the newest content of every space.
var confluenceEpoch = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// confluenceStride is the time each page, folder and blog post has to
// itself: the k-th of T is created in [epoch-(T-k)·stride, +stride/4),
// so creation follows ids; edits come later and in another order.
const confluenceStride = 90 * time.Minute

// confluenceLargeOffset places the large attachments: pages 199, 399, …
// at the default rate, never a trashed or restricted one then, and none
// in the small spaces of tests and demos.
const confluenceLargeOffset = 199

// What the Confluence generator draws for, apart from Jira's kinds.
const (
	drawCfShape = iota + 16
	drawCfContent
	drawCfComments
	drawCfBody
	drawCfName
)

// cfRand returns the stream for one item of a space.
func cfRand(sp *confluenceSpace, site, kind, ord int) *rand.Rand {
	return jiraRand(sp.seed, site, kind, sp.slot<<20|ord, 0)
}

// confluenceMediaSeed is the seed of a space's file ids and contents.
func confluenceMediaSeed(seed uint64, slot int) uint64 {
	b := binary.BigEndian.AppendUint64([]byte("aumo-sandbox-confluence-media"), seed)
	sum := sha256.Sum256(append(b, byte(slot))) //nolint:gosec // slot < MaxConfluenceSpaces
	return binary.BigEndian.Uint64(sum[:8])
}

func confluenceSpaceName(seed uint64, key string) string {
	r := jiraRand(seed, 0, drawCfName, 0, 0)
	kinds := []string{"Handbook", "Engineering", "Knowledge Base", "Team Space", "Wiki"}
	return testTopics[r.IntN(len(testTopics))] + " " + kinds[r.IntN(len(kinds))] + " (" + key + ")"
}

// cfKind is the type of a piece of content.
type cfKind int

const (
	kindPage cfKind = iota + 1
	kindBlogPost
	kindFolder
	kindComment
	kindAttachment
)

// String is the kind as Confluence names content types.
func (k cfKind) String() string {
	switch k {
	case kindPage:
		return "page"
	case kindBlogPost:
		return "blogpost"
	case kindFolder:
		return "folder"
	case kindComment:
		return "comment"
	case kindAttachment:
		return "attachment"
	}
	return "unknown"
}

// cfData is one site's copy of a space. It never changes once built,
// its changes (cfChange) replayed.
type cfData struct {
	sp      *confluenceSpace
	site    int
	created time.Time // of the space
	author  int
	pages   []*cfContent // in position order
	blogs   []*cfContent
	folders []*cfContent
	items   []cfItem // everything, in id order
	byID    map[int64]cfItem
	high    int64 // the highest id the copy ever held, deleted or not
}

// cfItem is one piece of content of any kind: c alone for a page, blog
// post or folder; c and cm for a comment of c; c and a for an attachment.
type cfItem struct {
	c  *cfContent
	cm *cfComment
	a  *cfAttachment
}

func (it cfItem) kind() cfKind {
	switch {
	case it.cm != nil:
		return kindComment
	case it.a != nil:
		return kindAttachment
	}
	return it.c.kind
}

func (it cfItem) id() int64 {
	switch {
	case it.cm != nil:
		return it.cm.id
	case it.a != nil:
		return it.a.id
	}
	return it.c.id
}

// idString is the item's id as the API writes it.
func (it cfItem) idString() string {
	if it.a != nil {
		return it.a.idString()
	}
	return strconv.FormatInt(it.id(), 10)
}

func (it cfItem) created() time.Time {
	switch {
	case it.cm != nil:
		return it.cm.created
	case it.a != nil:
		return it.a.created
	}
	return it.c.created
}

func (it cfItem) updated() time.Time {
	switch {
	case it.cm != nil:
		return it.cm.updated
	case it.a != nil:
		return it.a.created
	}
	return it.c.updated
}

func (it cfItem) title() string {
	switch {
	case it.cm != nil:
		return "Re: " + it.c.title
	case it.a != nil:
		return it.a.filename
	}
	return it.c.title
}

// cfContent is a page, blog post or folder.
type cfContent struct {
	d          *cfData
	kind       cfKind
	id         int64
	ord        int // position among its kind
	mediaIndex int // pages 0…n-1, blog posts n…: the container's place in file ids
	title      string

	parent   *cfContent // nil for the home page and blog posts
	children []*cfContent
	position int
	depth    int

	created, updated time.Time
	version          int
	author, editor   int
	owner, lastOwner int // lastOwner -1 for none

	trashed, restricted bool
	deleted             bool // by DeleteConfluencePage
	edits               int  // by EditConfluencePage
	// linkTo is the page the body links to when it is no longer the one
	// linkTarget would find: the parent before it was deleted.
	linkTo *cfContent

	labels      []cfLabel
	footer      []*cfComment // root comments
	inline      []*cfComment
	allComments []*cfComment // roots and replies, in id order
	attachments []*cfAttachment
}

func (c *cfContent) idString() string { return strconv.FormatInt(c.id, 10) }

// hidden reports whether no route shows c's own content: restricted,
// deleted, or (unless the route asks for it) trashed.
func (c *cfContent) hidden() bool { return c.restricted || c.trashed || c.deleted }

// cfLabel is one label of a page or blog post: an index into
// confluenceLabelNames, which fixes its id, and its prefix.
type cfLabel struct {
	name   int
	prefix string
}

func (l cfLabel) id() string { return strconv.Itoa(confluenceLabelIDBase + l.name) }

// confluenceLabelNames is the vocabulary labels come from: Jira's labels
// and adjective-noun pairs, enough for the pages with many labels.
var confluenceLabelNames = func() []string {
	names := append([]string(nil), jiraLabels...)
	for _, a := range testAdjectives {
		for _, n := range testNouns {
			names = append(names, strings.ToLower(a)+"-"+n)
		}
	}
	return names
}()

type cfComment struct {
	container        *cfContent
	id               int64
	parent           *cfComment
	replies          []*cfComment
	inline           bool
	created, updated time.Time
	version          int
	author           int
	sentence         int
	text             string // instead of the sentence, if set
	mention          int    // -1 for none
	// Inline comments: resolution status, the marker in the page and
	// the text it highlights (a reply shares its root's).
	resolution           string
	markerRef, selection string
}

func (cm *cfComment) idString() string { return strconv.FormatInt(cm.id, 10) }

// bodyText is the text of the comment's body.
func (cm *cfComment) bodyText() string {
	if cm.text != "" {
		return cm.text
	}
	return jiraSentences[cm.sentence]
}

func (cm *cfComment) location() string {
	if cm.inline {
		return "inline"
	}
	return "footer"
}

type cfAttachment struct {
	container     *cfContent
	id            int64
	j             int
	filename      string
	mediaType     string
	size          int64
	created       time.Time
	author        int
	comment       string
	fileID        string
	width, height int // of images
}

func (a *cfAttachment) idString() string { return "att" + strconv.FormatInt(a.id, 10) }

func (a *cfAttachment) content() io.Reader {
	d := a.container.d
	return testContent(d.sp.mediaSeed, d.site, a.container.mediaIndex, a.j, a.size)
}

var (
	confluenceTitles = []string{
		"%s %s for %s",
		"Runbook: %[3]s %[2]s & <%[1]s> checks",
		"Überblick — %s %s (%s) 日本語",
		"%[3]s/%[2]s: notes on \"%[1]s\" work",
	}
	confluenceInlineResolutions = []string{"open", "open", "resolved", "reopened", "dangling"}
)

// confluenceMediaDescriptions are mediaTypeDescription by media type.
var confluenceMediaDescriptions = map[string]string{
	"application/pdf": "PDF Document", "image/png": "PNG Image", "image/jpeg": "JPEG Image", "text/plain": "Text File",
	"text/csv": "CSV File", "application/zip": "Zip Archive", "application/json": "JSON File", "video/mp4": "MP4 Video",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Microsoft Word Document",
}

// genConfluence builds site's copy of sp. Pages, folders and blog posts
// are created in one order that interleaves them; each takes the next
// id, followed by its attachments and comments.
func genConfluence(sp *confluenceSpace, site int) *cfData {
	o := sp.opts
	n, nf, nb := sp.pages, o.Folders, o.BlogPosts
	d := &cfData{sp: sp, site: site, byID: make(map[int64]cfItem, n*4)}

	// The creation order, by a position four times a page's: folders
	// come between pages, blog posts right after one.
	type event struct {
		pos  int
		kind cfKind
		ord  int
	}
	events := make([]event, 0, n+nf+nb)
	for i := range n {
		events = append(events, event{4 * i, kindPage, i})
	}
	for f := range nf {
		events = append(events, event{4*(1+f*max(n-1, 1)/nf) - 2, kindFolder, f})
	}
	for b := range nb {
		events = append(events, event{4*(b*n/nb) + 1, kindBlogPost, b})
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.pos - b.pos })

	total := len(events)
	shape := cfRand(sp, site, drawCfShape, 0)
	d.created = confluenceEpoch.Add(-time.Duration(total+1) * confluenceStride)
	d.author = shape.IntN(o.Users)
	seq := int64(confluenceIDBase + confluenceSlotStride*sp.slot)
	next := func() int64 { seq++; return seq }

	var (
		containers []*cfContent // pages and folders that may take children
		last       *cfContent   // the newest of them
		lastFolder *cfContent
		newFolder  *cfContent // a folder created since the last page
	)
	eligible := func(c *cfContent) {
		if c.depth < o.MaxDepth && !c.hidden() {
			containers = append(containers, c)
			last = c
		}
	}
	pick := func() *cfContent {
		if shape.IntN(2) == 0 {
			return last
		}
		return containers[shape.IntN(len(containers))]
	}
	for k, ev := range events {
		base := confluenceEpoch.Add(-time.Duration(total-k) * confluenceStride)
		c := d.newContent(ev.kind, ev.ord, base, next())
		switch ev.kind {
		case kindPage:
			if ev.ord > 0 {
				parent := newFolder
				if parent == nil || parent.depth >= o.MaxDepth {
					parent = pick()
				}
				c.setParent(parent)
			}
			newFolder = nil
			d.pages = append(d.pages, c)
			eligible(c)
		case kindFolder:
			parent := pick()
			if ev.ord%3 == 2 && lastFolder != nil && lastFolder.depth < o.MaxDepth {
				parent = lastFolder
			}
			c.setParent(parent)
			d.folders = append(d.folders, c)
			eligible(c)
			lastFolder, newFolder = c, c
		case kindBlogPost:
			d.blogs = append(d.blogs, c)
		}
		d.add(cfItem{c: c})
		if ev.kind != kindFolder {
			d.fill(c, next)
		}
	}
	d.retitle()
	d.high = seq
	return d
}

func (d *cfData) add(it cfItem) {
	d.items = append(d.items, it)
	d.byID[it.id()] = it
}

func (c *cfContent) setParent(p *cfContent) {
	c.parent, c.depth, c.position = p, p.depth+1, len(p.children)
	p.children = append(p.children, c)
}

// newContent draws what every page, folder and blog post has.
func (d *cfData) newContent(kind cfKind, ord int, base time.Time, id int64) *cfContent {
	sp, o := d.sp, d.sp.opts
	c := &cfContent{d: d, kind: kind, id: id, ord: ord, mediaIndex: ord, lastOwner: -1}
	if kind == kindBlogPost {
		c.mediaIndex = sp.pages + ord
	}
	r := cfRand(sp, d.site, drawCfContent, int(kind)<<16|ord)
	n := ord + 1
	if kind == kindPage && ord > 0 {
		c.trashed = special(n, o.TrashedEvery, 0)
		c.restricted = !c.trashed && special(n, o.RestrictedEvery, 0)
	}
	adj, noun, topic := testAdjectives[r.IntN(len(testAdjectives))], testNouns[r.IntN(len(testNouns))], testTopics[r.IntN(len(testTopics))]
	switch {
	case kind == kindPage && ord == 0:
		c.title = sp.name + " Home"
	case kind == kindPage:
		c.title = strings.TrimSpace(fmt.Sprintf(confluenceTitles[r.IntN(len(confluenceTitles))], adj, noun, topic)) + " " + strconv.Itoa(n)
	case kind == kindBlogPost:
		c.title = "Weekly notes: " + adj + " " + noun + " for " + topic + " #" + strconv.Itoa(n)
	default:
		c.title = topic + " " + noun + "s (folder " + strconv.Itoa(n) + ")"
	}
	c.created = base.Add(time.Duration(r.Int64N(int64(confluenceStride / 4)))).Truncate(time.Millisecond)
	c.updated = c.created
	c.version = 1
	if kind != kindFolder && r.IntN(3) != 0 {
		c.version = 2 + r.IntN(6)
		late := time.Duration(0)
		if r.IntN(5) == 0 {
			late = time.Duration(r.Int64N(int64(20 * 24 * time.Hour)))
		}
		c.updated = c.created.Add(confluenceStride/4 + time.Duration(r.Int64N(int64(confluenceStride/2))) + late).Truncate(time.Millisecond)
		if c.updated.After(confluenceEpoch) {
			c.updated = confluenceEpoch
		}
	}
	c.author = r.IntN(o.Users)
	c.editor, c.owner = c.author, c.author
	if r.IntN(3) == 0 {
		c.editor = r.IntN(o.Users)
	}
	if r.IntN(3) == 0 {
		c.lastOwner, c.owner = c.author, r.IntN(o.Users)
	}
	return c
}

// fill draws the labels, attachments and comments of a page or blog
// post, giving each the next id.
func (d *cfData) fill(c *cfContent, next func() int64) {
	sp, o := d.sp, d.sp.opts
	r := cfRand(sp, d.site, drawCfContent, 1<<19|c.mediaIndex)
	n := c.ord + 1
	page := c.kind == kindPage

	count := r.IntN(o.MaxLabels + 1)
	if page && special(n, o.ManyLabelsEvery, 3) {
		count = o.ManyLabels
	}
	for _, name := range r.Perm(len(confluenceLabelNames))[:min(count, len(confluenceLabelNames))] {
		prefix := "global"
		if r.IntN(10) == 0 {
			prefix = "my"
		}
		c.labels = append(c.labels, cfLabel{name, prefix})
	}
	slices.SortFunc(c.labels, func(a, b cfLabel) int { return a.name - b.name })

	var names []string
	plain := r.IntN(100) < o.AttachmentPercent
	if hostile, ok := hostileNames[c.ord%20]; page && ok && o.AttachmentPercent > 0 {
		names = append(names, hostile...)
	} else if plain {
		m := 1 + r.IntN(o.MaxAttachments)
		names = append(names, "diagram-"+strconv.Itoa(r.IntN(1000))+".png")
		for range m - 1 {
			names = append(names, testNouns[r.IntN(len(testNouns))]+"-"+strconv.Itoa(r.IntN(1000))+testExtensions[r.IntN(len(testExtensions))])
		}
	}
	large := page && special(n, o.LargeAttachmentEvery, confluenceLargeOffset)
	if large {
		names = append(names, "recording-"+sp.key+"-"+strconv.Itoa(n)+".mp4")
	}
	for j, name := range names {
		a := &cfAttachment{
			container: c, id: next(), j: j, filename: name, mediaType: jiraMimeType(name), size: testSize(r),
			author:  r.IntN(o.Users),
			created: c.created.Add(confluenceStride * time.Duration(j+1) / time.Duration(8*(len(names)+1))).Truncate(time.Millisecond),
			fileID:  mediaUUID(sp.mediaSeed, d.site, c.mediaIndex, j),
		}
		if large && j == len(names)-1 {
			a.size = o.LargeAttachmentSize
		}
		if r.IntN(4) == 0 {
			a.comment = "Uploaded from the mobile app"
		}
		if strings.HasPrefix(a.mediaType, "image/") {
			a.width, a.height = 200+r.IntN(1400), 150+r.IntN(900)
		}
		c.attachments = append(c.attachments, a)
		d.add(cfItem{c: c, a: a})
	}

	rc := cfRand(sp, d.site, drawCfComments, c.mediaIndex)
	has := r.IntN(100) < o.CommentPercent
	switch {
	case page && special(n, o.LongThreadEvery, 4):
		d.thread(c, rc, max(o.LongThreadComments/4, 1), o.LongThreadComments, next)
	case has:
		d.thread(c, rc, 1+rc.IntN(o.MaxComments), 0, next)
	}
	if special(n, o.InlineCommentEvery, 2) {
		for range 1 + rc.IntN(3) {
			root := d.newComment(c, nil, true, rc, next)
			root.resolution = confluenceInlineResolutions[rc.IntN(len(confluenceInlineResolutions))]
			root.markerRef = randomUUID(rc)
			words := strings.Fields(jiraSentences[rc.IntN(len(jiraSentences))])
			root.selection = strings.Join(words[:min(3, len(words))], " ")
			c.inline = append(c.inline, root)
			if rc.IntN(2) == 0 {
				reply := d.newComment(c, root, true, rc, next)
				reply.resolution, reply.markerRef, reply.selection = root.resolution, root.markerRef, root.selection
			}
		}
	}
	// Comments come after the content, in id order, and keep to its
	// first stretch of time, however many there are.
	span := confluenceStride * 3 / 4
	for j, cm := range c.allComments {
		cm.created = c.created.Add(span * time.Duration(j+1) / time.Duration(len(c.allComments)+1)).Truncate(time.Millisecond)
		cm.updated = cm.created
		if cm.version > 1 {
			cm.updated = cm.created.Add(time.Duration(1+rc.IntN(120)) * time.Second)
		}
	}
}

// thread draws footer comments: roots first, then replies. With total 0
// each root has replies at ReplyPercent and those replies of their own;
// otherwise replies go to earlier comments at random until there are
// total comments.
func (d *cfData) thread(c *cfContent, rc *rand.Rand, roots, total int, next func() int64) {
	o := d.sp.opts
	for range roots {
		c.footer = append(c.footer, d.newComment(c, nil, false, rc, next))
	}
	if total > 0 {
		for len(c.allComments) < total {
			parent := c.allComments[rc.IntN(len(c.allComments))]
			if depthOf(parent) >= 3 {
				parent = c.footer[rc.IntN(len(c.footer))]
			}
			d.newComment(c, parent, false, rc, next)
		}
		return
	}
	for _, root := range c.footer {
		if rc.IntN(100) >= o.ReplyPercent {
			continue
		}
		for range 1 + rc.IntN(3) {
			reply := d.newComment(c, root, false, rc, next)
			if rc.IntN(100) < 30 {
				for range 1 + rc.IntN(2) {
					d.newComment(c, reply, false, rc, next)
				}
			}
		}
	}
}

func depthOf(cm *cfComment) int {
	n := 0
	for ; cm.parent != nil; cm = cm.parent {
		n++
	}
	return n
}

func (d *cfData) newComment(c *cfContent, parent *cfComment, inline bool, rc *rand.Rand, next func() int64) *cfComment {
	o := d.sp.opts
	cm := &cfComment{container: c, id: next(), parent: parent, inline: inline, version: 1, mention: -1}
	cm.author = rc.IntN(o.Users)
	cm.sentence = rc.IntN(len(jiraSentences))
	if rc.IntN(3) == 0 {
		cm.mention = rc.IntN(o.Users)
	}
	if rc.IntN(6) == 0 {
		cm.version = 2
	}
	if parent != nil {
		parent.replies = append(parent.replies, cm)
	}
	c.allComments = append(c.allComments, cm)
	d.add(cfItem{c: c, cm: cm})
	return cm
}

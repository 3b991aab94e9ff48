package sandbox

import (
	"slices"
	"strconv"
	"time"
)

// What EditConfluencePage and AddConfluenceComment write.
const (
	confluenceEditedParagraph = "Edited."
	confluenceNewComment      = "A new comment."
)

// cfChangeKind is what a test did to a page or blog post.
type cfChangeKind int

const (
	changeEdit cfChangeKind = iota + 1
	changeComment
	changeDelete
)

// cfChange is one change of a space since SetConfluenceSpace. A space
// keeps them in order and each site's copy replays them once generated,
// so that cfData stays immutable once built.
type cfChange struct {
	kind      cfChangeKind
	id        int64 // of the page or blog post
	at        time.Time
	commentID int64 // of the comment changeComment adds
}

// EditConfluencePage makes the page or blog post id edited now, by the
// server's clock and the signed-in user, on every site where the id
// names one: its version number goes up by one, the version's time (v2
// version.createdAt, v1 version.when, lastModified and CQL's
// lastmodified) becomes now, and its body, in storage and ADF alike,
// gains a paragraph "Edited." at the end, once per edit. Its title,
// place in the tree, labels, comments and attachments stay as they
// were. The edit lasts until the next SetConfluenceSpace of the space.
// EditConfluencePage returns false if the id names no page or blog post
// (folders, comments and attachments do not count), or it was deleted.
func (s *Server) EditConfluencePage(id string) bool {
	_, ok := s.changeConfluence(id, changeEdit)
	return ok
}

// AddConfluenceComment adds a footer comment by the signed-in user,
// created now with the body "A new comment.", to the page or blog post
// pageID on every site where the id names one, and returns its id, which
// no generated content of the space has. The comment is a root comment,
// last of the page's footer comments; it shows wherever the page's
// comments do: CQL search (type = comment, container, lastmodified),
// the v2 comment lists, ConfluenceItemAt, and childTypes.comment. As in
// Confluence, the page itself is not changed: its version and
// lastmodified stay. The comment lasts until the next
// SetConfluenceSpace of the space. ok is false if pageID names no page
// or blog post, or it was deleted.
func (s *Server) AddConfluenceComment(pageID string) (commentID string, ok bool) {
	id, ok := s.changeConfluence(pageID, changeComment)
	if !ok {
		return "", false
	}
	return strconv.FormatInt(id, 10), true
}

// DeleteConfluencePage purges the page or blog post id on every site
// where the id names one: CQL search, the v2 lists and
// ConfluenceSpaceAt leave it out, with its comments and attachments;
// its v2 routes, their lists, its downloads and its media links answer
// 404, as does every comment and attachment it held. A deleted page's
// children, pages and folders, move to its parent, after the parent's
// own children, as Confluence moves them; their versions stay, and
// their bodies still link to the deleted page where they did. The home
// page cannot be deleted. The deletion lasts until the next
// SetConfluenceSpace of the space. DeleteConfluencePage returns false
// if the id names no page or blog post, or only the home page, or it
// was deleted already.
func (s *Server) DeleteConfluencePage(id string) bool {
	_, ok := s.changeConfluence(id, changeDelete)
	return ok
}

// changeConfluence records a change of the page or blog post id and
// replaces its space with a copy that holds it, so that requests under
// way keep the space they began with. It returns the new comment's id
// for changeComment.
func (s *Server) changeConfluence(id string, kind cfChangeKind) (int64, bool) {
	v, ok := parseCanonical(id)
	if !ok || v < confluenceIDBase {
		return 0, false
	}
	slot := (v - confluenceIDBase) / confluenceSlotStride
	if slot >= MaxConfluenceSpaces {
		return 0, false
	}
	ch := cfChange{kind: kind, id: v, at: s.now()}
	for {
		s.mu.Lock()
		sp := s.gw.confluence.spaces[slot]
		s.mu.Unlock()
		if sp == nil {
			return 0, false
		}
		// Every site's copy as it is now: whether the id is one to
		// change there, and the highest id any of them gave out.
		found, high := false, int64(0)
		for site := range sp.sites {
			d := sp.data(site)
			high = max(high, d.high)
			found = found || d.changeTarget(ch) != nil
		}
		if !found {
			return 0, false
		}
		if kind == changeComment {
			ch.commentID = high + 1
			if ch.commentID >= confluenceIDBase+confluenceSlotStride*(slot+1) {
				return 0, false
			}
		}
		next := *sp
		next.changes = append(slices.Clip(sp.changes), ch)
		next.sites = make([]confluenceSiteData, len(sp.sites))
		s.mu.Lock()
		if s.gw.confluence.spaces[slot] == sp {
			s.gw.confluence.spaces[slot] = &next
			s.mu.Unlock()
			return ch.commentID, true
		}
		// Another change or SetConfluenceSpace came first: start over
		// from the space as it is now.
		s.mu.Unlock()
	}
}

// changeTarget is the page or blog post ch changes on this site, or nil
// if the id names none here (or only the home page, for a deletion).
func (d *cfData) changeTarget(ch cfChange) *cfContent {
	it, ok := d.byID[ch.id]
	if !ok || it.cm != nil || it.a != nil || it.c.kind == kindFolder {
		return nil
	}
	if ch.kind == changeDelete && it.c.kind == kindPage && it.c.ord == 0 {
		return nil
	}
	return it.c
}

// apply replays ch on a copy being built.
func (d *cfData) apply(ch cfChange) {
	c := d.changeTarget(ch)
	if c == nil {
		return
	}
	switch ch.kind {
	case changeEdit:
		c.version++
		c.updated = ch.at
		c.editor = 0
		c.edits++
	case changeComment:
		cm := &cfComment{container: c, id: ch.commentID, version: 1, mention: -1, created: ch.at, updated: ch.at,
			text: confluenceNewComment}
		c.footer = append(c.footer, cm)
		c.allComments = append(c.allComments, cm)
		// The id is above every other, so items stay in id order.
		d.add(cfItem{c: c, cm: cm})
		d.high = max(d.high, cm.id)
	case changeDelete:
		d.remove(c)
	}
}

// remove purges c with its comments and attachments, and moves its
// children to its parent.
func (d *cfData) remove(c *cfContent) {
	c.deleted = true
	gone := map[int64]bool{c.id: true}
	for _, a := range c.attachments {
		gone[a.id] = true
	}
	for _, cm := range c.allComments {
		gone[cm.id] = true
	}
	for id := range gone {
		delete(d.byID, id)
	}
	d.items = slices.DeleteFunc(d.items, func(it cfItem) bool { return gone[it.id()] })

	p := c.parent
	if p == nil {
		return
	}
	p.children = slices.DeleteFunc(p.children, func(ch *cfContent) bool { return ch == c })
	next := 0
	for _, ch := range p.children {
		next = max(next, ch.position+1)
	}
	for _, ch := range c.children {
		// A body keeps its link to the page it linked to.
		if ch.linkTo == nil {
			ch.linkTo = ch.linkTarget()
		}
		ch.parent, ch.position = p, next
		next++
		ch.setDepth(p.depth + 1)
		p.children = append(p.children, ch)
	}
	c.children = nil
}

func (c *cfContent) setDepth(depth int) {
	c.depth = depth
	for _, ch := range c.children {
		ch.setDepth(depth + 1)
	}
}

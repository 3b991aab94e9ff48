package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// leftovers renders content found inside an element that should have none
// (text swallowed by an unclosed <ac:emoticon>, say), so it is not lost.
func (c *converter) leftovers(ps []piece, n *html.Node, x ctx) []piece {
	return c.extras(ps, n.Data, children(n), x)
}

// extras renders unexpected children of owner as inline content.
func (c *converter) extras(ps []piece, owner string, nodes []*html.Node, x ctx) []piece {
	for _, k := range nodes {
		if isBlank(k) {
			continue
		}
		c.problem("unexpected content in <%s> kept as text", owner)
		ps = c.inline(ps, k, x)
	}
	return ps
}

// acLink renders <ac:link>: a resource identifier (ri:page, ri:attachment,
// ri:user, …) or an ac:anchor as the target, and an optional link body.
func (c *converter) acLink(n *html.Node, x ctx) string {
	var res *html.Node
	var body []piece
	var hasBody bool
	var extra []*html.Node
	bx := x
	bx.inLink = true
	for _, k := range children(n) {
		switch {
		case res == nil && k.Type == html.ElementNode && strings.HasPrefix(k.Data, "ri:"):
			res = k
		case isElement(k, "ac:link-body"):
			hasBody = true
			body = c.passThrough(body, k, bx)
		case isElement(k, "ac:plain-text-link-body"):
			hasBody = true
			if s := collapse(rawText(k)); s != "" {
				body = append(body, piece{md: mdtext.EscapeText(s)})
			}
		default:
			extra = append(extra, k)
		}
	}
	body = c.extras(body, "ac:link", extra, bx)
	md := joinPieces(body)
	anchor := strings.TrimSpace(attr(n, "ac:anchor"))
	if res == nil {
		if anchor == "" {
			if !hasBody {
				c.problem("link without a target")
			}
			return md
		}
		return c.linkOrText(md, mdtext.EscapeText(anchor), "#"+anchor, x)
	}
	return c.resourceLinkBody(res, md, anchor, x)
}

// resourceLink renders a resource identifier found on its own (in a macro
// parameter, say) as a link to it.
func (c *converter) resourceLink(r *html.Node, anchor string, x ctx) string {
	return c.resourceLinkBody(r, "", anchor, x)
}

// resourceLinkBody links body (rendered Markdown, may be empty) to the
// resource r identifies.
func (c *converter) resourceLinkBody(r *html.Node, body, anchor string, x ctx) string {
	// Text inside the identifier itself only appears in malformed input.
	bx := x
	bx.inLink = true
	if inner := joinPieces(c.extras(nil, r.Data, otherThanResources(r), bx)); inner != "" {
		body = strings.TrimSpace(body + " " + inner)
	}
	switch r.Data {
	case "ri:user":
		return c.user(r, body)
	case "ri:page", "ri:blog-post":
		exact := attr(r, "ri:content-title")
		title := strings.TrimSpace(exact)
		space := strings.TrimSpace(attr(r, "ri:space-key"))
		if title == "" {
			// A link within the current page.
			if anchor == "" {
				return body
			}
			return c.linkOrText(body, mdtext.EscapeText(anchor), "#"+anchor, x)
		}
		dest := c.pageDest(r, space, exact, title)
		if dest != "" && anchor != "" {
			dest += "#" + anchor
		}
		return c.linkOrText(body, mdtext.EscapeText(title), dest, x)
	case "ri:attachment":
		name := strings.TrimSpace(attr(r, "ri:filename"))
		return c.linkOrText(body, mdtext.EscapeText(name), c.attachmentDest(r, name), x)
	case "ri:space":
		key := strings.TrimSpace(attr(r, "ri:space-key"))
		dest := ""
		if c.opts.Page != nil && key != "" {
			if l, ok := c.opts.Page(key, ""); ok {
				dest = l
			}
		}
		if dest == "" && c.opts.SiteURL != "" && key != "" {
			dest = c.link(strings.TrimRight(c.opts.SiteURL, "/") + "/spaces/" + url.PathEscape(key))
		}
		if dest == "" {
			c.problem("link to space %q kept as text", key)
		}
		return c.linkOrText(body, mdtext.EscapeText(key), dest, x)
	case "ri:url":
		u := strings.TrimSpace(attr(r, "ri:value"))
		if u == "" {
			c.problem("URL link without a value")
			return body
		}
		return c.linkOrText(body, mdtext.EscapeText(u), c.link(u), x)
	case "ri:shortcut":
		label := strings.TrimSpace(attr(r, "ri:key") + " " + attr(r, "ri:parameter"))
		c.problem("shortcut link %q kept as text", label)
		return c.linkOrText(body, mdtext.EscapeText(label), "", x)
	case "ri:content-entity":
		c.problem("link to content id %s kept as text", attr(r, "ri:content-id"))
		return body
	}
	c.problem("unsupported resource <%s> kept as text", r.Data)
	return body
}

// otherThanResources returns what r contains besides the identifiers that
// qualify it (an attachment names its page with a nested ri:page); only
// malformed input has any.
func otherThanResources(r *html.Node) []*html.Node {
	var out []*html.Node
	for _, k := range children(r) {
		if k.Type == html.ElementNode && strings.HasPrefix(k.Data, "ri:") {
			out = append(out, children(k)...)
		} else {
			out = append(out, k)
		}
	}
	return out
}

// linkOrText renders a link, or just its text when there is no destination
// or the context is already a link.
func (c *converter) linkOrText(body, fallback, dest string, x ctx) string {
	if strings.TrimSpace(body) == "" {
		body = fallback
	}
	if dest == "" || x.inLink {
		return body
	}
	return c.linkTo(body, fallback, dest)
}

// pageDest resolves a page link through Options.Page, then the SiteURL:
// by the title as written (a title may end in a space), then trimmed.
func (c *converter) pageDest(r *html.Node, space, exact, title string) string {
	if c.opts.Page != nil {
		l, ok := c.opts.Page(space, exact)
		if (!ok || l == "") && exact != title {
			l, ok = c.opts.Page(space, title)
		}
		if ok && l != "" {
			return l
		}
	}
	key := space
	if key == "" {
		key = c.opts.SpaceKey
	}
	if c.opts.SiteURL == "" || key == "" {
		c.problem("link to page %q kept as text", title)
		return ""
	}
	u := strings.TrimRight(c.opts.SiteURL, "/") + "/display/" + url.PathEscape(key) + "/"
	if day := strings.Trim(attr(r, "ri:posting-day"), "/ "); r.Data == "ri:blog-post" && day != "" {
		u += day + "/"
	}
	return c.link(u + url.QueryEscape(title))
}

// attachmentDest resolves an attachment of the current page; attachments
// of other pages (a nested ri:page) are not part of this page's export.
func (c *converter) attachmentDest(r *html.Node, name string) string {
	for _, k := range children(r) {
		if isElement(k, "ri:page", "ri:blog-post") {
			c.problem("attachment %q of page %q kept as text", name, attr(k, "ri:content-title"))
			return ""
		}
	}
	if c.opts.Attachment != nil && name != "" {
		if p, ok := c.opts.Attachment(name); ok && p != "" {
			return p
		}
	}
	c.problem("attachment %q not exported", name)
	return ""
}

// user renders a mention by name only: account ids are personal data and
// meaningless outside the site.
func (c *converter) user(r *html.Node, body string) string {
	if strings.TrimSpace(body) != "" {
		return body
	}
	id := attr(r, "ri:account-id")
	for _, k := range []string{"ri:userkey", "ri:username"} {
		if id == "" {
			id = attr(r, k)
		}
	}
	name := ""
	if c.opts.User != nil && id != "" {
		if s, ok := c.opts.User(id); ok {
			name = strings.TrimSpace(s)
		}
	}
	if name == "" {
		c.problem("mention of a user who could not be resolved")
		return mdtext.EscapeText("@unknown user")
	}
	if !strings.HasPrefix(name, "@") {
		name = "@" + name
	}
	return mdtext.EscapeText(name)
}

// acImage renders <ac:image> with an attachment or URL source; a caption
// follows on its own line in italics.
func (c *converter) acImage(n *html.Node, x ctx) string {
	alt := collapse(strings.TrimSpace(attr(n, "ac:alt")))
	if alt == "" {
		alt = collapse(strings.TrimSpace(attr(n, "ac:title")))
	}
	var res, caption *html.Node
	var extra []*html.Node
	for _, k := range children(n) {
		switch {
		case res == nil && isElement(k, "ri:attachment", "ri:url"):
			res = k
		case caption == nil && isElement(k, "ac:caption"):
			caption = k
		default:
			extra = append(extra, k)
		}
	}
	var md string
	switch {
	case res == nil:
		c.problem("image without a source")
		if alt != "" {
			md = `\[image: ` + mdtext.EscapeText(alt) + `\]`
		}
	case res.Data == "ri:url":
		u := strings.TrimSpace(attr(res, "ri:value"))
		if u == "" {
			c.problem("image without a source")
			break
		}
		md = c.image(alt, u)
	default:
		name := strings.TrimSpace(attr(res, "ri:filename"))
		if dest := c.attachmentDest(res, name); dest != "" {
			md = "![" + mdtext.EscapeText(alt) + "](" + mdtext.LinkDest(dest) + ")"
		} else {
			md = `\[image: ` + mdtext.EscapeText(name) + `\]`
		}
	}
	if res != nil {
		extra = append(otherThanResources(res), extra...)
	}
	if caption != nil {
		cx := x
		cx.oneLine = true
		s := strings.TrimSpace(finishInline(c.flat(children(caption), cx), cx))
		if s != "" {
			md += mdtext.HardBreak + mdtext.Emphasize("*", "<em>", "</em>", s, ' ', ' ')
		}
	}
	if s := joinPieces(c.extras(nil, "ac:image", extra, x)); s != "" {
		md += " " + s
	}
	return md
}

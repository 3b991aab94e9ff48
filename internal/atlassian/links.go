package atlassian

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// RewriteLink turns a link from a response (self, attachment content,
// _links.next, a Link header target) into the gateway URL that serves it,
// which GetJSON, PostJSON and Download accept. It accepts a URL on the
// site (any path), a site-relative path, or a URL already on the gateway;
// for Confluence, a site-relative path outside /wiki is taken as relative
// to /wiki, as the v1 search links are. A link to any other host is
// refused: following it would send the token there, or fetch something
// that is not this site's.
func (c *Client) RewriteLink(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", errors.New("rewrite a link: not a URL")
	}
	var rel string
	switch {
	case u.Scheme == "" && u.Host == "":
		if !strings.HasPrefix(u.Path, "/") {
			return "", fmt.Errorf("rewrite the link %s: neither absolute nor site-relative", u.Path)
		}
		rel = u.EscapedPath()
		if c.product == Confluence && u.Path != "/wiki" && !strings.HasPrefix(u.Path, "/wiki/") {
			rel = "/wiki" + rel
		}
	case c.site != nil && u.User == nil && strings.EqualFold(u.Scheme, c.site.Scheme) && strings.EqualFold(u.Host, c.site.Host):
		rel = u.EscapedPath()
	case c.onGateway(u):
		target, err := c.resolve(link)
		if err != nil {
			return "", fmt.Errorf("rewrite the link %s: %w", u.Path, err)
		}
		return target.String(), nil
	default:
		return "", fmt.Errorf("rewrite a link: refusing host %q; only the site and the API gateway are followed", u.Host)
	}
	if rel == "" {
		rel = "/"
	}
	if u.RawQuery != "" {
		rel += "?" + u.RawQuery
	}
	target, err := c.resolve(rel)
	if err != nil {
		return "", fmt.Errorf("rewrite the link %s: %w", u.Path, err)
	}
	return target.String(), nil
}

// RewriteRelative rewrites a link given relative to a base, as
// Confluence's v1 search gives _links.next ("/rest/api/search?cursor=…")
// relative to _links.base ("https://acme.atlassian.net/wiki"). The two
// are joined as strings, the way Atlassian builds them, not resolved as
// RFC 3986 references (which would drop /wiki). An absolute next, or an
// empty base, is left to RewriteLink.
func (c *Client) RewriteRelative(base, next string) (string, error) {
	n, err := url.Parse(next)
	if err != nil {
		return "", errors.New("rewrite a link: not a URL")
	}
	if base == "" || n.Scheme != "" || n.Host != "" {
		return c.RewriteLink(next)
	}
	if !strings.HasPrefix(n.Path, "/") {
		return "", fmt.Errorf("rewrite the link %s: not relative to a base path", n.Path)
	}
	b, err := url.Parse(base)
	if err != nil || b.Scheme == "" || b.Host == "" {
		return "", errors.New("rewrite a link: the base is not an absolute URL")
	}
	return c.RewriteLink(b.Scheme + "://" + b.Host + strings.TrimSuffix(b.EscapedPath(), "/") + next)
}

// resolve turns a call's path, or a URL on the gateway, into the URL to
// request.
func (c *Client) resolve(ref string) (*url.URL, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, errors.New("not a valid path or URL")
	}
	if u.Scheme == "" && u.Host == "" {
		if !strings.HasPrefix(u.Path, "/") {
			return nil, errors.New("the path must start with /")
		}
	} else if !c.onGateway(u) {
		return nil, fmt.Errorf("refusing to call host %q: not under the API gateway", u.Host)
	}
	// Dot segments would climb out of this site's base on the server,
	// into another product or another cloudId.
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, errors.New("the path has dot segments")
		}
	}
	if u.Host != "" {
		t := *u
		t.Fragment, t.RawFragment = "", ""
		return &t, nil
	}
	t := *c.base
	t.Path = c.base.Path + u.Path
	t.RawPath = c.base.EscapedPath() + u.EscapedPath()
	t.RawQuery = u.RawQuery
	return &t, nil
}

func (c *Client) onGateway(u *url.URL) bool {
	return u.User == nil && strings.EqualFold(u.Scheme, c.base.Scheme) && strings.EqualFold(u.Host, c.base.Host) &&
		(u.Path == c.base.Path || strings.HasPrefix(u.Path, c.base.Path+"/"))
}

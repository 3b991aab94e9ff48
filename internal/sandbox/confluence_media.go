package sandbox

import (
	"net/http"
	"strconv"
)

// confluenceMediaClient is the client id Confluence's media links carry;
// the media host ignores it.
const confluenceMediaClient = "6a0b3e5f-2c1d-4e8a-9b7c-5d4e3f2a1b0c"

// handleConfluenceDownload answers as v1's download does: 302 to a
// signed link on the media host, which needs no credentials. 404 for an
// attachment that does not exist, is not on that page or blog post, or
// whose container is trashed or restricted; 400 for a version other
// than the one there is.
func (s *Server) handleConfluenceDownload(w http.ResponseWriter, r *http.Request, c *cfCall) {
	if v := r.URL.Query().Get("version"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n != 1 {
			writeV1Error(w, http.StatusBadRequest, v1BadRequest+"Version "+v+" of the attachment does not exist")
			return
		}
	}
	pid := r.PathValue("id")
	it, ok := c.findItem(r.PathValue("attachmentId"))
	if !ok || it.a == nil || it.c.idString() != pid || it.c.hidden() {
		writeV1Error(w, http.StatusNotFound, "com.atlassian.confluence.api.service.exceptions.NotFoundException: "+
			"No attachment with id "+r.PathValue("attachmentId")+" found on content "+pid)
		return
	}
	c.objects++
	fileID := it.a.fileID
	// The media host is this listener under another name, on whatever
	// port the request came in.
	target := mediaBase(r.Host) + "/file/" + fileID + "/binary?token=" + s.mediaToken(fileID) +
		"&client=" + confluenceMediaClient + "&collection=contentId-" + pid + "&dl=true&max-age=2592000"
	http.Redirect(w, r, target, http.StatusFound) //nolint:gosec // always the media host's name; only the port comes from the request
}

// handleConfluenceDownloadServlet is the web servlet behind downloadLink
// and _links.download: it takes a browser's session, not API tokens, so
// it refuses every request through the gateway.
func handleConfluenceDownloadServlet(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", "OAuth")
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte("<html><body><h1>401 Unauthorized</h1><p>Log in to download this attachment.</p></body></html>\n"))
}

// confluenceMediaFile finds the Confluence attachment a media file id
// names. ok says whether the id is a Confluence one at all; a is nil if
// its attachment is gone (container trashed, restricted or deleted,
// space replaced).
func (s *Server) confluenceMediaFile(uuid string) (a *cfAttachment, ok bool) {
	for _, sp := range s.confluenceSpaces() {
		if sp == nil {
			continue
		}
		site, i, j, ok := parseMediaUUID(sp.mediaSeed, uuid)
		if !ok {
			continue
		}
		if site >= len(sp.sites) {
			return nil, true
		}
		d := sp.data(site)
		var ct *cfContent
		switch {
		case i < len(d.pages):
			ct = d.pages[i]
		case i-len(d.pages) < len(d.blogs):
			ct = d.blogs[i-len(d.pages)]
		}
		if ct == nil || ct.hidden() || j >= len(ct.attachments) {
			return nil, true
		}
		return ct.attachments[j], true
	}
	return nil, false
}

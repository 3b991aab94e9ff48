package sandbox

import (
	"io"
	"mime"
	"net/http"
	"strconv"
)

// jiraMediaClient is the client id Jira's media links carry; the media
// host ignores it, as the sandbox's does.
const jiraMediaClient = "3a3c3f5e-6b1d-4c8e-9f2a-7d5e4b3c2a10"

// handleJiraAttachmentContent answers as Jira does: 303 to a signed link
// on the media host, or with redirect=false the bytes themselves. A
// Range header is ignored and the whole file comes back, which HTTP
// allows.
func (s *Server) handleJiraAttachmentContent(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	id := r.PathValue("id")
	redirect := true
	if v := r.URL.Query().Get("redirect"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeJiraErrors(w, http.StatusBadRequest, "The value '"+v+"' is not valid for the parameter 'redirect'.")
			return
		}
		redirect = b
	}
	ref, j, ok := c.findAttachment(id)
	var iss *jiraIssue
	if ok {
		iss = genJiraIssue(ref, c.site)
		ok = !iss.vanished && j < len(iss.attachments)
	}
	if !ok {
		writeJiraErrors(w, http.StatusNotFound, "The attachment with id '"+id+"' does not exist.")
		return
	}
	if iss.forbidden {
		writeJiraErrors(w, http.StatusForbidden, "You do not have permission to view attachment with id: "+id)
		return
	}
	c.objects++
	if redirect {
		uuid := iss.mediaUUID(j)
		// The media host is this listener under another name, on
		// whatever port the request came in.
		target := mediaBase(r.Host) + "/file/" + uuid + "/binary?token=" + s.mediaToken(uuid) +
			"&client=" + jiraMediaClient + "&collection=&dl=true&max-age=2592000"
		http.Redirect(w, r, target, http.StatusSeeOther) //nolint:gosec // always the media host's name; only the port comes from the request
		return
	}
	serveJiraFile(w, iss, j)
}

// serveJiraFile sends a Jira attachment's bytes.
func serveJiraFile(w http.ResponseWriter, iss *jiraIssue, j int) {
	a := iss.attachments[j]
	serveMediaFile(w, a.filename, a.mimeType, a.size, iss.content(j))
}

// serveMediaFile sends an attachment's bytes with its length declared
// first, so that FaultShortBody can cut them.
func serveMediaFile(w http.ResponseWriter, filename, mimeType string, size int64, content io.Reader) {
	h := w.Header()
	h.Set("Content-Type", mimeType)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	// The name as the product sends it, hostile or not; an exporter
	// must not trust it any more than the metadata's.
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": filename}); cd != "" {
		h.Set("Content-Disposition", cd)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, content)
}

// handleMediaBinary serves the media host's files: a Jira or Confluence
// attachment's if the uuid is one and its token holds, else whatever
// handleMediaFile makes of it (the test collection's file, 401 or 404).
func (s *Server) handleMediaBinary(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	if !s.mediaTokenValid(r.URL.Query().Get("token"), uuid) {
		s.handleMediaFile(w, r)
		return
	}
	if iss, j, ok := s.jiraMediaFile(uuid); ok {
		if iss == nil {
			writeAPIError(w, http.StatusNotFound, "File not found")
			return
		}
		serveJiraFile(w, iss, j)
		return
	}
	if a, ok := s.confluenceMediaFile(uuid); ok {
		if a == nil {
			writeAPIError(w, http.StatusNotFound, "File not found")
			return
		}
		serveMediaFile(w, a.filename, a.mediaType, a.size, a.content())
		return
	}
	s.handleMediaFile(w, r)
}

// jiraMediaFile finds the Jira attachment a media uuid names. ok says
// whether the uuid is a Jira one at all; iss is nil if its attachment is
// gone (vanished or deleted issue, project replaced).
func (s *Server) jiraMediaFile(uuid string) (iss *jiraIssue, j int, ok bool) {
	for _, p := range s.jiraProjects() {
		if p == nil {
			continue
		}
		site, g, j, ok := parseMediaUUID(p.mediaSeed, uuid)
		if !ok || g/MaxJiraIssues != p.slot {
			continue
		}
		i := g % MaxJiraIssues
		if site >= len(s.sites) || i >= p.n || p.deleted[i] {
			return nil, 0, true
		}
		iss := genJiraIssue(jiraRef{p, i}, site)
		if iss.vanished || j >= len(iss.attachments) {
			return nil, 0, true
		}
		return iss, j, true
	}
	return nil, 0, false
}

package sandbox

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// attachment finds an attachment of the first site's collection whose
// size is in [minSize, maxSize).
func (s *sandbox) attachment(t *testing.T, minSize, maxSize int64) TestAttachment {
	t.Helper()
	for i := 0; ; i++ {
		it, ok := s.TestItemAt(DefaultSites[0].CloudID, i)
		if !ok {
			t.Fatalf("no attachment of %d to %d bytes", minSize, maxSize)
		}
		if it.Vanished {
			continue
		}
		for _, a := range it.Attachments {
			if a.Size >= minSize && a.Size < maxSize {
				return a
			}
		}
	}
}

// fetch is get for an absolute URL.
func (s *sandbox) fetch(rawURL, token string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(req)
}

func contentPath(aid string) string {
	return "/ex/test/" + DefaultSites[0].CloudID + "/attachments/" + aid + "/content"
}

func wantContent(t *testing.T, s *sandbox, a TestAttachment, got []byte) {
	t.Helper()
	r, ok := s.TestAttachmentContent(DefaultSites[0].CloudID, a.ID)
	if !ok {
		t.Fatalf("no content for %s", a.ID)
	}
	want, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(want)) != a.Size || !bytes.Equal(got, want) {
		t.Fatalf("attachment %s: got %d bytes, want the %d bytes of its content", a.ID, len(got), a.Size)
	}
}

// redirect asks for an attachment and returns the media link it
// redirects to.
func (s *sandbox) redirect(t *testing.T, aid, token string) *url.URL {
	t.Helper()
	r := s.get(contentPath(aid), token)
	wantStatus(t, "content", r, http.StatusSeeOther)
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestMediaURL(t *testing.T) {
	s := start(t, Options{})
	api, _ := url.Parse(s.URL())
	if want := "http://localhost:" + api.Port(); s.MediaURL() != want {
		t.Errorf("MediaURL %q, want %q", s.MediaURL(), want)
	}
	if New(Options{}).MediaURL() != "" {
		t.Error("MediaURL before Start is not empty")
	}
}

func TestDownloadRedirectsToMediaHost(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(200, 7)
	tk := s.login()
	a := s.attachment(t, 100<<10, 1<<30)

	loc := s.redirect(t, a.ID, tk.AccessToken)
	media, _ := url.Parse(s.MediaURL())
	if loc.Scheme != "http" || loc.Host != media.Host || !strings.HasPrefix(loc.Path, "/file/") ||
		!strings.HasSuffix(loc.Path, "/binary") || loc.Query().Get("token") == "" {
		t.Fatalf("Location %s, want %s/file/<uuid>/binary?token=…", loc, s.MediaURL())
	}
	if again := s.redirect(t, a.ID, tk.AccessToken); again.Path != loc.Path {
		t.Errorf("uuid changed between redirects: %s, %s", loc.Path, again.Path)
	}

	// A plain client drops the bearer token it was given on the request
	// when the redirect leaves the host.
	f := getCut(t, &http.Client{Timeout: 10 * time.Second}, s.URL()+contentPath(a.ID), tk.AccessToken)
	if f.err != nil || f.status != http.StatusOK {
		t.Fatalf("download: status %d, %v; body %.200s", f.status, f.err, f.body)
	}
	if f.url.Host != media.Host || f.contentLength != a.Size {
		t.Errorf("served by %s with Content-Length %d; want %s and %d", f.url.Host, f.contentLength, media.Host, a.Size)
	}
	wantContent(t, s, a, f.body)
	if st := s.Stats(); st.MediaRequests != 1 || st.MediaRequestsWithCredentials != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestDownloadBytesAreDeterministic(t *testing.T) {
	download := func(seed int64) (TestAttachment, string, []byte) {
		s := start(t, Options{})
		s.SetTestItems(40, seed)
		a := s.attachment(t, 1, 1<<30)
		loc := s.redirect(t, a.ID, s.login().AccessToken)
		r := s.fetch(loc.String(), "")
		wantStatus(t, "media", r, http.StatusOK)
		wantContent(t, s, a, r.body)
		return a, loc.Path, r.body
	}
	a1, path1, body1 := download(5)
	a2, path2, body2 := download(5)
	if a1 != a2 || path1 != path2 || !bytes.Equal(body1, body2) {
		t.Error("two servers with one seed serve different attachments")
	}
	_, path3, body3 := download(6)
	if path3 == path1 || bytes.Equal(body1, body3) {
		t.Error("another seed serves the same file")
	}
}

// credentialTransport adds a header to every request, as an OAuth
// transport that sets the token in RoundTrip does, redirects included.
type credentialTransport struct{ name, value string }

func (c credentialTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(c.name, c.value)
	return http.DefaultTransport.RoundTrip(req)
}

func TestMediaHostRefusesCredentials(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(10, 1)
	tk := s.login()
	a := s.attachment(t, 1, 1<<30)

	leaky := []credentialTransport{
		{"Authorization", "Bearer " + tk.AccessToken},
		{"Cookie", "session=abc"},
	}
	for _, tr := range leaky {
		client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
		f := getCut(t, client, s.URL()+contentPath(a.ID), tk.AccessToken)
		if f.err != nil || f.status != http.StatusBadRequest || f.url.Hostname() != mediaHostname {
			t.Errorf("%s leaked: status %d from %s, %v; body %s", tr.name, f.status, f.url, f.err, f.body)
		}
	}
	// Refused whatever the path, faults notwithstanding.
	s.InjectFaults(FaultSpec{Kind: FaultServerError, Count: 10})
	r := s.fetch(s.MediaURL()+"/anything", tk.AccessToken)
	wantStatus(t, "credentials on another path", r, http.StatusBadRequest)
	if st := s.Stats(); st.MediaRequestsWithCredentials != 3 || st.FaultsInjected != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestMediaTokens(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(10, 1)
	tk := s.login()
	first, _ := s.TestItemAt(DefaultSites[0].CloudID, 2) // holds three attachments
	loc := s.redirect(t, first.Attachments[0].ID, tk.AccessToken)
	other := s.redirect(t, first.Attachments[1].ID, tk.AccessToken)
	token := loc.Query().Get("token")

	with := func(path, token string) string {
		return s.MediaURL() + path + "?" + url.Values{"token": {token}}.Encode()
	}
	tampered := []byte(token)
	tampered[len(tampered)/2] ^= 1
	for name, u := range map[string]string{
		"missing":        s.MediaURL() + loc.Path,
		"tampered":       with(loc.Path, string(tampered)),
		"another file's": with(loc.Path, other.Query().Get("token")),
		"truncated":      with(loc.Path, token[:len(token)-4]),
		"not a token":    with(loc.Path, "x"),
	} {
		wantStatus(t, name+" token", s.fetch(u, ""), http.StatusUnauthorized)
	}
	// A signed link to a file that does not exist: a uuid rebuilt with
	// one byte changed.
	bad := []byte(loc.Path)
	if i := len("/file/"); bad[i] == '0' {
		bad[i] = '1'
	} else {
		bad[i] = '0'
	}
	wantStatus(t, "unknown uuid", s.fetch(with(string(bad), s.mediaToken(strings.Split(string(bad), "/")[2])), ""), http.StatusNotFound)

	wantStatus(t, "valid", s.fetch(loc.String(), ""), http.StatusOK)
	s.clock.Advance(mediaTokenLifetime)
	wantStatus(t, "expired", s.fetch(loc.String(), ""), http.StatusUnauthorized)
}

func TestMediaHostServesOnlyFiles(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(10, 1)
	tk := s.login()
	loc := s.redirect(t, s.attachment(t, 0, 1<<30).ID, tk.AccessToken)

	// The file route is the media host's alone, and the API is not
	// reachable under the media host's name.
	wantStatus(t, "file on the API host", s.fetch(s.URL()+loc.RequestURI(), ""), http.StatusNotFound)
	wantStatus(t, "API on the media host", s.fetch(s.MediaURL()+itemsPath, ""), http.StatusNotFound)
	wantStatus(t, "login on the media host", s.fetch(s.MediaURL()+"/authorize", ""), http.StatusNotFound)
}

func TestDownloadRefusals(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(30, 1)
	tk := s.login()
	vanished, _ := s.TestItemAt(DefaultSites[0].CloudID, TestVanishedEvery-1)
	if !vanished.Vanished {
		t.Fatalf("T-%d did not vanish", TestVanishedEvery)
	}
	aid := testAttachmentID(TestVanishedEvery-1, 0)
	wantUnauthorized(t, s.get(contentPath("100000"), ""), MessageUnauthorized)
	for _, id := range []string{aid, "100015", "99999", "9100000", "x"} {
		wantStatus(t, "attachment "+id, s.get(contentPath(id), tk.AccessToken), http.StatusNotFound)
	}
}

func TestFaultShortBodyDownload(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(300, 2)
	tk := s.login()
	a := s.attachment(t, 256<<10, 1<<30)
	s.InjectFaults(FaultSpec{Kind: FaultShortBody, PathPrefix: "/file/"})

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	f := getCut(t, client, s.URL()+contentPath(a.ID), tk.AccessToken)
	if !errors.Is(f.err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading a cut download: %v, want an unexpected EOF", f.err)
	}
	if f.status != http.StatusOK || f.contentLength != a.Size || int64(len(f.body)) != a.Size/2 {
		t.Errorf("status %d, Content-Length %d, %d bytes read; want 200, %d, %d", f.status, f.contentLength, len(f.body), a.Size, a.Size/2)
	}
	full, _ := s.TestAttachmentContent(DefaultSites[0].CloudID, a.ID)
	want, _ := io.ReadAll(full)
	if !bytes.HasPrefix(want, f.body) {
		t.Error("the cut body is not the start of the content")
	}

	f = getCut(t, client, s.URL()+contentPath(a.ID), tk.AccessToken)
	if f.err != nil {
		t.Fatal(f.err)
	}
	wantContent(t, s, a, f.body)
	if st := s.Stats(); st.FaultsInjected != 1 {
		t.Errorf("FaultsInjected %d", st.FaultsInjected)
	}
}

func TestFaultsReachMediaHost(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(10, 1)
	tk := s.login()
	loc := s.redirect(t, s.attachment(t, 0, 1<<30).ID, tk.AccessToken)
	s.InjectFaults(FaultSpec{Kind: FaultServerError, Status: 500, PathPrefix: "/file/"})
	wantStatus(t, "faulted", s.fetch(loc.String(), ""), http.StatusInternalServerError)
	wantStatus(t, "after", s.fetch(loc.String(), ""), http.StatusOK)
}

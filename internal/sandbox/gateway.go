package sandbox

import (
	"crypto/rand"
	"net"
	"net/http"
	"strings"
	"time"
)

// The API switches (SetLatency, InjectFaults, SetBurstLimit,
// SetPointsQuota) act on the
// API routes: every path under /ex/, whichever product registers it and
// whenever, and the media host. The OAuth routes, accessible-resources
// and /me are left out on purpose: a client logs in and looks up its
// sites before it exports, and a fault staged for the export must be
// spent by the export, so that Count means the export's requests and
// nothing else. Token-endpoint failures have their own switches
// (FailTokenRequests, SetTokenDelay).

// mediaHostname is the host name of the media host. It is the sandbox's
// own listener under another name, which is all a client can tell apart:
// Go's client forwards credentials on a redirect only to the same host or
// a subdomain of it, and "localhost" is neither for "127.0.0.1".
const mediaHostname = "localhost"

// gatewayState is the state of the API routes, guarded by Server.mu
// except where noted.
type gatewayState struct {
	latency time.Duration
	faults  []*pendingFault
	bucket  *tokenBucket // nil while burst limiting is off
	// media is attachment content's own bucket, as Atlassian has one
	// per endpoint: three times as wide (300 a second against 100).
	media *tokenBucket
	quota *pointsQuota // nil while the points quota is off
	// burstClock drives the bucket and the quota. It is real time whatever Options.Now
	// says, because a client waits out Retry-After in real time; tests
	// of the bucket replace it.
	burstClock func() time.Time

	items      testItems
	jira       jiraState
	confluence confluenceState

	// Set once by New and only read afterwards, so read without the lock.
	mediaSecret []byte
	mediaMux    *http.ServeMux
}

func (s *Server) initGateway() {
	s.gw.burstClock = time.Now
	s.gw.mediaSecret = make([]byte, 32)
	_, _ = rand.Read(s.gw.mediaSecret)
	s.gw.mediaMux = http.NewServeMux()
	s.gw.mediaMux.HandleFunc("GET /file/{uuid}/binary", s.handleMediaBinary)
	s.registerTestRoutes()
	s.registerJiraRoutes()
	s.registerConfluenceRoutes()
}

// route sends a request to the media host, through the API switches, or
// straight to the auth routes.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch {
	case isMediaHost(r.Host):
		s.serveMedia(w, r)
	case strings.HasPrefix(r.URL.Path, "/ex/"):
		s.serveAPI(w, r)
	default:
		s.mux.ServeHTTP(w, r)
	}
}

func isMediaHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.EqualFold(host, mediaHostname)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.APIRequests++
	latency := s.gw.latency
	s.mu.Unlock()
	if !s.wait(r.Context(), latency) {
		writeAPIError(w, http.StatusServiceUnavailable, http.StatusText(http.StatusServiceUnavailable))
		return
	}
	if !s.takeBurstToken(w, r) || !s.meterQuota(w, r) {
		return
	}
	s.serveWithFaults(w, r, s.mux)
}

// serveMedia checks for credentials before anything else, faults
// included, so that no switch can hide a leak from
// Stats.MediaRequestsWithCredentials.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) {
	leaked := len(r.Header.Values("Authorization")) > 0 || len(r.Header.Values("Cookie")) > 0
	s.mu.Lock()
	s.stats.MediaRequests++
	if leaked {
		s.stats.MediaRequestsWithCredentials++
	}
	latency := s.gw.latency
	s.mu.Unlock()
	if leaked {
		s.logf("sandbox: a media request carried credentials: refused")
		writeAPIError(w, http.StatusBadRequest, "Credentials must not be sent to the media host")
		return
	}
	if !s.wait(r.Context(), latency) {
		writeAPIError(w, http.StatusServiceUnavailable, http.StatusText(http.StatusServiceUnavailable))
		return
	}
	s.serveWithFaults(w, r, s.gw.mediaMux)
}

// SetLatency makes every API and media request wait d, in real time
// whatever Options.Now says, before anything else happens to it. A client
// that gives up meanwhile gets no answer and spends no fault. Zero or
// less turns latency off.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.latency = max(d, 0)
}

// ExpireAccessTokens ends the life of every access token issued so far,
// as if each had reached its expiry at once: a client in the middle of a
// run gets 401 "Unauthorized" and must refresh. Refresh tokens keep
// working, and tokens issued afterwards get the usual lifetime.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	now := s.now()
	n := 0
	for _, t := range s.auth.access {
		if t.expires.After(now) {
			t.expires = now
			n++
		}
	}
	s.mu.Unlock()
	s.logf("sandbox: %d access tokens expired", n)
}

// writeAPIError answers in the gateway's error shape, the one its 401
// has.
func writeAPIError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{status, message})
}

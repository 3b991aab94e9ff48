// Package sandbox is a loopback imitation of Atlassian Cloud: the
// authorization server (auth.atlassian.com) and the API gateway
// (api.atlassian.com) on one port. Tests, benchmarks and `aumo demo` point
// aumo's auth and API URLs at it, so every byte aumo sends stays on the
// machine.
//
// It imitates the behaviour aumo depends on rather than every detail:
// the 3LO authorization-code flow without a consent screen, the client
// secret required in the token request body, rotating refresh tokens with
// a reuse leeway whose violation revokes the whole grant, the gateway's
// 401 bodies, accessible-resources and /me. Runtime switches let a test
// stage the failures a real tenant produces only now and then.
//
// The API side adds the media host that attachment downloads redirect to
// (MediaURL), faults, latency and rate limits for every API route
// (InjectFaults), and a generic test collection for export code to read
// before the product APIs exist (SetTestItems). Jira's platform REST API
// serves generated projects (SetJiraProject), and Confluence's REST API
// (v1 search and download, v2 for the rest) generated spaces
// (SetConfluenceSpace).
package sandbox

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults used where Options leaves a field zero.
const (
	DefaultClientID            = "aumo-sandbox"
	DefaultClientSecret        = "sandbox-secret"
	DefaultAccessTokenLifetime = time.Hour
	DefaultAccessTokenSize     = 1000
	DefaultRefreshTokenSize    = 600
	DefaultReuseLeeway         = 10 * time.Minute
)

// Site is one Atlassian Cloud site (a "resource") the grant reaches.
type Site struct {
	CloudID string
	Name    string
	URL     string
}

// User is the Atlassian account that consents; every grant belongs to it.
type User struct {
	AccountID string
	Name      string
	Email     string
}

// DefaultSites are the sites a Server reaches when Options.Sites is empty.
// Their cloud ids are fixed so that fixtures and golden files stay stable.
var DefaultSites = []Site{
	{CloudID: "5e6a0c2f-8d3b-4a4e-9f51-0c1d2e3f4a5b", Name: "acme", URL: "https://acme.atlassian.net"},
	{CloudID: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", Name: "acme-sandbox", URL: "https://acme-sandbox.atlassian.net"},
}

// DefaultUser is the account that consents when Options.User is empty.
var DefaultUser = User{
	AccountID: "5b10ac8d82e05b22cc7d4ef5",
	Name:      "Ada Example",
	Email:     "ada@example.com",
}

// Options configures a Server. The zero value is a working sandbox.
type Options struct {
	// ClientID and ClientSecret identify the one OAuth app the sandbox
	// knows; they default to DefaultClientID and DefaultClientSecret.
	ClientID, ClientSecret string

	// AccessTokenLifetime is how long an access token lasts (expires_in).
	AccessTokenLifetime time.Duration

	// AccessTokenSize is the length in bytes of every access token.
	// Atlassian's tokens are JWTs of about a kilobyte, and a keychain may
	// refuse much less, so clients are tested with larger ones too. Sizes
	// below the smallest token the sandbox can build (about 300 bytes) are
	// raised to it.
	AccessTokenSize int

	// RefreshTokenSize is the length in bytes of every refresh token.
	RefreshTokenSize int

	// ReuseLeeway is how long after rotation a refresh token may still be
	// presented. A negative value means no leeway at all.
	ReuseLeeway time.Duration

	// Sites are the resources every grant reaches, in this order.
	Sites []Site

	// User is the account that consents.
	User User

	// Now is the clock for every expiry; tests pass a fake one to jump
	// past lifetimes without sleeping.
	Now func() time.Time

	// Logf, if set, receives one line per request and per notable event.
	// Lines never carry tokens, codes, secrets or query strings.
	Logf func(format string, args ...any)
}

// Stats counts what the sandbox has seen since New or the last
// ResetStats.
type Stats struct {
	AuthorizeRequests int // GET /authorize, answered or not
	TokenRequests     int // POST /oauth/token, injected failures included
	InjectedFailures  int // token requests answered by FailTokenRequests
	CodeExchanges     int // authorization codes exchanged for tokens
	Refreshes         int // successful refresh_token grants
	ReuseWithinLeeway int // refreshes that presented an already rotated token in time
	InvalidGrants     int // token requests answered 403 invalid_grant
	GrantsRevoked     int // grants revoked by late reuse or RevokeGrants
	Unauthorized      int // bearer requests answered 401

	APIRequests                  int // requests under /ex/, refused and faulted ones included
	FaultsInjected               int // API and media requests answered by InjectFaults
	BurstLimited                 int // API requests refused by SetBurstLimit's bucket
	QuotaLimited                 int // API requests refused by SetPointsQuota's quota
	MediaRequests                int // requests to the media host (MediaURL)
	MediaRequestsWithCredentials int // media requests refused for carrying Authorization or Cookie

	Jira       JiraStats       // the Jira routes (SetJiraProject)
	Confluence ConfluenceStats // the Confluence routes (SetConfluenceSpace)
}

// Server is a sandbox Atlassian. Its methods are safe for concurrent use.
type Server struct {
	// mux holds every route; product APIs register theirs next to the
	// auth routes so one listener serves the whole cloud.
	mux *http.ServeMux

	clientID, clientSecret string
	sites                  []Site
	user                   User
	now                    func() time.Time
	logf                   func(format string, args ...any)
	accessTokenSize        int
	refreshTokenSize       int

	// closed ends token-request delays when the server shuts down, also
	// when it is served through Handler by someone else's listener.
	closed    chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	settings settings
	stats    Stats
	auth     authState
	gw       gatewayState
	srv      *http.Server
	url      string
}

// settings are the runtime switches, guarded by Server.mu.
type settings struct {
	accessTokenLifetime time.Duration
	reuseLeeway         time.Duration
	deny                bool
	withheld            map[string]bool
	failN, failStatus   int
	tokenDelay          time.Duration
}

// New returns a Server configured by opts; Start it, or mount Handler.
func New(opts Options) *Server {
	s := &Server{
		mux:              http.NewServeMux(),
		clientID:         orDefault(opts.ClientID, DefaultClientID),
		clientSecret:     orDefault(opts.ClientSecret, DefaultClientSecret),
		sites:            append([]Site(nil), opts.Sites...),
		user:             opts.User,
		now:              opts.Now,
		logf:             opts.Logf,
		accessTokenSize:  opts.AccessTokenSize,
		refreshTokenSize: opts.RefreshTokenSize,
		closed:           make(chan struct{}),
		settings: settings{
			accessTokenLifetime: opts.AccessTokenLifetime,
			reuseLeeway:         opts.ReuseLeeway,
		},
	}
	if len(s.sites) == 0 {
		s.sites = append([]Site(nil), DefaultSites...)
	}
	if s.user == (User{}) {
		s.user = DefaultUser
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	if s.accessTokenSize <= 0 {
		s.accessTokenSize = DefaultAccessTokenSize
	}
	if s.refreshTokenSize <= 0 {
		s.refreshTokenSize = DefaultRefreshTokenSize
	}
	if s.settings.accessTokenLifetime <= 0 {
		s.settings.accessTokenLifetime = DefaultAccessTokenLifetime
	}
	switch {
	case s.settings.reuseLeeway == 0:
		s.settings.reuseLeeway = DefaultReuseLeeway
	case s.settings.reuseLeeway < 0:
		s.settings.reuseLeeway = 0
	}
	s.auth.init()
	s.registerAuthRoutes()
	s.initGateway()
	return s
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Start listens on addr, whose host must be a loopback IP address as in
// "127.0.0.1:0" (an empty addr means that one; "localhost" is refused
// because it may resolve elsewhere), and serves in the background until
// Close.
func (s *Server) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("sandbox: already started")
	}
	select {
	case <-s.closed:
		return errors.New("sandbox: server is closed")
	default:
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen on %s: %w", addr, err)
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go func(srv *http.Server) { _ = srv.Serve(ln) }(s.srv)
	return nil
}

// checkLoopback refuses any address a remote machine could reach: the
// sandbox accepts the fixed client secret from anyone who connects.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sandbox: bad listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("sandbox: listen address %q is not a loopback IP address", addr)
	}
	return nil
}

// URL returns the base URL of the started server, such as
// "http://127.0.0.1:41234", or "" before Start. It serves as both the
// auth URL and the API URL.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops the server, dropping open connections and ending pending
// token-request delays. Calling it more than once is harmless.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Close()
	}
	// After the connections are gone, so that no client of Start reads
	// an answer to a delayed request.
	s.closeOnce.Do(func() { close(s.closed) })
	return err
}

// Handler returns the handler for every route, with request logging.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		s.route(rec, r)
		// The path only: query strings carry codes and state.
		s.logf("sandbox: %s %s %d %s", r.Method, r.URL.Path, rec.status, time.Since(start).Round(time.Microsecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// SetAccessTokenLifetime changes the lifetime of access tokens issued from
// now on; a lifetime of zero or less issues tokens that are already expired.
func (s *Server) SetAccessTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings.accessTokenLifetime = d
}

// SetReuseLeeway changes how long a rotated refresh token stays usable;
// zero or less means any reuse revokes the grant.
func (s *Server) SetReuseLeeway(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings.reuseLeeway = max(d, 0)
}

// SetDeny makes /authorize answer as if the user clicked Deny: a redirect
// with error=access_denied.
func (s *Server) SetDeny(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings.deny = deny
}

// SetWithheldScopes makes consent grant every requested scope except
// these, as when an app lacks a scope in the developer console. Calling it
// with none grants everything again.
func (s *Server) SetWithheldScopes(scopes ...string) {
	withheld := make(map[string]bool, len(scopes))
	for _, sc := range scopes {
		withheld[sc] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings.withheld = withheld
}

// FailTokenRequests makes the next n token requests fail with status,
// before any other check: a 5xx carries an HTML page as a load balancer
// would send, a 4xx a JSON error. A status outside 400–599 means 503, and
// n ≤ 0 cancels failures still pending.
func (s *Server) FailTokenRequests(n int, status int) {
	if status < 400 || status > 599 {
		status = http.StatusServiceUnavailable
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings.failN, s.settings.failStatus = max(n, 0), status
}

// SetTokenDelay makes every token request wait d, in real time whatever
// Options.Now says, before it is answered. A client that gives up (its
// request context ends) gets no answer and changes nothing.
func (s *Server) SetTokenDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings.tokenDelay = d
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ResetStats sets every counter to zero, so that a test can count what
// one step asks for. A request under way when it is called counts
// afterwards.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{}
}

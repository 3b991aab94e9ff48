// Package atlassian is the one HTTP layer every Jira and Confluence call
// goes through: it addresses the API gateway, attaches the bearer token to
// gateway requests and to nothing else, retries what is safe to retry,
// shares the rate-limit state (quota pauses, an adaptive concurrency
// limit) between all goroutines, and counts the requests and points spent.
package atlassian

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aumo-cli/aumo/internal/secret"
)

// DefaultAPIURL is the gateway that 3LO tokens work with; the site hosts
// answer 401 to them.
const DefaultAPIURL = "https://api.atlassian.com"

// Product is the Atlassian product a Client talks to.
type Product string

// The products aumo exports.
const (
	Jira       Product = "jira"
	Confluence Product = "confluence"
)

// Tokens hands out access tokens; *auth.TokenSource satisfies it. After
// Reject(t), AccessToken must not return t again (it refreshes instead).
type Tokens interface {
	AccessToken(ctx context.Context) (secret.String, error)
	Reject(token secret.String)
}

// Options configures a Client. Only Product, CloudID and Tokens are
// required.
type Options struct {
	// APIURL is the gateway; empty means DefaultAPIURL.
	APIURL  string
	Product Product
	CloudID string
	// SiteURL is the site, e.g. https://acme.atlassian.net. Links in
	// responses point at it; RewriteLink refuses every site link when it
	// is empty.
	SiteURL string
	Tokens  Tokens

	// HTTPClient supplies the Transport, and the Timeout of gateway
	// requests; nil means http.DefaultClient. Its Jar and CheckRedirect
	// are not used: the Client never follows a redirect with credentials
	// and never sends cookies. The Transport must not add credentials of
	// its own (an oauth2.Transport would send the token to the media
	// host).
	HTTPClient *http.Client
	// Logger receives one debug line per request (method, host, path,
	// status, attempt) and a line per retry wait; nil: no logging.
	Logger *slog.Logger
	// UserAgent is sent with every request; empty means "aumo".
	UserAgent string
	// RequestTimeout is how long a request may go without progress: no
	// answer's headers, or no byte of its body, for that long fails the
	// attempt with a *StallError, which is retried. Zero means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration

	// Concurrency is how many requests may be in flight at first
	// (default 4). Each 429 halves the limit; every 20 successes in a row
	// raise it by one, up to MaxConcurrency (default Concurrency, so that
	// it only grows back to where it started). The gateway requests of
	// downloads have a limit of their own, DownloadsPerSlot times these.
	Concurrency    int
	MaxConcurrency int
	// MaxAttempts is how often one call is sent before giving up
	// (default 6).
	MaxAttempts int
	// OnPause is called when a quota 429 pauses every request of the
	// Client until the given time (the hourly points quota is spent). It
	// runs on the goroutine that met the 429, once per new pause, and
	// must not block.
	OnPause func(until time.Time, reason string)
	// MaxPoints, when positive, is the run's budget: a request is sent
	// only while Stats.Points cannot pass it, counting what its answer
	// may cost where the request tells (a page size, a batch of ids; a
	// page is asked smaller to fit). The first call it stops calls
	// OnBudget, then fails with a *BudgetError, as every later call does.
	MaxPoints int64
	// OnBudget is told, once, when MaxPoints stops a call, before the
	// call returns. It must not block.
	OnBudget func(*BudgetError)
	// PointsPerHour, when positive, paces the requests so that they
	// spend at most that many points an hour, evenly: per window of the
	// API's quota (an hour, unless its RateLimit-Policy names another
	// w=) it allows PointsPerHour × w / 3600. Whether or not it is set,
	// when answers tell what remains of the app's quota (RateLimit r=),
	// requests wait for the reset rather than spend past it.
	PointsPerHour int64

	// OnUnreachable is called when a call waits to try the API again
	// after it could not connect (refused, no such host, no route),
	// until the API has answered once: once per wait, however many calls
	// wait at the same time. It must not block.
	OnUnreachable func(UnreachableWait)

	// Now, Sleep and Jitter replace the clock, the wait and the backoff
	// jitter factor (0.7–1.3) in tests. Sleep must return ctx.Err() as
	// soon as ctx is done.
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64
}

// Client calls one product of one site through the gateway. It is safe
// for concurrent use, and all its callers share its rate-limit state.
type Client struct {
	product Product
	base    *url.URL // {api}/ex/{product}/{cloudId}
	site    *url.URL // nil when Options.SiteURL was empty
	tokens  Tokens

	api     *http.Client // never follows redirects
	media   *http.Client // the credential-free hop of a download
	log     *slog.Logger
	agent   string
	timeout time.Duration

	maxAttempts   int
	onPause       func(time.Time, string)
	onUnreachable func(UnreachableWait)
	now           func() time.Time
	sleep         func(context.Context, time.Duration) error
	jitter        func() float64

	limit     *limiter
	downloads *limiter // the gateway requests of downloads
	meter     *meter

	mu          sync.Mutex
	pausedUntil time.Time
	toldUntil   time.Time // the end of the wait OnUnreachable was last told of

	requests, retries, points, throttled atomic.Int64
	ledger                               ledger // the cost of each endpoint
	// reached is set once the API has answered a request.
	reached atomic.Bool
}

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	if opts.Product != Jira && opts.Product != Confluence {
		return nil, fmt.Errorf("create the atlassian client: unknown product %q", opts.Product)
	}
	if opts.CloudID == "" || strings.ContainsAny(opts.CloudID, "/?#") {
		return nil, fmt.Errorf("create the atlassian client: invalid cloud id %q", opts.CloudID)
	}
	if opts.Tokens == nil {
		return nil, errors.New("create the atlassian client: no token source")
	}
	apiURL := opts.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	api, err := parseOrigin(apiURL)
	if err != nil {
		return nil, fmt.Errorf("create the atlassian client: API URL: %w", err)
	}
	c := &Client{
		product:       opts.Product,
		base:          &url.URL{Scheme: api.Scheme, Host: api.Host, Path: "/ex/" + string(opts.Product) + "/" + opts.CloudID},
		tokens:        opts.Tokens,
		log:           opts.Logger,
		agent:         opts.UserAgent,
		timeout:       opts.RequestTimeout,
		maxAttempts:   opts.MaxAttempts,
		onPause:       opts.OnPause,
		onUnreachable: opts.OnUnreachable,
		now:           opts.Now,
		sleep:         opts.Sleep,
		jitter:        opts.Jitter,
	}
	if opts.SiteURL != "" {
		if c.site, err = parseOrigin(opts.SiteURL); err != nil {
			return nil, fmt.Errorf("create the atlassian client: site URL: %w", err)
		}
	}
	c.fillDefaults()
	c.meter = newMeter(c.now, &c.points, opts)

	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	apiClient := *hc
	apiClient.Jar = nil
	apiClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.api = &apiClient
	mediaClient := *hc
	mediaClient.Jar = nil
	mediaClient.CheckRedirect = stripCredentials
	// A timeout sized for JSON calls would cut a large file short; the
	// caller's context bounds a download instead.
	mediaClient.Timeout = 0
	c.media = &mediaClient

	n := opts.Concurrency
	if n <= 0 {
		n = 4
	}
	limitMax := max(opts.MaxConcurrency, 0)
	if limitMax == 0 {
		limitMax = n
	}
	c.limit = newLimiter(min(n, limitMax), limitMax)
	c.downloads = newLimiter(DownloadsPerSlot*min(n, limitMax), DownloadsPerSlot*limitMax)
	return c, nil
}

// fillDefaults gives every option the caller left zero its default.
func (c *Client) fillDefaults() {
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.agent == "" {
		c.agent = "aumo"
	}
	if c.timeout <= 0 {
		c.timeout = DefaultRequestTimeout
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = 6
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	if c.jitter == nil {
		c.jitter = func() float64 { return 0.7 + 0.6*rand.Float64() } //nolint:gosec // jitter needs no secrecy
	}
}

// parseOrigin accepts an http(s) URL with a host and nothing but an
// optional trailing slash after it.
func parseOrigin(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("%q must be a bare origin like https://host", raw)
	}
	return &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}, nil
}

// stripCredentials lets the media client follow a redirect chain itself:
// its requests start without credentials, and deleting them again here
// keeps it so whatever a hop adds.
func stripCredentials(req *http.Request, via []*http.Request) error {
	if err := NoDowngrade(req, via); err != nil {
		return err
	}
	req.Header.Del("Authorization")
	req.Header.Del("Cookie")
	return nil
}

// ErrDowngrade is a redirect from https to plain http, which aumo never
// follows: what the secure request protects (a signed media URL, the
// file itself) would travel in clear.
var ErrDowngrade = errors.New("refused a redirect from https to plain http")

// NoDowngrade is an http.Client's CheckRedirect: at most 10 redirects,
// and never from https to http.
func NoDowngrade(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return downgrade(via[len(via)-1].URL, req.URL)
}

// downgrade refuses a redirect from https to http.
func downgrade(from, to *url.URL) error {
	if from != nil && strings.EqualFold(from.Scheme, "https") && !strings.EqualFold(to.Scheme, "https") {
		return fmt.Errorf("%w (to %s)", ErrDowngrade, to.Host)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Stats is what a Client has spent so far.
type Stats struct {
	// Requests counts every request sent to the gateway, retries
	// included; the credential-free download hops are not counted (they
	// do not draw on the API quota).
	Requests int64
	// Retries counts the requests and downloads that repeated an earlier
	// attempt.
	Retries int64
	// Points estimates the rate-limit points spent: one per request, one
	// per file RetryDownload handed to its caller (the attachment, a core
	// object), plus what callers added with Charge.
	Points int64
	// Throttled counts 429 answers.
	Throttled int64
	// Endpoints are the requests and points by endpoint (see Endpoint);
	// they add up to Requests and Points.
	Endpoints map[string]Cost
	// Concurrency is the current limit on requests in flight.
	Concurrency int
	// PausedUntil is when a quota pause ends; zero when none is pending.
	PausedUntil time.Time
}

// Stats returns the counters and the current limits.
func (c *Client) Stats() Stats {
	s := Stats{
		Requests:    c.requests.Load(),
		Retries:     c.retries.Load(),
		Points:      c.points.Load(),
		Throttled:   c.throttled.Load(),
		Endpoints:   c.ledger.snapshot(),
		Concurrency: c.limit.current(),
	}
	c.mu.Lock()
	if c.pausedUntil.After(c.now()) {
		s.PausedUntil = c.pausedUntil
	}
	c.mu.Unlock()
	return s
}

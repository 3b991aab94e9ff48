package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// DefaultLoginTimeout is how long aumo waits for the browser to come back.
const DefaultLoginTimeout = 5 * time.Minute

// LoginOptions configure one browser login.
type LoginOptions struct {
	// RedirectURL is the loopback callback registered with the OAuth app.
	// Port 0 binds a free port (test servers accept any callback).
	RedirectURL string
	// NoBrowser prints the URL and reads the redirected URL from ReadLine
	// instead of listening for the callback.
	NoBrowser bool
	// OpenBrowser opens the consent page; its failure is reported, not fatal,
	// since the URL is always printed. It must return once the browser is
	// started, not wait for the page: the callback is served after it
	// returns.
	OpenBrowser func(url string) error
	// ReadLine reads the pasted redirect URL (NoBrowser).
	ReadLine func() (string, error)
	// Messages receives what the person should read (standard error).
	Messages io.Writer
	// Timeout bounds the wait for the callback; zero means DefaultLoginTimeout.
	Timeout time.Duration
	// Complete finishes the login with the new grant (choose a site, store
	// it) before the browser is told the outcome, so that the page says
	// "signed in" only when aumo is. Nil: nothing more to do.
	Complete func(ctx context.Context, g *tokenstore.Grant) error
}

// PortInUseError means the callback address is taken.
type PortInUseError struct{ Addr string }

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("the login callback address %s is in use (another aumo login?)", e.Addr)
}

// TimeoutError means the browser never came back.
type TimeoutError struct{ After time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer from the browser within %s", e.After)
}

// Login runs the OAuth 2.0 (3LO) authorization-code flow and returns the
// new grant, as opts.Complete left it. The state has 256 random bits and is checked
// before the code is exchanged; a PKCE S256 challenge is sent too.
func (c *Client) Login(ctx context.Context, opts LoginOptions) (*tokenstore.Grant, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultLoginTimeout
	}
	if opts.Messages == nil {
		opts.Messages = io.Discard
	}
	redirect, err := url.Parse(opts.RedirectURL)
	if err != nil || redirect.Scheme != "http" || !config.IsLoopback(redirect.Hostname()) {
		return nil, fmt.Errorf("the callback %q must be an http URL on a loopback address (127.0.0.1, [::1] or localhost)", opts.RedirectURL)
	}
	if redirect.Path == "" {
		redirect.Path = "/"
	}
	state, err := randomString(32)
	if err != nil {
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()

	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	if opts.NoBrowser {
		code, err := c.pasteCallback(ctx, opts, redirect, state, verifier)
		if err != nil {
			return nil, err
		}
		return c.finish(ctx, opts, redirect.String(), code, verifier)
	}
	return c.awaitCallback(ctx, opts, redirect, state, verifier)
}

// awaitCallback listens on the redirect's loopback address, opens the
// browser on the consent page, and waits for the authorization server to
// send it back to the callback.
func (c *Client) awaitCallback(ctx context.Context, opts LoginOptions, redirect *url.URL, state, verifier string) (*tokenstore.Grant, error) {
	lns, err := listen(redirect)
	if err != nil {
		return nil, err
	}
	if redirect.Port() == "0" {
		redirect.Host = net.JoinHostPort(redirect.Hostname(), fmt.Sprint(lns[0].Addr().(*net.TCPAddr).Port))
	}
	authURL := c.authCodeURL(redirect.String(), state, verifier)

	cb := &callback{
		path:  redirect.Path,
		state: state,
		finish: func(code string) (*tokenstore.Grant, error) {
			return c.finish(ctx, opts, redirect.String(), code, verifier)
		},
		done: make(chan loginResult, 1),
	}
	// Everything said here is said before the callback is served: the
	// callback finishes the login on its own goroutine, and what it does
	// (asking which site, say) writes to the same terminal. The listeners
	// are bound already, so a browser that comes back first waits in
	// their backlog.
	fmt.Fprintf(opts.Messages, "Opening your browser to sign in to Atlassian. If it does not open, visit:\n\n  %s\n\n", authURL)
	if opts.OpenBrowser != nil {
		if err := opts.OpenBrowser(authURL); err != nil {
			fmt.Fprintf(opts.Messages, "Could not open a browser (%v); open the URL above yourself.\n", err)
		}
	}
	fmt.Fprintf(opts.Messages, "Waiting for the browser (up to %s)...\n", opts.Timeout)

	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: cb}
	for _, ln := range lns {
		go func() { _ = srv.Serve(ln) }()
	}
	defer func() {
		shutdown, stop := context.WithTimeout(context.Background(), 2*time.Second)
		defer stop()
		_ = srv.Shutdown(shutdown)
	}()

	select {
	case r := <-cb.done:
		return r.grant, r.err
	case <-ctx.Done():
		return nil, waitError(ctx, opts.Timeout)
	}
}

type loginResult struct {
	grant *tokenstore.Grant
	err   error
}

// callback answers the requests to one login's listener. Any local process
// (or web page) can send one, so only a request to the callback path that
// carries the login's state is the authorization server's answer, and
// only the first such one is acted on: its outcome, an error= among them,
// ends the login. Every other request gets an error page and the login
// keeps waiting, so that nobody but the authorization server can cut it
// short.
type callback struct {
	path, state string
	// finish exchanges the code and completes the login.
	finish func(code string) (*tokenstore.Grant, error)
	// done receives the outcome of the login, once.
	done chan loginResult

	mu      sync.Mutex
	claimed bool
}

func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code, err := "", ErrStateMismatch
	if r.URL.Path == cb.path {
		code, err = checkCallback(r.URL.Query(), cb.state)
	}
	if errors.Is(err, ErrStateMismatch) {
		text := "This request did not come from the sign-in aumo started, so aumo ignored it."
		if !cb.isClaimed() {
			text += " The login is still waiting: finish it in the browser tab aumo opened, or at the address aumo printed in the terminal."
		}
		writePage(w, http.StatusBadRequest, "Not the expected sign-in", text)
		return
	}
	if !cb.claim() {
		// A reload, or a second tab, while the first answer is in hand.
		writePage(w, http.StatusConflict, "aumo already has this sign-in", "Return to the terminal.")
		return
	}
	var g *tokenstore.Grant
	if err == nil {
		g, err = cb.finish(code)
	}
	writeOutcome(w, err)
	cb.done <- loginResult{g, err}
}

// claim reports whether the caller is the first to act on the callback.
func (cb *callback) claim() bool {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	first := !cb.claimed
	cb.claimed = true
	return first
}

func (cb *callback) isClaimed() bool {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.claimed
}

// waitError says why a wait for the person ended early.
func waitError(ctx context.Context, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{After: timeout}
	}
	return ctx.Err()
}

func (c *Client) authCodeURL(redirectURL, state, verifier string) string {
	return c.oauthConfig(redirectURL).AuthCodeURL(state,
		oauth2.SetAuthURLParam("audience", Audience),
		oauth2.SetAuthURLParam("prompt", "consent"),
		oauth2.S256ChallengeOption(verifier))
}

func (c *Client) finish(ctx context.Context, opts LoginOptions, redirectURL, code, verifier string) (*tokenstore.Grant, error) {
	tok, err := c.exchange(ctx, redirectURL, code, verifier)
	if err != nil {
		return nil, err
	}
	g := grantFromToken(tok, nil)
	if g.RefreshToken.IsZero() {
		return nil, errors.New("the authorization server sent no refresh token: the grant lacks offline_access")
	}
	if opts.Complete != nil {
		if err := opts.Complete(ctx, g); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (c *Client) pasteCallback(ctx context.Context, opts LoginOptions, redirect *url.URL, state, verifier string) (string, error) {
	if redirect.Port() == "0" {
		return "", errors.New("--no-browser needs the registered callback URL; AUMO_REDIRECT_URL has port 0")
	}
	fmt.Fprintf(opts.Messages, "Open this URL in a browser on any machine and approve:\n\n  %s\n\n"+
		"Your browser then goes to an address starting with %s (the page may not load).\n"+
		"Paste that whole address here and press Enter:\n", c.authCodeURL(redirect.String(), state, verifier), redirect.String())
	lines := make(chan string, 1)
	errs := make(chan error, 1)
	go func() {
		line, err := opts.ReadLine()
		if err != nil {
			errs <- err
			return
		}
		lines <- line
	}()
	select {
	case line := <-lines:
		u, err := url.Parse(strings.TrimSpace(line))
		if err != nil || u.RawQuery == "" {
			// The input is not repeated: it may hold a code.
			return "", errors.New("that is not the redirected address: it should end in ?code=…&state=…")
		}
		return checkCallback(u.Query(), state)
	case err := <-errs:
		if errors.Is(err, io.EOF) {
			return "", errors.New("no redirected address on standard input")
		}
		return "", err
	case <-ctx.Done():
		return "", waitError(ctx, opts.Timeout)
	}
}

// checkCallback validates the callback's query and returns the code. The
// state comes first: an error= from anyone but the authorization server
// of this login is not believed either.
func checkCallback(q url.Values, state string) (string, error) {
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return "", ErrStateMismatch
	}
	if e := q.Get("error"); e != "" {
		return "", &CallbackError{Code: e, Description: q.Get("error_description")}
	}
	code := q.Get("code")
	if code == "" {
		return "", errors.New("the callback carries no authorization code")
	}
	return code, nil
}

// listen binds the callback's loopback address, and nothing else. A
// localhost callback is bound on both 127.0.0.1 and [::1]: a browser may
// resolve localhost to either, and the major ones (curl too) do so by
// themselves, whatever the system's hosts file says; a loopback left free
// would let any local process listen there on the same port and receive
// the code.
func listen(redirect *url.URL) ([]net.Listener, error) {
	port := redirect.Port()
	if port == "" {
		port = "80"
	}
	if host := redirect.Hostname(); host != "localhost" {
		ln, err := listenOn(host, port)
		if err != nil {
			return nil, err
		}
		return []net.Listener{ln}, nil
	}
	// A free port of 127.0.0.1 may be taken on [::1]: then try another.
	for tries := 1; ; tries++ {
		lns, err := listenLocalhost(port)
		var inUse *PortInUseError
		if port != "0" || tries == 5 || !errors.As(err, &inUse) {
			return lns, err
		}
	}
}

// listenLocalhost binds 127.0.0.1 and [::1] on one port; port 0 binds
// a free port of 127.0.0.1. A machine without an IPv6 loopback gets
// 127.0.0.1 alone: nobody can bind [::1] there either.
func listenLocalhost(port string) ([]net.Listener, error) {
	v4, err := listenOn("127.0.0.1", port)
	if err != nil {
		return nil, err
	}
	v6, err := listenOn("::1", strconv.Itoa(v4.Addr().(*net.TCPAddr).Port))
	switch {
	case err == nil:
		return []net.Listener{v4, v6}, nil
	case ipv6Absent(err):
		return []net.Listener{v4}, nil
	}
	_ = v4.Close()
	return nil, err
}

func listenOn(host, port string) (net.Listener, error) {
	addr := net.JoinHostPort(host, port)
	ln, err := net.Listen("tcp", addr)
	if addrInUse(err) {
		return nil, &PortInUseError{Addr: addr}
	}
	if err != nil {
		return nil, fmt.Errorf("listen for the login callback on %s: %w", addr, err)
	}
	return ln, nil
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>aumo — {{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;line-height:1.5}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

// writeOutcome tells the browser how the login ended.
func writeOutcome(w http.ResponseWriter, err error) {
	if err != nil {
		writePage(w, http.StatusBadRequest, "aumo could not sign in", err.Error()+". Return to the terminal for what to do next.")
		return
	}
	writePage(w, http.StatusOK, "aumo is signed in", "You can close this tab and return to the terminal.")
}

func writePage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = page.Execute(w, struct{ Title, Text string }{title, text})
}

// Package cmdutil holds what every aumo command shares: the Factory of
// lazily built dependencies and the errors that map to exit codes.
package cmdutil

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/browser"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/iostreams"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// Factory builds a command's dependencies on first use; commands never
// build their own clients or stores.
type Factory struct {
	IO *iostreams.IOStreams
	// Config returns the resolved configuration (set once flags are parsed).
	Config func() (*config.Config, error)
	// Store returns the token store the configuration selects.
	Store func() (tokenstore.Store, error)
	// HTTPClient is the client for the authorization server and API.
	HTTPClient func() *http.Client
	// OpenBrowser opens a URL in the person's browser.
	OpenBrowser func(url string) error
	Logger      *slog.Logger
}

// New returns the Factory of the real program.
func New(ios *iostreams.IOStreams) *Factory {
	f := &Factory{
		IO:          ios,
		OpenBrowser: func(url string) error { return browser.Open(os.Getenv("BROWSER"), url) },
		Logger:      slog.New(slog.DiscardHandler),
	}
	var (
		once      sync.Once
		transport http.RoundTripper
	)
	f.HTTPClient = func() *http.Client {
		once.Do(func() {
			timeout := config.DefaultRequestTimeout
			if cfg, err := f.Config(); err == nil {
				timeout = cfg.RequestTimeout
			}
			transport = withDeadlines(timeout)
		})
		return &http.Client{
			Transport: loggingTransport{base: transport, logger: f.Logger},
			// Never from https to http, here or in what copies it.
			CheckRedirect: atlassian.NoDowngrade,
		}
	}
	f.Config = func() (*config.Config, error) { return nil, errors.New("configuration not loaded") }
	f.Store = func() (tokenstore.Store, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		return StoreFor(cfg), nil
	}
	return f
}

// withDeadlines is the default transport with every wait of a request
// bounded by timeout: connecting, the TLS handshake, and the answer's
// headers. The API client also bounds each wait for a body's next bytes
// (atlassian.Options.RequestTimeout); the authorization server's answers
// are a few hundred bytes.
func withDeadlines(timeout time.Duration) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	t.DialContext = dialer.DialContext
	t.TLSHandshakeTimeout = timeout
	t.ResponseHeaderTimeout = timeout
	return t
}

// StoreFor returns the token store a configuration selects.
func StoreFor(cfg *config.Config) tokenstore.Store {
	if cfg.TokenStore == config.StoreFile {
		return &tokenstore.File{Dir: cfg.StateDir, Passphrase: cfg.TokenPassphrase}
	}
	return &tokenstore.Keychain{Keyring: tokenstore.SystemKeyring{}}
}

// AuthClient returns the OAuth client the configuration describes.
func (f *Factory) AuthClient() (*auth.Client, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" || cfg.ClientSecret.IsZero() {
		return nil, &UsageError{Msg: "no OAuth app configured: set AUMO_CLIENT_ID and AUMO_CLIENT_SECRET (this build embeds none; the README's \"An OAuth app of your own\" says how to register one)"}
	}
	return &auth.Client{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		AuthURL: cfg.AuthURL, APIURL: cfg.APIURL, Scopes: cfg.Scopes,
		HTTP: f.HTTPClient(),
	}, nil
}

// ConfigAndStore returns the resolved configuration and the token store
// it selects: what a command that reads or writes the profile's grant
// starts with.
func (f *Factory) ConfigAndStore() (*config.Config, tokenstore.Store, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, nil, err
	}
	store, err := f.Store()
	if err != nil {
		return nil, nil, err
	}
	return cfg, store, nil
}

// TokenSource returns the profile's token source.
func (f *Factory) TokenSource() (*auth.TokenSource, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	client, err := f.AuthClient()
	if err != nil {
		return nil, err
	}
	store, err := f.Store()
	if err != nil {
		return nil, err
	}
	return &auth.TokenSource{
		Client: client, Store: store, StateDir: cfg.StateDir, Profile: cfg.Profile,
		Logger: f.Logger, Waiting: f.LockWaiting(cfg.Profile),
	}, nil
}

// LockWaiting returns what to say when the profile's lock keeps aumo
// waiting: another aumo process is refreshing, logging in or revoking.
func (f *Factory) LockWaiting(profile string) func() {
	return func() {
		fmt.Fprintf(f.IO.Messages(), "Waiting for another aumo process using profile %s...\n", profile)
	}
}

// UsageError is a mistake in how aumo was called (exit 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

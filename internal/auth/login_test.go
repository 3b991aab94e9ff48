package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/sandbox"
)

// forgedCallbacks are requests to a login's listener that did not come
// from its authorization server; any local process can send them.
var forgedCallbacks = []struct {
	name, path string
	query      url.Values
}{
	{"wrong state", "/callback", url.Values{"code": {"forged-code"}, "state": {"not-this-login"}}},
	{"no state", "/callback", url.Values{"code": {"forged-code"}}},
	{"denied with a wrong state", "/callback", url.Values{"error": {"access_denied"}, "state": {"not-this-login"}}},
	{"denied without a state", "/callback", url.Values{"error": {"access_denied"}}},
	{"not the callback", "/favicon.ico", nil},
}

// inBackground is an OpenBrowser that runs browse in the background, as a
// browser runs beside aumo. The returned channel is closed when browse is
// done; its failure fails the test and cancels the login.
func inBackground(t *testing.T, cancel context.CancelFunc, browse func(consentURL string) error) (func(string) error, <-chan struct{}) {
	done := make(chan struct{})
	return func(consentURL string) error {
		go func() {
			defer close(done)
			if err := browse(consentURL); err != nil {
				t.Errorf("browser: %v", err)
				cancel()
			}
		}()
		return nil
	}, done
}

// forgeThenSignIn plays a local process that sends the callback every
// forged request, then the person's browser signing in. Both go to the
// callback's port on loopback (such as "[::1]"), or on the redirect's own
// host when loopback is empty.
func forgeThenSignIn(t *testing.T, loopback string) func(consentURL string) error {
	return func(consentURL string) error {
		consent, err := url.Parse(consentURL)
		if err != nil {
			return err
		}
		callback, err := url.Parse(consent.Query().Get("redirect_uri"))
		if err != nil {
			return err
		}
		if loopback != "" {
			callback.Host = loopback + ":" + callback.Port()
		}
		if err := forge(t, *callback); err != nil {
			return err
		}
		// The person approves; the authorization server sends the browser
		// back to the callback.
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get(consentURL)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		back, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			return err
		}
		back.Host = callback.Host
		_, _, err = get(back.String())
		return err
	}
}

// forge sends every forged request to the callback and checks that each
// got the page saying the login is still waiting.
func forge(t *testing.T, callback url.URL) error {
	for _, f := range forgedCallbacks {
		callback.Path, callback.RawQuery = f.path, f.query.Encode()
		status, body, err := get(callback.String())
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if status != http.StatusBadRequest || !strings.Contains(body, "Not the expected sign-in") || !strings.Contains(body, "still waiting") {
			t.Errorf("%s: got %d %s, want 400 and the page saying the login is still waiting", f.name, status, body)
		}
	}
	return nil
}

func get(u string) (int, string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// TestLoginOutlastsForgedCallbacks: no request without the login's state
// ends it, whatever it carries; the real answer of the authorization
// server still does, approval and denial alike.
func TestLoginOutlastsForgedCallbacks(t *testing.T) {
	for _, deny := range []bool{false, true} {
		t.Run(fmt.Sprintf("deny=%v", deny), func(t *testing.T) {
			srv, c := startSandbox(t, sandbox.Options{})
			srv.SetDeny(deny)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			open, browsed := inBackground(t, cancel, forgeThenSignIn(t, ""))
			g, err := c.Login(ctx, LoginOptions{RedirectURL: "http://127.0.0.1:0/callback", OpenBrowser: open})
			<-browsed
			var denied *CallbackError
			switch {
			case deny && (!errors.As(err, &denied) || denied.Code != "access_denied"):
				t.Fatalf("got %v, want the denial", err)
			case !deny && err != nil:
				t.Fatal(err)
			case !deny && g.RefreshToken.IsZero():
				t.Error("no refresh token")
			}
		})
	}
}

// requireIPv6Loopback skips a test of [::1] on a machine without an IPv6
// loopback, and only there.
func requireIPv6Loopback(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "[::1]:0")
	if ipv6Absent(err) {
		t.Skipf("this machine has no IPv6 loopback: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = ln.Close()
}

// TestLoginLocalhostListensOnEveryLoopback: browsers resolve localhost to
// 127.0.0.1 or [::1], so a localhost callback is aumo's on both; neither
// is left for another process to take.
func TestLoginLocalhostListensOnEveryLoopback(t *testing.T) {
	for _, loopback := range []string{"127.0.0.1", "[::1]"} {
		t.Run(loopback, func(t *testing.T) {
			if loopback == "[::1]" {
				requireIPv6Loopback(t)
			}
			_, c := startSandbox(t, sandbox.Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			open, browsed := inBackground(t, cancel, forgeThenSignIn(t, loopback))
			g, err := c.Login(ctx, LoginOptions{RedirectURL: "http://localhost:0/callback", OpenBrowser: open})
			<-browsed
			if err != nil {
				t.Fatal(err)
			}
			if g.RefreshToken.IsZero() {
				t.Error("no refresh token")
			}
		})
	}
}

// TestLoginLocalhostRefusesATakenIPv6Port: when another process holds
// [::1] on the callback's port, the login stops before the browser opens
// instead of letting that process receive the code.
func TestLoginLocalhostRefusesATakenIPv6Port(t *testing.T) {
	requireIPv6Loopback(t)
	_, c := startSandbox(t, sandbox.Options{})
	port := takeIPv6PortFreeOnIPv4(t)
	_, err := c.Login(context.Background(), LoginOptions{
		RedirectURL: "http://localhost:" + port + "/callback",
		OpenBrowser: func(string) error { t.Error("the browser opened while [::1] was another's"); return nil },
		Timeout:     2 * time.Second,
	})
	var inUse *PortInUseError
	if !errors.As(err, &inUse) || inUse.Addr != "[::1]:"+port {
		t.Fatalf("got %v, want [::1]:%s in use", err, port)
	}
}

// takeIPv6PortFreeOnIPv4 binds [::1] on a port that 127.0.0.1 has free,
// for the rest of the test, and returns the port.
func takeIPv6PortFreeOnIPv4(t *testing.T) string {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		if v4, err := net.Listen("tcp", "127.0.0.1:"+port); err == nil {
			_ = v4.Close()
			t.Cleanup(func() { _ = ln.Close() })
			return port
		}
		_ = ln.Close()
	}
	t.Fatal("found no port free on 127.0.0.1 whose [::1] twin was free too")
	return ""
}

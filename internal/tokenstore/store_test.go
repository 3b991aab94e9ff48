package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/aumo-cli/aumo/internal/secret"
)

func TestMain(m *testing.M) {
	SetScryptWorkFactorForTesting(10)
	os.Exit(m.Run())
}

// fakeKeyring is an in-memory keychain with an optional per-item limit and
// switchable failures.
type fakeKeyring struct {
	mu    sync.Mutex
	items map[string]string
	limit int
	err   error         // returned by every call when set
	hang  chan struct{} // calls block until closed when set
}

func newFakeKeyring() *fakeKeyring { return &fakeKeyring{items: map[string]string{}} }

func (f *fakeKeyring) wait() error {
	if f.hang != nil {
		<-f.hang
	}
	return f.err
}

func (f *fakeKeyring) Get(service, acct string) (string, error) {
	if err := f.wait(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[service+"|"+acct]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Set(service, acct, value string) error {
	if err := f.wait(); err != nil {
		return err
	}
	if f.limit > 0 && len(value) > f.limit {
		return keyring.ErrSetDataTooBig
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[service+"|"+acct] = value
	return nil
}

func (f *fakeKeyring) Delete(service, acct string) error {
	if err := f.wait(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[service+"|"+acct]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, service+"|"+acct)
	return nil
}

func (f *fakeKeyring) accounts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.items {
		out = append(out, strings.TrimPrefix(k, Service+"|"))
	}
	return out
}

func sampleGrant(tokenSize int) *Grant {
	return &Grant{
		AccessToken:  secret.New("acc-" + strings.Repeat("a", tokenSize)),
		RefreshToken: secret.New("ref-" + strings.Repeat("r", tokenSize)),
		TokenType:    "Bearer",
		Scope:        "read:jira-work offline_access",
		Expiry:       time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC),
		Sites: []Site{
			{CloudID: "11111111-1111-1111-1111-111111111111", URL: "https://acme.atlassian.net", Name: "acme"},
			{CloudID: "22222222-2222-2222-2222-222222222222", URL: "https://beta.atlassian.net", Name: "beta"},
		},
		Site: "11111111-1111-1111-1111-111111111111",
	}
}

func sameGrant(t *testing.T, got, want *Grant) {
	t.Helper()
	if !got.AccessToken.Equal(want.AccessToken) || !got.RefreshToken.Equal(want.RefreshToken) {
		t.Errorf("tokens differ after a round trip")
	}
	if got.TokenType != want.TokenType || got.Scope != want.Scope || !got.Expiry.Equal(want.Expiry) ||
		got.Site != want.Site || fmt.Sprint(got.Sites) != fmt.Sprint(want.Sites) {
		t.Errorf("metadata differs:\n got %+v\nwant %+v", got, want)
	}
}

// TestStoreConformance is what every Store must do.
func TestStoreConformance(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"memory":   func(*testing.T) Store { return &Memory{} },
		"file":     func(t *testing.T) Store { return &File{Dir: t.TempDir(), Passphrase: secret.New("correct horse")} },
		"keychain": func(*testing.T) Store { return &Keychain{Keyring: newFakeKeyring()} },
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := mk(t)
			if _, err := s.Load(ctx, "default"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Load before Save: %v, want ErrNotFound", err)
			}
			for _, size := range []int{40, 5000, 100} { // small, split, shrunk again
				g := sampleGrant(size)
				if err := s.Save(ctx, "default", g); err != nil {
					t.Fatalf("Save: %v", err)
				}
				got, err := s.Load(ctx, "default")
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				sameGrant(t, got, g)
			}
			if _, err := s.Load(ctx, "other"); !errors.Is(err, ErrNotFound) {
				t.Errorf("profiles are not separate: %v", err)
			}
			deleted, err := s.Delete(ctx, "default")
			if err != nil || len(deleted) == 0 {
				t.Fatalf("Delete: %v, %v", deleted, err)
			}
			if _, err := s.Load(ctx, "default"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Load after Delete: %v", err)
			}
			if again, err := s.Delete(ctx, "default"); err != nil || len(again) != 0 {
				t.Errorf("second Delete: %v, %v", again, err)
			}
			if s.Location("default") == "" {
				t.Error("no location")
			}
		})
	}
}

func TestKeychainSplitsLargeTokensAndCleansUp(t *testing.T) {
	ctx := context.Background()
	kr := newFakeKeyring()
	kr.limit = 2560 // Windows Credential Manager
	k := &Keychain{Keyring: kr}
	g := sampleGrant(6000)
	if err := k.Save(ctx, "work", g); err != nil {
		t.Fatal(err)
	}
	for _, v := range kr.items {
		if len(v) > 2560 {
			t.Errorf("an item of %d bytes exceeds the platform limit", len(v))
		}
	}
	if head := kr.items[Service+"|work/access"]; !strings.HasPrefix(head, splitPrefix) {
		t.Errorf("head item %q does not announce parts", head)
	}
	got, err := k.Load(ctx, "work")
	if err != nil {
		t.Fatal(err)
	}
	sameGrant(t, got, g)

	// A smaller token afterwards leaves no stale parts.
	if err := k.Save(ctx, "work", sampleGrant(10)); err != nil {
		t.Fatal(err)
	}
	if accts := kr.accounts(); len(accts) != 3 {
		t.Errorf("items after shrinking: %v, want only work/access, work/refresh, work/grant", accts)
	}
}

func TestKeychainSplitsFinerWhenThePlatformAllowsLess(t *testing.T) {
	ctx := context.Background()
	kr := newFakeKeyring()
	kr.limit = 700 // less than the default part size
	k := &Keychain{Keyring: kr}
	g := sampleGrant(3000)
	if err := k.Save(ctx, "p", g); err != nil {
		t.Fatal(err)
	}
	got, err := k.Load(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	sameGrant(t, got, g)
}

func TestKeychainDeletesOrphanedParts(t *testing.T) {
	ctx := context.Background()
	kr := newFakeKeyring()
	// Writes that died after their parts and before their heads.
	kr.items[Service+"|p/refresh.a1"] = "x"
	kr.items[Service+"|p/refresh.a2"] = "y"
	kr.items[Service+"|p/access.b1"] = "z"
	deleted, err := (&Keychain{Keyring: kr}).Delete(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if len(deleted) != 3 || len(kr.accounts()) != 0 {
		t.Errorf("deleted %v, left %v", deleted, kr.accounts())
	}
}

// failAfter lets n writes through, then fails every write.
type failAfter struct {
	*fakeKeyring
	n int
}

func (f *failAfter) Set(service, acct, value string) error {
	if f.n == 0 {
		return errors.New("the keychain went away")
	}
	f.n--
	return f.fakeKeyring.Set(service, acct, value)
}

func TestKeychainWriteCutShortKeepsTheOldValue(t *testing.T) {
	ctx := context.Background()
	for cut := range 8 {
		kr := newFakeKeyring()
		k := &Keychain{Keyring: kr}
		old := sampleGrant(5000)
		if err := k.Save(ctx, "p", old); err != nil {
			t.Fatal(err)
		}
		next := sampleGrant(4500)
		next.RefreshToken = secret.New("new-" + strings.Repeat("n", 4500))
		k.Keyring = &failAfter{fakeKeyring: kr, n: cut}
		if err := k.Save(ctx, "p", next); err == nil {
			t.Fatalf("cut after %d writes: no error", cut)
		}
		k.Keyring = kr
		got, err := k.Load(ctx, "p")
		if err != nil {
			t.Fatalf("cut after %d writes: %v", cut, err)
		}
		// The refresh token is whole: the old one or, once its head
		// switched, the new one; never a mix.
		r := got.RefreshToken.Reveal()
		if r != old.RefreshToken.Reveal() && r != next.RefreshToken.Reveal() {
			t.Fatalf("cut after %d writes: a torn refresh token of %d bytes", cut, len(r))
		}
	}
}

func TestKeychainDetectsDamagedParts(t *testing.T) {
	ctx := context.Background()
	kr := newFakeKeyring()
	k := &Keychain{Keyring: kr}
	if err := k.Save(ctx, "p", sampleGrant(5000)); err != nil {
		t.Fatal(err)
	}
	kr.items[Service+"|p/refresh.a2"] = "tampered"
	if _, err := k.Load(ctx, "p"); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("got %v, want a damaged item", err)
	}
}

func TestKeychainUnavailable(t *testing.T) {
	ctx := context.Background()
	kr := newFakeKeyring()
	kr.err = errors.New("the name org.freedesktop.secrets was not provided by any .service files")
	_, err := (&Keychain{Keyring: kr}).Load(ctx, "p")
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want UnavailableError", err)
	}
}

func TestKeychainCallTimesOut(t *testing.T) {
	kr := newFakeKeyring()
	kr.hang = make(chan struct{})
	defer close(kr.hang)
	k := &Keychain{Keyring: kr, Timeout: 50 * time.Millisecond}
	start := time.Now()
	err := k.Save(context.Background(), "p", sampleGrant(5))
	var ue *UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("got %v, want a timeout naming a locked keychain", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("timeout not honoured")
	}
}

func TestFileStoreEncryptsAndChecksThePassphrase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := &File{Dir: dir, Passphrase: secret.New("s3cret pass")}
	g := sampleGrant(50)
	if err := f.Save(ctx, "default", g); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(f.Path("default"))
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{g.AccessToken.Reveal(), g.RefreshToken.Reveal(), "acme.atlassian.net", "read:jira-work"} {
		if strings.Contains(string(raw), plain) {
			t.Errorf("token file holds %q in plain text", plain)
		}
	}
	fi, _ := os.Stat(f.Path("default"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := (&File{Dir: dir, Passphrase: secret.New("wrong")}).Load(ctx, "default"); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if _, err := (&File{Dir: dir}).Load(ctx, "default"); !errors.Is(err, ErrNoPassphrase) {
		t.Errorf("no passphrase: %v", err)
	}
	if err := (&File{Dir: dir}).Save(ctx, "x", g); !errors.Is(err, ErrNoPassphrase) {
		t.Errorf("save without passphrase: %v", err)
	}
}

func TestLockSerialises(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	unlock, err := Lock(ctx, dir, "p", nil)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := Lock(short, dir, "p", nil); err == nil {
		t.Fatal("a second holder got the lock")
	}
	if u, err := Lock(ctx, dir, "other", nil); err != nil {
		t.Fatalf("profiles share a lock: %v", err)
	} else {
		u()
	}
	waited := make(chan struct{})
	go func() {
		time.Sleep(waitNotice + 200*time.Millisecond)
		unlock()
	}()
	u2, err := Lock(ctx, dir, "p", func() { close(waited) })
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	u2()
	select {
	case <-waited:
	default:
		t.Error("a long wait for the lock was not announced")
	}
}

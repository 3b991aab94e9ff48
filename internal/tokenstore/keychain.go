package tokenstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/aumo-cli/aumo/internal/secret"
)

// Service is the keychain service name of every item aumo keeps.
const Service = "aumo"

// DefaultKeychainTimeout bounds one keychain call. A locked keychain may
// show an unlock prompt that nobody answers; aumo then fails with a clear
// message instead of hanging.
const DefaultKeychainTimeout = 30 * time.Second

// maxItemBytes keeps every keychain item under the smallest platform limit
// (Windows Credential Manager: 2,560 bytes; macOS' security path: about
// 3,000 including service and account). Larger values are split.
const maxItemBytes = 2000

// splitPrefix marks a head item whose value is spread over numbered items.
// Tokens are base64url or JWTs and never contain a colon.
const splitPrefix = "aumo-split:"

// maxParts bounds the number of numbered items a value may use.
const maxParts = 64

// Keyring is the OS keychain as aumo uses it. go-keyring implements it;
// tests use an in-memory one.
type Keyring interface {
	Get(service, account string) (string, error) // keyring.ErrNotFound when absent
	Set(service, account, value string) error
	Delete(service, account string) error // keyring.ErrNotFound when absent
}

// SystemKeyring is the OS keychain: macOS Keychain, Windows Credential
// Manager or the Secret Service (GNOME Keyring, KWallet) on Linux.
type SystemKeyring struct{}

// Get implements Keyring.
func (SystemKeyring) Get(service, account string) (string, error) {
	return keyring.Get(service, account)
}

// Set implements Keyring.
func (SystemKeyring) Set(service, account, value string) error {
	return keyring.Set(service, account, value)
}

// Delete implements Keyring.
func (SystemKeyring) Delete(service, account string) error { return keyring.Delete(service, account) }

// UnavailableError means the keychain could not be used: no Secret Service
// running, a locked keychain, a denied prompt or a call that timed out.
type UnavailableError struct {
	Op  string
	Err error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("the OS keychain is not available (%s): %v", e.Op, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Keychain stores a grant as keychain items of service "aumo": one item per
// secret (`<profile>/access`, `<profile>/refresh`) and one for the grant's
// metadata (`<profile>/grant`), so every item stays small. A value too
// large for one item is split across `<account>.1` … `<account>.N`, and
// the head item holds only the count.
type Keychain struct {
	Keyring Keyring
	// Timeout bounds each keychain call; zero means DefaultKeychainTimeout.
	Timeout time.Duration
	// ItemBytes is the largest value one item holds; zero means the default.
	ItemBytes int
}

var _ Store = (*Keychain)(nil)

const (
	itemRefresh = "refresh"
	itemAccess  = "access"
	itemGrant   = "grant"
)

// Location implements Store.
func (k *Keychain) Location(profile string) string {
	return fmt.Sprintf("OS keychain (service %q, items %s/access, %s/refresh, %s/grant)", Service, profile, profile, profile)
}

// Load implements Store.
func (k *Keychain) Load(ctx context.Context, profile string) (*Grant, error) {
	meta, err := k.get(ctx, account(profile, itemGrant))
	if err != nil {
		return nil, err
	}
	refresh, err := k.get(ctx, account(profile, itemRefresh))
	if err != nil {
		return nil, err
	}
	access, err := k.get(ctx, account(profile, itemAccess))
	if errors.Is(err, ErrNotFound) {
		access = "" // an access token is replaceable; the refresh token is what matters
	} else if err != nil {
		return nil, err
	}
	var m metadata
	if err := json.Unmarshal([]byte(meta), &m); err != nil {
		return nil, fmt.Errorf("keychain item %s is corrupt: %w", account(profile, itemGrant), err)
	}
	g := &Grant{AccessToken: secret.New(access), RefreshToken: secret.New(refresh)}
	m.apply(g)
	return g, nil
}

// Save implements Store.
func (k *Keychain) Save(ctx context.Context, profile string, g *Grant) error {
	meta, err := json.Marshal(metadataOf(g))
	if err != nil {
		return err
	}
	// The refresh token first: if aumo dies part-way, the newest refresh
	// token is stored, and an older access token or expiry only costs one
	// more refresh.
	if err := k.set(ctx, account(profile, itemRefresh), g.RefreshToken.Reveal()); err != nil {
		return err
	}
	if err := k.set(ctx, account(profile, itemAccess), g.AccessToken.Reveal()); err != nil {
		return err
	}
	return k.set(ctx, account(profile, itemGrant), string(meta))
}

// Delete implements Store.
func (k *Keychain) Delete(ctx context.Context, profile string) ([]string, error) {
	var deleted []string
	for _, item := range []string{itemGrant, itemAccess, itemRefresh} {
		names, err := k.remove(ctx, account(profile, item))
		deleted = append(deleted, names...)
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

func account(profile, item string) string { return profile + "/" + item }

func partAccount(head string, i int) string { return head + "." + strconv.Itoa(i) }

func (k *Keychain) get(ctx context.Context, acct string) (string, error) {
	head, err := k.call(ctx, "read "+acct, func(r Keyring) (string, error) { return r.Get(Service, acct) })
	if err != nil {
		return "", err
	}
	n, split := parts(head)
	if !split {
		return head, nil
	}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		p := partAccount(acct, i)
		v, err := k.call(ctx, "read "+p, func(r Keyring) (string, error) { return r.Get(Service, p) })
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("keychain item %s is missing part %d of %d", acct, i, n)
		}
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func (k *Keychain) set(ctx context.Context, acct, value string) error {
	size := k.ItemBytes
	if size <= 0 {
		size = maxItemBytes
	}
	for {
		err := k.setParts(ctx, acct, value, size)
		// A platform may allow less than we assumed (long account names
		// on macOS): split finer rather than lose the token.
		if errors.Is(err, keyring.ErrSetDataTooBig) && size > 256 {
			size /= 2
			continue
		}
		return err
	}
}

func (k *Keychain) setParts(ctx context.Context, acct, value string, size int) error {
	var chunks []string
	for len(value) > size {
		chunks = append(chunks, value[:size])
		value = value[size:]
	}
	chunks = append(chunks, value)
	if len(chunks) > maxParts {
		return fmt.Errorf("value for keychain item %s is too large (%d parts)", acct, len(chunks))
	}
	oldParts := 0
	if old, err := k.call(ctx, "read "+acct, func(r Keyring) (string, error) { return r.Get(Service, acct) }); err == nil {
		oldParts, _ = parts(old)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	head := chunks[0]
	if len(chunks) > 1 {
		// Parts before the head, so a head that names N parts always has them.
		for i, c := range chunks {
			p, c := partAccount(acct, i+1), c
			if _, err := k.call(ctx, "write "+p, func(r Keyring) (string, error) { return "", r.Set(Service, p, c) }); err != nil {
				return err
			}
		}
		head = splitPrefix + strconv.Itoa(len(chunks))
	}
	if _, err := k.call(ctx, "write "+acct, func(r Keyring) (string, error) { return "", r.Set(Service, acct, head) }); err != nil {
		return err
	}
	newParts := 0
	if len(chunks) > 1 {
		newParts = len(chunks)
	}
	for i := newParts + 1; i <= oldParts; i++ {
		p := partAccount(acct, i)
		if _, err := k.call(ctx, "delete "+p, func(r Keyring) (string, error) { return "", r.Delete(Service, p) }); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// remove deletes an item and all its parts, including parts orphaned by a
// write that died before its head item was written.
func (k *Keychain) remove(ctx context.Context, acct string) ([]string, error) {
	var deleted []string
	del := func(a string) (bool, error) {
		_, err := k.call(ctx, "delete "+a, func(r Keyring) (string, error) { return "", r.Delete(Service, a) })
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		deleted = append(deleted, fmt.Sprintf("keychain item %s (service %s)", a, Service))
		return true, nil
	}
	for i := 1; i <= maxParts; i++ {
		ok, err := del(partAccount(acct, i))
		if err != nil {
			return deleted, err
		}
		if !ok {
			break
		}
	}
	_, err := del(acct)
	return deleted, err
}

func parts(head string) (int, bool) {
	if !strings.HasPrefix(head, splitPrefix) {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(head, splitPrefix))
	if err != nil || n < 1 || n > maxParts {
		return 0, false
	}
	return n, true
}

// call runs one keychain operation with a timeout. The OS call itself
// cannot be cancelled; on timeout it is abandoned.
func (k *Keychain) call(ctx context.Context, op string, fn func(Keyring) (string, error)) (string, error) {
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultKeychainTimeout
	}
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn(k.Keyring)
		done <- result{v, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if errors.Is(r.err, keyring.ErrNotFound) {
			return "", ErrNotFound
		}
		if r.err != nil && !errors.Is(r.err, keyring.ErrSetDataTooBig) {
			return "", &UnavailableError{Op: op, Err: r.err}
		}
		return r.v, r.err
	case <-timer.C:
		return "", &UnavailableError{Op: op, Err: fmt.Errorf("no answer within %s (is the keychain locked?)", timeout)}
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

package tokenstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
// Tokens are base64url or JWTs and never contain a colon, so no token is
// mistaken for a head.
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
	if err := sessionBus(); err != nil {
		return "", err
	}
	return keyring.Get(service, account)
}

// Set implements Keyring.
func (SystemKeyring) Set(service, account, value string) error {
	if err := sessionBus(); err != nil {
		return err
	}
	return keyring.Set(service, account, value)
}

// Delete implements Keyring.
func (SystemKeyring) Delete(service, account string) error {
	if err := sessionBus(); err != nil {
		return err
	}
	return keyring.Delete(service, account)
}

// sessionBus checks, where the keychain is the Secret Service, that a D-Bus
// session exists. Without one, the D-Bus library would launch a bus and
// keyring daemons of its own, which outlive aumo.
func sessionBus() error {
	switch runtime.GOOS {
	case "darwin", "windows":
		return nil
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil { //nolint:gosec // the user's own runtime directory
			return nil
		}
	}
	return errors.New("no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service")
}

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
// large for one item is split across numbered items (see partAccount).
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

// A value too large for one item is written to numbered parts in one of two
// slots, `<account>.a1…aN` or `<account>.b1…bN`, alternating, and only then
// does the head item switch to it: "aumo-split:<slot>:<N>:<digest>". So a
// write that dies part-way leaves the head naming the old, complete value,
// and the digest catches any other damage.
const slots = "ab"

func partAccount(acct string, slot byte, i int) string {
	return acct + "." + string(slot) + strconv.Itoa(i)
}

type splitHead struct {
	slot   byte
	n      int
	digest string
}

func (h splitHead) String() string {
	return fmt.Sprintf("%s%c:%d:%s", splitPrefix, h.slot, h.n, h.digest)
}

func parseHead(head string) (splitHead, bool) {
	rest, ok := strings.CutPrefix(head, splitPrefix)
	if !ok {
		return splitHead{}, false
	}
	f := strings.Split(rest, ":")
	if len(f) != 3 || len(f[0]) != 1 || !strings.Contains(slots, f[0]) {
		return splitHead{}, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 || n > maxParts {
		return splitHead{}, false
	}
	return splitHead{slot: f[0][0], n: n, digest: f[2]}, true
}

func digest(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:8])
}

func (k *Keychain) read(ctx context.Context, acct string) (string, error) {
	return k.call(ctx, "read "+acct, func(r Keyring) (string, error) { return r.Get(Service, acct) })
}

func (k *Keychain) write(ctx context.Context, acct, value string) error {
	_, err := k.call(ctx, "write "+acct, func(r Keyring) (string, error) { return "", r.Set(Service, acct, value) })
	return err
}

// del deletes one item and reports whether it existed.
func (k *Keychain) del(ctx context.Context, acct string) (bool, error) {
	_, err := k.call(ctx, "delete "+acct, func(r Keyring) (string, error) { return "", r.Delete(Service, acct) })
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (k *Keychain) get(ctx context.Context, acct string) (string, error) {
	head, err := k.read(ctx, acct)
	if err != nil {
		return "", err
	}
	h, split := parseHead(head)
	if !split {
		return head, nil
	}
	var b strings.Builder
	for i := 1; i <= h.n; i++ {
		v, err := k.read(ctx, partAccount(acct, h.slot, i))
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("keychain item %s is missing part %d of %d: run `aumo login`", acct, i, h.n)
		}
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	if digest(b.String()) != h.digest {
		return "", fmt.Errorf("keychain item %s is damaged (its parts do not match): run `aumo login`", acct)
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
	for rest := value; ; {
		n := min(len(rest), size)
		chunks = append(chunks, rest[:n])
		rest = rest[n:]
		if rest == "" {
			break
		}
	}
	if len(chunks) > maxParts {
		return fmt.Errorf("value for keychain item %s is too large (%d parts)", acct, len(chunks))
	}
	old, err := k.read(ctx, acct)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	oldHead, oldSplit := parseHead(old)

	head := value
	if len(chunks) > 1 {
		slot := slots[0]
		if oldSplit && oldHead.slot == slot {
			slot = slots[1]
		}
		for i, c := range chunks {
			if err := k.write(ctx, partAccount(acct, slot, i+1), c); err != nil {
				return err
			}
		}
		head = splitHead{slot: slot, n: len(chunks), digest: digest(value)}.String()
	}
	if err := k.write(ctx, acct, head); err != nil {
		return err
	}
	if oldSplit {
		_, err := k.removeParts(ctx, acct, oldHead.slot)
		return err
	}
	return nil
}

// removeParts deletes a slot's parts from the last down, so that a deletion
// cut short leaves parts 1…k, which the next removal finds again.
func (k *Keychain) removeParts(ctx context.Context, acct string, slot byte) ([]string, error) {
	n := 0
	for n < maxParts {
		if _, err := k.read(ctx, partAccount(acct, slot, n+1)); errors.Is(err, ErrNotFound) {
			break
		} else if err != nil {
			return nil, err
		}
		n++
	}
	var deleted []string
	for i := n; i >= 1; i-- {
		p := partAccount(acct, slot, i)
		ok, err := k.del(ctx, p)
		if err != nil {
			return deleted, err
		}
		if ok {
			deleted = append(deleted, describeItem(p))
		}
	}
	return deleted, nil
}

// remove deletes an item and the parts of both slots, including parts a
// write left behind when it died before switching the head.
func (k *Keychain) remove(ctx context.Context, acct string) ([]string, error) {
	var deleted []string
	for i := range len(slots) {
		d, err := k.removeParts(ctx, acct, slots[i])
		deleted = append(deleted, d...)
		if err != nil {
			return deleted, err
		}
	}
	ok, err := k.del(ctx, acct)
	if ok {
		deleted = append(deleted, describeItem(acct))
	}
	return deleted, err
}

func describeItem(acct string) string {
	return fmt.Sprintf("keychain item %s (service %s)", acct, Service)
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

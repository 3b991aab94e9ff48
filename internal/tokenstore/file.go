package tokenstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"filippo.io/age"

	"github.com/aumo-cli/aumo/internal/atomicfile"
	"github.com/aumo-cli/aumo/internal/secret"
)

// ErrNoPassphrase means the file store was chosen without a passphrase.
var ErrNoPassphrase = errors.New("the file token store needs a passphrase in AUMO_TOKEN_PASSPHRASE")

// ErrWrongPassphrase means the token file did not decrypt with the passphrase given.
var ErrWrongPassphrase = errors.New("the token file does not decrypt with this AUMO_TOKEN_PASSPHRASE")

// FileName is the name of the file store's file in a profile's state directory.
const FileName = "tokens.age"

// scryptWorkFactor is age's default scrypt cost (about a second). Tests
// lower it with SetScryptWorkFactorForTesting.
var scryptWorkFactor = 18

// SetScryptWorkFactorForTesting lowers the cost of the file store's key
// derivation. Only tests call it; users always get age's default.
func SetScryptWorkFactorForTesting(logN int) { scryptWorkFactor = logN }

// File stores a profile's whole grant as one age file encrypted with a
// passphrase (scrypt), mode 0600, at `<Dir>/<profile>/tokens.age`. It is
// the choice where no OS keychain exists (servers, containers, CI).
type File struct {
	// Dir holds one directory per profile (aumo's state directory).
	Dir        string
	Passphrase secret.String
}

var _ Store = (*File)(nil)

// Path returns the profile's token file.
func (f *File) Path(profile string) string { return filepath.Join(f.Dir, profile, FileName) }

// Location implements Store.
func (f *File) Location(profile string) string {
	return "encrypted file " + f.Path(profile)
}

// Load implements Store.
func (f *File) Load(_ context.Context, profile string) (*Grant, error) {
	data, err := os.ReadFile(f.Path(profile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if f.Passphrase.IsZero() {
		return nil, ErrNoPassphrase
	}
	id, err := age.NewScryptIdentity(f.Passphrase.Reveal())
	if err != nil {
		return nil, err
	}
	defer releaseScryptMemory()
	r, err := age.Decrypt(bytes.NewReader(data), id)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, fmt.Errorf("token file %s is corrupt: %w", f.Path(profile), err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("token file %s is corrupt: %w", f.Path(profile), err)
	}
	return unseal(plain)
}

// Save implements Store.
func (f *File) Save(_ context.Context, profile string, g *Grant) error {
	if f.Passphrase.IsZero() {
		return ErrNoPassphrase
	}
	plain, err := seal(g)
	if err != nil {
		return err
	}
	rcpt, err := age.NewScryptRecipient(f.Passphrase.Reveal())
	if err != nil {
		return err
	}
	rcpt.SetWorkFactor(scryptWorkFactor)
	defer releaseScryptMemory()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		return err
	}
	if _, err := w.Write(plain); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return atomicfile.Write(f.Path(profile), buf.Bytes(), 0o600)
}

// Delete implements Store.
func (f *File) Delete(_ context.Context, profile string) ([]string, error) {
	err := os.Remove(f.Path(profile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []string{"token file " + f.Path(profile)}, nil
}

// releaseScryptMemory hands scrypt's working memory (256 MiB at age's
// default cost) back at once. Left to the garbage collector, it would set
// the heap goal of a long export to twice that.
func releaseScryptMemory() { debug.FreeOSMemory() }

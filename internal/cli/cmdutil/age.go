package cmdutil

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"

	"github.com/aumo-cli/aumo/internal/secret"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// ExportPassphraseEnv holds the passphrase of --encrypt-passphrase and of
// `aumo verify` for such exports: never a flag value or a config key.
const ExportPassphraseEnv = "AUMO_EXPORT_PASSPHRASE" //nolint:gosec // the name of a variable, not its value

// ParseRecipients reads --encrypt-to values: age X25519 recipients
// ("age1…"), SSH public keys ("ssh-ed25519 …", "ssh-rsa …"), or files of
// either, one per line (# comments allowed).
func ParseRecipients(values []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, v := range values {
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "age1") || strings.HasPrefix(v, "ssh-") {
			r, err := parseRecipient(v)
			if err != nil {
				return nil, Usagef("--encrypt-to %q: %v", v, err)
			}
			out = append(out, r)
			continue
		}
		data, err := os.ReadFile(v)
		if err != nil {
			return nil, Usagef("--encrypt-to %q: neither an age recipient (age1…), an SSH public key nor a readable file of them", v)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		n := 0
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			r, err := parseRecipient(line)
			if err != nil {
				return nil, Usagef("--encrypt-to %s: %v", v, err)
			}
			out = append(out, r)
			n++
		}
		if n == 0 {
			return nil, Usagef("--encrypt-to %s: the file holds no recipient", v)
		}
	}
	return out, nil
}

func parseRecipient(s string) (age.Recipient, error) {
	if strings.HasPrefix(s, "ssh-") {
		return agessh.ParseRecipient(s)
	}
	return age.ParseX25519Recipient(s)
}

// ExportPassphrase returns the passphrase of the environment, which
// secret.TakeEnv took out of it at start-up so that no child process
// inherits it.
func ExportPassphrase() (string, bool) {
	p, ok := secret.LookupEnv(ExportPassphraseEnv)
	return p, ok && p != ""
}

// ExportIdentities are what decrypts an encrypted export: the --identity
// file's keys, and the passphrase of the environment when it is set.
func ExportIdentities(fromFile []age.Identity) ([]age.Identity, error) {
	ids := slices.Clone(fromFile)
	if pass, ok := ExportPassphrase(); ok {
		id, err := age.NewScryptIdentity(pass)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// DecryptError says what to do about an export at path that err
// (exportformat.ErrEncrypted or ErrNoIdentity) could not decrypt; nil for
// any other error.
func DecryptError(path string, err error) error {
	switch {
	case errors.Is(err, exportformat.ErrEncrypted):
		return fmt.Errorf("%s is encrypted: give --identity FILE, or set %s for a passphrase", path, ExportPassphraseEnv)
	case errors.Is(err, exportformat.ErrNoIdentity):
		return fmt.Errorf("%s: the identity or passphrase given does not decrypt it (another key, or a wrong passphrase)", path)
	}
	return nil
}

// ReadIdentities reads an age identity file (AGE-SECRET-KEY-1… lines) or
// an unencrypted SSH private key.
func ReadIdentities(path string) ([]age.Identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--identity: %w", err)
	}
	if ids, err := age.ParseIdentities(bytes.NewReader(data)); err == nil {
		return ids, nil
	}
	id, err := agessh.ParseIdentity(data)
	if err != nil {
		return nil, Usagef("--identity %s: neither an age identity file nor an unencrypted SSH private key", path)
	}
	return []age.Identity{id}, nil
}

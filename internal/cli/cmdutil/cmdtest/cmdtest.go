// Package cmdtest checks a command's flags and arguments through its runF
// seam: which Options reach the run, and which calls are refused before it.
package cmdtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/iostreams"
)

// Factory returns a Factory on buffers whose browser and HTTP client
// refuse to be used: checking flags reaches neither the network nor the
// person's browser, and its configuration is never loaded.
func Factory() *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	f.OpenBrowser = func(string) error { return errors.New("cmdtest: no browser") }
	f.HTTPClient = func() *http.Client { return &http.Client{Transport: refuse{}} }
	return f
}

type refuse struct{}

func (refuse) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("cmdtest: no network")
}

// Case is one call of a command: its arguments, and either the Options
// that reach runF or the refusal that comes instead.
type Case[O any] struct {
	Name string
	Args []string
	// Want holds the fields the flags and arguments set; the flags
	// function given to Run zeroes the others before the comparison.
	Want O
	// Usage, when set, is the message of the *cmdutil.UsageError the call
	// is refused with.
	Usage string
	// Err, when set, is how any other refusal begins: cobra's own (a wrong
	// number of arguments, an unknown flag, a value of the wrong type),
	// which are untyped and which aumo's root command turns into usage
	// errors, or an error that is no usage error at all.
	Err string
}

// NewCmd is a command's constructor, such as login.NewCmdLogin.
type NewCmd[O any] func(*cmdutil.Factory, func(context.Context, *O) error) *cobra.Command

// Run calls the command of newCmd once per case and checks the outcome.
// flags returns the Options with only the fields flags and arguments set.
func Run[O any](t *testing.T, newCmd NewCmd[O], flags func(O) O, cases []Case[O]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := execute(newCmd, tc.Args)
			if tc.Usage == "" && tc.Err == "" {
				if err != nil || got == nil {
					t.Fatalf("%q: err = %v; the run was reached: %t", tc.Args, err, got != nil)
				}
				if g := flags(*got); !reflect.DeepEqual(g, tc.Want) {
					t.Errorf("%q: Options = %+v, want %+v", tc.Args, g, tc.Want)
				}
				return
			}
			if got != nil {
				t.Errorf("%q: ran with %+v, want a refusal", tc.Args, flags(*got))
			}
			checkRefusal(t, tc, err)
		})
	}
}

func execute[O any](newCmd NewCmd[O], args []string) (*O, error) {
	var got *O
	cmd := newCmd(Factory(), func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(append([]string{}, args...)) // nil would mean os.Args
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	return got, err
}

func checkRefusal[O any](t *testing.T, tc Case[O], err error) {
	t.Helper()
	var usage *cmdutil.UsageError
	isUsage := errors.As(err, &usage)
	switch {
	case err == nil:
		t.Errorf("%q: accepted, want a refusal", tc.Args)
	case tc.Usage != "":
		if !isUsage || usage.Msg != tc.Usage {
			t.Errorf("%q: err = %v, want the usage error %q", tc.Args, err, tc.Usage)
		}
	default:
		if isUsage || !strings.HasPrefix(err.Error(), tc.Err) {
			t.Errorf("%q: err = %v, want one beginning %q, not a usage error", tc.Args, err, tc.Err)
		}
	}
}

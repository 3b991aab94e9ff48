package cmdutil

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// UnfinishedError reports an export whose manifest says it is not
// complete, and that is otherwise sound (exit 6): rerunning the export
// command completes it.
type UnfinishedError struct{ Path string }

func (e *UnfinishedError) Error() string {
	return fmt.Sprintf("export %s is unfinished", e.Path)
}

// DamagedError reports an export that is not intact (exit 1): `aumo
// verify` has printed its report by the time it returns one.
type DamagedError struct {
	Path   string
	Report *exportformat.Report
}

// Error counts what is wrong; the report lists it.
func (e *DamagedError) Error() string {
	r := e.Report
	var parts []string
	for _, p := range []struct {
		n        int
		one, any string
	}{
		{r.Totals.Missing, "missing file", "missing files"},
		{r.Totals.Extra, "extra file", "extra files"},
		{r.Totals.Corrupt, "corrupt file", "corrupt files"},
		{r.Totals.Unsafe, "unsafe entry", "unsafe entries"},
		{len(r.Manifest), "manifest problem", "manifest problems"},
	} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.one)
		case p.n > 1:
			parts = append(parts, strconv.Itoa(p.n)+" "+p.any)
		}
	}
	return fmt.Sprintf("export %s is damaged: %s", e.Path, strings.Join(parts, ", "))
}

// UncheckableError reports an export that could not be checked (exit 5):
// the path is missing or unreadable, or holds no export aumo can read.
type UncheckableError struct{ Err error }

// Error says why the export could not be checked.
func (e *UncheckableError) Error() string { return "could not check the export: " + e.Err.Error() }

// Unwrap returns the reason.
func (e *UncheckableError) Unwrap() error { return e.Err }

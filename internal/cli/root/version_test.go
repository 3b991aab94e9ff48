package root

import (
	"encoding/json"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/iostreams"
)

// runVersion runs `aumo version` with args and returns its output.
func runVersion(t *testing.T, args ...string) string {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	cmd := newCmdVersion(cmdutil.New(ios))
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestVersion(t *testing.T) {
	if got := runVersion(t); !strings.HasPrefix(got, "aumo ") || !strings.HasSuffix(got, " "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+"\n") {
		t.Errorf("aumo version = %q", got)
	}
}

// A test binary may carry no VCS information: the commit is then empty,
// and otherwise hexadecimal.
func TestVersionJSON(t *testing.T) {
	var v struct {
		Version   *string `json:"version"`
		Commit    *string `json:"commit"`
		Date      *string `json:"date"`
		Dirty     *bool   `json:"dirty"`
		GoVersion string  `json:"goVersion"`
		OS        string  `json:"os"`
		Arch      string  `json:"arch"`
	}
	out := runVersion(t, "--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("aumo version --json: %v\n%s", err, out)
	}
	if v.Version == nil || *v.Version == "" || v.Commit == nil || v.Date == nil || v.Dirty == nil {
		t.Errorf("a field is missing:\n%s", out)
	}
	if v.Commit != nil && !regexp.MustCompile(`^[0-9a-f]*$`).MatchString(*v.Commit) {
		t.Errorf("commit %q is not hexadecimal", *v.Commit)
	}
	if v.GoVersion != runtime.Version() || v.OS != runtime.GOOS || v.Arch != runtime.GOARCH {
		t.Errorf("go version and platform: %+v", v)
	}
}

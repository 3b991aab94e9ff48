package browser

import (
	"runtime"
	"slices"
	"testing"
)

func TestCommandFromBrowserVariable(t *testing.T) {
	cmd, err := Command("curl -fsSL  -o /dev/null", "http://127.0.0.1:1/authorize?a=b&c=d")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"curl", "-fsSL", "-o", "/dev/null", "http://127.0.0.1:1/authorize?a=b&c=d"}
	if !slices.Equal(cmd.Args, want) {
		t.Errorf("args %q, want %q", cmd.Args, want)
	}
}

func TestCommandDefault(t *testing.T) {
	cmd, err := Command("", "http://x/")
	if runtime.GOOS == "linux" && err != nil {
		return // no xdg-open here: the error says so, and login prints the URL anyway
	}
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Args[len(cmd.Args)-1] != "http://x/" {
		t.Errorf("the URL is not the last argument: %q", cmd.Args)
	}
}

func TestOpenReportsAMissingBrowser(t *testing.T) {
	if err := Open("/nonexistent/browser", "http://x/"); err == nil {
		t.Error("a missing browser command is not reported")
	}
}

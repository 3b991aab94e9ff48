// Package browser opens a URL in the person's browser: the command in
// $BROWSER (run as `$BROWSER URL`) or the operating system's default.
package browser

import (
	"errors"
	"os/exec"
	"runtime"
	"strings"
)

// Command returns the command that opens url. browserEnv is $BROWSER: a
// command, possibly with arguments, that receives the URL as its last one.
func Command(browserEnv, url string) (*exec.Cmd, error) {
	if fields := strings.Fields(browserEnv); len(fields) > 0 {
		return exec.Command(fields[0], append(fields[1:], url)...), nil
	}
	switch runtime.GOOS {
	case "darwin":
		return exec.Command("open", url), nil
	case "windows":
		return exec.Command("rundll32", "url.dll,FileProtocolHandler", url), nil
	default:
		if p, err := exec.LookPath("xdg-open"); err == nil {
			return exec.Command(p, url), nil
		}
		return nil, errors.New("no browser found: set BROWSER or install xdg-open")
	}
}

// Open starts the browser on url and returns once it has started; the
// browser runs on in the background.
func Open(browserEnv, url string) error {
	cmd, err := Command(browserEnv, url)
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// storyCommands are the programs the stories run: aumo itself and the
// helpers that stand in for a browser.
var storyCommands = map[string]func(){
	"aumo":        aumoMain,
	"fetch":       fetchMain,
	"fakebrowser": fakeBrowserMain,
	"shows":       showsMain,
}

// storyBin is a directory holding the story commands built without the
// race detector, put first on each story's PATH; empty, the stories run
// them from this test binary.
//
// A story tests what a user sees of the program, and the race detector
// makes each run of it several times slower (a minute and a half
// against 25 seconds for the Confluence story on two cores); the
// packages' own tests, which drive the same code concurrently, keep it.
// AUMO_STORIES_RACE=1 runs the stories under it too.
var storyBin string

// raceFreeStories builds this package's tests once more, without -race,
// when this binary has it, and links the story commands to the result.
// It returns the directory to remove when the tests are done, or "".
func raceFreeStories() string {
	if _, command := storyCommands[filepath.Base(os.Args[0])]; command || !raceDetector || os.Getenv("AUMO_STORIES_RACE") != "" {
		return ""
	}
	dir, err := os.MkdirTemp("", "aumo-stories-")
	if err != nil {
		fail(err)
	}
	exe := filepath.Join(dir, "stories.test")
	args := []string{"test", "-c", "-o", exe}
	if systemTag {
		args = append(args, "-tags", "system")
	}
	cmd := exec.Command("go", append(args, ".")...)
	// Whatever flags the outer go test had (-race among them) are not
	// this build's.
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		_ = os.RemoveAll(dir)
		fail(fmt.Errorf("build the story commands without -race: %w", err))
	}
	for name := range storyCommands {
		if err := os.Symlink(exe, filepath.Join(dir, name)); err != nil {
			fail(err)
		}
	}
	storyBin = dir
	return dir
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// cleanupM removes the story commands once the tests have run.
type cleanupM struct {
	m   *testing.M
	dir string
}

func (c cleanupM) Run() int {
	code := c.m.Run()
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
	return code
}

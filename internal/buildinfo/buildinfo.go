// Package buildinfo holds what the release build injects with -ldflags -X:
// the version, commit and date, and the default OAuth app's credentials
// (kept out of the source tree; from the release environment). Read
// completes the version, commit and date from what the Go toolchain
// records in every binary when the release build did not set them.
package buildinfo

import (
	"cmp"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by -ldflags "-X github.com/aumo-cli/aumo/internal/buildinfo.Version=…".
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
	// ClientID and ClientSecret are the OAuth app aumo uses when the user
	// brings none (AUMO_CLIENT_ID, AUMO_CLIENT_SECRET).
	ClientID     = ""
	ClientSecret = ""
)

// Info is what the binary knows of its build: `aumo version --json`.
type Info struct {
	Version string `json:"version"`
	// Commit is the revision built: hexadecimal, or empty when unknown.
	Commit string `json:"commit"`
	// Date is the commit's time (RFC 3339), or empty when unknown.
	Date string `json:"date"`
	// Dirty is set when the working tree had changes beyond Commit.
	Dirty     bool   `json:"dirty"`
	GoVersion string `json:"goVersion"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// Read returns the build's Info: the -ldflags values where the release
// build set them, else what the Go toolchain recorded (the module's
// version when installed with go install; the VCS revision and time when
// built in a clone).
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return read(Version, Commit, Date, bi)
}

// read makes the Info of a build with these -ldflags values and build
// information (nil: none).
func read(version, commit, date string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi == nil {
		return info
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = cmp.Or(info.Commit, s.Value)
		case "vcs.time":
			info.Date = cmp.Or(info.Date, s.Value)
		case "vcs.modified":
			info.Dirty = s.Value == "true"
		}
	}
	if v := bi.Main.Version; info.Version == "dev" && v != "" && v != "(devel)" && !pseudo(v, info.Commit) {
		info.Version = v
	}
	return info
}

// pseudo reports a pseudo-version Go made of the commit built
// (v0.0.0-20260302093000-0123456789ab+dirty): it says no more than the
// commit and date beside it.
func pseudo(version, commit string) bool {
	return commit != "" && strings.Contains(version, "-"+commit[:min(len(commit), 12)])
}

// String is the version line: "aumo 1.4.0 (0123456789ab, 2026-03-01T10:00:00Z)
// go1.26.8 linux/amd64", with "+dirty" after a commit with changes and
// what is unknown left out.
func (i Info) String() string {
	var build []string
	if i.Commit != "" {
		commit := i.Commit[:min(len(i.Commit), 12)]
		if i.Dirty {
			commit += "+dirty"
		}
		build = append(build, commit)
	}
	if i.Date != "" {
		build = append(build, i.Date)
	}
	s := "aumo " + i.Version
	if len(build) > 0 {
		s += " (" + strings.Join(build, ", ") + ")"
	}
	return s + " " + i.GoVersion + " " + i.OS + "/" + i.Arch
}

package buildinfo

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"testing"
)

const rev = "0123456789abcdef0123456789abcdef01234567"

func vcs(revision, time, modified string) *debug.BuildInfo {
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/aumo-cli/aumo", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: revision},
			{Key: "vcs.time", Value: time},
			{Key: "vcs.modified", Value: modified},
		},
	}
}

func TestRead(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	installed := vcs("", "", "")
	installed.Settings = nil
	installed.Main.Version = "v1.4.0"
	pseudoStamped := vcs(rev, "2026-03-02T09:30:00Z", "true")
	pseudoStamped.Main.Version = "v0.0.0-20260302093000-0123456789ab+dirty"
	tagged := vcs(rev, "2026-03-02T09:30:00Z", "false")
	tagged.Main.Version = "v1.4.0"
	cases := []struct {
		name                  string
		version, commit, date string // the -ldflags values
		bi                    *debug.BuildInfo
		want                  Info
		text                  string
	}{
		{name: "release build: ldflags win", version: "1.4.0", commit: "0123456", date: "2026-03-01T10:00:00Z",
			bi:   vcs(rev, "2026-02-01T00:00:00Z", "false"),
			want: Info{Version: "1.4.0", Commit: "0123456", Date: "2026-03-01T10:00:00Z", GoVersion: "go1.26.8"},
			text: "aumo 1.4.0 (0123456, 2026-03-01T10:00:00Z) go1.26.8 " + platform},
		{name: "go build in a clone", version: "dev", bi: vcs(rev, "2026-03-02T09:30:00Z", "false"),
			want: Info{Version: "dev", Commit: rev, Date: "2026-03-02T09:30:00Z", GoVersion: "go1.26.8"},
			text: "aumo dev (0123456789ab, 2026-03-02T09:30:00Z) go1.26.8 " + platform},
		{name: "uncommitted changes", version: "dev", bi: vcs(rev, "2026-03-02T09:30:00Z", "true"),
			want: Info{Version: "dev", Commit: rev, Date: "2026-03-02T09:30:00Z", Dirty: true, GoVersion: "go1.26.8"},
			text: "aumo dev (0123456789ab+dirty, 2026-03-02T09:30:00Z) go1.26.8 " + platform},
		{name: "a clone, as Go stamps it", version: "dev", bi: pseudoStamped,
			want: Info{Version: "dev", Commit: rev, Date: "2026-03-02T09:30:00Z", Dirty: true, GoVersion: "go1.26.8"},
			text: "aumo dev (0123456789ab+dirty, 2026-03-02T09:30:00Z) go1.26.8 " + platform},
		{name: "a clone at a tag", version: "dev", bi: tagged,
			want: Info{Version: "v1.4.0", Commit: rev, Date: "2026-03-02T09:30:00Z", GoVersion: "go1.26.8"},
			text: "aumo v1.4.0 (0123456789ab, 2026-03-02T09:30:00Z) go1.26.8 " + platform},
		{name: "go install of a version", version: "dev", bi: installed,
			want: Info{Version: "v1.4.0", GoVersion: "go1.26.8"},
			text: "aumo v1.4.0 go1.26.8 " + platform},
		{name: "nothing known", version: "dev", bi: nil,
			want: Info{Version: "dev", GoVersion: runtime.Version()},
			text: "aumo dev " + runtime.Version() + " " + platform},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.OS, tc.want.Arch = runtime.GOOS, runtime.GOARCH
			got := read(tc.version, tc.commit, tc.date, tc.bi)
			if got != tc.want {
				t.Errorf("read = %+v\nwant   %+v", got, tc.want)
			}
			if s := got.String(); s != tc.text {
				t.Errorf("String() = %q, want %q", s, tc.text)
			}
		})
	}
}

func TestInfoJSON(t *testing.T) {
	b, err := json.Marshal(read("dev", "", "", vcs(rev, "2026-03-02T09:30:00Z", "true")))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"version": "dev", "commit": rev, "date": "2026-03-02T09:30:00Z", "dirty": true,
		"goVersion": "go1.26.8", "os": runtime.GOOS, "arch": runtime.GOARCH}
	if len(got) != len(want) {
		t.Errorf("keys: %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

package exportformat

import "fmt"

// Limits of what a reader holds in memory of an export's own files and
// entries, whatever the export holds: a tarball is compressed, and a few
// kilobytes of it may claim gigabytes. Each is many times what an honest
// export needs; measured on the sandbox's demo export (aumo demo), whose
// Jira half has 438 files and whose Confluence half 225:
//
//   - manifest.json: 1.4 KiB there. Its lists grow with the export: an
//     entry of skipped (an attachment left out by --no-attachments or
//     --max-attachment-size, an item deleted meanwhile) is 140 to 180
//     bytes as aumo writes it, so an export of a million files that
//     leaves out two million attachments has a manifest of about 300 MiB.
//     A reader decodes it a value at a time, holding one value or one
//     entry of a list at most, so its size costs time, not memory.
//   - a line of index.jsonl: 450 bytes at most there (an attachment's
//     line: its path, ids, sha256, dates and media id).
//   - a path: at most 200 bytes by the format's contract (208 under
//     removed/), 209 in the demo export.
const (
	// MaxManifestSize is the largest manifest.json a reader reads.
	MaxManifestSize = 1 << 30
	// MaxIndexLine is the longest line of index.jsonl (or
	// removed/index.jsonl) a reader reads, its newline included.
	MaxIndexLine = 64 << 10
	// MaxPath is the longest path an export's file may have: an entry
	// with a longer one is no file of an export.
	MaxPath = 4096
	// MaxZstdWindow is the largest window of a .tar.zst a reader
	// decompresses with, which it holds whole: aumo writes with 8 MiB,
	// the zstd command with at most as much unless told --long or
	// --ultra, and the zstd format asks every decoder for as much.
	MaxZstdWindow = 8 << 20

	// maxManifestValue bounds one value at the top of manifest.json (the
	// query, the counts, …) and maxManifestEntry one entry of its lists,
	// as the decoder holds them: a query is a few hundred bytes, an entry
	// of skipped or failed under 200.
	maxManifestValue = 1 << 20
	maxManifestEntry = 16 << 10
	// maxManifestDepth bounds how deep values nest in manifest.json
	// (the format's own go three levels deep), as encoding/json bounds
	// what it decodes.
	maxManifestDepth = 10000
)

// LimitError reports a part of an export larger than a reader holds in
// memory (see MaxManifestSize, MaxIndexLine, MaxPath): damage, as no
// export aumo writes comes near.
type LimitError struct {
	What  string // "manifest.json", "a value in manifest.json", "the line", …
	Limit int64  // in bytes
}

// Error names the part and the limit: "manifest.json is larger than 1 GiB".
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s is larger than %s", e.What, limitText(e.Limit))
}

// limitText writes a limit, a power of two, in the unit that shows it
// whole: "1 GiB", "64 KiB", "100 bytes".
func limitText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

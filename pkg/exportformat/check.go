package exportformat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// check is a verification under way. The first pass hashes every file and
// reads the index, holding for each path only what pathState holds, in a
// map keyed by a 128-bit hash of the path: some 70 bytes a path whatever
// its length, so that an export's files may be counted in millions. The
// paths themselves are named by a second pass, for a damaged export only,
// and MaxListed of each kind at most.
type check struct {
	r     *Report
	seeds [2]maphash.Seed
	paths map[pathKey]pathState
	// differ holds what the index says of the paths whose file differs
	// from their line, or is no regular file: corrupt ones.
	differ map[pathKey]expected
	// unsafe are the entries that are no file of an export, as found.
	unsafe *firstPaths[struct{}]
	torn   bool

	h   hash.Hash
	buf []byte
}

// pathKey identifies a path by two keyed 64-bit hashes of it: the seeds
// are random, so no export can be made whose paths collide.
type pathKey [2]uint64

// pathState is what the first pass knows of a path, in 16 bytes: its
// file's size and content sum (or, for a path only the index names, its
// line's), what holds it, and the kind of its index line.
type pathState struct {
	size int64
	// word holds the content sum in its low sumBits, the flags above it,
	// and the kind's code in its top byte.
	word uint64
}

// A content sum is a keyed hash of the sha256 in hex: two files (or a
// file and a line) of one size with equal sums have equal sha256s but
// for a chance of one in 2^48.
const (
	sumBits   = 48
	sumMask   = 1<<sumBits - 1
	kindShift = 56
)

// Flags of a pathState.
const (
	hasFile   uint64 = 1 << (sumBits + iota) // a file of the export has the path
	irregular                                // the file is a link or a special file
	indexed                                  // a line of index.jsonl or removed/index.jsonl names it
	twice                                    // the path was found held twice
)

func (s pathState) sum() uint64          { return s.word & sumMask }
func (s pathState) has(flag uint64) bool { return s.word&flag != 0 }
func (s pathState) kind() uint8          { return uint8(s.word >> kindShift) }

func (s *pathState) set(flag uint64, on bool) {
	if on {
		s.word |= flag
	} else {
		s.word &^= flag
	}
}

func (s *pathState) setSum(sum uint64) { s.word = s.word&^sumMask | sum&sumMask }

func (s *pathState) setKind(code uint8) {
	s.word = s.word&^(0xff<<kindShift) | uint64(code)<<kindShift
}

// expected is what an index line says of its file.
type expected struct {
	size int64
	sum  uint64
}

// Codes of the kinds of index lines a pathState holds: 0 for a path no
// line of index.jsonl names last (the manifest's counts leave it out),
// then countedKinds in order, then otherKind.
var countedKinds = []string{KindIssue, KindPage, KindBlogpost, KindAttachment, KindMarkdown, KindSpace, KindFolder, KindFields}

const otherKind = 255

// kindCode is the code of a kind of file, otherKind for one the format
// does not know.
func kindCode(kind string) uint8 {
	for i, k := range countedKinds {
		if k == kind {
			return uint8(i + 1)
		}
	}
	return otherKind
}

func newCheck(r *Report) *check {
	return &check{
		r:      r,
		seeds:  [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		paths:  map[pathKey]pathState{},
		differ: map[pathKey]expected{},
		unsafe: newFirstPaths[struct{}](MaxListed),
		h:      sha256.New(),
		buf:    make([]byte, 1<<20),
	}
}

func (c *check) key(p string) pathKey {
	return pathKey{maphash.String(c.seeds[0], p), maphash.String(c.seeds[1], p)}
}

// contentSum is the content sum of a sha256 in hex, either case (as
// hash makes it of a file's).
func (c *check) contentSum(sha256Hex string) uint64 {
	return maphash.String(c.seeds[0], strings.ToLower(sha256Hex)) & sumMask
}

// first is the first pass: it hashes every file and reads the index. The
// error it returns is what kept it from reading the index to its end, to
// be reported (see Report.checkIndex); the second is what ended the pass,
// an *ArchiveError for a damaged tarball.
func (c *check) first(ctx context.Context, e *Export) (indexErr, err error) {
	indexErr, err = c.pass(ctx, e, c.file, c.line)
	// A tarball's own files held twice are unsafe like any other file.
	if e.tar.indexes > 1 {
		c.addUnsafe(IndexName, "held twice (extracting keeps the later one)")
	}
	if e.tar.manifests > 1 {
		c.addUnsafe(ManifestName, "held twice (extracting keeps the later one)")
	}
	return indexErr, err
}

// second is the second pass, when the first found missing, extra or
// corrupt files: it names the first MaxListed of each.
func (c *check) second(ctx context.Context, e *Export) error {
	if c.r.Totals.Missing+c.r.Totals.Extra+c.r.Totals.Corrupt == 0 {
		return nil
	}
	n := &naming{
		c:       c,
		missing: newFirstPaths[struct{}](MaxListed),
		extra:   newFirstPaths[struct{}](MaxListed),
		corrupt: newFirstPaths[CorruptFile](MaxListed),
	}
	_, err := c.pass(ctx, e, n.file, n.line)
	var damage *ArchiveError
	if err != nil && !errors.As(err, &damage) { // the first pass reported the damage
		return err
	}
	c.r.Missing, c.r.Extra = n.missing.paths(), n.extra.paths()
	for _, cf := range n.corrupt.values() {
		c.r.Corrupt = append(c.r.Corrupt, *cf)
	}
	return nil
}

// pass reads the export once: file gets every file, line every line of
// its indexes (fromIndex false for removed/index.jsonl's). indexErr is
// what kept the index from being read to its end.
func (c *check) pass(ctx context.Context, e *Export, file func(*File) error, line func(IndexLine, bool)) (indexErr, err error) {
	if e.root == nil {
		own := ownFiles{keep: SummaryEntries, index: func(r io.Reader) error { return c.readIndex(r, true, line) }}
		err := e.walkTar(ctx, file, own)
		switch {
		case e.tar.indexes == 0:
			indexErr = e.absent(IndexName)
		case e.tar.indexErr != nil:
			indexErr = fmt.Errorf("%s %w", IndexName, e.tar.indexErr)
		}
		return indexErr, err
	}
	if err := e.walkDir(ctx, file); err != nil {
		return nil, err
	}
	for _, name := range []string{IndexName, RemovedIndexName} {
		err := c.readDirIndex(e, name, line)
		var lineErr *IndexLineError
		switch {
		case errors.Is(err, fs.ErrNotExist) && name == RemovedIndexName:
		case errors.Is(err, fs.ErrNotExist), errors.As(err, &lineErr):
			if indexErr == nil {
				indexErr = err
			}
		case err != nil:
			return nil, err
		}
	}
	return indexErr, nil
}

// readDirIndex reads an index of a directory export.
func (c *check) readDirIndex(e *Export, name string, line func(IndexLine, bool)) error {
	f, err := e.root.Open(name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	defer func() { _ = f.Close() }()
	if err := c.readIndex(f, name == IndexName, line); err != nil {
		var lineErr *IndexLineError
		if errors.As(err, &lineErr) {
			return fmt.Errorf("%s %w", name, err)
		}
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

// readIndex hands line every line of an index; fromIndex says it is
// index.jsonl, whose torn last line the report notes.
func (c *check) readIndex(r io.Reader, fromIndex bool, line func(IndexLine, bool)) error {
	ir := NewIndexReader(r)
	for ir.Next() {
		line(ir.Record().IndexLine, fromIndex)
	}
	if fromIndex {
		c.torn = ir.Torn()
	}
	return ir.Err()
}

func (c *check) addUnsafe(p, reason string) {
	c.r.Totals.Unsafe++
	// A path may be reported more than once: each report is listed.
	c.unsafe.add(shown(p) + ": " + reason + "\x00" + strconv.Itoa(c.r.Totals.Unsafe))
}

// shown is a path as a report names it: one longer than MaxPath cut
// short.
func shown(p string) string {
	const keep = 200
	if len(p) <= MaxPath {
		return p
	}
	return p[:keep] + "…"
}

// file records a file of the export, as the first pass reads it.
func (c *check) file(f *File) error {
	if reason := unsafeEntry(f.Path, f.Mode); reason != "" {
		c.addUnsafe(f.Path, reason)
	}
	if len(f.Path) > MaxPath {
		return nil // no file of an export: not checked further
	}
	size, sum, err := c.hash(f)
	if err != nil {
		return err
	}
	k := c.key(f.Path)
	st := c.paths[k]
	if st.has(hasFile) && !st.has(twice) {
		st.set(twice, true)
		c.addUnsafe(f.Path, "held twice (extracting keeps the later one)")
	}
	// A tarball holding a path twice extracts to the later entry.
	want, wasIndexed := c.expect(k, st), st.has(indexed)
	st.size = size
	st.setSum(sum)
	st.set(hasFile, true)
	st.set(irregular, !f.Mode.IsRegular())
	if wasIndexed { // an entry after the index
		c.compare(k, st, want)
	}
	c.paths[k] = st
	return nil
}

// hash reads a regular file, counting it in the report, and returns its
// size and content sum.
func (c *check) hash(f *File) (size int64, sum uint64, err error) {
	if !f.Mode.IsRegular() {
		return 0, 0, nil
	}
	c.h.Reset()
	n, err := io.CopyBuffer(c.h, f, c.buf)
	if err != nil {
		return 0, 0, fmt.Errorf("read %s: %w", f.Path, err)
	}
	c.r.Files++
	c.r.Bytes += n
	var (
		digest [sha256.Size]byte
		text   [2 * sha256.Size]byte
	)
	hex.Encode(text[:], c.h.Sum(digest[:0]))
	return n, maphash.Bytes(c.seeds[0], text[:]) & sumMask, nil
}

// line records a line of an index, as the first pass reads it: the last
// line for a path wins.
func (c *check) line(l IndexLine, fromIndex bool) {
	k := c.key(l.Path)
	st := c.paths[k]
	want := expected{size: l.Size, sum: c.contentSum(l.SHA256)}
	if st.has(hasFile) {
		c.compare(k, st, want)
	} else {
		st.size = want.size
		st.setSum(want.sum)
	}
	st.set(indexed, true)
	var code uint8
	if fromIndex {
		code = kindCode(l.Kind)
	}
	st.setKind(code)
	c.paths[k] = st
}

// expect is what the last index line of a path says, if one does.
func (c *check) expect(k pathKey, st pathState) expected {
	if want, ok := c.differ[k]; ok {
		return want
	}
	// The file matched the line, or only the line has the path.
	return expected{size: st.size, sum: st.sum()}
}

// compare notes whether a file differs from its index line.
func (c *check) compare(k pathKey, st pathState, want expected) {
	if st.has(irregular) || st.size != want.size || st.sum() != want.sum {
		c.differ[k] = want
	} else {
		delete(c.differ, k)
	}
}

// tally counts, once the first pass is over, what is missing, extra and
// corrupt, and what the index lists: the files, bytes and files of each
// kind of the last line of each path of index.jsonl, as the manifest
// counts them.
func (c *check) tally() map[string]int64 {
	counts := map[string]int64{countFiles: 0, countBytes: 0}
	t := &c.r.Totals
	for k, st := range c.paths {
		switch {
		case st.has(indexed) && !st.has(hasFile):
			t.Missing++
		case st.has(hasFile) && !st.has(indexed):
			t.Extra++
		}
		if st.has(indexed) {
			c.r.Indexed++
		}
		if code := st.kind(); code != 0 {
			counts[countFiles]++
			counts[countBytes] += c.expect(k, st).size
			if code != otherKind {
				counts[countedKinds[code-1]]++
			}
		}
	}
	t.Corrupt = len(c.differ)
	return counts
}

// listUnsafe puts the unsafe entries the first pass found in the report.
func (c *check) listUnsafe() {
	c.r.Unsafe = c.unsafe.paths()
	for i, u := range c.r.Unsafe {
		c.r.Unsafe[i], _, _ = strings.Cut(u, "\x00")
	}
}

// naming is the second pass: it names the paths the first counted.
type naming struct {
	c              *check
	missing, extra *firstPaths[struct{}]
	corrupt        *firstPaths[CorruptFile]
}

// file names a file of the export that is extra or corrupt.
func (n *naming) file(f *File) error {
	if len(f.Path) > MaxPath {
		return nil
	}
	k := n.c.key(f.Path)
	st := n.c.paths[k]
	if st.has(hasFile) && !st.has(indexed) {
		n.extra.add(f.Path)
	}
	want, ok := n.c.differ[k]
	if !ok {
		return nil
	}
	cf := n.corrupt.add(f.Path)
	if cf == nil {
		return nil
	}
	cf.Path, cf.Size, cf.IndexSize = f.Path, st.size, want.size
	switch {
	case st.has(irregular):
		cf.Reason, cf.Size, cf.SHA256 = CorruptNotRegular, 0, ""
		return nil
	case st.size != want.size:
		cf.Reason = CorruptSize
	default:
		cf.Reason = CorruptSHA256
	}
	sum, err := n.sha256(f)
	cf.SHA256 = sum
	return err
}

// sha256 hashes a corrupt file again, to name its sha256.
func (n *naming) sha256(f *File) (string, error) {
	h := n.c.h
	h.Reset()
	if _, err := io.CopyBuffer(h, f, n.c.buf); err != nil {
		return "", fmt.Errorf("read %s: %w", f.Path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// line names a path of the index that is missing, and what the index
// says of a corrupt one.
func (n *naming) line(l IndexLine, _ bool) {
	k := n.c.key(l.Path)
	st := n.c.paths[k]
	if st.has(indexed) && !st.has(hasFile) {
		n.missing.add(l.Path)
	}
	if _, ok := n.c.differ[k]; !ok {
		return
	}
	if cf := n.corrupt.add(l.Path); cf != nil {
		cf.Path, cf.IndexSHA256 = l.Path, l.SHA256
	}
}

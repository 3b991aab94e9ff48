package table

import (
	"fmt"
	"os"
	"slices"
)

// maxWaiting is how many bytes of rows wait in memory for their turn;
// more wait in a temporary file.
const maxWaiting = 32 << 20

// waiting holds the rows that came before their turn, by place in the
// file: in memory up to max bytes, then in a temporary file, which is
// deleted at once where the system allows (an open file stays readable)
// and at close elsewhere.
type waiting struct {
	max     int
	mem     map[int][]byte
	memSize int
	file    *os.File
	removed bool
	at      map[int][2]int64 // offset and length in file
	size    int64
}

func newWaiting(maxBytes int) *waiting {
	return &waiting{max: maxBytes, mem: map[int][]byte{}, at: map[int][2]int64{}}
}

func (w *waiting) len() int { return len(w.mem) + len(w.at) }

// put keeps a copy of line, the row in place i.
func (w *waiting) put(i int, line []byte) error {
	if w.memSize+len(line) <= w.max {
		w.mem[i] = slices.Clone(line)
		w.memSize += len(line)
		return nil
	}
	if w.file == nil {
		f, err := os.CreateTemp("", "aumo-render-csv-*")
		if err != nil {
			return fmt.Errorf("render: a file for the rows that wait: %w", err)
		}
		w.file, w.removed = f, os.Remove(f.Name()) == nil
	}
	if _, err := w.file.WriteAt(line, w.size); err != nil {
		return fmt.Errorf("render: keep a row that waits: %w", err)
	}
	w.at[i] = [2]int64{w.size, int64(len(line))}
	w.size += int64(len(line))
	return nil
}

// take gives back and forgets the row in place i, if it waits.
func (w *waiting) take(i int) ([]byte, bool, error) {
	if line, ok := w.mem[i]; ok {
		delete(w.mem, i)
		w.memSize -= len(line)
		return line, true, nil
	}
	pos, ok := w.at[i]
	if !ok {
		return nil, false, nil
	}
	delete(w.at, i)
	line := make([]byte, pos[1])
	if _, err := w.file.ReadAt(line, pos[0]); err != nil {
		return nil, false, fmt.Errorf("render: read a row that waited: %w", err)
	}
	return line, true, nil
}

// places are the places of the rows that wait, in order.
func (w *waiting) places() []int {
	out := make([]int, 0, w.len())
	for i := range w.mem {
		out = append(out, i)
	}
	for i := range w.at {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// close deletes the temporary file.
func (w *waiting) close() error {
	if w.file == nil {
		return nil
	}
	err := w.file.Close()
	if !w.removed {
		if rerr := os.Remove(w.file.Name()); err == nil {
			err = rerr
		}
	}
	w.file = nil
	return err
}

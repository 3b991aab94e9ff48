// Package iostreams carries a command's standard streams and what it knows
// about them: data goes to Out, messages and progress to ErrOut.
package iostreams

import (
	"bufio"
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// Quiet suppresses messages (-q); errors are still printed.
	Quiet bool

	inTTY, outTTY, errTTY bool
	inReader              *bufio.Reader
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		inTTY:  isTerminal(os.Stdin),
		outTTY: isTerminal(os.Stdout),
		errTTY: isTerminal(os.Stderr),
	}
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// SetTTY marks standard input and error as terminals or not (tests).
func (s *IOStreams) SetTTY(in, errOut bool) { s.inTTY, s.errTTY = in, errOut }

// Messages is where informational messages go: ErrOut, or nowhere with -q.
func (s *IOStreams) Messages() io.Writer {
	if s.Quiet {
		return io.Discard
	}
	return s.ErrOut
}

// IsStdoutTTY reports whether standard output is a terminal (a tarball
// must not go there).
func (s *IOStreams) IsStdoutTTY() bool { return s.outTTY }

// IsStderrTTY reports whether standard error is a terminal (for progress).
func (s *IOStreams) IsStderrTTY() bool { return s.errTTY }

// ErrWidth is the width of the terminal standard error is, in columns;
// 0 when it is none or its size is unknown. A progress line fits in it.
func (s *IOStreams) ErrWidth() int {
	f, ok := s.ErrOut.(*os.File)
	if !ok || !s.errTTY {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// CanPrompt reports whether a person can answer a question: both standard
// input and standard error are terminals.
func (s *IOStreams) CanPrompt() bool { return s.inTTY && s.errTTY }

// ReadLine reads one line from standard input, without its line ending.
// Successive calls share one buffer, so no input is lost between them.
func (s *IOStreams) ReadLine() (string, error) {
	if s.inReader == nil {
		s.inReader = bufio.NewReader(s.In)
	}
	line, err := s.inReader.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	return line, err
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

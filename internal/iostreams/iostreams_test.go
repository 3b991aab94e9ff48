package iostreams

import (
	"errors"
	"io"
	"testing"
)

func TestReadLineKeepsTheRestForTheNextCall(t *testing.T) {
	ios, in, _, errOut := Test()
	in.WriteString("2\r\ny\nlast")
	for _, want := range []string{"2", "y", "last"} {
		got, err := ios.ReadLine()
		if err != nil || got != want {
			t.Fatalf("ReadLine = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ios.ReadLine(); !errors.Is(err, io.EOF) {
		t.Errorf("after the input: %v, want EOF", err)
	}
	ios.Quiet = true
	if _, err := ios.Messages().Write([]byte("hidden")); err != nil || errOut.Len() != 0 {
		t.Errorf("-q did not hide messages: %q", errOut.String())
	}
	if ios.CanPrompt() {
		t.Error("buffers are not a terminal")
	}
}

package mdtext

import "testing"

func TestGridEmptyRow(t *testing.T) {
	var g Grid
	g.NewRow()
	g.Add("a", 1, 1)
	g.Add("b", 1, 1)
	g.NewRow()
	g.NewRow()
	g.Add("c", 1, 1)
	want := "| a | b |\n| --- | --- |\n|  |\n| c |"
	if got := g.GFM(false); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	want = "| a | b |\n| --- | --- |\n|  |  |\n| c |  |"
	if got := g.GFM(true); got != want {
		t.Errorf("padded: got\n%s\nwant\n%s", got, want)
	}
}

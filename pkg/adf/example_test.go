package adf_test

import (
	"fmt"

	"github.com/aumo-cli/aumo/pkg/adf"
)

func ExampleConvertJSON() {
	doc := []byte(`{"version":1,"type":"doc","content":[
	  {"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":"Notes"}]},
	  {"type":"paragraph","content":[
	    {"type":"text","text":"See "},
	    {"type":"text","text":"ABC-1","marks":[{"type":"link","attrs":{"href":"https://example.atlassian.net/browse/ABC-1"}}]},
	    {"type":"text","text":" and the "},
	    {"type":"mediaInline","attrs":{"id":"f00d","type":"file","alt":"log.txt"}}]}]}`)
	md, problems, err := adf.ConvertJSON(doc, adf.Options{
		Media: func(id string) (string, bool) { return "attachments/" + id + "-log.txt", id == "f00d" },
		Link:  func(string) string { return "../ABC-1/issue.md" },
	})
	if err != nil {
		panic(err)
	}
	fmt.Print(md)
	fmt.Println(len(problems), "problems")
	// Output:
	// ## Notes
	//
	// See [ABC-1](../ABC-1/issue.md) and the [log.txt](attachments/f00d-log.txt)
	// 0 problems
}

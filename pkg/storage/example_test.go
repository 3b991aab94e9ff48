package storage_test

import (
	"fmt"

	"github.com/aumo-cli/aumo/pkg/storage"
)

func ExampleConvert() {
	page := `<h2>Notes</h2>
<p>See <ac:link><ri:page ri:content-title="Setup" /></ac:link>, ask
<ac:link><ri:user ri:account-id="5b10ac8d82e05b22cc7d4ef5" /></ac:link> and read the
<ac:link><ri:attachment ri:filename="log.txt" /></ac:link>.</p>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">go</ac:parameter>
<ac:plain-text-body><![CDATA[fmt.Println("a < b")]]></ac:plain-text-body></ac:structured-macro>`
	md, problems := storage.Convert(page, storage.Options{
		Attachment: func(name string) (string, bool) { return "attachments/" + name, true },
		Page:       func(_, title string) (string, bool) { return "../setup/page.md", title == "Setup" },
		User:       func(id string) (string, bool) { return "Jane Doe", id == "5b10ac8d82e05b22cc7d4ef5" },
	})
	fmt.Print(md)
	fmt.Println(len(problems), "problems")
	// Output:
	// ## Notes
	//
	// See [Setup](../setup/page.md), ask @Jane Doe and read the [log.txt](attachments/log.txt).
	//
	// ```go
	// fmt.Println("a < b")
	// ```
	// 0 problems
}

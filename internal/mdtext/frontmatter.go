package mdtext

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// Field is one key of YAML front matter: a string, or a list of strings
// (written in flow style, [a, b]). Empty values are left out.
type Field struct {
	Key    string
	Value  string
	Values []string
}

// FrontMatter writes fields, in order, as a YAML front matter block
// between "---" lines. A YAML encoder quotes what needs quoting, so a
// person reads "&" and "<", never JSON escapes, and any YAML library
// reads back the very strings given.
func FrontMatter(fields []Field) string {
	doc := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range fields {
		var v yaml.Node
		switch {
		case len(f.Values) > 0:
			_ = v.Encode(f.Values) // a []string always encodes
			v.Style = yaml.FlowStyle
		case f.Value != "":
			_ = v.Encode(f.Value)
		default:
			continue
		}
		doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.Key}, &v)
	}
	var b bytes.Buffer
	b.WriteString("---\n")
	if len(doc.Content) > 0 {
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		_ = enc.Encode(doc) // strings and lists of them always encode
		_ = enc.Close()
	}
	b.WriteString("---\n")
	return b.String()
}

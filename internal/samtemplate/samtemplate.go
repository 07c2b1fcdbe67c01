// Package samtemplate reads template.yaml for the tests that hold it to the code: the route table,
// the table definition and each function's DynamoDB permissions. CloudFormation's short forms
// (!Ref, !Sub, !GetAtt, !If) are YAML tags, which a yaml.Node keeps in Tag instead of failing on.
package samtemplate

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Node is a node of the template; its zero value stands for "absent", and every method of an
// absent node returns zero values, so lookups chain without checks.
type Node struct{ *yaml.Node }

// Parse parses a template.
func Parse(src []byte) (Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return Node{}, fmt.Errorf("samtemplate: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return Node{}, errors.New("samtemplate: not one YAML document")
	}
	return Node{doc.Content[0]}, nil
}

// Read parses the template file at path.
func Read(path string) (Node, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return Node{}, fmt.Errorf("samtemplate: %w", err)
	}
	return Parse(src)
}

// Get returns the value of key in a mapping node.
func (n Node) Get(key string) Node {
	if n.Node == nil || n.Kind != yaml.MappingNode {
		return Node{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return Node{n.Content[i+1]}
		}
	}
	return Node{}
}

// Path follows keys from n.
func (n Node) Path(keys ...string) Node {
	for _, k := range keys {
		n = n.Get(k)
	}
	return n
}

// Str returns a scalar's value, or "".
func (n Node) Str() string {
	if n.Node == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// Expr returns a scalar as written: its value, after its short-form function if it has one
// ("!Ref Table", "!GetAtt Queue.QueueName", "!Sub ${Fn}:live", "notBreaching"); "" for a
// node that is not a scalar.
func (n Node) Expr() string {
	if n.Node == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	// yaml.v3 sets the resolved tag (!!str, !!int) on plain scalars.
	if n.Tag == "" || strings.HasPrefix(n.Tag, "!!") {
		return n.Value
	}
	return n.Tag + " " + n.Value
}

// Entries returns the keys and values of a mapping node, in order.
func (n Node) Entries() (keys []string, values []Node) {
	if n.Node == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
		values = append(values, Node{n.Content[i+1]})
	}
	return keys, values
}

// Items returns the elements of a sequence node; a scalar counts as a one-element sequence, as
// in IAM policies.
func (n Node) Items() []Node {
	if n.Node == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []Node{n}
	}
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = Node{c}
	}
	return out
}

// Resource names of Allowed.
const (
	TableArn = "Table"            // !GetAtt Table.Arn
	IndexArn = "Table/index/GSI1" // !Sub "${Table.Arn}/index/GSI1"
)

// IndexArnOf is the resource name in Allowed of the table's index name:
// !Sub "${Table.Arn}/index/<name>" is TableArn + "/index/" + name.
func IndexArnOf(name string) string { return TableArn + "/index/" + name }

// Allowed returns, for the function with logical id fn, the actions its inline policy statements
// allow on each resource, keyed TableArn or IndexArnOf an index (other resources by their source
// text).
func (n Node) Allowed(fn string) map[string][]string {
	out := map[string][]string{}
	for _, pol := range n.Path("Resources", fn, "Properties", "Policies").Items() {
		for _, st := range pol.Get("Statement").Items() {
			if st.Get("Effect").Str() != "Allow" {
				continue
			}
			for _, res := range st.Get("Resource").Items() {
				name := resourceName(res)
				for _, a := range st.Get("Action").Items() {
					out[name] = append(out[name], a.Str())
				}
			}
		}
	}
	return out
}

func resourceName(res Node) string {
	switch {
	case res.Tag == "!GetAtt" && res.Value == "Table.Arn":
		return TableArn
	case res.Tag == "!Sub" && strings.HasPrefix(res.Value, "${Table.Arn}/index/"):
		return IndexArnOf(strings.TrimPrefix(res.Value, "${Table.Arn}/index/"))
	}
	return strings.TrimSpace(res.Tag + " " + res.Value)
}

package samtemplate

import (
	"fmt"
	"testing"
)

const src = `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          TABLE_NAME: !Ref Table
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:Query]
              Resource: !GetAtt Table.Arn
            - Effect: Allow
              Action: dynamodb:Query
              Resource: !Sub "${Table.Arn}/index/GSI1"
            - Effect: Allow
              Action: dynamodb:Query
              Resource: !Sub "${Table.Arn}/index/GSI2"
            - Effect: Deny
              Action: dynamodb:DeleteItem
              Resource: "*"
        - Statement:
            - Effect: Allow
              Action: s3:GetObject
              Resource: [!GetAtt Bucket.Arn]
`

func TestAllowed(t *testing.T) {
	tmpl, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(tmpl.Allowed("Fn"))
	want := "map[!GetAtt Bucket.Arn:[s3:GetObject] Table:[dynamodb:GetItem dynamodb:Query] Table/index/GSI1:[dynamodb:Query] Table/index/GSI2:[dynamodb:Query]]"
	if got != want {
		t.Errorf("Allowed(Fn) = %s, want %s", got, want)
	}
	if ref := tmpl.Path("Resources", "Fn", "Properties", "Environment", "Variables", "TABLE_NAME"); ref.Tag != "!Ref" || ref.Str() != "Table" {
		t.Errorf("TABLE_NAME = %s %q, want !Ref Table", ref.Tag, ref.Str())
	}
	exprs := []struct {
		path []string
		want string
	}{
		{[]string{"Resources", "Fn", "Properties", "Environment", "Variables", "TABLE_NAME"}, "!Ref Table"},
		{[]string{"Resources", "Fn", "Type"}, "AWS::Serverless::Function"},
		{[]string{"Resources", "Fn", "Properties"}, ""}, // a mapping
	}
	for _, e := range exprs {
		if got := tmpl.Path(e.path...).Expr(); got != e.want {
			t.Errorf("Expr(%v) = %q, want %q", e.path, got, e.want)
		}
	}
	if got := tmpl.Path("Resources", "Missing", "Type").Str(); got != "" {
		t.Errorf("absent path = %q, want empty", got)
	}
	if _, err := Parse([]byte("a: [")); err == nil {
		t.Error("Parse(bad YAML) = nil error, want one")
	}
}

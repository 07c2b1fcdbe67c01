package changefeed

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestAttributeValue(t *testing.T) {
	tests := []struct {
		name string
		json string // the value as a stream event carries it
		want types.AttributeValue
	}{
		{"S", `{"S":"Ada"}`, &types.AttributeValueMemberS{Value: "Ada"}},
		{"empty S", `{"S":""}`, &types.AttributeValueMemberS{Value: ""}},
		{"N exact", `{"N":"12345678901234567890.123456789"}`, &types.AttributeValueMemberN{Value: "12345678901234567890.123456789"}},
		{"B", `{"B":"AAEC"}`, &types.AttributeValueMemberB{Value: []byte{0, 1, 2}}},
		{"BOOL true", `{"BOOL":true}`, &types.AttributeValueMemberBOOL{Value: true}},
		{"BOOL false", `{"BOOL":false}`, &types.AttributeValueMemberBOOL{Value: false}},
		{"NULL", `{"NULL":true}`, &types.AttributeValueMemberNULL{Value: true}},
		{"SS", `{"SS":["a","b"]}`, &types.AttributeValueMemberSS{Value: []string{"a", "b"}}},
		{"NS", `{"NS":["1","2.5"]}`, &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}}},
		{"BS", `{"BS":["AA==","AQ=="]}`, &types.AttributeValueMemberBS{Value: [][]byte{{0}, {1}}}},
		{"L", `{"L":[{"S":"x"},{"N":"1"},{"L":[]}]}`, &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberN{Value: "1"}, &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
		}}},
		{"empty M", `{"M":{}}`, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}},
		{"nested M", `{"M":{"a":{"M":{"b":{"BOOL":true}}},"n":{"NULL":true}}}`, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"a": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": &types.AttributeValueMemberBOOL{Value: true}}},
			"n": &types.AttributeValueMemberNULL{Value: true},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v events.DynamoDBAttributeValue
			if err := json.Unmarshal([]byte(tt.json), &v); err != nil {
				t.Fatal(err)
			}
			got, err := AttributeValue(v)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AttributeValue(%s) = %#v, %v, want %#v", tt.json, got, err, tt.want)
			}
		})
	}
}

// TestAttributeValueUnreadable: the zero DynamoDBAttributeValue claims to be binary but holds
// nothing; aws-lambda-go's accessor panics, the converter reports an error.
func TestAttributeValueUnreadable(t *testing.T) {
	if got, err := AttributeValue(events.DynamoDBAttributeValue{}); err == nil {
		t.Errorf("AttributeValue(zero) = %#v, nil, want an error", got)
	}
	img := map[string]events.DynamoDBAttributeValue{"ok": events.NewStringAttribute("x"),
		"bad": events.NewListAttribute([]events.DynamoDBAttributeValue{{}})}
	if got, err := Item(img); err == nil {
		t.Errorf("Item with an unreadable list element = %v, nil, want an error", got)
	}
}

func TestItemNil(t *testing.T) {
	if got, err := Item(nil); got != nil || err != nil {
		t.Errorf("Item(nil) = %v, %v, want nil, nil", got, err)
	}
}

package changefeed

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Item converts an image or key of a stream record, as aws-lambda-go decodes it, to the SDK's
// attribute values, which attributevalue and the store's decoding read.
func Item(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	if img == nil {
		return nil, nil
	}
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		av, err := AttributeValue(v)
		if err != nil {
			return nil, fmt.Errorf("changefeed: attribute %q: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

// AttributeValue converts one attribute value, of any of DynamoDB's ten types. Numbers stay the
// exact decimal strings DynamoDB sent. A value aws-lambda-go's accessors cannot read (the zero
// DynamoDBAttributeValue, which no event holds) is an error, not a panic.
func AttributeValue(v events.DynamoDBAttributeValue) (out types.AttributeValue, err error) {
	defer func() {
		// aws-lambda-go's accessors panic on a value whose content does not match its type.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("changefeed: unreadable attribute value: %v", r)
		}
	}()
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		list := v.List()
		l := make([]types.AttributeValue, len(list))
		for i, e := range list {
			av, err := AttributeValue(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m, err := Item(v.Map())
		if err != nil {
			return nil, err
		}
		if m == nil {
			m = map[string]types.AttributeValue{}
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("changefeed: unknown attribute type %d", v.DataType())
}

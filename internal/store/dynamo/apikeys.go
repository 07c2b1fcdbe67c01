package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/auth"
)

// An API key is stored three ways, always written together: by hash (what authentication reads,
// one GetItem), by id (what revocation starts from) and under each granted tenant (what listing
// queries). None of them needs a Scan.

// APIKey returns the key whose secret hashes to hash, or auth.ErrKeyNotFound: one GetItem.
func (s *Store) APIKey(ctx context.Context, hash string) (auth.Key, error) {
	k, found, err := s.getKey(ctx, apiKeyKey(hash))
	if err != nil {
		return auth.Key{}, fmt.Errorf("dynamo: get API key: %w", err)
	}
	if !found {
		return auth.Key{}, fmt.Errorf("dynamo: get API key: %w", auth.ErrKeyNotFound)
	}
	return k, nil
}

func (s *Store) getKey(ctx context.Context, k map[string]types.AttributeValue) (auth.Key, bool, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            k,
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return auth.Key{}, false, fail("get API key", err)
	}
	if out.Item == nil {
		return auth.Key{}, false, nil
	}
	var key auth.Key
	if err := unmarshal(out.Item, &key); err != nil {
		return auth.Key{}, false, fmt.Errorf("decode API key: %w", err)
	}
	return key, true, nil
}

// itemKeys lists the primary keys of every item of k: by hash, by id and one per tenant. A
// tenant granted twice gives the same key twice; writeSet makes it one write.
func itemKeys(k auth.Key) []map[string]types.AttributeValue {
	keys := []map[string]types.AttributeValue{apiKeyKey(k.Hash), apiKeyIDKey(k.ID)}
	for _, t := range k.Tenants {
		keys = append(keys, apiKeyTenantKey(t, k.ID))
	}
	return keys
}

// PutAPIKey stores k, replacing any key with the same hash or the same id, in one transaction
// that also removes the items the replaced key no longer has (a tenant taken away). A
// transaction conflict (a concurrent write of one of the items) reads the replaced keys again and
// retries within s.Retry, since what to remove is what the read found.
func (s *Store) PutAPIKey(ctx context.Context, k auth.Key) error {
	if k.ID == "" || k.Hash == "" {
		return fmt.Errorf("dynamo: put API key: id and hash are required")
	}
	if k.Status == "" {
		k.Status = auth.StatusActive
	}
	body, err := attributevalue.MarshalMap(k)
	if err != nil {
		return fmt.Errorf("dynamo: put API key %s: encode: %w", k.ID, err)
	}
	r := s.retrier(ctx)
	for {
		err := s.putAPIKey(ctx, k, body)
		if !errors.Is(err, errRace) {
			return err
		}
		if err := r.retry("put API key " + k.ID); err != nil {
			return err
		}
	}
}

// putAPIKey is one attempt of PutAPIKey; errRace means it lost a transaction conflict.
func (s *Store) putAPIKey(ctx context.Context, k auth.Key, body map[string]types.AttributeValue) error {
	var writes writeSet
	for _, lookup := range []map[string]types.AttributeValue{apiKeyKey(k.Hash), apiKeyIDKey(k.ID)} {
		old, found, err := s.getKey(ctx, lookup)
		if err != nil {
			return fmt.Errorf("dynamo: put API key %s: %w", k.ID, err)
		}
		if !found {
			continue
		}
		for _, key := range itemKeys(old) {
			writes.put(key, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: key}})
		}
	}
	for _, key := range itemKeys(k) {
		item := make(map[string]types.AttributeValue, len(body)+2)
		for n, v := range body {
			item[n] = v
		}
		for n, v := range key {
			item[n] = v
		}
		writes.put(key, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes.items})
	if err == nil {
		return nil
	}
	if reasons, ok := cancelled(err); ok && !throttled(reasons) && cancelledBy(reasons, codeConflict) {
		return errRace
	}
	return fail("put API key "+k.ID, err)
}

// RevokeAPIKey marks every item of the key revoked, on condition each still belongs to the key
// read. A transaction conflict (a concurrent write of one of the items) or a failed condition (a
// concurrent PutAPIKey changed the hash or took a tenant away, so the items no longer match the
// key read) makes it read the key again and retry, within s.Retry: only a key that the fresh
// read no longer finds is auth.ErrKeyNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	r := s.retrier(ctx)
	for {
		k, found, err := s.getKey(ctx, apiKeyIDKey(id))
		if err != nil {
			return fmt.Errorf("dynamo: revoke API key %s: %w", id, err)
		}
		if !found {
			return fmt.Errorf("dynamo: revoke API key %s: %w", id, auth.ErrKeyNotFound)
		}
		expr, err := expression.NewBuilder().
			WithUpdate(expression.Set(expression.Name("status"), expression.Value(auth.StatusRevoked))).
			WithCondition(expression.Name("hash").Equal(expression.Value(k.Hash))).Build()
		if err != nil {
			return fmt.Errorf("dynamo: revoke API key %s: build: %w", id, err)
		}
		var writes writeSet
		for _, key := range itemKeys(k) {
			writes.put(key, types.TransactWriteItem{Update: &types.Update{
				TableName:                 aws.String(s.table),
				Key:                       key,
				UpdateExpression:          expr.Update(),
				ConditionExpression:       expr.Condition(),
				ExpressionAttributeNames:  expr.Names(),
				ExpressionAttributeValues: expr.Values(),
			}})
		}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes.items})
		if err == nil {
			return nil
		}
		reasons, ok := cancelled(err)
		switch {
		case !ok || throttled(reasons):
			return fail("revoke API key "+id, err)
		case !cancelledBy(reasons, codeConditionFailed) && !cancelledBy(reasons, codeConflict):
			return fmt.Errorf("dynamo: revoke API key %s: %w", id, err)
		}
		if err := r.retry("revoke API key " + id); err != nil {
			return err
		}
	}
}

// ListAPIKeys returns the keys granted tenant, oldest first.
func (s *Store) ListAPIKeys(ctx context.Context, tenant string) ([]auth.Key, error) {
	in, err := s.query(tenantPK(tenant), prefixAPIKey, "", false, nil)
	if err != nil {
		return nil, fmt.Errorf("dynamo: list API keys: %w", err)
	}
	keys := []auth.Key{}
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fail("list API keys", err)
		}
		for _, item := range out.Items {
			var k auth.Key
			if err := unmarshal(item, &k); err != nil {
				return nil, fmt.Errorf("dynamo: list API keys: decode: %w", err)
			}
			keys = append(keys, k)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	slices.SortStableFunc(keys, func(a, b auth.Key) int {
		return cmp.Or(cmp.Compare(a.CreatedAt, b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return keys, nil
}

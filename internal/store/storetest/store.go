// Package storetest is the one contract suite that every store (embedded, DynamoDB) must pass, so
// their behaviour cannot drift. A store's test calls Run with a constructor for fresh stores.
package storetest

import (
	"context"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// Store is everything the service asks of its storage. Every method is scoped to a tenant except
// the API-key methods, which are global. Errors are the sentinels of package customer, order and
// auth (wrapped with context, matched with errors.Is), a *fault.ValidationError, or an internal
// error; a store never returns a zero value with a nil error for "not found".
type Store interface {
	// GetCustomer returns the customer, or customer.ErrNotFound.
	GetCustomer(ctx context.Context, tenant, id string) (customer.Customer, error)
	// UpdateCustomer applies p (never empty) and returns the customer as stored afterwards, with
	// version+1 and a new updatedAt. ifMatch, when non-nil, lists the versions the caller accepts
	// (customer.IfMatch); the store decides with customer.CheckUpdate.
	// Status inactive obeys DeactivateCustomer's rule: refused with customer.ErrPendingOrders
	// while the customer has pending orders, and nothing of p is applied then.
	// Errors, checked in this order: customer.ErrNotFound, customer.ErrPrecondition,
	// customer.ErrPendingOrders; then customer.ErrEmailExists, or a *fault.ValidationError when
	// the merged customFields would exceed customer.MaxCustomFields.
	UpdateCustomer(ctx context.Context, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error)
	// DeactivateCustomer sets status inactive as customer.Deactivate decides (idempotent: an
	// inactive customer stays as it is). Errors: customer.ErrNotFound, customer.ErrPrecondition,
	// customer.ErrPendingOrders.
	DeactivateCustomer(ctx context.Context, tenant, id string, ifMatch customer.IfMatch) (customer.Customer, error)
	// ListCustomers returns one page in creation order (q.Desc: newest first).
	ListCustomers(ctx context.Context, tenant string, q customer.ListQuery) (customer.Page, error)
	// EraseCustomer erases the customer (docs/api.md, "Erasure"): its orders become order.Erase
	// of themselves, their idempotency and natural-idempotency records are deleted, and last the
	// record becomes customer.Erase of itself, its email free and the placeholder reserved. It
	// marks the customer erasing first, so that every write to it is refused with
	// customer.ErrErased from then on, and an erasure cut short is finished by calling again.
	// An erased customer is returned as it is. Errors: customer.ErrNotFound,
	// customer.ErrActiveSubscriptions, customer.ErrPendingOrders (as customer.CheckErase decides).
	EraseCustomer(ctx context.Context, tenant, id string) (customer.Customer, error)

	// CreateOrder finds the customer by email (by customer.EmailKey) or creates it (created by
	// in.CreatedBy), and writes the order (order.New), the customer change (order.Record), the
	// idempotency record and the order as the latest of its in.Fingerprint() atomically, so that
	// racing requests decide against each other's writes. replayed is true when idem matched an
	// earlier request (order.ReplayCreate: the first order is returned as it was), or when the
	// latest order of the fingerprint, as it is now, is one order.Duplicate answers with (natural
	// idempotency: it is returned as it is now); nothing is written then.
	// Errors: customer.ErrInactive, order.ErrIdempotencyReused, order.ErrIdempotencyInUse.
	CreateOrder(ctx context.Context, tenant string, in order.Input, idem order.Idempotency) (o order.Order, replayed bool, err error)
	// GetOrder returns the order, or order.ErrNotFound.
	GetOrder(ctx context.Context, tenant, id string) (order.Order, error)
	// ListOrders returns one page of orders in creation order (q.Desc: newest first).
	ListOrders(ctx context.Context, tenant string, q order.ListQuery) (order.Page, error)
	// CancelOrder cancels an order that order.Cancellable allows (pending or confirmed), recording
	// reason, and keeps idem (the zero value: no Idempotency-Key; RequestHash is order.CancelHash
	// of the reason) with it as an order.CancelMark; the customer has one pending order fewer
	// when the order was one (order.CountsPending). A request that order.ReplayCancel finds to be
	// the cancelling one again returns the order as stored with replayed = true, and writes
	// nothing.
	// Errors: order.ErrNotFound, order.ErrIdempotencyReused (same key, other reason),
	// order.ErrAlreadyCancelled, order.ErrNotCancellable.
	CancelOrder(ctx context.Context, tenant, id, reason string, idem order.Idempotency) (o order.Order, replayed bool, err error)
	// UpdateOrderNotes replaces the notes of the order, in any status ("" removes them), with a
	// new updatedAt (order.SetNotes), and returns the order as stored. Errors: order.ErrNotFound.
	UpdateOrderNotes(ctx context.Context, tenant, id, notes string) (order.Order, error)

	// APIKey returns the key whose secret hashes to hash, or auth.ErrKeyNotFound.
	APIKey(ctx context.Context, hash string) (auth.Key, error)
	// PutAPIKey stores k (by k.Hash), replacing any key with the same hash.
	PutAPIKey(ctx context.Context, k auth.Key) error
	// RevokeAPIKey marks the key with this id revoked, or returns auth.ErrKeyNotFound.
	RevokeAPIKey(ctx context.Context, id string) error
	// ListAPIKeys returns the keys granted tenant, oldest first.
	ListAPIKeys(ctx context.Context, tenant string) ([]auth.Key, error)
}

// OrderStatusSetter is what a store's test may add to the Store it hands the suite: a way to move
// an order, behind the store's back, to a status that only fulfilment sets (confirmed, partial,
// fulfilled), since no Store method does. The tests of such orders skip, saying so, on a store
// without it.
type OrderStatusSetter interface {
	// SetOrderStatus sets the status of the order and nothing else, failing t when it cannot.
	SetOrderStatus(t *testing.T, tenant, id string, st order.Status)
}

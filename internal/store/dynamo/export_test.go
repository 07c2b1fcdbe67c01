package dynamo

// OrderKey is orderKey, for the tests of package dynamo_test that write an order item behind the
// store's back (as fulfilment would).
var OrderKey = orderKey

// CustomerItem is customerItem, for the tests that write a customer as an earlier version did.
var CustomerItem = customerItem

// Package scale holds the scale benchmark of issue 9 (scale_test.go): every list, get, update and
// order creation of the stores at a small and a large tenant, and at a customer with few and with
// many orders. It prints each operation's time at both sizes and their ratio, and on DynamoDB
// (dynoxide) asserts that each operation sends the same requests and reads the same number of
// items at both sizes. It has no code of its own: `make bench-scale` runs it at full size,
// `make bench-scale-smoke` (part of `make test`) at a smaller one.
package scale

package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// list pages through path (a list endpoint with its query) to the end and returns every item.
func list(t *testing.T, url, path, items string) []map[string]any {
	t.Helper()
	var all []map[string]any
	next := ""
	for {
		u := url + path
		if next != "" {
			u += "&startAfter=" + next
		}
		status, body := get(t, u, LocalDemoKey, "demo")
		if status != 200 {
			t.Fatalf("GET %s = %d %v", u, status, body)
		}
		page, _ := body[items].([]any)
		for _, it := range page {
			all = append(all, it.(map[string]any))
		}
		n, _ := body["nextCursor"].(string)
		if n == "" {
			return all
		}
		next = n
	}
}

// TestSeed: -seed fills the demo tenant with a few dozen customers — individuals and businesses,
// with custom fields, some inactive — and their orders, some cancelled; a second -seed on the
// same data leaves the tenant as it is.
func TestSeed(t *testing.T) {
	data := filepath.Join(t.TempDir(), "seed.db")
	var first int
	t.Run("first", func(t *testing.T) {
		url, lines := start(t, "-data", data, "-seed")
		if out := strings.Join(lines, "\n"); !strings.Contains(out, "Seeded 36 customers (6 inactive)") {
			t.Errorf("printed %q, want the seed's summary", out)
		}
		customers := list(t, url, "/v1/customers?status=all&limit=100", "customers")
		first = len(customers)
		count := map[string]int{}
		emails := map[string]bool{}
		for _, c := range customers {
			count[c["status"].(string)]++
			count[c["customerType"].(string)]++
			if f, _ := c["customFields"].(map[string]any); len(f) > 0 {
				count["with custom fields"]++
			}
			emails[c["email"].(string)] = true
		}
		want := map[string]int{"active": 30, "inactive": 6, "individual": 24, "business": 12, "with custom fields": 29}
		for k, n := range want {
			if count[k] != n {
				t.Errorf("seeded customers: %d %s, want %d (all: %v)", count[k], k, n, count)
			}
		}
		if len(emails) != len(customers) || len(customers) != 36 {
			t.Errorf("%d customers with %d emails, want 36 different ones", len(customers), len(emails))
		}
		orders := list(t, url, "/v1/orders?limit=100", "orders")
		byStatus := map[string]int{}
		for _, o := range orders {
			byStatus[o["status"].(string)]++
		}
		if len(orders) != 72 || byStatus["cancelled"] != 24 || byStatus["pending"] != 48 {
			t.Errorf("seeded orders: %d, by status %v; want 72, 24 cancelled and 48 pending", len(orders), byStatus)
		}
	})
	url, lines := start(t, "-data", data, "-seed")
	if out := strings.Join(lines, "\n"); !strings.Contains(out, "has customers already") {
		t.Errorf("second -seed printed %q, want it to say the tenant has customers already", out)
	}
	if again := list(t, url, "/v1/customers?status=all&limit=100", "customers"); len(again) != first {
		t.Errorf("after a second -seed: %d customers, want %d", len(again), first)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// Sample data of -seed. Names and places are invented; every email is under a domain reserved
// for examples (RFC 2606), so no message could ever reach anyone.
var (
	seedFirstNames = []string{"Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances",
		"Linus", "Margaret", "Dennis", "Radia", "Ken", "Hedy", "Tim", "Sophie", "Niklaus", "Adele",
		"John", "Shafi", "Leslie", "Jean", "Bjarne", "Mary", "Guido", "Annie", "Rob", "Evelyn",
		"Robin", "Joan", "Carl", "Lynn", "Yukihiro", "Anita", "James", "Ida"}
	seedLastNames = []string{"Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen",
		"Torvalds", "Hamilton", "Ritchie", "Perlman", "Thompson", "Lamarr", "Berners-Lee", "Wilson", "Wirth", "Goldberg",
		"Backus", "Goldwasser", "Lamport", "Bartik", "Stroustrup", "Keller", "van Rossum", "Easley", "Pike", "Boyd",
		"Milner", "Clarke", "Hewitt", "Conway", "Matsumoto", "Borg", "Gosling", "Rhodes"}
	seedDomains   = []string{"example.com", "example.org", "example.net"}
	seedCompanies = []string{"Analytical Engines Ltd", "Harbour Logistics BV", "Nordlicht Studio GmbH", "Atelier Lumière SARL",
		"Bluefin Robotics Inc", "Kestrel Health AB", "Olivo Foods SL", "Cobalt Ledger Ltd", "Tramonto Design Srl",
		"Quayside Analytics Ltd", "Fjord Systems AS", "Pinecrest Dental LLC"}
	seedPlaces = []struct{ street, city, postal, country string }{
		{"12 St James's Square", "London", "SW1Y 4JH", "GB"},
		{"Keizersgracht 123", "Amsterdam", "1015 CJ", "NL"},
		{"Friedrichstraße 68", "Berlin", "10117", "DE"},
		{"8 Rue de Rivoli", "Paris", "75004", "FR"},
		{"Drottninggatan 53", "Stockholm", "111 21", "SE"},
		{"Calle de Alcalá 42", "Madrid", "28014", "ES"},
		{"Via del Corso 101", "Rome", "00186", "IT"},
		{"500 Market Street", "San Francisco", "94105", "US"},
		{"Karl Johans gate 20", "Oslo", "0159", "NO"},
	}
	seedSKUs     = []string{"LAPTOP-14", "LAPTOP-16", "MONITOR-27", "PHONE-PRO", "TABLET-11", "DOCK-USB-C", "HEADSET-BT", "KEYBOARD-MX"}
	seedLengths  = []int{12, 24, 36, 6}
	seedPlans    = []string{"bronze", "silver", "gold"}
	seedManagers = []string{"Priya", "Tomás", "Ingrid", "Kwame"}
)

// Shape of the sample data: seedCustomers customers with 1 to 3 orders each; every
// seedCancelEvery-th customer has its first order cancelled, and every seedInactiveEvery-th is
// deactivated (its orders cancelled first, as the rules require).
const (
	seedCustomers     = 36
	seedCancelEvery   = 5
	seedInactiveEvery = 6
)

// seedStats counts what a seed made.
type seedStats struct {
	customers, orders, cancelled, inactive int
}

// seedTenant fills the first tenant of k with sample customers and orders, unless it has
// customers already. Everything goes through the API itself (in process, authorised by k), so
// every rule of the contract holds for the sample data as for a client's.
func seedTenant(ctx context.Context, s store, opts httpapi.Options, k keySpec, out io.Writer) error {
	for _, need := range []auth.Scope{auth.CustomersRead, auth.CustomersWrite, auth.OrdersWrite} {
		if !slices.Contains(k.Scopes, need) {
			return fmt.Errorf("-seed: the first API key lacks the scope %s", need)
		}
	}
	tenant := k.Tenants[0]
	// The seed's own requests are not access-logged: a few hundred lines would bury the rest.
	opts.Logger = slog.New(slog.DiscardHandler)
	c := seedClient{ctx: ctx, h: httpapi.New(s, opts).Handler(), key: k.Key, tenant: tenant}

	var list struct{ Count int }
	if err := c.do("GET", "/v1/customers?status=all&limit=1", "", 200, &list); err != nil {
		return err
	}
	if list.Count > 0 {
		fmt.Fprintf(out, "Tenant %q has customers already: -seed leaves it as it is.\n", tenant)
		return nil
	}
	fmt.Fprintf(out, "Seeding tenant %q with sample customers and orders...\n", tenant)
	start := time.Now()
	st, err := c.seed()
	if err != nil {
		return fmt.Errorf("-seed: %w", err)
	}
	fmt.Fprintf(out, "Seeded %d customers (%d inactive) and %d orders (%d cancelled) in %.1fs.\n",
		st.customers, st.inactive, st.orders, st.cancelled, time.Since(start).Seconds())
	return nil
}

// seedClient sends requests to the API in process.
type seedClient struct {
	ctx         context.Context
	h           http.Handler
	key, tenant string
}

// do sends one request and decodes the answer into v (when not nil); any status but want is an
// error that shows the answer.
func (c seedClient) do(method, path, body string, want int, v any) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequestWithContext(c.ctx, method, path, rd)
	r.Header.Set("Authorization", "Bearer "+c.key)
	r.Header.Set("Tenant-ID", c.tenant)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	if w.Code != want {
		return fmt.Errorf("%s %s = %d %s, want %d", method, path, w.Code, bytes.TrimSpace(w.Body.Bytes()), want)
	}
	if v != nil {
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return nil
}

func (c seedClient) seed() (seedStats, error) {
	var st seedStats
	rng := rand.New(rand.NewPCG(12, 2026)) // the same sample data every time
	for i := range seedCustomers {
		first := seedFirstNames[i%len(seedFirstNames)]
		last := seedLastNames[(i*7)%len(seedLastNames)] // 7 and 36 are coprime: every pair differs
		email := strings.ToLower(first+"."+strings.ReplaceAll(last, " ", "")) + "@" + seedDomains[i%len(seedDomains)]
		place := seedPlaces[rng.IntN(len(seedPlaces))]
		cust := map[string]any{"email": email, "firstName": first, "lastName": last}
		billing := map[string]any{"contactName": first + " " + last, "streetAddress": place.street,
			"city": place.city, "postalCode": place.postal, "country": place.country}
		if i%3 == 1 {
			company := seedCompanies[i%len(seedCompanies)]
			cust["customerType"], cust["company"] = "business", company
			billing["company"] = company
		}
		if i%4 != 3 {
			cust["phone"] = fmt.Sprintf("+%d %d %04d %04d", 30+i%20, 10+rng.IntN(90), rng.IntN(10000), rng.IntN(10000))
		}

		var customerID string
		var orderIDs []string
		for k := range 1 + i%3 {
			// A different SKU for each order of a customer: the same email and items within ten
			// minutes would be the first order again (natural idempotency).
			items := []map[string]any{{"sku": seedSKUs[(i+k)%len(seedSKUs)], "quantity": 1 + rng.IntN(3),
				"contractLength": seedLengths[rng.IntN(len(seedLengths))]}}
			if rng.IntN(3) == 0 {
				items = append(items, map[string]any{"sku": "DOCK-USB-C", "quantity": 1, "contractLength": 12})
			}
			body := map[string]any{"customer": cust, "billingAddress": billing, "items": items}
			if i%4 == 0 {
				ship := seedPlaces[(i+1)%len(seedPlaces)]
				body["shippingAddress"] = map[string]any{"contactName": first + " " + last, "streetAddress": ship.street,
					"city": ship.city, "postalCode": ship.postal, "country": ship.country}
			}
			if k == 0 && i%2 == 0 {
				body["notes"] = "Deliver to reception, weekdays 9-17."
			}
			var created struct {
				OrderID string `json:"orderId"`
				Order   struct {
					Customer struct {
						CustomerID string `json:"customerId"`
					} `json:"customer"`
				} `json:"order"`
			}
			if err := c.do("POST", "/v1/orders", mustJSON(body), 201, &created); err != nil {
				return st, err
			}
			customerID = created.Order.Customer.CustomerID
			orderIDs = append(orderIDs, created.OrderID)
			st.orders++
		}
		st.customers++

		if i%5 != 4 {
			fields := map[string]any{"plan": seedPlans[i%len(seedPlans)], "seats": 5 * (1 + rng.IntN(10)),
				"accountManager": seedManagers[i%len(seedManagers)]}
			if i%7 == 0 {
				fields["vip"] = true
			}
			if i%3 == 2 {
				fields["renewal"] = fmt.Sprintf("2027-%02d-01", 1+i%12)
			}
			if err := c.do("PUT", "/v1/customers/"+customerID, mustJSON(map[string]any{"customFields": fields}), 200, nil); err != nil {
				return st, err
			}
		}

		cancel := 0 // how many of the orders, oldest first, to cancel
		switch {
		case i%seedInactiveEvery == seedInactiveEvery-1:
			cancel = len(orderIDs)
		case i%seedCancelEvery == 0:
			cancel = 1
		}
		for _, id := range orderIDs[:cancel] {
			if err := c.do("POST", "/v1/orders/"+id+"/cancel", `{"reason": "Customer changed plans"}`, 200, nil); err != nil {
				return st, err
			}
			st.cancelled++
		}
		if cancel == len(orderIDs) && i%seedInactiveEvery == seedInactiveEvery-1 {
			if err := c.do("DELETE", "/v1/customers/"+customerID, "", 200, nil); err != nil {
				return st, err
			}
			st.inactive++
		}
	}
	return st, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings, numbers and booleans are marshalled here
	}
	return string(b)
}

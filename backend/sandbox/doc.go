// Package sandbox is Billfold's Stripe API emulator (API version
// 2023-10-16): the Stripe that tests, the demo workspace and
// `billfold sandbox` talk to. It never imports stripe-go (its tests do).
//
// Data: Generate builds a business with years of history (sign-ups in
// same-second clusters, trials that convert, fail, get canceled or pause,
// upgrades, downgrades, quantity changes, monthly-to-yearly switches with a
// new billing anchor, coupons of each duration, dunning to past_due then
// unpaid or canceled, cancellations now and at period end (some undone),
// reactivations, refunds, usd/eur/gbp/jpy, per-unit, tiered volume and
// graduated, transform_quantity, metered, weekly, daily, quarterly and
// biennial prices, subscriptions of 15 items and invoices of more than 10
// lines) and the last 30 days of events. Mid-cycle changes are invoiced at
// once (proration_behavior=always_invoice) so every change is visible in
// invoices: non-proration lines per period, a negative "Unused time" and a
// positive "Remaining time" proration line at each change, and for an
// interval switch a new non-proration line starting at the change.
// Data.WriteTruth writes the true daily MRR of that timeline under the
// default settings of design/metrics.md. LoadFixture/WriteFixture read and
// write the contract's fixture format (nested lists complete; same seed,
// same bytes; a fixture round-trips byte for byte).
//
// Server (NewServer) serves lists and retrieves with Stripe's pagination
// (newest first, ties by id descending, limit 1..100, starting_after,
// ending_before, has_more, created filters), status=all, nested lists of
// 10 with has_more and url, expand[] up to 4 levels (price tiers only when
// expanded, as Stripe does), deleted customers retrievable with
// deleted:true, and the billing actions: POST/DELETE
// /v1/subscriptions/{id} (cancel_at_period_end, cancel_at, pause_collection,
// items, metadata), POST /v1/subscriptions/{id}/resume, POST /v1/refunds,
// POST/DELETE /v1/customers/{id}; each emits the events a real account
// would, with request id and idempotency key. An items change prorates
// like Stripe (proration.go): proration_behavior create_prorations (the
// default) leaves pending proration invoice items (/v1/invoiceitems,
// invoiceitem.created) for the next invoice, always_invoice invoices and
// pays them at once (invoice.created/finalized/paid/payment_succeeded,
// charge.succeeded), none prorates nothing; proration_date moves the
// proration time. GET /v1/invoices/upcoming (customer, subscription,
// subscription_items, subscription_proration_date,
// subscription_proration_behavior) previews the next invoice or a change
// without changing anything.
//
// Memory (pack.go): every object is held as packed JSON, members shared
// with other objects (prices, booleans, small amounts, a customer's id and
// address...) replaced by references into one dictionary, the object's own
// id and created time by one-byte marks. Generate packs each customer's
// invoices, charges, refunds and events as soon as they are simulated and
// keeps only customers, subscriptions and the catalog as Go objects (use
// Data.Unpacked or Server.Data to get all as Go objects). Unpacking is
// copying, no parsing, so lists serve at memcpy speed. Idempotency-Key replays the
// first answer (Idempotent-Replayed: true); other parameters under the same
// key get 400 idempotency_error; a concurrent duplicate gets 409.
//
// Keys: Authorization Bearer, or Basic with the key as user. Any sk_test_
// or rk_test_ key works. Keys containing "revoked" get 401 with type
// authentication_error and code api_key_expired, as the contract says (the
// 2023-10-16 OpenAPI enum for error.type lacks authentication_error; the
// conformance test allows exactly that). sk_live_/rk_live_ keys get 401 unless
// Options.AllowLive. A restricted key (rk_) is unrestricted unless it
// carries grants, either registered in Options.RestrictedKeys
// ({"rk_test_x": {"customers:read", "subscriptions:write"}}) or encoded in
// the key as trailing tokens RESOURCE-read / RESOURCE-write, e.g.
// rk_test_sync_customers-read_invoices-read. Resources are the URL's first
// segment (subscription_items count as subscriptions); write implies
// read; "*" or "all" grants every resource. A missing grant gets 403,
// also for an object named in expand[] (expanding data.customer needs
// customers read), as on Stripe.
//
// Limits and faults: Options.RPS (>0 global requests/s, <0 Stripe's 25/s
// test or 100/s live by Options.Mode) plus 25/s per endpoint (method +
// route template); a 429 carries code rate_limit, Retry-After and
// Stripe-Rate-Limited-Reason: global-rate or endpoint-rate. FaultRate and
// Faults (429, 500, reset, timeout, truncate) inject seeded faults: 429
// and 500 before processing; reset, timeout and truncate lose the answer
// after processing (a write happened, the client does not know). EventLag
// hides events made by writes from /v1/events for a while.
package sandbox

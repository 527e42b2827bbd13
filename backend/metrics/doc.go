// Package metrics computes the revenue metrics of design/metrics.md as pure
// functions over backend types. It does no I/O: the store feeds it, and
// materialises what it returns.
//
// Money is exact: intermediate values are math/big.Rat (unit_amount_decimal
// and percent_off decimals parse exactly) and each subscription is rounded
// once, to the nearest minor unit, halves away from zero. Customer and total
// MRR are sums of those integers, so movements and roll-forwards balance.
// Ratios are Ratio values (exact; JSON and String give percentages with 2
// decimals; BasisPoints gives an integer).
//
// # The pipeline
//
//  1. History per subscription: BuildTimeline(latest, invoices, versions)
//     joins the stored subscription versions (the append-only
//     subscription_versions table: one row per observed change, the raw
//     Subscription and the time it took effect; VersionsFromEvents turns
//     customer.subscription.* events into such rows) with the history
//     reconstructed from invoices before the first version (FromInvoices).
//     Timeline.UsePrices completes tiered prices from the price catalog
//     (Stripe omits tiers from nested prices).
//  2. Per subscription, Timeline.Steps gives MRR as a step function under the
//     Settings (status, trial, cancellation, autochurn, pause, discounts,
//     taxes, interval normalization, tiers).
//  3. Per customer, CustomerSeries gives the end-of-day MRR change points
//     (customer, currency, day, mrr), only on days where the value changes.
//     This is what the store materialises (one row per point), and the unit
//     of incremental work: when anything of a customer changes (a version,
//     an invoice), recompute that customer's series and replace its rows.
//     BuildSeries does the full rebuild.
//  4. Aggregation over the materialised points, for any range:
//     SnapshotAt (MRR, ARR, active subscribers, ARPU at a day), Daily (totals
//     and movements per day), Months (roll-forward, churn rates, NRR, GRR,
//     LTV per month and currency), MonthsIn and SnapshotIn (a reporting
//     currency with user-set Rates and an FX adjustment), Cohorts.
//     Trials (TrialsByMonth) and Cash read subscriptions, invoices, charges
//     and refunds directly.
//  5. Report / AtReport / RangeReport give the JSON shapes of
//     `billfold metrics` (design/contract.md); Settings.ParseFlag reads the
//     setting flags (--discount-mode forever_only, ...).
//
// Days are calendar days in Settings.Location (default UTC); "MRR at day D"
// is the value at the end of D, after all changes dated D.
package metrics

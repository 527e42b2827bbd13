package metrics

// AtRow is `billfold metrics --at D --json`, one per currency.
type AtRow struct {
	At                string `json:"at"`
	Currency          string `json:"currency"`
	MRR               int64  `json:"mrr"`
	ARR               int64  `json:"arr"`
	ActiveSubscribers int    `json:"active_subscribers"`
	ARPU              *int64 `json:"arpu"`
	Test              bool   `json:"test,omitempty"` // test-mode data
}

// AtReport returns the per-currency state at the end of day d.
func AtReport(series []Series, d Day) []AtRow {
	var out []AtRow
	for _, sn := range SnapshotAt(series, d) {
		out = append(out, AtRow{At: d.String(), Currency: sn.Currency, MRR: sn.MRR, ARR: sn.ARR,
			ActiveSubscribers: sn.ActiveSubscribers, ARPU: sn.ARPU, Test: sn.Test})
	}
	if out == nil {
		out = []AtRow{}
	}
	return out
}

// MonthReport is one month of `billfold metrics --from --to --json`.
// Rates are percentages with 2 decimals, null when undefined.
type MonthReport struct {
	Month              string `json:"month"`
	Currency           string `json:"currency"`
	StartMRR           int64  `json:"start_mrr"`
	New                int64  `json:"new"`
	Expansion          int64  `json:"expansion"`
	Reactivation       int64  `json:"reactivation"`
	Contraction        int64  `json:"contraction"`
	Churn              int64  `json:"churn"`
	FXAdjustment       int64  `json:"fx_adjustment,omitempty"`
	EndMRR             int64  `json:"end_mrr"`
	CustomerChurnRate  Ratio  `json:"customer_churn_rate"`
	GrossMRRChurnRate  Ratio  `json:"gross_mrr_churn_rate"`
	NetMRRChurnRate    Ratio  `json:"net_mrr_churn_rate"`
	NRR                Ratio  `json:"nrr"`
	GRR                Ratio  `json:"grr"`
	StartSubscribers   int    `json:"start_subscribers"`
	EndSubscribers     int    `json:"active_subscribers"`
	NewSubscribers     int    `json:"new_subscribers"`
	ChurnedSubscribers int    `json:"churned_subscribers"`
	ARR                int64  `json:"arr"`
	ARPU               *int64 `json:"arpu"`
	LTV                *int64 `json:"ltv"`
}

// RangeReport turns month rows into the contract's JSON rows.
func RangeReport(rows []MonthRow) []MonthReport {
	out := make([]MonthReport, 0, len(rows))
	for _, r := range rows {
		out = append(out, MonthReport{
			Month: r.Month.String(), Currency: r.Currency, StartMRR: r.StartMRR,
			New: r.New, Expansion: r.Expansion, Reactivation: r.Reactivation,
			Contraction: r.Contraction, Churn: r.Churn, FXAdjustment: r.FXAdjustment, EndMRR: r.EndMRR,
			CustomerChurnRate: r.CustomerChurnRate, GrossMRRChurnRate: r.GrossMRRChurnRate,
			NetMRRChurnRate: r.NetMRRChurnRate, NRR: r.NRR, GRR: r.GRR,
			StartSubscribers: r.StartSubscribers, EndSubscribers: r.EndSubscribers,
			NewSubscribers: r.NewCount, ChurnedSubscribers: r.ChurnedCustomers,
			ARR: 12 * r.EndMRR, ARPU: r.ARPU, LTV: r.LTV,
		})
	}
	return out
}

// Report computes `billfold metrics` for the CLI from materialised series:
// with only at set (from = to = 0), the per-currency state at that day; with
// from/to, the months from the month of from to the month of to. currency,
// when not empty, keeps only that currency. The result marshals to the
// contract's JSON.
func Report(series []Series, q Query, s Settings) (any, error) {
	if q.Currency != "" {
		series = FilterCurrency(series, q.Currency)
	}
	if q.From == "" && q.To == "" {
		d, err := ParseDay(q.At)
		if err != nil {
			return nil, err
		}
		return AtReport(series, d), nil
	}
	if q.At != "" {
		return nil, errorf("use either --at or --from/--to, not both")
	}
	if q.From == "" || q.To == "" {
		return nil, errorf("--from and --to go together: give both dates (YYYY-MM-DD)")
	}
	f, err := ParseDay(q.From)
	if err != nil {
		return nil, err
	}
	t, err := ParseDay(q.To)
	if err != nil {
		return nil, err
	}
	if t < f {
		return nil, errorf("--to %s is before --from %s", q.To, q.From)
	}
	return RangeReport(Months(series, f.Month(), t.Month(), s)), nil
}

// Query is what `billfold metrics` asks for (dates as YYYY-MM-DD).
type Query struct {
	At       string
	From, To string
	Currency string
}

// FilterCurrency keeps the series of one currency.
func FilterCurrency(series []Series, currency string) []Series {
	c := lower(currency)
	var out []Series
	for _, s := range series {
		if s.Currency == c {
			out = append(out, s)
		}
	}
	return out
}

package metrics

// AtRow is `billfold metrics --at D --json`, one per currency.
type AtRow struct {
	At                string `json:"at"`
	Currency          string `json:"currency"`
	MRR               int64  `json:"mrr"`
	ARR               int64  `json:"arr"`
	ActiveSubscribers int    `json:"active_subscribers"`
	ARPU              *int64 `json:"arpu"`
}

// AtReport returns the per-currency state at the end of day d.
func AtReport(series []Series, d Day) []AtRow {
	var out []AtRow
	for _, sn := range SnapshotAt(series, d) {
		out = append(out, AtRow{At: d.String(), Currency: sn.Currency, MRR: sn.MRR, ARR: sn.ARR,
			ActiveSubscribers: sn.ActiveSubscribers, ARPU: sn.ARPU})
	}
	if out == nil {
		out = []AtRow{}
	}
	return out
}

package sandbox

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"
)

// truthLog is the generated business's true MRR per currency and UTC day,
// from its own simulated timeline, with the default settings of
// design/metrics.md (forever_only discounts, at_request churn, trialing,
// paused, unpaid and paused collection count 0, MRR at the end of the day).
type truthLog struct {
	firstDay int64 // unix time of the first day's 00:00 UTC
	days     int
	now      int64
	diff     map[string][]int64 // currency -> difference array over days
}

func newTruthLog(start, now int64) *truthLog {
	first := time.Unix(start, 0).UTC().Truncate(24 * time.Hour).Unix()
	days := int((now-first)/day) + 1
	tl := &truthLog{firstDay: first, days: days, now: now, diff: map[string][]int64{}}
	for _, c := range genCurrencies {
		tl.diff[c] = make([]int64, days+1)
	}
	return tl
}

// add counts a segment [from, to) on every day whose end-of-day moment
// (the last second of the day; now for today) falls inside it.
func (tl *truthLog) add(s mrrSeg) {
	arr := tl.diff[s.currency]
	if arr == nil {
		arr = make([]int64, tl.days+1)
		tl.diff[s.currency] = arr
	}
	// moment of day i: firstDay + (i+1)*day - 1, but now for the last day
	moment := func(i int) int64 {
		if i == tl.days-1 {
			return tl.now
		}
		return tl.firstDay + int64(i+1)*day - 1
	}
	// first day with moment >= from
	lo := sort.Search(tl.days, func(i int) bool { return moment(i) >= s.from })
	// first day with moment >= to (excluded)
	hi := sort.Search(tl.days, func(i int) bool { return moment(i) >= s.to })
	if lo >= hi {
		return
	}
	arr[lo] += s.mrr
	arr[hi] -= s.mrr
}

// WriteTruth writes the true daily MRR as CSV `date,currency,mrr`, one row
// per UTC day and currency, from the first day of history to Now's day
// (valued at Now). Only generated data has a truth.
func (d *Data) WriteTruth(w io.Writer) error {
	tl := d.truth
	if tl == nil {
		return fmt.Errorf("write truth: only generated data has a truth file (this data came from a fixture)")
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("date,currency,mrr\n")
	curs := make([]string, 0, len(tl.diff))
	for c := range tl.diff {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	run := make(map[string]int64, len(curs))
	for i := 0; i < tl.days; i++ {
		date := time.Unix(tl.firstDay+int64(i)*day, 0).UTC().Format("2006-01-02")
		for _, c := range curs {
			run[c] += tl.diff[c][i]
			bw.WriteString(date)
			bw.WriteByte(',')
			bw.WriteString(c)
			bw.WriteByte(',')
			bw.WriteString(strconv.FormatInt(run[c], 10))
			bw.WriteByte('\n')
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	return nil
}

// TruthAt returns the true MRR per currency at the end of the given UTC
// day (for tests); ok is false outside the history.
func (d *Data) TruthAt(date time.Time) (map[string]int64, bool) {
	tl := d.truth
	if tl == nil {
		return nil, false
	}
	idx := int((date.UTC().Truncate(24*time.Hour).Unix() - tl.firstDay) / day)
	if idx < 0 || idx >= tl.days {
		return nil, false
	}
	out := map[string]int64{}
	for c, arr := range tl.diff {
		var v int64
		for i := 0; i <= idx; i++ {
			v += arr[i]
		}
		out[c] = v
	}
	return out, true
}

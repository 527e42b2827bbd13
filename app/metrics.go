package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"billfold/backend"
	"billfold/backend/analytics"
	"billfold/backend/metrics"
	"billfold/backend/store"
)

// EventMetricsUpdated is emitted after the materialised metrics changed
// (a rebuild after a settings change); payload MetricsFreshnessDTO.
const EventMetricsUpdated = "metrics:updated"

// CachePathFunc returns the SQLite file of the account the screens show.
type CachePathFunc func(ctx context.Context) (string, error)

// FileSaver asks the user where to save a file; "" means cancelled.
type FileSaver interface {
	SaveFileDialog(defaultName, title string) (string, error)
}

// MetricsOptions configure a MetricsService.
type MetricsOptions struct {
	CachePath CachePathFunc // required
	Saver     FileSaver     // nil: SaveCSV fails with EUNAVAILABLE
	Emitter   Emitter
	Logger    *slog.Logger
	Now       func() time.Time
}

// MetricsService serves the Dashboard screen: the metrics of a range, the
// customers behind a movement, the metric settings and CSV export.
type MetricsService struct {
	o  MetricsOptions
	mu sync.Mutex // one rebuild at a time
}

// NewMetricsService returns the service.
func NewMetricsService(o MetricsOptions) *MetricsService {
	if o.Emitter == nil {
		o.Emitter = discardEmitter{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &MetricsService{o: o}
}

// CachePathOf resolves the cache like the CLI: BILLFOLD_DB, else the
// current account's own file under the manager's home.
func CachePathOf(s *Services, mgr AccountManager, getenv func(string) string) CachePathFunc {
	return func(ctx context.Context) (string, error) {
		if p := getenv("BILLFOLD_DB"); p != "" {
			return p, nil
		}
		if mgr == nil {
			return "", backend.Errorf(backend.ENOTFOUND, "no account: add one or open the demo workspace")
		}
		cur, err := s.Accounts.Current()
		if err != nil {
			return "", err
		}
		list, err := mgr.List(ctx)
		if err != nil {
			return "", err
		}
		for _, a := range list {
			if a.ID == cur {
				return store.Path(mgr.Home(), a.AccountID, a.Mode)
			}
		}
		return "", backend.Errorf(backend.ENOTFOUND, "no account: add one or open the demo workspace")
	}
}

func (m *MetricsService) open(ctx context.Context) (*store.DB, error) {
	if m.o.CachePath == nil {
		return nil, backend.Errorf(backend.EUNAVAILABLE, "metrics are not available in this build")
	}
	p, err := m.o.CachePath(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(p); err != nil {
		return nil, backend.Errorf(backend.ENOTFOUND, "nothing synced yet: run a sync first")
	}
	return store.Open(ctx, p, store.Options{Logger: m.o.Logger})
}

// settings returns the saved settings, and brings the points up to date.
func (m *MetricsService) ensure(ctx context.Context, db *store.DB) (metrics.Settings, error) {
	c, err := analytics.LoadConfig(ctx, db)
	if err != nil {
		return metrics.Settings{}, err
	}
	s, err := c.Settings()
	if err != nil {
		return s, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err = analytics.Ensure(ctx, db, s, analytics.Options{Now: m.o.Now})
	return s, err
}

// DashboardQueryDTO asks for a range (YYYY-MM-DD, inclusive) in one
// currency ("" picks the one with the most MRR).
type DashboardQueryDTO struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Currency string `json:"currency"`
}

// KPIDTO is a headline number now and at the end of the previous period.
// Money and counts use value/previous (minor units or counts); rates use
// rate/previousRate (percent, 2 decimals). null: undefined.
type KPIDTO struct {
	Key          string   `json:"key"`
	Label        string   `json:"label"`
	Kind         string   `json:"kind"` // money | count | percent
	Value        *int64   `json:"value"`
	Previous     *int64   `json:"previous"`
	Rate         *float64 `json:"rate"`
	PreviousRate *float64 `json:"previousRate"`
	Movement     string   `json:"movement,omitempty"` // the movement a click shows (churn tiles)
}

type DayDTO struct {
	Day          string `json:"day"`
	MRR          int64  `json:"mrr"`
	Subscribers  int    `json:"subscribers"`
	New          int64  `json:"new"`
	Expansion    int64  `json:"expansion"`
	Reactivation int64  `json:"reactivation"`
	Contraction  int64  `json:"contraction"`
	Churn        int64  `json:"churn"`
}

type MonthDTO struct {
	Month              string   `json:"month"`
	StartMRR           int64    `json:"startMrr"`
	New                int64    `json:"new"`
	Expansion          int64    `json:"expansion"`
	Reactivation       int64    `json:"reactivation"`
	Contraction        int64    `json:"contraction"`
	Churn              int64    `json:"churn"`
	EndMRR             int64    `json:"endMrr"`
	StartSubscribers   int      `json:"startSubscribers"`
	EndSubscribers     int      `json:"endSubscribers"`
	NewSubscribers     int      `json:"newSubscribers"`
	ChurnedSubscribers int      `json:"churnedSubscribers"`
	CustomerChurnRate  *float64 `json:"customerChurnRate"`
	GrossMRRChurnRate  *float64 `json:"grossMrrChurnRate"`
	NetMRRChurnRate    *float64 `json:"netMrrChurnRate"`
	NRR                *float64 `json:"nrr"`
	GRR                *float64 `json:"grr"`
	ARPU               *int64   `json:"arpu"`
	LTV                *int64   `json:"ltv"`
}

type CohortPeriodDTO struct {
	Offset            int      `json:"offset"`
	Customers         int      `json:"customers"`
	MRR               int64    `json:"mrr"`
	CustomerRetention *float64 `json:"customerRetention"`
	MRRRetention      *float64 `json:"mrrRetention"`
}

type CohortDTO struct {
	Month     string            `json:"month"`
	Customers int               `json:"customers"`
	NewMRR    int64             `json:"newMrr"`
	Periods   []CohortPeriodDTO `json:"periods"`
}

type PlanDTO struct {
	Product     string `json:"product"`
	Name        string `json:"name"`
	MRR         int64  `json:"mrr"`
	Subscribers int    `json:"subscribers"`
}

type CurrencyDTO struct {
	Currency    string `json:"currency"`
	MRR         int64  `json:"mrr"`
	Subscribers int    `json:"subscribers"`
	Test        bool   `json:"test"`
}

type TrialMonthDTO struct {
	Month      string   `json:"month"`
	NewTrials  int      `json:"newTrials"`
	Ended      int      `json:"ended"`
	Converted  int      `json:"converted"`
	Conversion *float64 `json:"conversion"`
}

type CashDTO struct {
	Month     string `json:"month"`
	Collected int64  `json:"collected"`
	Refunded  int64  `json:"refunded"`
	Net       int64  `json:"net"`
	Charges   int    `json:"charges"`
	Refunds   int    `json:"refunds"`
}

type MetricsFreshnessDTO struct {
	LastSyncAt string `json:"lastSyncAt"` // RFC 3339, "" never
	BuiltAt    string `json:"builtAt"`
	Customers  int64  `json:"customers"`
	Points     int64  `json:"points"`
}

// DashboardDTO is everything the Dashboard screen shows.
type DashboardDTO struct {
	From       string              `json:"from"`
	To         string              `json:"to"`
	PrevFrom   string              `json:"prevFrom"`
	PrevTo     string              `json:"prevTo"`
	Currency   string              `json:"currency"`
	Currencies []string            `json:"currencies"`
	Test       bool                `json:"test"`
	KPIs       []KPIDTO            `json:"kpis"`
	Daily      []DayDTO            `json:"daily"`
	Months     []MonthDTO          `json:"months"`
	Cohorts    []CohortDTO         `json:"cohorts"`
	ByPlan     []PlanDTO           `json:"byPlan"`
	ByCurrency []CurrencyDTO       `json:"byCurrency"`
	Trials     []TrialMonthDTO     `json:"trials"`
	Cash       []CashDTO           `json:"cash"`
	Freshness  MetricsFreshnessDTO `json:"freshness"`
}

func pct(r metrics.Ratio) *float64 {
	bp, ok := r.BasisPoints()
	if !ok {
		return nil
	}
	v := float64(bp) / 100
	return &v
}

func unixRFC(t int64) string {
	if t == 0 {
		return ""
	}
	return time.Unix(t, 0).UTC().Format(time.RFC3339)
}

// Dashboard returns the dashboard for q.
func (m *MetricsService) Dashboard(q DashboardQueryDTO) (DashboardDTO, error) {
	ctx := context.Background()
	db, err := m.open(ctx)
	if err != nil {
		return DashboardDTO{}, err
	}
	defer db.Close()
	s, err := m.ensure(ctx, db)
	if err != nil {
		return DashboardDTO{}, err
	}
	d, err := analytics.BuildDashboard(ctx, db, analytics.Query{From: q.From, To: q.To, Currency: q.Currency}, s, m.o.Now())
	if err != nil {
		return DashboardDTO{}, err
	}
	return dashboardDTO(d), nil
}

func dashboardDTO(d *analytics.Dashboard) DashboardDTO {
	out := DashboardDTO{From: d.From.String(), To: d.To.String(), PrevFrom: d.PrevFrom.String(), PrevTo: d.PrevTo.String(),
		Currency: d.Currency, Currencies: d.Currencies, Test: d.Test,
		Daily: []DayDTO{}, Months: []MonthDTO{}, Cohorts: []CohortDTO{}, ByPlan: []PlanDTO{}, ByCurrency: []CurrencyDTO{},
		Trials: []TrialMonthDTO{}, Cash: []CashDTO{}}
	if out.Currencies == nil {
		out.Currencies = []string{}
	}
	money := func(key, label string, k analytics.KPI, kind string) KPIDTO {
		return KPIDTO{Key: key, Label: label, Kind: kind, Value: k.Value, Previous: k.Previous}
	}
	rate := func(key, label string, k analytics.KPI, mv string) KPIDTO {
		return KPIDTO{Key: key, Label: label, Kind: "percent", Rate: pct(k.Ratio), PreviousRate: pct(k.PrevRate), Movement: mv}
	}
	out.KPIs = []KPIDTO{
		money("mrr", "MRR", d.MRR, "money"), money("arr", "ARR", d.ARR, "money"),
		money("subscribers", "Active subscribers", d.Subscribers, "count"), money("arpu", "ARPU", d.ARPU, "money"),
		rate("customer_churn", "Customer churn", d.CustomerChurn, "churn"), rate("net_mrr_churn", "Net MRR churn", d.NetMRRChurn, "contraction"),
		rate("nrr", "NRR", d.NRR, ""), money("ltv", "LTV", d.LTV, "money"),
	}
	for _, r := range d.Daily {
		out.Daily = append(out.Daily, DayDTO{Day: r.Day.String(), MRR: r.MRR, Subscribers: r.Subscribers, New: r.New, Expansion: r.Expansion,
			Reactivation: r.Reactivation, Contraction: r.Contraction, Churn: r.Churn})
	}
	for _, r := range d.Months {
		out.Months = append(out.Months, MonthDTO{Month: r.Month.String(), StartMRR: r.StartMRR, New: r.New, Expansion: r.Expansion,
			Reactivation: r.Reactivation, Contraction: r.Contraction, Churn: r.Churn, EndMRR: r.EndMRR,
			StartSubscribers: r.StartSubscribers, EndSubscribers: r.EndSubscribers, NewSubscribers: r.NewCount,
			ChurnedSubscribers: r.ChurnedCustomers, CustomerChurnRate: pct(r.CustomerChurnRate), GrossMRRChurnRate: pct(r.GrossMRRChurnRate),
			NetMRRChurnRate: pct(r.NetMRRChurnRate), NRR: pct(r.NRR), GRR: pct(r.GRR), ARPU: r.ARPU, LTV: r.LTV})
	}
	for _, c := range d.Cohorts {
		cd := CohortDTO{Month: c.Month.String(), Customers: c.Customers, NewMRR: c.NewMRR, Periods: []CohortPeriodDTO{}}
		for _, p := range c.Periods {
			cd.Periods = append(cd.Periods, CohortPeriodDTO{Offset: p.Offset, Customers: p.Customers, MRR: p.MRR,
				CustomerRetention: pct(p.CustomerRetention), MRRRetention: pct(p.MRRRetention)})
		}
		out.Cohorts = append(out.Cohorts, cd)
	}
	for _, p := range d.ByPlan {
		out.ByPlan = append(out.ByPlan, PlanDTO{Product: p.Product, Name: p.Name, MRR: p.MRR, Subscribers: p.Subscribers})
	}
	for _, c := range d.ByCurrency {
		out.ByCurrency = append(out.ByCurrency, CurrencyDTO{Currency: c.Currency, MRR: c.MRR, Subscribers: c.ActiveSubscribers, Test: c.Test})
	}
	for _, t := range d.Trials {
		out.Trials = append(out.Trials, TrialMonthDTO{Month: t.Month.String(), NewTrials: t.NewTrials, Ended: t.EndedTrial,
			Converted: t.Converted, Conversion: pct(t.Conversion)})
	}
	for _, c := range d.Cash {
		out.Cash = append(out.Cash, CashDTO{Month: c.Day.Month().String(), Collected: c.Collected, Refunded: c.Refunded, Net: c.Net,
			Charges: c.Charges, Refunds: c.Refunds})
	}
	out.Freshness = MetricsFreshnessDTO{LastSyncAt: unixRFC(d.Freshness.LastSync), BuiltAt: unixRFC(d.Freshness.BuiltAt),
		Customers: d.Freshness.Customers, Points: d.Freshness.Points}
	return out
}

// BehindDTO is one customer behind a movement.
type BehindDTO struct {
	Customer string `json:"customer"`
	Name     string `json:"name"`
	Amount   int64  `json:"amount"`
}

// CustomersBehind lists the customers behind a movement (new, expansion,
// reactivation, contraction, churn) of month (YYYY-MM) in currency.
func (m *MetricsService) CustomersBehind(movement, month, currency string) ([]BehindDTO, error) {
	ctx := context.Background()
	db, err := m.open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := m.ensure(ctx, db); err != nil {
		return nil, err
	}
	rows, err := analytics.CustomersBehind(ctx, db, movement, month, currency)
	if err != nil {
		return nil, err
	}
	out := make([]BehindDTO, 0, len(rows))
	for _, r := range rows {
		out = append(out, BehindDTO{Customer: r.Customer, Name: r.Name, Amount: r.Amount})
	}
	return out, nil
}

// MetricSettingDTO is one setting of design/metrics.md.
type MetricSettingDTO struct {
	Name        string   `json:"name"` // flag name, e.g. discount-mode
	Value       string   `json:"value"`
	Default     string   `json:"default"`
	Choices     []string `json:"choices"` // empty: free text
	Explanation string   `json:"explanation"`
}

var settingDocs = []MetricSettingDTO{
	{Name: "discount-mode", Default: "forever_only", Choices: []string{"forever_only", "forever_and_repeating", "all_active"},
		Explanation: "Which coupons reduce MRR: only forever ones (Stripe), also repeating ones while they last, or every active one."},
	{Name: "churn-recognition", Default: "at_request", Choices: []string{"at_request", "at_period_end"},
		Explanation: "Count a cancellation when the customer asks for it (Stripe) or when the paid period ends."},
	{Name: "past-due-autochurn-days", Default: "off",
		Explanation: "Stop counting a past-due subscription after this many days (off: count it until Stripe cancels it)."},
	{Name: "pause-collection-counts", Default: "false", Choices: []string{"false", "true"},
		Explanation: "Whether a subscription with paused payment collection still counts as MRR."},
	{Name: "week-factor", Default: "52/12", Explanation: "Weeks per month used to turn weekly prices into MRR."},
	{Name: "day-factor", Default: "365/12", Explanation: "Days per month used to turn daily prices into MRR."},
	{Name: "churn-rate-formula", Default: "stripe", Choices: []string{"stripe", "logo_snapshot"},
		Explanation: "Customer churn as churned / (active at start + new) (Stripe), or lost / active at start."},
	{Name: "ltv-mode", Default: "trailing6", Choices: []string{"trailing6", "stripe"},
		Explanation: "LTV as ARPU over the mean churn of the six months before (steadier), or over this month's churn (Stripe)."},
	{Name: "timezone", Default: "UTC", Explanation: "The time zone days and months are counted in (an IANA name such as Europe/Paris)."},
}

// MetricSettings returns the settings with their saved values.
func (m *MetricsService) MetricSettings() ([]MetricSettingDTO, error) {
	ctx := context.Background()
	db, err := m.open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	c, err := analytics.LoadConfig(ctx, db)
	if err != nil {
		return nil, err
	}
	return settingsDTO(c), nil
}

func settingsDTO(c analytics.Config) []MetricSettingDTO {
	out := make([]MetricSettingDTO, 0, len(settingDocs))
	for _, d := range settingDocs {
		d.Value = d.Default
		if v, ok := c[d.Name]; ok && v != "" {
			d.Value = v
		}
		d.Choices = append([]string{}, d.Choices...)
		out = append(out, d)
	}
	return out
}

// SetMetricSettings validates and saves values (name -> value; missing
// names keep their value), rebuilds the metrics when that changes them,
// emits EventMetricsUpdated and returns the settings. A bad value changes
// nothing.
func (m *MetricsService) SetMetricSettings(values map[string]string) ([]MetricSettingDTO, error) {
	ctx := context.Background()
	db, err := m.open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	c, err := analytics.LoadConfig(ctx, db)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, n := range metrics.FlagNames {
		known[n] = true
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.ReplaceAll(strings.TrimLeft(k, "-"), "_", "-")
		if !known[name] {
			return nil, backend.Errorf(backend.EINVALID, "unknown metric setting %q", k)
		}
		c[name] = values[k]
	}
	if err := analytics.SaveConfig(ctx, db, c); err != nil {
		return nil, err
	}
	if _, err := m.ensure(ctx, db); err != nil {
		return nil, err
	}
	if st, err := db.MetricsState(ctx); err == nil {
		m.o.Emitter.Emit(EventMetricsUpdated, MetricsFreshnessDTO{BuiltAt: unixRFC(st.BuiltAt), Customers: st.Customers, Points: st.Points})
	}
	c, err = analytics.LoadConfig(ctx, db)
	if err != nil {
		return nil, err
	}
	return settingsDTO(c), nil
}

// SaveCSV asks where to save and writes content (a chart's CSV, built by
// the webview) there. It returns the path, or "" when the user cancelled.
func (m *MetricsService) SaveCSV(defaultName, content string) (string, error) {
	if m.o.Saver == nil {
		return "", backend.Errorf(backend.EUNAVAILABLE, "saving files is not available here")
	}
	name := filepath.Base(strings.TrimSpace(defaultName))
	if name == "" || name == "." || name == "/" {
		name = "billfold.csv"
	}
	if !strings.HasSuffix(strings.ToLower(name), ".csv") {
		name += ".csv"
	}
	p, err := m.o.Saver.SaveFileDialog(name, "Export CSV")
	if err != nil || p == "" {
		return "", err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return "", backend.Errorf(backend.EDISK, "could not write %s: %v", p, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return "", backend.Errorf(backend.EDISK, "could not write %s: %v", p, err)
	}
	return p, nil
}

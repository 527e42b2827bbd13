package metrics

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// DiscountMode selects which coupons reduce MRR.
type DiscountMode string

const (
	ForeverOnly         DiscountMode = "forever_only"
	ForeverAndRepeating DiscountMode = "forever_and_repeating"
	AllActive           DiscountMode = "all_active"
)

// ChurnRecognition selects when a pending cancellation removes MRR.
type ChurnRecognition string

const (
	AtRequest   ChurnRecognition = "at_request"
	AtPeriodEnd ChurnRecognition = "at_period_end"
)

// ChurnRateFormula selects the customer churn rate formula.
type ChurnRateFormula string

const (
	ChurnStripe       ChurnRateFormula = "stripe"
	ChurnLogoSnapshot ChurnRateFormula = "logo_snapshot"
)

// LTVMode selects the lifetime value formula.
type LTVMode string

const (
	LTVTrailing6 LTVMode = "trailing6"
	LTVStripe    LTVMode = "stripe"
)

// Settings are the user-visible metric settings of design/metrics.md. The
// zero value means the defaults; use Defaults() for an explicit copy.
type Settings struct {
	DiscountMode     DiscountMode
	ChurnRecognition ChurnRecognition
	// PastDueAutochurnDays: 0 means off; N > 0 stops counting a subscription
	// N days into past_due.
	PastDueAutochurnDays  int
	PauseCollectionCounts bool
	WeekFactor            *big.Rat // nil: 52/12
	DayFactor             *big.Rat // nil: 365/12
	ChurnRateFormula      ChurnRateFormula
	LTVMode               LTVMode
	// Location is the reporting time zone; nil means UTC.
	Location *time.Location

	defaultFactors bool // set by norm: week and day factors are 52/12 and 365/12
	normalized     bool // norm ran; ParseFlag clears it
}

// Defaults returns the default settings (Stripe's conventions, UTC).
func Defaults() Settings {
	return Settings{
		DiscountMode:     ForeverOnly,
		ChurnRecognition: AtRequest,
		WeekFactor:       big.NewRat(52, 12),
		DayFactor:        big.NewRat(365, 12),
		ChurnRateFormula: ChurnStripe,
		LTVMode:          LTVTrailing6,
		Location:         time.UTC,
	}
}

// norm fills unset fields with defaults (cheaply: it runs per subscription).
func (s Settings) norm() Settings {
	if s.normalized {
		return s
	}
	if s.DiscountMode == "" {
		s.DiscountMode = ForeverOnly
	}
	if s.ChurnRecognition == "" {
		s.ChurnRecognition = AtRequest
	}
	if s.WeekFactor == nil {
		s.WeekFactor = big.NewRat(52, 12)
	}
	if s.DayFactor == nil {
		s.DayFactor = big.NewRat(365, 12)
	}
	if s.ChurnRateFormula == "" {
		s.ChurnRateFormula = ChurnStripe
	}
	if s.LTVMode == "" {
		s.LTVMode = LTVTrailing6
	}
	if s.Location == nil {
		s.Location = time.UTC
	}
	s.defaultFactors = ratIs(s.WeekFactor, 13, 3) && ratIs(s.DayFactor, 365, 12)
	s.normalized = true
	return s
}

// ratIs reports whether r equals num/den (given in lowest terms).
func ratIs(r *big.Rat, num, den int64) bool {
	return r.Num().IsInt64() && r.Num().Int64() == num && r.Denom().IsInt64() && r.Denom().Int64() == den
}

// FlagNames lists the setting flags ParseFlag accepts (without "--").
var FlagNames = []string{
	"discount-mode", "churn-recognition", "past-due-autochurn-days",
	"pause-collection-counts", "week-factor", "day-factor",
	"churn-rate-formula", "ltv-mode", "timezone",
}

// ParseFlag sets one setting from a command-line flag. name is the flag
// name with or without leading dashes; underscores and dashes are equal
// ("discount_mode" = "discount-mode"). Bad input returns a one-line error and
// leaves s unchanged.
func (s *Settings) ParseFlag(name, value string) error {
	key := strings.ReplaceAll(strings.TrimLeft(name, "-"), "_", "-")
	s.normalized = false
	v := strings.TrimSpace(value)
	switch key {
	case "discount-mode":
		switch m := DiscountMode(v); m {
		case ForeverOnly, ForeverAndRepeating, AllActive:
			s.DiscountMode = m
			return nil
		}
		return fmt.Errorf("--discount-mode %q: use forever_only, forever_and_repeating or all_active", value)
	case "churn-recognition":
		switch c := ChurnRecognition(v); c {
		case AtRequest, AtPeriodEnd:
			s.ChurnRecognition = c
			return nil
		}
		return fmt.Errorf("--churn-recognition %q: use at_request or at_period_end", value)
	case "past-due-autochurn-days":
		if v == "off" {
			s.PastDueAutochurnDays = 0
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 3650 {
			return fmt.Errorf("--past-due-autochurn-days %q: use off or a whole number of days from 1 to 3650", value)
		}
		s.PastDueAutochurnDays = n
		return nil
	case "pause-collection-counts":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("--pause-collection-counts %q: use true or false", value)
		}
		s.PauseCollectionCounts = b
		return nil
	case "week-factor", "day-factor":
		r, ok := new(big.Rat).SetString(v)
		if !ok || r.Sign() <= 0 {
			return fmt.Errorf("--%s %q: use a positive number or fraction such as 52/12", key, value)
		}
		if key == "week-factor" {
			s.WeekFactor = r
		} else {
			s.DayFactor = r
		}
		return nil
	case "churn-rate-formula":
		switch f := ChurnRateFormula(v); f {
		case ChurnStripe, ChurnLogoSnapshot:
			s.ChurnRateFormula = f
			return nil
		}
		return fmt.Errorf("--churn-rate-formula %q: use stripe or logo_snapshot", value)
	case "ltv-mode":
		switch m := LTVMode(v); m {
		case LTVTrailing6, LTVStripe:
			s.LTVMode = m
			return nil
		}
		return fmt.Errorf("--ltv-mode %q: use trailing6 or stripe", value)
	case "timezone", "time-zone", "tz":
		if v == "" {
			return fmt.Errorf("--timezone is empty: use an IANA name such as Europe/Paris, or UTC")
		}
		loc, err := time.LoadLocation(v)
		if err != nil {
			return fmt.Errorf("--timezone %q: unknown time zone; use an IANA name such as Europe/Paris, or UTC", value)
		}
		s.Location = loc
		return nil
	}
	return fmt.Errorf("unknown metrics setting %q: use one of --%s", name, strings.Join(FlagNames, ", --"))
}

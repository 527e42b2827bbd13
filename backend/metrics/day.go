package metrics

import (
	"fmt"
	"time"
)

// Day is a calendar day in the reporting time zone, counted from 1970-01-01.
type Day int32

// DayOf returns the calendar day of the unix time t in loc (nil: UTC).
func DayOf(t int64, loc *time.Location) Day {
	if loc == nil || loc == time.UTC {
		d := t / 86400
		if t < 0 && t%86400 != 0 {
			d--
		}
		return Day(d)
	}
	y, m, d := time.Unix(t, 0).In(loc).Date()
	return DateDay(y, m, d)
}

// DateDay returns the Day of a civil date.
func DateDay(y int, m time.Month, d int) Day {
	// days_from_civil (Howard Hinnant).
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mm := int64(m)
	var mp int64
	if mm > 2 {
		mp = mm - 3
	} else {
		mp = mm + 9
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Day(era*146097 + doe - 719468)
}

// Date returns the civil date of the day.
func (d Day) Date() (int, time.Month, int) {
	t := time.Unix(int64(d)*86400, 0).UTC()
	return t.Date()
}

// String formats the day as YYYY-MM-DD.
func (d Day) String() string {
	y, m, dd := d.Date()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), dd)
}

// Month returns the day's month.
func (d Day) Month() Month {
	y, m, _ := d.Date()
	return MonthOf(y, m)
}

// ParseDay parses YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, fmt.Errorf("date %q: use YYYY-MM-DD", s)
	}
	return DateDay(t.Date()), nil
}

// Start returns the first instant of the day in loc (nil: UTC), in unix seconds.
func (d Day) Start(loc *time.Location) int64 {
	if loc == nil {
		loc = time.UTC
	}
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc).Unix()
}

// Month is a calendar month counted from 0000-01 (year*12 + month-1).
type Month int32

// MonthOf returns the Month of a year and month.
func MonthOf(y int, m time.Month) Month { return Month(y*12 + int(m) - 1) }

// ParseMonth parses YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return 0, fmt.Errorf("month %q: use YYYY-MM", s)
	}
	return MonthOf(t.Year(), t.Month()), nil
}

// Year and time.Month of the month.
func (m Month) YM() (int, time.Month) { return int(m) / 12, time.Month(int(m)%12 + 1) }

// First returns the month's first day.
func (m Month) First() Day { y, mm := m.YM(); return DateDay(y, mm, 1) }

// Last returns the month's last day.
func (m Month) Last() Day { return (m + 1).First() - 1 }

func (m Month) String() string { y, mm := m.YM(); return fmt.Sprintf("%04d-%02d", y, int(mm)) }

// addMonthsUnix adds n calendar months to a unix time (in UTC).
func addMonthsUnix(t int64, n int) int64 {
	return time.Unix(t, 0).UTC().AddDate(0, n, 0).Unix()
}

// MarshalText writes the day as YYYY-MM-DD (JSON shows it as a string).
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Day) UnmarshalText(b []byte) error {
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText writes the month as YYYY-MM.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads YYYY-MM.
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

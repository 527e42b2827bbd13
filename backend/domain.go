// Package backend holds Billfold's domain types and error codes. It imports
// only the standard library. The types mirror the subset of Stripe's API JSON
// (API version 2023-10-16) that Billfold reads, with the same JSON names, so
// the raw JSON stored as truth decodes straight into them.
package backend

import (
	"encoding/json"
	"strings"
)

// StripeAPIVersion is the API version Billfold speaks (stripe-go v76).
const StripeAPIVersion = "2023-10-16"

// ObjectType names a synced Stripe resource, as used in URLs and reports.
type ObjectType string

const (
	TypeCustomers     ObjectType = "customers"
	TypeProducts      ObjectType = "products"
	TypePrices        ObjectType = "prices"
	TypeCoupons       ObjectType = "coupons"
	TypeSubscriptions ObjectType = "subscriptions"
	TypeInvoices      ObjectType = "invoices"
	TypeCharges       ObjectType = "charges"
	TypeRefunds       ObjectType = "refunds"
	TypeEvents        ObjectType = "events"
)

// SyncedTypes lists the object types a full sync backfills, in dependency order.
var SyncedTypes = []ObjectType{
	TypeProducts, TypePrices, TypeCoupons, TypeCustomers,
	TypeSubscriptions, TypeInvoices, TypeCharges, TypeRefunds,
}

// Mode is test or live, from the key's prefix and the objects' livemode.
type Mode string

const (
	ModeTest Mode = "test"
	ModeLive Mode = "live"
)

// Money is an amount in the currency's minor unit (cents; none for JPY).
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// zeroDecimal lists Stripe's zero-decimal currencies.
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true,
	"krw": true, "mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true,
	"vuv": true, "xaf": true, "xof": true, "xpf": true,
}

// IsZeroDecimal reports whether the currency has no minor unit.
func IsZeroDecimal(currency string) bool { return zeroDecimal[strings.ToLower(currency)] }

// Ref is an expandable reference: Stripe sends either an id string or the
// expanded object. Ref keeps the id, and the object's JSON when expanded.
type Ref struct {
	ID     string
	Object json.RawMessage
}

func (r *Ref) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = Ref{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		r.Object = nil
		return json.Unmarshal(b, &r.ID)
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	r.ID = obj.ID
	r.Object = append(json.RawMessage(nil), b...)
	return nil
}

func (r Ref) MarshalJSON() ([]byte, error) {
	if r.Object != nil {
		return r.Object, nil
	}
	if r.ID == "" {
		return []byte("null"), nil
	}
	return json.Marshal(r.ID)
}

// List is Stripe's list envelope, also used for nested lists.
type List[T any] struct {
	Object  string `json:"object"`
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
	URL     string `json:"url"`
}

type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

type Customer struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Created       int64             `json:"created"`
	Deleted       bool              `json:"deleted,omitempty"`
	Email         string            `json:"email"`
	Name          string            `json:"name"`
	Phone         string            `json:"phone"`
	Description   string            `json:"description"`
	Currency      string            `json:"currency"`
	Balance       int64             `json:"balance"`
	Delinquent    bool              `json:"delinquent"`
	Address       *Address          `json:"address"`
	InvoicePrefix string            `json:"invoice_prefix"`
	Metadata      map[string]string `json:"metadata"`
	Livemode      bool              `json:"livemode"`
}

type Product struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	Created     int64             `json:"created"`
	Updated     int64             `json:"updated"`
	Deleted     bool              `json:"deleted,omitempty"`
	Active      bool              `json:"active"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Metadata    map[string]string `json:"metadata"`
	Livemode    bool              `json:"livemode"`
}

// Recurring is a price's billing interval.
type Recurring struct {
	Interval       string `json:"interval"` // day, week, month, year
	IntervalCount  int64  `json:"interval_count"`
	UsageType      string `json:"usage_type"` // licensed, metered
	AggregateUsage string `json:"aggregate_usage"`
}

// Tier is one tier of a tiered price. UpTo nil means infinity.
type Tier struct {
	UpTo              *int64 `json:"up_to"`
	UnitAmount        *int64 `json:"unit_amount"`
	UnitAmountDecimal string `json:"unit_amount_decimal"`
	FlatAmount        *int64 `json:"flat_amount"`
	FlatAmountDecimal string `json:"flat_amount_decimal"`
}

type TransformQuantity struct {
	DivideBy int64  `json:"divide_by"`
	Round    string `json:"round"` // up, down
}

type Price struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Deleted           bool               `json:"deleted,omitempty"`
	Active            bool               `json:"active"`
	Product           Ref                `json:"product"`
	Currency          string             `json:"currency"`
	Nickname          string             `json:"nickname"`
	LookupKey         string             `json:"lookup_key"`
	Type              string             `json:"type"`           // one_time, recurring
	BillingScheme     string             `json:"billing_scheme"` // per_unit, tiered
	TiersMode         string             `json:"tiers_mode"`     // graduated, volume
	Tiers             []Tier             `json:"tiers"`
	UnitAmount        *int64             `json:"unit_amount"`
	UnitAmountDecimal string             `json:"unit_amount_decimal"`
	Recurring         *Recurring         `json:"recurring"`
	TransformQuantity *TransformQuantity `json:"transform_quantity"`
	TaxBehavior       string             `json:"tax_behavior"`
	Metadata          map[string]string  `json:"metadata"`
	Livemode          bool               `json:"livemode"`
}

type Coupon struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Created          int64             `json:"created"`
	Deleted          bool              `json:"deleted,omitempty"`
	Name             string            `json:"name"`
	Duration         string            `json:"duration"` // forever, once, repeating
	DurationInMonths *int64            `json:"duration_in_months"`
	PercentOff       *json.Number      `json:"percent_off"` // exact decimal, e.g. 12.5
	AmountOff        *int64            `json:"amount_off"`
	Currency         string            `json:"currency"`
	Valid            bool              `json:"valid"`
	Metadata         map[string]string `json:"metadata"`
	Livemode         bool              `json:"livemode"`
}

type Discount struct {
	ID           string `json:"id"`
	Object       string `json:"object"`
	Coupon       Coupon `json:"coupon"`
	Customer     Ref    `json:"customer"`
	Subscription string `json:"subscription"`
	Invoice      string `json:"invoice"`
	Start        int64  `json:"start"`
	End          *int64 `json:"end"`
}

type PauseCollection struct {
	Behavior  string `json:"behavior"`
	ResumesAt *int64 `json:"resumes_at"`
}

type SubscriptionItem struct {
	ID           string            `json:"id"`
	Object       string            `json:"object"`
	Created      int64             `json:"created"`
	Subscription string            `json:"subscription"`
	Price        Price             `json:"price"`
	Quantity     int64             `json:"quantity"`
	Metadata     map[string]string `json:"metadata"`
}

type CancellationDetails struct {
	Comment  *string `json:"comment"`
	Feedback *string `json:"feedback"`
	Reason   *string `json:"reason"`
}

type Subscription struct {
	ID                  string                 `json:"id"`
	Object              string                 `json:"object"`
	Created             int64                  `json:"created"`
	Customer            Ref                    `json:"customer"`
	Status              string                 `json:"status"`
	Currency            string                 `json:"currency"`
	CollectionMethod    string                 `json:"collection_method"`
	StartDate           int64                  `json:"start_date"`
	EndedAt             *int64                 `json:"ended_at"`
	CanceledAt          *int64                 `json:"canceled_at"`
	CancelAt            *int64                 `json:"cancel_at"`
	CancelAtPeriodEnd   bool                   `json:"cancel_at_period_end"`
	CurrentPeriodStart  int64                  `json:"current_period_start"`
	CurrentPeriodEnd    int64                  `json:"current_period_end"`
	TrialStart          *int64                 `json:"trial_start"`
	TrialEnd            *int64                 `json:"trial_end"`
	PauseCollection     *PauseCollection       `json:"pause_collection"`
	CancellationDetails *CancellationDetails   `json:"cancellation_details"`
	Discount            *Discount              `json:"discount"`
	Items               List[SubscriptionItem] `json:"items"`
	LatestInvoice       Ref                    `json:"latest_invoice"`
	Metadata            map[string]string      `json:"metadata"`
	Livemode            bool                   `json:"livemode"`
}

type Period struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

type InvoiceLine struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Type             string            `json:"type"` // subscription, invoiceitem
	Amount           int64             `json:"amount"`
	Currency         string            `json:"currency"`
	Description      string            `json:"description"`
	Period           Period            `json:"period"`
	Price            *Price            `json:"price"`
	Proration        bool              `json:"proration"`
	Quantity         *int64            `json:"quantity"`
	Subscription     Ref               `json:"subscription"`
	SubscriptionItem string            `json:"subscription_item"`
	Metadata         map[string]string `json:"metadata"`
}

type StatusTransitions struct {
	FinalizedAt           *int64 `json:"finalized_at"`
	MarkedUncollectibleAt *int64 `json:"marked_uncollectible_at"`
	PaidAt                *int64 `json:"paid_at"`
	VoidedAt              *int64 `json:"voided_at"`
}

type Invoice struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Created           int64             `json:"created"`
	Number            string            `json:"number"`
	Customer          Ref               `json:"customer"`
	Subscription      Ref               `json:"subscription"`
	Status            string            `json:"status"` // draft, open, paid, uncollectible, void
	BillingReason     string            `json:"billing_reason"`
	Currency          string            `json:"currency"`
	AmountDue         int64             `json:"amount_due"`
	AmountPaid        int64             `json:"amount_paid"`
	AmountRemaining   int64             `json:"amount_remaining"`
	Subtotal          int64             `json:"subtotal"`
	Tax               *int64            `json:"tax"`
	Total             int64             `json:"total"`
	Paid              bool              `json:"paid"`
	AttemptCount      int64             `json:"attempt_count"`
	PeriodStart       int64             `json:"period_start"`
	PeriodEnd         int64             `json:"period_end"`
	DueDate           *int64            `json:"due_date"`
	Charge            Ref               `json:"charge"`
	Discount          *Discount         `json:"discount"`
	StatusTransitions StatusTransitions `json:"status_transitions"`
	Lines             List[InvoiceLine] `json:"lines"`
	Metadata          map[string]string `json:"metadata"`
	Livemode          bool              `json:"livemode"`
}

type Card struct {
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int64  `json:"exp_month"`
	ExpYear  int64  `json:"exp_year"`
}

type PaymentMethodDetails struct {
	Type string `json:"type"`
	Card *Card  `json:"card"`
}

type Charge struct {
	ID                   string                `json:"id"`
	Object               string                `json:"object"`
	Created              int64                 `json:"created"`
	Customer             Ref                   `json:"customer"`
	Invoice              Ref                   `json:"invoice"`
	Amount               int64                 `json:"amount"`
	AmountCaptured       int64                 `json:"amount_captured"`
	AmountRefunded       int64                 `json:"amount_refunded"`
	Currency             string                `json:"currency"`
	Status               string                `json:"status"` // succeeded, pending, failed
	Paid                 bool                  `json:"paid"`
	Captured             bool                  `json:"captured"`
	Refunded             bool                  `json:"refunded"`
	FailureCode          string                `json:"failure_code"`
	FailureMessage       string                `json:"failure_message"`
	Description          string                `json:"description"`
	PaymentMethodDetails *PaymentMethodDetails `json:"payment_method_details"`
	Refunds              *List[Refund]         `json:"refunds"`
	Metadata             map[string]string     `json:"metadata"`
	Livemode             bool                  `json:"livemode"`
}

type Refund struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"`
	Created  int64             `json:"created"`
	Charge   Ref               `json:"charge"`
	Amount   int64             `json:"amount"`
	Currency string            `json:"currency"`
	Reason   string            `json:"reason"`
	Status   string            `json:"status"`
	Metadata map[string]string `json:"metadata"`
}

type EventData struct {
	Object             json.RawMessage `json:"object"`
	PreviousAttributes json.RawMessage `json:"previous_attributes,omitempty"`
}

type EventRequest struct {
	ID             *string `json:"id"`
	IdempotencyKey *string `json:"idempotency_key"`
}

type Event struct {
	ID         string        `json:"id"`
	Object     string        `json:"object"`
	Type       string        `json:"type"`
	Created    int64         `json:"created"`
	APIVersion string        `json:"api_version"`
	Data       EventData     `json:"data"`
	Request    *EventRequest `json:"request"`
	Livemode   bool          `json:"livemode"`
}

// StripeAccount is the subset of /v1/account Billfold reads.
type StripeAccount struct {
	ID              string `json:"id"`
	Object          string `json:"object"`
	Country         string `json:"country"`
	DefaultCurrency string `json:"default_currency"`
	Email           string `json:"email"`
	BusinessProfile *struct {
		Name string `json:"name"`
	} `json:"business_profile"`
	Settings *struct {
		Dashboard *struct {
			DisplayName string `json:"display_name"`
			Timezone    string `json:"timezone"`
		} `json:"dashboard"`
	} `json:"settings"`
}

package sandbox

import "encoding/json"

// The types below are the sandbox's own rendering of Stripe's API objects
// (API version 2023-10-16). They carry every field the OpenAPI spec marks
// required, plus the optional ones a billing admin reads. Nullable fields
// are pointers so they render as JSON null. Field order follows Stripe's
// (alphabetical after id/object) so dumps are stable byte for byte.

// Address is a postal address.
type Address struct {
	City       *string `json:"city"`
	Country    *string `json:"country"`
	Line1      *string `json:"line1"`
	Line2      *string `json:"line2"`
	PostalCode *string `json:"postal_code"`
	State      *string `json:"state"`
}

// InvoiceSettings is a customer's invoice_settings.
type InvoiceSettings struct {
	CustomFields         *json.RawMessage `json:"custom_fields"`
	DefaultPaymentMethod *string          `json:"default_payment_method"`
	Footer               *string          `json:"footer"`
	RenderingOptions     *json.RawMessage `json:"rendering_options"`
}

// Customer is a Stripe customer.
type Customer struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Address             *Address          `json:"address"`
	Balance             int64             `json:"balance"`
	Created             int64             `json:"created"`
	Currency            *string           `json:"currency"`
	DefaultSource       *string           `json:"default_source"`
	Delinquent          bool              `json:"delinquent"`
	Description         *string           `json:"description"`
	Discount            *Discount         `json:"discount"`
	Email               *string           `json:"email"`
	InvoicePrefix       string            `json:"invoice_prefix"`
	InvoiceSettings     InvoiceSettings   `json:"invoice_settings"`
	Livemode            bool              `json:"livemode"`
	Metadata            map[string]string `json:"metadata"`
	Name                *string           `json:"name"`
	NextInvoiceSequence int64             `json:"next_invoice_sequence"`
	Phone               *string           `json:"phone"`
	PreferredLocales    []string          `json:"preferred_locales"`
	Shipping            *json.RawMessage  `json:"shipping"`
	TaxExempt           string            `json:"tax_exempt"`
	TestClock           *string           `json:"test_clock"`
	// Deleted marks a deleted customer: it leaves the list and its retrieve
	// answers {"id", "object", "deleted": true}. Kept in fixtures.
	Deleted bool `json:"deleted,omitempty"`
}

// Product is a Stripe product.
type Product struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Active              bool              `json:"active"`
	Created             int64             `json:"created"`
	DefaultPrice        *string           `json:"default_price"`
	Description         *string           `json:"description"`
	Features            []json.RawMessage `json:"features"`
	Images              []string          `json:"images"`
	Livemode            bool              `json:"livemode"`
	Metadata            map[string]string `json:"metadata"`
	Name                string            `json:"name"`
	PackageDimensions   *json.RawMessage  `json:"package_dimensions"`
	Shippable           *bool             `json:"shippable"`
	StatementDescriptor *string           `json:"statement_descriptor"`
	TaxCode             *string           `json:"tax_code"`
	UnitLabel           *string           `json:"unit_label"`
	Updated             int64             `json:"updated"`
	URL                 *string           `json:"url"`
}

// Recurring is a price's billing interval.
type Recurring struct {
	AggregateUsage *string `json:"aggregate_usage"`
	Interval       string  `json:"interval"`
	IntervalCount  int64   `json:"interval_count"`
	UsageType      string  `json:"usage_type"`
}

// Tier is one tier of a tiered price; UpTo nil is infinity.
type Tier struct {
	FlatAmount        *int64  `json:"flat_amount"`
	FlatAmountDecimal *string `json:"flat_amount_decimal"`
	UnitAmount        *int64  `json:"unit_amount"`
	UnitAmountDecimal *string `json:"unit_amount_decimal"`
	UpTo              *int64  `json:"up_to"`
}

// TransformQuantity divides the quantity before pricing.
type TransformQuantity struct {
	DivideBy int64  `json:"divide_by"`
	Round    string `json:"round"`
}

// Price is a Stripe price. Tiers are rendered only when expanded
// (expand[]=tiers), as Stripe does; fixtures always carry them.
type Price struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Active            bool               `json:"active"`
	BillingScheme     string             `json:"billing_scheme"`
	Created           int64              `json:"created"`
	Currency          string             `json:"currency"`
	CustomUnitAmount  *json.RawMessage   `json:"custom_unit_amount"`
	Livemode          bool               `json:"livemode"`
	LookupKey         *string            `json:"lookup_key"`
	Metadata          map[string]string  `json:"metadata"`
	Nickname          *string            `json:"nickname"`
	Product           string             `json:"product"`
	Recurring         *Recurring         `json:"recurring"`
	TaxBehavior       *string            `json:"tax_behavior"`
	Tiers             []Tier             `json:"tiers,omitempty"`
	TiersMode         *string            `json:"tiers_mode"`
	TransformQuantity *TransformQuantity `json:"transform_quantity"`
	Type              string             `json:"type"`
	UnitAmount        *int64             `json:"unit_amount"`
	UnitAmountDecimal *string            `json:"unit_amount_decimal"`
}

// Coupon is a Stripe coupon.
type Coupon struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	AmountOff        *int64            `json:"amount_off"`
	Created          int64             `json:"created"`
	Currency         *string           `json:"currency"`
	Duration         string            `json:"duration"`
	DurationInMonths *int64            `json:"duration_in_months"`
	Livemode         bool              `json:"livemode"`
	MaxRedemptions   *int64            `json:"max_redemptions"`
	Metadata         map[string]string `json:"metadata"`
	Name             *string           `json:"name"`
	PercentOff       *json.Number      `json:"percent_off"`
	RedeemBy         *int64            `json:"redeem_by"`
	TimesRedeemed    int64             `json:"times_redeemed"`
	Valid            bool              `json:"valid"`
}

// Discount is a coupon applied to a customer, subscription or invoice.
type Discount struct {
	ID              string  `json:"id"`
	Object          string  `json:"object"`
	CheckoutSession *string `json:"checkout_session"`
	Coupon          *Coupon `json:"coupon"`
	Customer        *string `json:"customer"`
	End             *int64  `json:"end"`
	Invoice         *string `json:"invoice"`
	InvoiceItem     *string `json:"invoice_item"`
	PromotionCode   *string `json:"promotion_code"`
	Start           int64   `json:"start"`
	Subscription    *string `json:"subscription"`
}

// AutomaticTax is {enabled:false} on subscriptions and invoices.
type AutomaticTax struct {
	Enabled   bool             `json:"enabled"`
	Liability *json.RawMessage `json:"liability,omitempty"`
	Status    *string          `json:"status,omitempty"`
}

// PauseCollection is a subscription's pause_collection.
type PauseCollection struct {
	Behavior  string `json:"behavior"`
	ResumesAt *int64 `json:"resumes_at"`
}

// CancellationDetails says why a subscription was canceled.
type CancellationDetails struct {
	Comment  *string `json:"comment"`
	Feedback *string `json:"feedback"`
	Reason   *string `json:"reason"`
}

// SubscriptionItem is one item of a subscription. Price points to the
// shared price object (rendered in full, as Stripe does).
type SubscriptionItem struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	BillingThresholds *json.RawMessage  `json:"billing_thresholds"`
	Created           int64             `json:"created"`
	Metadata          map[string]string `json:"metadata"`
	Price             *Price            `json:"price"`
	Quantity          *int64            `json:"quantity,omitempty"`
	Subscription      string            `json:"subscription"`
	TaxRates          []json.RawMessage `json:"tax_rates"`
}

// ItemList is subscription.items. The fixture keeps every item; the API
// renders the first 10 with has_more.
type ItemList struct {
	Object  string              `json:"object"`
	Data    []*SubscriptionItem `json:"data"`
	HasMore bool                `json:"has_more"`
	URL     string              `json:"url"`
}

// Subscription is a Stripe subscription.
type Subscription struct {
	ID                    string               `json:"id"`
	Object                string               `json:"object"`
	ApplicationFeePercent *json.Number         `json:"application_fee_percent"`
	AutomaticTax          AutomaticTax         `json:"automatic_tax"`
	BillingCycleAnchor    int64                `json:"billing_cycle_anchor"`
	BillingThresholds     *json.RawMessage     `json:"billing_thresholds"`
	CancelAt              *int64               `json:"cancel_at"`
	CancelAtPeriodEnd     bool                 `json:"cancel_at_period_end"`
	CanceledAt            *int64               `json:"canceled_at"`
	CancellationDetails   *CancellationDetails `json:"cancellation_details"`
	CollectionMethod      string               `json:"collection_method"`
	Created               int64                `json:"created"`
	Currency              string               `json:"currency"`
	CurrentPeriodEnd      int64                `json:"current_period_end"`
	CurrentPeriodStart    int64                `json:"current_period_start"`
	Customer              string               `json:"customer"`
	DaysUntilDue          *int64               `json:"days_until_due"`
	DefaultPaymentMethod  *string              `json:"default_payment_method"`
	Description           *string              `json:"description"`
	Discount              *Discount            `json:"discount"`
	EndedAt               *int64               `json:"ended_at"`
	Items                 ItemList             `json:"items"`
	LatestInvoice         *string              `json:"latest_invoice"`
	Livemode              bool                 `json:"livemode"`
	Metadata              map[string]string    `json:"metadata"`
	PauseCollection       *PauseCollection     `json:"pause_collection"`
	Schedule              *string              `json:"schedule"`
	StartDate             int64                `json:"start_date"`
	Status                string               `json:"status"`
	TestClock             *string              `json:"test_clock"`
	TrialEnd              *int64               `json:"trial_end"`
	TrialStart            *int64               `json:"trial_start"`
}

// Period is an invoice line's service period.
type Period struct {
	End   int64 `json:"end"`
	Start int64 `json:"start"`
}

// InvoiceLine is one line of an invoice.
type InvoiceLine struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Amount           int64             `json:"amount"`
	Currency         string            `json:"currency"`
	Description      *string           `json:"description"`
	DiscountAmounts  []json.RawMessage `json:"discount_amounts"`
	Discountable     bool              `json:"discountable"`
	Discounts        []string          `json:"discounts"`
	Invoice          *string           `json:"invoice"`
	InvoiceItem      *string           `json:"invoice_item,omitempty"`
	Livemode         bool              `json:"livemode"`
	Metadata         map[string]string `json:"metadata"`
	Period           Period            `json:"period"`
	Price            *Price            `json:"price"`
	Proration        bool              `json:"proration"`
	Quantity         *int64            `json:"quantity"`
	Subscription     *string           `json:"subscription"`
	SubscriptionItem *string           `json:"subscription_item,omitempty"`
	TaxAmounts       []json.RawMessage `json:"tax_amounts"`
	TaxRates         []json.RawMessage `json:"tax_rates"`
	Type             string            `json:"type"`
}

// LineList is invoice.lines (all lines in fixtures, 10 in the API).
type LineList struct {
	Object  string         `json:"object"`
	Data    []*InvoiceLine `json:"data"`
	HasMore bool           `json:"has_more"`
	URL     string         `json:"url"`
}

// StatusTransitions are an invoice's status times.
type StatusTransitions struct {
	FinalizedAt           *int64 `json:"finalized_at"`
	MarkedUncollectibleAt *int64 `json:"marked_uncollectible_at"`
	PaidAt                *int64 `json:"paid_at"`
	VoidedAt              *int64 `json:"voided_at"`
}

// Issuer is the invoice's issuer ({type: self}).
type Issuer struct {
	Type string `json:"type"`
}

// PaymentSettings is an invoice's payment_settings.
type PaymentSettings struct {
	DefaultMandate       *string          `json:"default_mandate"`
	PaymentMethodOptions *json.RawMessage `json:"payment_method_options"`
	PaymentMethodTypes   *[]string        `json:"payment_method_types"`
}

// Invoice is a Stripe invoice.
type Invoice struct {
	ID                           string            `json:"id"`
	Object                       string            `json:"object"`
	AccountCountry               *string           `json:"account_country,omitempty"`
	AccountName                  *string           `json:"account_name,omitempty"`
	AmountDue                    int64             `json:"amount_due"`
	AmountPaid                   int64             `json:"amount_paid"`
	AmountRemaining              int64             `json:"amount_remaining"`
	AmountShipping               int64             `json:"amount_shipping"`
	AttemptCount                 int64             `json:"attempt_count"`
	Attempted                    bool              `json:"attempted"`
	AutoAdvance                  bool              `json:"auto_advance"`
	AutomaticTax                 AutomaticTax      `json:"automatic_tax"`
	BillingReason                *string           `json:"billing_reason"`
	Charge                       *string           `json:"charge"`
	CollectionMethod             string            `json:"collection_method"`
	Created                      int64             `json:"created"`
	Currency                     string            `json:"currency"`
	Customer                     *string           `json:"customer"`
	CustomerEmail                *string           `json:"customer_email,omitempty"`
	CustomerName                 *string           `json:"customer_name,omitempty"`
	DefaultTaxRates              []json.RawMessage `json:"default_tax_rates"`
	Description                  *string           `json:"description"`
	Discount                     *Discount         `json:"discount"`
	Discounts                    []string          `json:"discounts"`
	DueDate                      *int64            `json:"due_date"`
	EffectiveAt                  *int64            `json:"effective_at,omitempty"`
	EndingBalance                *int64            `json:"ending_balance,omitempty"`
	HostedInvoiceURL             *string           `json:"hosted_invoice_url,omitempty"`
	InvoicePDF                   *string           `json:"invoice_pdf,omitempty"`
	Issuer                       Issuer            `json:"issuer"`
	Lines                        LineList          `json:"lines"`
	Livemode                     bool              `json:"livemode"`
	Metadata                     map[string]string `json:"metadata"`
	NextPaymentAttempt           *int64            `json:"next_payment_attempt,omitempty"`
	Number                       *string           `json:"number"`
	Paid                         bool              `json:"paid"`
	PaidOutOfBand                bool              `json:"paid_out_of_band"`
	PaymentIntent                *string           `json:"payment_intent,omitempty"`
	PaymentSettings              PaymentSettings   `json:"payment_settings"`
	PeriodEnd                    int64             `json:"period_end"`
	PeriodStart                  int64             `json:"period_start"`
	PostPaymentCreditNotesAmount int64             `json:"post_payment_credit_notes_amount"`
	PrePaymentCreditNotesAmount  int64             `json:"pre_payment_credit_notes_amount"`
	StartingBalance              int64             `json:"starting_balance"`
	Status                       *string           `json:"status"`
	StatusTransitions            StatusTransitions `json:"status_transitions"`
	Subscription                 *string           `json:"subscription"`
	Subtotal                     int64             `json:"subtotal"`
	SubtotalExcludingTax         *int64            `json:"subtotal_excluding_tax,omitempty"`
	Tax                          *int64            `json:"tax"`
	Total                        int64             `json:"total"`
	TotalDiscountAmounts         []DiscountAmount  `json:"total_discount_amounts"`
	TotalExcludingTax            *int64            `json:"total_excluding_tax,omitempty"`
	TotalTaxAmounts              []json.RawMessage `json:"total_tax_amounts"`
}

// DiscountAmount is an amount a discount took off.
type DiscountAmount struct {
	Amount   int64  `json:"amount"`
	Discount string `json:"discount"`
}

// BillingDetails of a charge.
type BillingDetails struct {
	Address *Address `json:"address"`
	Email   *string  `json:"email"`
	Name    *string  `json:"name"`
	Phone   *string  `json:"phone"`
}

// CardDetails is payment_method_details.card (subset).
type CardDetails struct {
	Brand    *string `json:"brand"`
	Country  *string `json:"country"`
	ExpMonth int64   `json:"exp_month"`
	ExpYear  int64   `json:"exp_year"`
	Funding  *string `json:"funding"`
	Last4    *string `json:"last4"`
}

// PaymentMethodDetails of a charge.
type PaymentMethodDetails struct {
	Card *CardDetails `json:"card,omitempty"`
	Type string       `json:"type"`
}

// Outcome of a charge.
type Outcome struct {
	NetworkStatus *string `json:"network_status"`
	Reason        *string `json:"reason"`
	RiskLevel     string  `json:"risk_level"`
	SellerMessage *string `json:"seller_message"`
	Type          string  `json:"type"`
}

// RefundList is charge.refunds (all in fixtures, 10 in the API).
type RefundList struct {
	Object  string    `json:"object"`
	Data    []*Refund `json:"data"`
	HasMore bool      `json:"has_more"`
	URL     string    `json:"url"`
}

// Charge is a Stripe charge.
type Charge struct {
	ID                   string                `json:"id"`
	Object               string                `json:"object"`
	Amount               int64                 `json:"amount"`
	AmountCaptured       int64                 `json:"amount_captured"`
	AmountRefunded       int64                 `json:"amount_refunded"`
	BalanceTransaction   *string               `json:"balance_transaction,omitempty"`
	BillingDetails       BillingDetails        `json:"billing_details"`
	Captured             bool                  `json:"captured"`
	Created              int64                 `json:"created"`
	Currency             string                `json:"currency"`
	Customer             *string               `json:"customer"`
	Description          *string               `json:"description"`
	Disputed             bool                  `json:"disputed"`
	FailureCode          *string               `json:"failure_code"`
	FailureMessage       *string               `json:"failure_message"`
	Invoice              *string               `json:"invoice"`
	Livemode             bool                  `json:"livemode"`
	Metadata             map[string]string     `json:"metadata"`
	Outcome              *Outcome              `json:"outcome"`
	Paid                 bool                  `json:"paid"`
	PaymentIntent        *string               `json:"payment_intent,omitempty"`
	PaymentMethod        *string               `json:"payment_method"`
	PaymentMethodDetails *PaymentMethodDetails `json:"payment_method_details"`
	ReceiptURL           *string               `json:"receipt_url,omitempty"`
	Refunded             bool                  `json:"refunded"`
	Refunds              *RefundList           `json:"refunds"`
	Status               string                `json:"status"`
}

// Refund is a Stripe refund.
type Refund struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	Amount             int64             `json:"amount"`
	BalanceTransaction *string           `json:"balance_transaction,omitempty"`
	Charge             *string           `json:"charge"`
	Created            int64             `json:"created"`
	Currency           string            `json:"currency"`
	Metadata           map[string]string `json:"metadata"`
	PaymentIntent      *string           `json:"payment_intent,omitempty"`
	Reason             *string           `json:"reason"`
	ReceiptNumber      *string           `json:"receipt_number"`
	Status             *string           `json:"status"`
}

// EventData is an event's data.
type EventData struct {
	Object             json.RawMessage `json:"object"`
	PreviousAttributes json.RawMessage `json:"previous_attributes,omitempty"`
}

// EventRequest is the API request behind an event (null ids for automatic ones).
type EventRequest struct {
	ID             *string `json:"id"`
	IdempotencyKey *string `json:"idempotency_key"`
}

// Event is a Stripe event.
type Event struct {
	ID              string       `json:"id"`
	Object          string       `json:"object"`
	APIVersion      *string      `json:"api_version"`
	Created         int64        `json:"created"`
	Data            EventData    `json:"data"`
	Livemode        bool         `json:"livemode"`
	PendingWebhooks int64        `json:"pending_webhooks"`
	Request         EventRequest `json:"request"`
	Type            string       `json:"type"`
}

// Account is /v1/account (subset).
type Account struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	BusinessProfile  *BusinessProfile  `json:"business_profile"`
	BusinessType     *string           `json:"business_type"`
	ChargesEnabled   bool              `json:"charges_enabled"`
	Country          string            `json:"country"`
	Created          int64             `json:"created"`
	DefaultCurrency  string            `json:"default_currency"`
	DetailsSubmitted bool              `json:"details_submitted"`
	Email            *string           `json:"email"`
	Metadata         map[string]string `json:"metadata"`
	PayoutsEnabled   bool              `json:"payouts_enabled"`
	Settings         *AccountSettings  `json:"settings"`
	Type             string            `json:"type"`
}

// BusinessProfile of the account.
type BusinessProfile struct {
	MCC                *string `json:"mcc"`
	Name               *string `json:"name"`
	ProductDescription *string `json:"product_description"`
	SupportEmail       *string `json:"support_email"`
	URL                *string `json:"url"`
}

// AccountSettings of the account.
type AccountSettings struct {
	Branding     json.RawMessage   `json:"branding"`
	CardPayments json.RawMessage   `json:"card_payments"`
	Dashboard    DashboardSettings `json:"dashboard"`
	Payments     json.RawMessage   `json:"payments"`
}

// DashboardSettings holds the account's display name and time zone.
type DashboardSettings struct {
	DisplayName *string `json:"display_name"`
	Timezone    *string `json:"timezone"`
}

-- 0001_init: Billfold's local cache of one Stripe account in one mode.
-- Raw object JSON (column raw) is the truth; every other column is derived
-- from it on upsert. stamp orders versions of an object (the upsert guard is
-- incoming stamp >= stored stamp); hash is backend.ContentHash(raw).
-- No CHECK constraints or enums on Stripe's open string sets.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE customers (
	pk          INTEGER PRIMARY KEY, -- rowid of the FTS index
	id          TEXT NOT NULL UNIQUE,
	created     INTEGER NOT NULL,
	stamp       INTEGER NOT NULL,
	hash        TEXT NOT NULL,
	deleted     INTEGER NOT NULL DEFAULT 0,
	email       TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL DEFAULT '',
	phone       TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	currency    TEXT NOT NULL DEFAULT '',
	balance     INTEGER NOT NULL DEFAULT 0,
	delinquent  INTEGER NOT NULL DEFAULT 0,
	livemode    INTEGER NOT NULL DEFAULT 0,
	extra       TEXT NOT NULL DEFAULT '', -- searched too: metadata values, phone digits
	raw         TEXT NOT NULL
);
CREATE INDEX customers_created ON customers (created, pk);
CREATE INDEX customers_email ON customers (email COLLATE NOCASE, pk);
CREATE INDEX customers_name ON customers (name COLLATE NOCASE, pk);

-- Customer search over the customers table (external content, no copy of
-- the text). A row is in the index exactly while deleted = 0; the store
-- removes it with the 'delete' command and the row's own values, and
-- secure-delete makes that remove the tokens from the index at once.
CREATE VIRTUAL TABLE customers_fts USING fts5 (
	id, email, name, phone, description, extra,
	content = 'customers',
	content_rowid = 'pk',
	prefix = '1 2 3',
	tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co So'"
);
INSERT INTO customers_fts (customers_fts, rank) VALUES ('secure-delete', 1);

CREATE TABLE products (
	id          TEXT PRIMARY KEY,
	created     INTEGER NOT NULL,
	stamp       INTEGER NOT NULL,
	hash        TEXT NOT NULL,
	deleted     INTEGER NOT NULL DEFAULT 0,
	active      INTEGER NOT NULL DEFAULT 0,
	name        TEXT NOT NULL DEFAULT '',
	raw         TEXT NOT NULL
);
CREATE INDEX products_created ON products (created);

CREATE TABLE prices (
	id             TEXT PRIMARY KEY,
	created        INTEGER NOT NULL,
	stamp          INTEGER NOT NULL,
	hash           TEXT NOT NULL,
	deleted        INTEGER NOT NULL DEFAULT 0,
	product        TEXT NOT NULL DEFAULT '',
	active         INTEGER NOT NULL DEFAULT 0,
	currency       TEXT NOT NULL DEFAULT '',
	type           TEXT NOT NULL DEFAULT '',
	unit_amount    INTEGER,
	interval       TEXT NOT NULL DEFAULT '',
	interval_count INTEGER NOT NULL DEFAULT 0,
	raw            TEXT NOT NULL
);
CREATE INDEX prices_created ON prices (created);
CREATE INDEX prices_product ON prices (product);

CREATE TABLE coupons (
	id                 TEXT PRIMARY KEY,
	created            INTEGER NOT NULL,
	stamp              INTEGER NOT NULL,
	hash               TEXT NOT NULL,
	deleted            INTEGER NOT NULL DEFAULT 0,
	name               TEXT NOT NULL DEFAULT '',
	duration           TEXT NOT NULL DEFAULT '',
	duration_in_months INTEGER,
	percent_off        TEXT, -- exact decimal as Stripe sent it
	amount_off         INTEGER,
	currency           TEXT NOT NULL DEFAULT '',
	valid              INTEGER NOT NULL DEFAULT 0,
	raw                TEXT NOT NULL
);
CREATE INDEX coupons_created ON coupons (created);

CREATE TABLE subscriptions (
	id                   TEXT PRIMARY KEY,
	created              INTEGER NOT NULL,
	stamp                INTEGER NOT NULL,
	hash                 TEXT NOT NULL,
	deleted              INTEGER NOT NULL DEFAULT 0,
	customer             TEXT NOT NULL DEFAULT '',
	status               TEXT NOT NULL DEFAULT '',
	currency             TEXT NOT NULL DEFAULT '',
	collection_method    TEXT NOT NULL DEFAULT '',
	start_date           INTEGER NOT NULL DEFAULT 0,
	current_period_start INTEGER NOT NULL DEFAULT 0,
	current_period_end   INTEGER NOT NULL DEFAULT 0,
	cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
	cancel_at            INTEGER,
	canceled_at          INTEGER,
	ended_at             INTEGER,
	trial_start          INTEGER,
	trial_end            INTEGER,
	raw                  TEXT NOT NULL
);
CREATE INDEX subscriptions_created ON subscriptions (created);
CREATE INDEX subscriptions_customer ON subscriptions (customer);
CREATE INDEX subscriptions_status ON subscriptions (status);

CREATE TABLE subscription_items (
	id           TEXT PRIMARY KEY,
	subscription TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
	created      INTEGER NOT NULL DEFAULT 0,
	price        TEXT NOT NULL DEFAULT '',
	product      TEXT NOT NULL DEFAULT '',
	quantity     INTEGER NOT NULL DEFAULT 0,
	raw          TEXT NOT NULL
);
CREATE INDEX subscription_items_subscription ON subscription_items (subscription);
CREATE INDEX subscription_items_price ON subscription_items (price);

-- Append-only history of subscriptions: one row each time the content hash
-- of a subscription changes, effective at the stamp that carried it.
CREATE TABLE subscription_versions (
	seq          INTEGER PRIMARY KEY,
	subscription TEXT NOT NULL,
	customer     TEXT NOT NULL DEFAULT '',
	at           INTEGER NOT NULL,
	hash         TEXT NOT NULL,
	raw          TEXT NOT NULL
);
CREATE INDEX subscription_versions_subscription ON subscription_versions (subscription, at, seq);
CREATE INDEX subscription_versions_customer ON subscription_versions (customer);

-- Discounts found inside a parent's JSON (its "discount" field), rewritten
-- with the parent.
CREATE TABLE discounts (
	parent_type  TEXT NOT NULL,
	parent_id    TEXT NOT NULL,
	id           TEXT NOT NULL,
	coupon       TEXT NOT NULL DEFAULT '',
	customer     TEXT NOT NULL DEFAULT '',
	subscription TEXT NOT NULL DEFAULT '',
	invoice      TEXT NOT NULL DEFAULT '',
	start        INTEGER NOT NULL DEFAULT 0,
	end          INTEGER,
	raw          TEXT NOT NULL,
	PRIMARY KEY (parent_type, parent_id, id)
);
CREATE INDEX discounts_customer ON discounts (customer);

CREATE TABLE invoices (
	id               TEXT PRIMARY KEY,
	created          INTEGER NOT NULL,
	stamp            INTEGER NOT NULL,
	hash             TEXT NOT NULL,
	deleted          INTEGER NOT NULL DEFAULT 0,
	customer         TEXT NOT NULL DEFAULT '',
	subscription     TEXT NOT NULL DEFAULT '',
	number           TEXT NOT NULL DEFAULT '',
	status           TEXT NOT NULL DEFAULT '',
	billing_reason   TEXT NOT NULL DEFAULT '',
	currency         TEXT NOT NULL DEFAULT '',
	amount_due       INTEGER NOT NULL DEFAULT 0,
	amount_paid      INTEGER NOT NULL DEFAULT 0,
	amount_remaining INTEGER NOT NULL DEFAULT 0,
	subtotal         INTEGER NOT NULL DEFAULT 0,
	tax              INTEGER,
	total            INTEGER NOT NULL DEFAULT 0,
	paid             INTEGER NOT NULL DEFAULT 0,
	period_start     INTEGER NOT NULL DEFAULT 0,
	period_end       INTEGER NOT NULL DEFAULT 0,
	due_date         INTEGER,
	paid_at          INTEGER,
	charge           TEXT NOT NULL DEFAULT '',
	raw              TEXT NOT NULL
);
CREATE INDEX invoices_created ON invoices (created);
CREATE INDEX invoices_customer ON invoices (customer, created);
CREATE INDEX invoices_subscription ON invoices (subscription);

CREATE TABLE invoice_lines (
	invoice           TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
	id                TEXT NOT NULL,
	pos               INTEGER NOT NULL,
	type              TEXT NOT NULL DEFAULT '',
	amount            INTEGER NOT NULL DEFAULT 0,
	currency          TEXT NOT NULL DEFAULT '',
	description       TEXT NOT NULL DEFAULT '',
	period_start      INTEGER NOT NULL DEFAULT 0,
	period_end        INTEGER NOT NULL DEFAULT 0,
	price             TEXT NOT NULL DEFAULT '',
	proration         INTEGER NOT NULL DEFAULT 0,
	quantity          INTEGER,
	subscription      TEXT NOT NULL DEFAULT '',
	subscription_item TEXT NOT NULL DEFAULT '',
	raw               TEXT NOT NULL,
	PRIMARY KEY (invoice, id)
) WITHOUT ROWID;
CREATE INDEX invoice_lines_subscription ON invoice_lines (subscription);

CREATE TABLE charges (
	id              TEXT PRIMARY KEY,
	created         INTEGER NOT NULL,
	stamp           INTEGER NOT NULL,
	hash            TEXT NOT NULL,
	deleted         INTEGER NOT NULL DEFAULT 0,
	customer        TEXT NOT NULL DEFAULT '',
	invoice         TEXT NOT NULL DEFAULT '',
	amount          INTEGER NOT NULL DEFAULT 0,
	amount_captured INTEGER NOT NULL DEFAULT 0,
	amount_refunded INTEGER NOT NULL DEFAULT 0,
	currency        TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL DEFAULT '',
	paid            INTEGER NOT NULL DEFAULT 0,
	captured        INTEGER NOT NULL DEFAULT 0,
	refunded        INTEGER NOT NULL DEFAULT 0,
	failure_code    TEXT NOT NULL DEFAULT '',
	card_brand      TEXT NOT NULL DEFAULT '',
	card_last4      TEXT NOT NULL DEFAULT '',
	raw             TEXT NOT NULL
);
CREATE INDEX charges_created ON charges (created);
CREATE INDEX charges_customer ON charges (customer, created);
CREATE INDEX charges_invoice ON charges (invoice);

-- Refunds come from their own list and from charge.refunds; customer is
-- filled from the charge when it is known.
CREATE TABLE refunds (
	id       TEXT PRIMARY KEY,
	created  INTEGER NOT NULL,
	stamp    INTEGER NOT NULL,
	hash     TEXT NOT NULL,
	deleted  INTEGER NOT NULL DEFAULT 0,
	charge   TEXT NOT NULL DEFAULT '',
	customer TEXT NOT NULL DEFAULT '',
	amount   INTEGER NOT NULL DEFAULT 0,
	currency TEXT NOT NULL DEFAULT '',
	reason   TEXT NOT NULL DEFAULT '',
	status   TEXT NOT NULL DEFAULT '',
	raw      TEXT NOT NULL
);
CREATE INDEX refunds_created ON refunds (created);
CREATE INDEX refunds_charge ON refunds (charge);
CREATE INDEX refunds_customer ON refunds (customer);

CREATE TABLE events (
	id          TEXT PRIMARY KEY,
	type        TEXT NOT NULL,
	created     INTEGER NOT NULL,
	api_version TEXT NOT NULL DEFAULT '',
	object_type TEXT NOT NULL DEFAULT '',
	object_id   TEXT NOT NULL DEFAULT '',
	customer    TEXT NOT NULL DEFAULT '',
	raw         TEXT NOT NULL
);
CREATE INDEX events_created ON events (created);
CREATE INDEX events_object ON events (object_id);
CREATE INDEX events_customer ON events (customer);

-- Backfill ranges [gte, lt) per object type.
CREATE TABLE sync_ranges (
	type   TEXT NOT NULL,
	gte    INTEGER NOT NULL,
	lt     INTEGER NOT NULL,
	cursor TEXT NOT NULL DEFAULT '',
	done   INTEGER NOT NULL DEFAULT 0,
	count  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (type, gte)
) WITHOUT ROWID;

CREATE TABLE sync_state (
	id                  INTEGER PRIMARY KEY CHECK (id = 1),
	events_cursor       INTEGER NOT NULL DEFAULT 0,
	last_full_sync      INTEGER NOT NULL DEFAULT 0,
	last_incremental    INTEGER NOT NULL DEFAULT 0,
	last_full_summary   TEXT NOT NULL DEFAULT '',
	last_incr_summary   TEXT NOT NULL DEFAULT ''
);
INSERT INTO sync_state (id) VALUES (1);

-- Ids removed by ForgetCustomer: a later sync never stores them again, nor
-- any object of a forgotten customer.
CREATE TABLE forgotten (
	id   TEXT PRIMARY KEY,
	type TEXT NOT NULL,
	at   INTEGER NOT NULL
) WITHOUT ROWID;

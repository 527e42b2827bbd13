-- 0002_metrics: materialised revenue metrics (design/metrics.md).
-- mrr_points holds each customer's end-of-day MRR change points per
-- currency (metrics.CustomerSeries): from the end of day on, the value is mrr
-- until the next point; before the first point it is 0. day is
-- metrics.Day (days since 1970-01-01 in the reporting time zone).
-- backend/analytics computes the rows; the store only keeps them.
CREATE TABLE mrr_points (
	customer TEXT NOT NULL,
	currency TEXT NOT NULL,
	day      INTEGER NOT NULL,
	mrr      INTEGER NOT NULL,
	test     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (currency, customer, day)
) WITHOUT ROWID;
CREATE INDEX mrr_points_customer ON mrr_points (customer);

-- What the points were computed with: key 'settings' (the settings
-- fingerprint), 'built_at' (unix seconds), 'customers', 'points'.
CREATE TABLE metrics_state (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- Customers whose MRR inputs changed since the points were computed, written
-- by the triggers below on every content change of a subscription (and so of
-- its versions), an invoice, or a price a subscription uses. gen grows with
-- each change, so a refresh removes only the marks it has seen.
CREATE TABLE metrics_dirty (
	customer TEXT PRIMARY KEY,
	gen      INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

CREATE TRIGGER metrics_dirty_sub_ins AFTER INSERT ON subscriptions WHEN NEW.customer <> '' BEGIN
	INSERT INTO metrics_dirty (customer) VALUES (NEW.customer) ON CONFLICT (customer) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER metrics_dirty_sub_upd AFTER UPDATE ON subscriptions WHEN OLD.hash IS NOT NEW.hash OR OLD.deleted IS NOT NEW.deleted OR OLD.customer IS NOT NEW.customer BEGIN
	INSERT INTO metrics_dirty (customer) SELECT c FROM (SELECT OLD.customer AS c UNION SELECT NEW.customer) WHERE c <> ''
		ON CONFLICT (customer) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER metrics_dirty_sub_del AFTER DELETE ON subscriptions WHEN OLD.customer <> '' BEGIN
	INSERT INTO metrics_dirty (customer) VALUES (OLD.customer) ON CONFLICT (customer) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER metrics_dirty_ver_ins AFTER INSERT ON subscription_versions WHEN NEW.customer <> '' BEGIN
	INSERT INTO metrics_dirty (customer) VALUES (NEW.customer) ON CONFLICT (customer) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER metrics_dirty_inv_ins AFTER INSERT ON invoices WHEN NEW.customer <> '' AND NEW.subscription <> '' BEGIN
	INSERT INTO metrics_dirty (customer) VALUES (NEW.customer) ON CONFLICT (customer) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER metrics_dirty_inv_upd AFTER UPDATE ON invoices WHEN NEW.customer <> '' AND (OLD.hash IS NOT NEW.hash OR OLD.deleted IS NOT NEW.deleted) BEGIN
	INSERT INTO metrics_dirty (customer) VALUES (NEW.customer) ON CONFLICT (customer) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER metrics_dirty_inv_del AFTER DELETE ON invoices WHEN OLD.customer <> '' BEGIN
	INSERT INTO metrics_dirty (customer) VALUES (OLD.customer) ON CONFLICT (customer) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER metrics_dirty_price_upd AFTER UPDATE ON prices WHEN OLD.hash IS NOT NEW.hash BEGIN
	INSERT INTO metrics_dirty (customer)
		SELECT DISTINCT s.customer FROM subscription_items i JOIN subscriptions s ON s.id = i.subscription
		WHERE i.price = NEW.id AND s.customer <> ''
		ON CONFLICT (customer) DO UPDATE SET gen = gen + 1;
END;

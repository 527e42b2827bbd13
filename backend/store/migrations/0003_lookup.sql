-- 0003_lookup: indexes for the customer lookup (backend/search): an
-- invoice number or a card's last 4 digits finds its customer without a
-- scan of every invoice or charge.
CREATE INDEX invoices_number ON invoices (number COLLATE NOCASE);
CREATE INDEX charges_card_last4 ON charges (card_last4, created);

package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ---- idempotency ----

type idemRecord struct {
	endpoint string
	hash     string
	done     chan struct{}
	resp     *response
}

func idemError(status int, msg string) *response {
	return errResp(&apiError{status: status, Type: "idempotency_error", Message: msg})
}

// idempotent runs a write once per Idempotency-Key: a retry with the same
// parameters gets the first answer again (Idempotent-Replayed: true);
// other parameters get a 400 idempotency_error.
func (s *Server) idempotent(r *http.Request, rt *route, q url.Values, key *apiKey, reqID string) *response {
	ik := r.Header.Get("Idempotency-Key")
	if ik == "" {
		return s.write(rt, q, reqID, "", s.readable(key))
	}
	if len(ik) > 255 {
		return errResp(invalid("Idempotency-Key", "Idempotency keys must be at most 255 characters long."))
	}
	hash := q.Encode()
	s.idemMu.Lock()
	rec := s.idem[ik]
	if rec == nil {
		rec = &idemRecord{endpoint: rt.method + " " + rt.path, hash: hash, done: make(chan struct{})}
		s.idem[ik] = rec
		s.idemMu.Unlock()
		resp := s.write(rt, q, reqID, ik, s.readable(key))
		rec.resp = resp
		close(rec.done)
		out := *resp
		out.header = cloneHeader(resp.header)
		out.header["Idempotency-Key"] = ik
		return &out
	}
	s.idemMu.Unlock()
	if rec.endpoint != rt.method+" "+rt.path || rec.hash != hash {
		return idemError(400, fmt.Sprintf("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", ik))
	}
	select {
	case <-rec.done:
	default:
		return idemError(409, fmt.Sprintf("There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): %s. Please try again later.", ik))
	}
	s.stats.replayed.Add(1)
	out := *rec.resp
	out.header = cloneHeader(rec.resp.header)
	out.header["Idempotent-Replayed"] = "true"
	out.header["Idempotency-Key"] = ik
	return &out
}

func cloneHeader(h map[string]string) map[string]string {
	c := make(map[string]string, len(h)+2)
	for k, v := range h {
		c[k] = v
	}
	return c
}

// ---- writes ----

type writeCtx struct {
	s      *Server
	now    int64
	reqID  string
	idem   string
	events []*Event
}

func (s *Server) write(rt *route, q url.Values, reqID, idem string, allow allowFunc) *response {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	wc := &writeCtx{s: s, now: s.opt.Now().Unix(), reqID: reqID, idem: idem}
	var (
		body []byte
		err  *apiError
	)
	switch rt.kind {
	case "update_subscription":
		body, err = wc.updateSubscription(rt.id, q)
	case "cancel_subscription":
		body, err = wc.cancelSubscription(rt.id, q)
	case "resume_subscription":
		body, err = wc.resumeSubscription(rt.id, q)
	case "create_refund":
		body, err = wc.createRefund(q)
	case "update_customer":
		body, err = wc.updateCustomer(rt.id, q)
	case "delete_customer":
		body, err = wc.deleteCustomer(rt.id, q)
	}
	if err != nil {
		return errResp(err)
	}
	wc.commitEvents()
	if exp := arrayParam(q, "expand"); len(exp) > 0 {
		if body, err = s.st.expand(body, exp, allow); err != nil {
			return errResp(err)
		}
	}
	return &response{status: 200, body: body}
}

func (wc *writeCtx) emit(typ string, obj []byte, prev map[string]any) {
	s := wc.s
	n := uint64(len(s.st.cols["events"].byID)+len(wc.events)) + 1
	ev := &Event{ID: "evt_" + randID(s.opt.Seed^0xe7e47, n+uint64(wc.now)<<20, 24), Object: "event",
		APIVersion: ptr(apiVersion), Created: wc.now, Data: EventData{Object: obj}, Type: typ,
		Request: EventRequest{ID: ptr(wc.reqID)}}
	if wc.idem != "" {
		ev.Request.IdempotencyKey = ptr(wc.idem)
	}
	if len(prev) > 0 {
		ev.Data.PreviousAttributes = mustJSON(prev)
	}
	wc.events = append(wc.events, ev)
}

func (wc *writeCtx) commitEvents() {
	s := wc.s
	for _, ev := range wc.events {
		pk, err := s.st.dict.eventPacked(ev)
		if err != nil {
			s.log.Error("sandbox: render event", "err", err)
			continue
		}
		e := pk.e
		if s.opt.EventLag > 0 {
			e.visible = time.Unix(wc.now, 0).Add(s.opt.EventLag).UnixNano()
		}
		s.st.cols["events"].insert(e)
	}
}

const apiVersion = "2023-10-16"

func ptr[T any](v T) *T { return &v }

func parseBool(q url.Values, k string) (bool, bool, *apiError) {
	v, ok := q[k]
	if !ok {
		return false, false, nil
	}
	switch v[0] {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, invalid(k, "Invalid boolean: %s", v[0])
}

// metadataUpdate applies metadata[k]=v (empty v deletes) and metadata="".
func metadataUpdate(md map[string]string, q url.Values) (map[string]string, bool) {
	changed := false
	out := map[string]string{}
	for k, v := range md {
		out[k] = v
	}
	if v, ok := q["metadata"]; ok && v[0] == "" {
		return map[string]string{}, len(md) > 0
	}
	keys := make([]string, 0)
	for k := range q {
		if strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := k[len("metadata[") : len(k)-1]
		v := q.Get(k)
		if v == "" {
			if _, ok := out[name]; ok {
				delete(out, name)
				changed = true
			}
		} else if out[name] != v {
			out[name] = v
			changed = true
		}
	}
	return out, changed
}

func (wc *writeCtx) subEntry(id string) (*entry, *Subscription, *apiError) {
	e := wc.s.st.cols["subscriptions"].byID[id]
	if e == nil {
		return nil, nil, missing("subscription", id, "id")
	}
	return e, e.obj.(*Subscription), nil
}

func (wc *writeCtx) refreshSub(e *entry, sub *Subscription) []byte {
	st := wc.s.st
	if pk, err := st.dict.subPacked(sub); err == nil {
		e.raw, e.status = pk.e.raw, sub.Status
		st.setFull(e.id, pk.full)
	}
	st.setItems(sub)
	return st.json(e)
}

func (wc *writeCtx) updateSubscription(id string, q url.Values) ([]byte, *apiError) {
	if err := checkParams(q, "cancel_at_period_end", "cancel_at", "pause_collection", "metadata", "description",
		"items", "proration_behavior", "proration_date", "cancellation_details", "expand", "default_payment_method"); err != nil {
		return nil, err
	}
	e, sub, err := wc.subEntry(id)
	if err != nil {
		return nil, err
	}
	prev := map[string]any{}
	old := *sub
	if sub.Status == "canceled" || sub.Status == "incomplete_expired" {
		for k := range q {
			if b := base(k); b != "metadata" && b != "cancellation_details" && b != "expand" {
				return nil, invalid(k, "A canceled subscription can only update its cancellation_details and metadata.")
			}
		}
	}
	if v, ok, err := parseBool(q, "cancel_at_period_end"); err != nil {
		return nil, err
	} else if ok && v != sub.CancelAtPeriodEnd {
		prev["cancel_at_period_end"] = sub.CancelAtPeriodEnd
		prev["cancel_at"] = sub.CancelAt
		prev["canceled_at"] = sub.CanceledAt
		sub.CancelAtPeriodEnd = v
		if v {
			sub.CancelAt = ptr(sub.CurrentPeriodEnd)
			sub.CanceledAt = ptr(wc.now)
			sub.CancellationDetails = &CancellationDetails{Reason: ptr("cancellation_requested")}
		} else {
			sub.CancelAt, sub.CanceledAt = nil, nil
			sub.CancellationDetails = &CancellationDetails{}
		}
	}
	if vs, ok := q["cancel_at"]; ok {
		prev["cancel_at"] = sub.CancelAt
		prev["canceled_at"] = sub.CanceledAt
		if vs[0] == "" {
			sub.CancelAt, sub.CanceledAt = nil, nil
		} else {
			t, perr := strconv.ParseInt(vs[0], 10, 64)
			if perr != nil {
				return nil, invalid("cancel_at", "Invalid timestamp: %s", vs[0])
			}
			if t <= wc.now {
				return nil, invalid("cancel_at", "cancel_at must be in the future.")
			}
			sub.CancelAt, sub.CanceledAt = ptr(t), ptr(wc.now)
			sub.CancelAtPeriodEnd = t == sub.CurrentPeriodEnd
		}
	}
	if vs, ok := q["pause_collection"]; ok {
		if vs[0] != "" {
			return nil, invalid("pause_collection", "Invalid pause_collection: pass pause_collection[behavior] or an empty string to unset.")
		}
		prev["pause_collection"] = sub.PauseCollection
		sub.PauseCollection = nil
	}
	if b := q.Get("pause_collection[behavior]"); b != "" || q.Has("pause_collection[resumes_at]") {
		switch b {
		case "keep_as_draft", "mark_uncollectible", "void":
		default:
			return nil, invalid("pause_collection[behavior]", "Invalid pause_collection[behavior]: must be one of keep_as_draft, mark_uncollectible, or void")
		}
		pc := &PauseCollection{Behavior: b}
		if v := q.Get("pause_collection[resumes_at]"); v != "" {
			t, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || t <= wc.now {
				return nil, invalid("pause_collection[resumes_at]", "pause_collection[resumes_at] must be a timestamp in the future.")
			}
			pc.ResumesAt = &t
		}
		prev["pause_collection"] = sub.PauseCollection
		sub.PauseCollection = pc
	}
	if md, changed := metadataUpdate(sub.Metadata, q); changed {
		prev["metadata"] = sub.Metadata
		sub.Metadata = md
	}
	if q.Has("description") {
		prev["description"] = sub.Description
		if d := q.Get("description"); d == "" {
			sub.Description = nil
		} else {
			sub.Description = ptr(d)
		}
	}
	if c := q.Get("cancellation_details[comment]"); c != "" || q.Get("cancellation_details[feedback]") != "" {
		cd := CancellationDetails{}
		if sub.CancellationDetails != nil {
			cd = *sub.CancellationDetails
		}
		if c != "" {
			cd.Comment = ptr(c)
		}
		if f := q.Get("cancellation_details[feedback]"); f != "" {
			cd.Feedback = ptr(f)
		}
		prev["cancellation_details"] = sub.CancellationDetails
		sub.CancellationDetails = &cd
	}
	if pb := q.Get("proration_behavior"); pb != "" && pb != "create_prorations" && pb != "none" && pb != "always_invoice" {
		return nil, invalid("proration_behavior", "Invalid proration_behavior: must be one of always_invoice, create_prorations, or none")
	}
	changedItems, err := wc.updateItems(sub, q)
	if err != nil {
		*sub = old
		return nil, err
	}
	if changedItems {
		prev["items"] = apiSub(&old).Items
		at := wc.now
		if v := q.Get("proration_date"); v != "" {
			t, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || t < sub.CurrentPeriodStart || t > sub.CurrentPeriodEnd {
				*sub = old
				return nil, invalid("proration_date", "proration_date must be a timestamp within the current period.")
			}
			at = t
		}
		pb := q.Get("proration_behavior")
		if pb == "" {
			pb = "create_prorations"
		}
		if err := wc.applyProrations(sub, old.Items.Data, pb, at); err != nil {
			*sub = old
			return nil, err
		}
		if strv(sub.LatestInvoice) != strv(old.LatestInvoice) {
			prev["latest_invoice"] = old.LatestInvoice
		}
	}
	if len(prev) == 0 {
		return wc.s.st.json(e), nil
	}
	raw := wc.refreshSub(e, sub)
	wc.emit("customer.subscription.updated", raw, prev)
	return raw, nil
}

// updateItems applies items[i][id|price|quantity|deleted].
func (wc *writeCtx) updateItems(sub *Subscription, q url.Values) (bool, *apiError) {
	type change struct{ id, price, qty, deleted string }
	byIdx := map[int]*change{}
	for k, vs := range q {
		if !strings.HasPrefix(k, "items[") {
			continue
		}
		rest := k[len("items["):]
		i := strings.IndexByte(rest, ']')
		if i < 0 {
			return false, invalid(k, "Invalid array: %s", k)
		}
		idx, err := strconv.Atoi(rest[:i])
		if err != nil {
			return false, invalid(k, "Invalid array index: %s", k)
		}
		c := byIdx[idx]
		if c == nil {
			c = &change{}
			byIdx[idx] = c
		}
		switch rest[i+1:] {
		case "[id]":
			c.id = vs[0]
		case "[price]":
			c.price = vs[0]
		case "[quantity]":
			c.qty = vs[0]
		case "[deleted]":
			c.deleted = vs[0]
		default:
			return false, invalid(k, "Received unknown parameter: %s", k)
		}
	}
	if len(byIdx) == 0 {
		return false, nil
	}
	idxs := make([]int, 0, len(byIdx))
	for i := range byIdx {
		idxs = append(idxs, i)
	}
	sort.Ints(idxs)
	items := append([]*SubscriptionItem(nil), sub.Items.Data...)
	for _, i := range idxs {
		c := byIdx[i]
		param := fmt.Sprintf("items[%d]", i)
		var it *SubscriptionItem
		pos := -1
		if c.id != "" {
			for j, x := range items {
				if x.ID == c.id {
					it, pos = x, j
				}
			}
			if it == nil {
				return false, invalid(param+"[id]", "No such subscription item: '%s'", c.id)
			}
			cp := *it
			it = &cp
		}
		if c.deleted == "true" {
			if it == nil {
				return false, invalid(param+"[deleted]", "You must pass items[%d][id] to delete an item.", i)
			}
			items = append(items[:pos], items[pos+1:]...)
			continue
		}
		if it == nil {
			if c.price == "" {
				return false, invalid(param+"[price]", "Missing required param: %s[price].", param)
			}
			it = &SubscriptionItem{ID: "si_" + randID(wc.s.opt.Seed^0x51, uint64(wc.now)<<16+uint64(i)+uint64(len(wc.s.st.itemSub)), 14),
				Object: "subscription_item", Created: wc.now, Metadata: map[string]string{}, Subscription: sub.ID,
				Quantity: ptr(int64(1)), TaxRates: []json.RawMessage{}}
		}
		if c.price != "" {
			pe := wc.s.st.cols["prices"].byID[c.price]
			if pe == nil {
				return false, invalid(param+"[price]", "No such price: '%s'", c.price)
			}
			p := pe.obj.(*Price)
			if p.Recurring == nil {
				return false, invalid(param+"[price]", "The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.")
			}
			if p.Currency != sub.Currency {
				return false, invalid(param+"[price]", "The price specified only supports `%s`. This doesn't match the expected currency: `%s`.", p.Currency, sub.Currency)
			}
			it.Price = p
		}
		if c.qty != "" {
			n, err := strconv.ParseInt(c.qty, 10, 64)
			if err != nil || n < 0 {
				return false, invalid(param+"[quantity]", "Invalid integer: %s", c.qty)
			}
			it.Quantity = ptr(n)
		}
		if pos >= 0 {
			items[pos] = it
		} else {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return false, invalid("items", "A subscription must have at least one active plan. To cancel a subscription, please use the cancel API endpoint on /v1/subscriptions.")
	}
	sub.Items.Data = items
	return true, nil
}

func (wc *writeCtx) cancelSubscription(id string, q url.Values) ([]byte, *apiError) {
	if err := checkParams(q, "cancellation_details", "invoice_now", "prorate", "expand"); err != nil {
		return nil, err
	}
	e, sub, err := wc.subEntry(id)
	if err != nil {
		return nil, err
	}
	if sub.Status == "canceled" || sub.Status == "incomplete_expired" {
		return nil, &apiError{status: 404, Type: "invalid_request_error", Code: "resource_missing", Param: "id",
			Message: fmt.Sprintf("No such subscription: '%s'", id)}
	}
	prorate, _, perr := parseBool(q, "prorate")
	if perr != nil {
		return nil, perr
	}
	invoiceNow, _, perr := parseBool(q, "invoice_now")
	if perr != nil {
		return nil, perr
	}
	// prorate: a credit for the unused time of each item, pending for the
	// customer's next invoice; invoice_now: an invoice of what is pending
	// at once (a credit lands on the customer's balance).
	if prorate && sub.Status != "trialing" {
		for _, ii := range wc.s.st.prorations(sub, sub.Items.Data, nil, wc.now) {
			wc.addInvoiceItem(ii)
		}
	}
	if invoiceNow {
		if pending := wc.s.st.pendingItems(sub.Customer, sub.ID); len(pending) > 0 {
			if err := wc.invoiceNow(sub, pending); err != nil {
				return nil, err
			}
		}
	}
	wc.cancelNow(e, sub, q.Get("cancellation_details[comment]"), q.Get("cancellation_details[feedback]"))
	return wc.s.st.json(e), nil
}

func (wc *writeCtx) cancelNow(e *entry, sub *Subscription, comment, feedback string) {
	sub.Status = "canceled"
	sub.CanceledAt = ptr(wc.now)
	sub.EndedAt = ptr(wc.now)
	sub.CancelAt = nil
	sub.CancelAtPeriodEnd = false
	cd := &CancellationDetails{Reason: ptr("cancellation_requested")}
	if comment != "" {
		cd.Comment = ptr(comment)
	}
	if feedback != "" {
		cd.Feedback = ptr(feedback)
	}
	sub.CancellationDetails = cd
	raw := wc.refreshSub(e, sub)
	wc.emit("customer.subscription.deleted", raw, nil)
}

func (wc *writeCtx) resumeSubscription(id string, q url.Values) ([]byte, *apiError) {
	if err := checkParams(q, "billing_cycle_anchor", "proration_behavior", "proration_date", "expand"); err != nil {
		return nil, err
	}
	e, sub, err := wc.subEntry(id)
	if err != nil {
		return nil, err
	}
	if sub.Status != "paused" {
		return nil, invalid("", "Subscription cannot be resumed because its status is %s. Only paused subscriptions can be resumed.", sub.Status)
	}
	prev := map[string]any{"status": sub.Status, "current_period_start": sub.CurrentPeriodStart,
		"current_period_end": sub.CurrentPeriodEnd, "billing_cycle_anchor": sub.BillingCycleAnchor}
	sub.Status = "active"
	if q.Get("billing_cycle_anchor") != "unchanged" {
		iv, n := subInterval(sub)
		sub.BillingCycleAnchor = wc.now
		sub.CurrentPeriodStart = wc.now
		sub.CurrentPeriodEnd = addInterval(time.Unix(wc.now, 0).UTC(), iv, n).Unix()
	}
	raw := wc.refreshSub(e, sub)
	wc.emit("customer.subscription.resumed", raw, nil)
	wc.emit("customer.subscription.updated", raw, prev)
	return raw, nil
}

func subInterval(sub *Subscription) (string, int64) {
	for _, it := range sub.Items.Data {
		if it.Price != nil && it.Price.Recurring != nil {
			return it.Price.Recurring.Interval, it.Price.Recurring.IntervalCount
		}
	}
	return "month", 1
}

func (wc *writeCtx) createRefund(q url.Values) ([]byte, *apiError) {
	if err := checkParams(q, "charge", "amount", "reason", "metadata", "payment_intent", "expand", "instructions_email"); err != nil {
		return nil, err
	}
	chID := q.Get("charge")
	if chID == "" {
		if q.Get("payment_intent") != "" {
			return nil, invalid("payment_intent", "This sandbox refunds by charge: pass charge instead of payment_intent.")
		}
		return nil, invalid("charge", "Missing required param: charge.")
	}
	ce := wc.s.st.cols["charges"].byID[chID]
	if ce == nil {
		return nil, missing("charge", chID, "charge")
	}
	st := wc.s.st
	ch := &Charge{}
	if err := json.Unmarshal(st.fullJSON(ce), ch); err != nil {
		return nil, &apiError{status: 500, Type: "api_error", Message: "sandbox: charge " + chID + " unreadable"}
	}
	if ch.Status != "succeeded" {
		return nil, invalid("charge", "Charge %s has not succeeded and cannot be refunded.", chID)
	}
	left := ch.Amount - ch.AmountRefunded
	if left <= 0 {
		e := invalid("charge", "Charge %s has already been refunded.", chID)
		e.Code = "charge_already_refunded"
		return nil, e
	}
	amount := left
	if v := q.Get("amount"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, invalid("amount", "Invalid positive integer: %s", v)
		}
		if n > left {
			e := invalid("amount", "Refund amount (%d) is greater than unrefunded amount on charge (%d)", n, left)
			e.Code = "amount_too_large"
			return nil, e
		}
		amount = n
	}
	var reason *string
	if v := q.Get("reason"); v != "" {
		switch v {
		case "duplicate", "fraudulent", "requested_by_customer":
		default:
			return nil, invalid("reason", "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer")
		}
		reason = ptr(v)
	}
	md, _ := metadataUpdate(map[string]string{}, q)
	rf := &Refund{ID: "re_" + randID(wc.s.opt.Seed^0x7ef, uint64(wc.now)<<20+uint64(len(st.cols["refunds"].byID)), 24), Object: "refund",
		Amount: amount, Charge: ptr(ch.ID), Created: wc.now, Currency: ch.Currency, Metadata: md,
		PaymentIntent: ch.PaymentIntent, Reason: reason, Status: ptr("succeeded"),
		BalanceTransaction: ptr("txn_" + randID(wc.s.opt.Seed^0x7f0, uint64(wc.now)<<20+uint64(len(st.cols["refunds"].byID)), 24))}
	prev := map[string]any{"amount_refunded": ch.AmountRefunded, "refunded": ch.Refunded}
	ch.AmountRefunded += amount
	ch.Refunded = ch.AmountRefunded == ch.Amount
	if ch.Refunds == nil {
		ch.Refunds = &RefundList{Object: "list", URL: refundsURL(ch.ID)}
	}
	ch.Refunds.Data = append([]*Refund{rf}, ch.Refunds.Data...)
	rp, rerr := st.dict.refundPacked(rf)
	cp, cerr := st.dict.chargePacked(ch)
	if rerr != nil || cerr != nil {
		return nil, &apiError{status: 500, Type: "api_error", Message: "sandbox: refund unrenderable"}
	}
	st.cols["refunds"].insert(rp.e)
	ce.raw = cp.e.raw
	st.setFull(ce.id, cp.full)
	st.avail[ch.Currency] -= amount
	st.balance = renderBalance(st.avail, st.acct.DefaultCurrency)
	wc.emit("charge.refunded", st.json(ce), prev)
	return st.json(rp.e), nil
}

func (wc *writeCtx) updateCustomer(id string, q url.Values) ([]byte, *apiError) {
	if err := checkParams(q, "email", "name", "phone", "description", "metadata", "address", "expand", "preferred_locales"); err != nil {
		return nil, err
	}
	e := wc.s.st.cols["customers"].byID[id]
	if e == nil || e.deleted {
		return nil, missing("customer", id, "id")
	}
	c := e.obj.(*Customer)
	prev := map[string]any{}
	for _, f := range []struct {
		name string
		p    **string
	}{{"email", &c.Email}, {"name", &c.Name}, {"phone", &c.Phone}, {"description", &c.Description}} {
		if !q.Has(f.name) {
			continue
		}
		v := q.Get(f.name)
		if strv(*f.p) == v && (*f.p != nil) == (v != "") {
			continue
		}
		prev[f.name] = *f.p
		if v == "" {
			*f.p = nil
		} else {
			*f.p = ptr(v)
		}
	}
	if md, changed := metadataUpdate(c.Metadata, q); changed {
		prev["metadata"] = c.Metadata
		c.Metadata = md
	}
	addrKeys := []string{"city", "country", "line1", "line2", "postal_code", "state"}
	hasAddr := false
	for _, k := range addrKeys {
		if q.Has("address[" + k + "]") {
			hasAddr = true
		}
	}
	if hasAddr {
		prev["address"] = c.Address
		a := Address{}
		if c.Address != nil {
			a = *c.Address
		}
		for _, k := range addrKeys {
			if !q.Has("address[" + k + "]") {
				continue
			}
			v := q.Get("address[" + k + "]")
			var p *string
			if v != "" {
				p = ptr(v)
			}
			switch k {
			case "city":
				a.City = p
			case "country":
				a.Country = p
			case "line1":
				a.Line1 = p
			case "line2":
				a.Line2 = p
			case "postal_code":
				a.PostalCode = p
			case "state":
				a.State = p
			}
		}
		c.Address = &a
	}
	st := wc.s.st
	if len(prev) == 0 {
		return st.json(e), nil
	}
	if pk, err := st.dict.customerPacked(c); err == nil {
		e.raw = pk.e.raw
	}
	wc.emit("customer.updated", st.json(e), prev)
	return st.json(e), nil
}

func (wc *writeCtx) deleteCustomer(id string, q url.Values) ([]byte, *apiError) {
	if err := checkParams(q); err != nil {
		return nil, err
	}
	col := wc.s.st.cols["customers"]
	e := col.byID[id]
	if e == nil || e.deleted {
		return nil, missing("customer", id, "id")
	}
	c := e.obj.(*Customer)
	for _, se := range wc.s.st.cols["subscriptions"].sorted {
		sub := se.obj.(*Subscription)
		if sub.Customer == id && sub.Status != "canceled" && sub.Status != "incomplete_expired" {
			wc.cancelNow(se, sub, "", "")
		}
	}
	st := wc.s.st
	last := st.json(e)
	col.remove(e)
	c.Deleted = true
	e.deleted = true
	if pk, err := st.dict.customerPacked(c); err == nil {
		e.raw = pk.e.raw
	}
	wc.emit("customer.deleted", last, nil)
	return st.json(e), nil
}

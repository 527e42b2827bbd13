package backend

import (
	"errors"
	"fmt"
)

// Error codes, converted once at the boundary (app/, cli/) into a user message
// and an exit status.
const (
	EINVALID      = "invalid"      // bad input: exit 2
	ENOTFOUND     = "not_found"    // a record or account does not exist
	EUNAUTHORIZED = "unauthorized" // Stripe said 401: the key is wrong or revoked
	EFORBIDDEN    = "forbidden"    // Stripe said 403: a restricted key lacks a permission
	ERATELIMIT    = "rate_limited" // Stripe said 429 and retries ran out
	EUNAVAILABLE  = "unavailable"  // network or Stripe 5xx after retries; offline
	ECONFLICT     = "conflict"     // 409 or an idempotency clash
	ECORRUPT      = "corrupt"      // a local database failed its check
	EDISK         = "disk"         // disk full or folder read-only
	EKEYRING      = "keyring"      // the OS keyring failed
	ECANCELED     = "canceled"     // the user cancelled a long job
	EINTERNAL     = "internal"     // a bug
)

// Error is an application error with a code and a message meant for the user.
// RequestID carries Stripe's request id when Stripe answered.
type Error struct {
	Code      string
	Message   string
	RequestID string
	Err       error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.RequestID != "" {
		msg += " (request " + e.RequestID + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user message of the first *Error in err's chain,
// or a generic message for internal errors.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error: " + err.Error()
}

package app

import (
	"errors"

	"billfold/backend"
)

// ErrorDTO is the shape every failed binding call rejects with in the
// webview: a stable code (backend's E* constants) and a message for the user.
type ErrorDTO struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId,omitempty"`
}

// ToErrorDTO converts err once, at the boundary. Internal errors keep a
// generic message: their detail is logged on the Go side, not shown.
func ToErrorDTO(err error) ErrorDTO {
	if err == nil {
		return ErrorDTO{}
	}
	var e *backend.Error
	if errors.As(err, &e) {
		msg := e.Message
		if msg == "" && e.Err != nil {
			msg = e.Err.Error()
		}
		if msg == "" {
			msg = "something went wrong"
		}
		return ErrorDTO{Code: e.Code, Message: msg, RequestID: e.RequestID}
	}
	return ErrorDTO{Code: backend.EINTERNAL, Message: "internal error: " + err.Error()}
}

// FormatError is the Wails ErrorFormatter: bound methods return Go errors,
// the webview receives an ErrorDTO.
func FormatError(err error) any {
	return ToErrorDTO(err)
}

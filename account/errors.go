package account

import (
	"errors"
	"net/http"
	"time"
)

// Error is a refusal the client can act on: an HTTP status, a stable code
// and a message. Every other error from the Service is an infrastructure
// failure (answered 503 unavailable).
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration // for rate_limited and unavailable; 0: none
}

func (e *Error) Error() string { return "account: " + e.Code + ": " + e.Message }

func refuse(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// The refusals. Codes are stable; docs/http-api.md lists them.
var (
	ErrBadMessage  = refuse(http.StatusBadRequest, "bad_message", "the request body must be one JSON object with only the documented fields")
	ErrBadUsername = refuse(http.StatusBadRequest, "bad_username", "a username is 3 to 24 letters, digits, '_' or '.', starting with a letter or digit")
	ErrBadPassword = refuse(http.StatusBadRequest, "bad_password", "a password is 8 to 128 characters")
	// Allowed length, but among an attacker's first guesses (password.go).
	ErrCommonPassword      = refuse(http.StatusBadRequest, "weak_password", "that password is one of the most common ones and is guessed first; choose another (a few unrelated words make a good one)")
	ErrPasswordHasUsername = refuse(http.StatusBadRequest, "password_has_username", "the password must not contain the username")
	ErrBadName             = refuse(http.StatusBadRequest, "bad_name", "the name needs at least one visible character")
	ErrBadCredentials      = refuse(http.StatusUnauthorized, "bad_credentials", "wrong username or password")
	ErrBadToken            = refuse(http.StatusUnauthorized, "bad_token", "log in again")
	ErrWrongPassword       = refuse(http.StatusForbidden, "wrong_password", "the current password is wrong")
	ErrNotRegistered       = refuse(http.StatusForbidden, "not_registered", "only registered accounts can do this; register first")
	ErrNotFound            = refuse(http.StatusNotFound, "not_found", "no such player")
	ErrUsernameTaken       = refuse(http.StatusConflict, "username_taken", "that username is taken")
	ErrAlreadyAccount      = refuse(http.StatusConflict, "already_registered", "this session already belongs to an account; log out first")
	ErrUnavailable         = &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "try again shortly", RetryAfter: time.Second}
)

// rateLimited is the refusal of a rate limit, with when to retry.
func rateLimited(retry time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many attempts; try again later", RetryAfter: retry}
}

// AsError returns err as a refusal: itself if it is one, ErrUnavailable
// otherwise (an infrastructure failure or ErrBusy).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrUnavailable
}

package pgstore

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Cursor is a position in a list paged by (time, id) — a player's matches,
// the tournaments over: a page is what comes after it. Its string form is
// opaque to clients.
type Cursor struct {
	At time.Time
	ID string
}

// ErrBadCursor: a cursor string no page gave.
var ErrBadCursor = errors.New("pgstore: not a cursor of this list")

// String is c as an opaque URL-safe string, which ParseCursor reads.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "." + c.ID))
}

// ParseCursor reads a Cursor's String; ErrBadCursor for anything else.
func ParseCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	micros, id, found := strings.Cut(string(b), ".")
	us, err := strconv.ParseInt(micros, 10, 64)
	if !found || err != nil || id == "" {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{At: time.UnixMicro(us), ID: id}, nil
}

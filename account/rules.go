package account

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/hokm-project/hokm/game/table"
)

// Limits of usernames and passwords, in characters.
const (
	MinUsername = 3
	MaxUsername = 24
	MinPassword = 8
	MaxPassword = 128
)

// CanonicalUsername returns the form a username is stored and looked up
// in (NFC, lower case) and whether it is valid: 3–24 characters, each a
// letter of any script (with its combining marks), a digit, '_' or '.',
// starting with a letter or digit, none of them invisible (the Hangul
// fillers are letters to Unicode; table.Invisible). "Ali", "ALI" and "ali"
// are one name. Names that only look alike ("аli" with a Cyrillic а,
// "a1i", "ali" with an Arabic ي for a Persian ی) are told apart here but
// cannot both be registered: PostgreSQL keeps usernames unique by their
// skeleton too (migrations/00012_username_skeleton.sql).
func CanonicalUsername(u string) (string, bool) {
	if !utf8.ValidString(u) {
		return "", false
	}
	c := strings.ToLower(norm.NFC.String(u))
	n := 0
	for i, r := range c {
		ok := !table.Invisible(r) && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' ||
			(i > 0 && unicode.In(r, unicode.Mn, unicode.Mc)))
		if !ok {
			return "", false
		}
		n++
	}
	first, _ := utf8.DecodeRuneInString(c)
	if n < MinUsername || n > MaxUsername || !(unicode.IsLetter(first) || unicode.IsDigit(first)) {
		return "", false
	}
	return c, true
}

// normalPassword returns password in NFC (so that the same password typed
// on two systems matches) and whether its length is allowed (8–128
// characters, valid UTF-8).
func normalPassword(p string) (string, bool) {
	if !utf8.ValidString(p) {
		return "", false
	}
	p = norm.NFC.String(p)
	n := utf8.RuneCountInString(p)
	return p, n >= MinPassword && n <= MaxPassword
}

// displayName cleans a display name as the tables do (table.CleanName);
// ok is false when it has no visible character (table.Invisible: white
// space, format characters, Hangul fillers, the Braille blank …).
func displayName(name string) (string, bool) {
	for _, r := range name {
		if r != utf8.RuneError && !table.Invisible(r) && !unicode.IsControl(r) {
			return table.CleanName(name), true
		}
	}
	return "", false
}

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
// starting with a letter or digit. "Ali", "ALI" and "ali" are one name.
func CanonicalUsername(u string) (string, bool) {
	if !utf8.ValidString(u) {
		return "", false
	}
	c := strings.ToLower(norm.NFC.String(u))
	n := 0
	for i, r := range c {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' ||
			(i > 0 && unicode.In(r, unicode.Mn, unicode.Mc))
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
// ok is false when it has no visible character.
func displayName(name string) (string, bool) {
	for _, r := range name {
		if r != utf8.RuneError && !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) {
			return table.CleanName(name), true
		}
	}
	return "", false
}

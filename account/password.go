package account

import (
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"
)

// Password rules (NIST SP 800-63B §5.1.1.2, "memorized secrets"): 8 to
// MaxPassword characters of any kind — letters of every script, digits,
// spaces, punctuation, emoji — compared in NFC; no composition rules (no
// "one digit and one capital") and no forced rotation. What is refused is
// what an attacker tries first: the most common passwords
// (common_passwords.txt), passwords containing the username, and one
// character repeated. Logins never apply these rules, so existing
// passwords keep working; sign-ups and password changes do.

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords is the set of common_passwords.txt (lower case).
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 10_000)
	for line := range strings.SplitSeq(commonPasswordsText, "\n") {
		if line == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
})

// IsCommonPassword reports whether p (any case) is on the embedded list
// of the 10,000 most common passwords.
func IsCommonPassword(p string) bool {
	_, ok := commonPasswords()[strings.ToLower(p)]
	return ok
}

// checkPassword returns the refusal of a new password p (already in NFC,
// length checked) for the account of canonical username u ("" when not
// known yet), or nil.
func checkPassword(p, u string) *Error {
	lower := strings.ToLower(p)
	switch {
	case IsCommonPassword(lower):
		return ErrCommonPassword
	case u != "" && strings.Contains(lower, u):
		return ErrPasswordHasUsername
	case repeatsOne(p):
		return ErrCommonPassword
	}
	return nil
}

// repeatsOne reports whether p is one character repeated.
func repeatsOne(p string) bool {
	first, _ := utf8.DecodeRuneInString(p)
	for _, r := range p {
		if r != first {
			return false
		}
	}
	return true
}

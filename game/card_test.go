package game_test

import (
	"encoding/json"
	"testing"

	"github.com/hokm-project/hokm/game"
)

func TestParseCardAllCards(t *testing.T) {
	t.Parallel()
	seen := map[game.Card]bool{}
	for si, s := range "SHDC" {
		for ri, r := range "23456789TJQKA" {
			str := string(r) + string(s)
			c, ok := game.ParseCard(str)
			if !ok || !c.Valid() {
				t.Fatalf("ParseCard(%q) = %v, %v", str, c, ok)
			}
			if c.String() != str || c.Suit() != game.Suit(si) || c.Rank() != game.Rank(ri+2) {
				t.Errorf("%q: String %q Suit %v Rank %d", str, c.String(), c.Suit(), c.Rank())
			}
			if c != game.NewCard(game.Suit(si), game.Rank(ri+2)) {
				t.Errorf("%q != NewCard", str)
			}
			if seen[c] {
				t.Errorf("%q parses to a card seen before", str)
			}
			seen[c] = true
		}
	}
	if len(seen) != 52 {
		t.Fatalf("%d distinct cards", len(seen))
	}
}

func TestParseCardRejects(t *testing.T) {
	t.Parallel()
	for _, str := range []string{"10H", "as", "", "A", "S", "AS ", " AS", "ASX", "1S", "AX", "aS", "As", "sA",
		"SA", "0H", "TT", "A♠", "??", "AS\x00", "\u0410S"} {
		c, ok := game.ParseCard(str)
		if ok || c != game.InvalidCard || c.Valid() {
			t.Errorf("ParseCard(%q) = %d, %v; want InvalidCard, false", str, c, ok)
		}
	}
}

func TestParseSuit(t *testing.T) {
	t.Parallel()
	for i, str := range []string{"S", "H", "D", "C"} {
		s, ok := game.ParseSuit(str)
		if !ok || s != game.Suit(i) || !s.Valid() || s.String() != str {
			t.Errorf("ParseSuit(%q) = %v, %v", str, s, ok)
		}
	}
	for _, str := range []string{"", "s", "h", "X", "SS", "N", " S", "S ", "♠", "spades", "0"} {
		if s, ok := game.ParseSuit(str); ok || s != game.InvalidSuit || s.Valid() {
			t.Errorf("ParseSuit(%q) = %v, %v; want InvalidSuit, false", str, s, ok)
		}
	}
	for _, s := range []game.Suit{game.NoSuit, game.InvalidSuit, 4} {
		if s.Valid() || s.String() != "" {
			t.Errorf("suit %d: Valid %v String %q", s, s.Valid(), s.String())
		}
	}
}

func TestCardJSON(t *testing.T) {
	t.Parallel()
	c := tcCard(t, "TD")
	b, err := json.Marshal(c)
	if err != nil || string(b) != `"TD"` {
		t.Fatalf("Marshal(TD) = %s, %v", b, err)
	}
	var back game.Card
	if err := json.Unmarshal(b, &back); err != nil || back != c {
		t.Fatalf("Unmarshal(%s) = %v, %v", b, back, err)
	}
	for _, bad := range []string{`"10D"`, `"td"`, `""`, `12`, `["TD"]`, `"TD "`} {
		back = c
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) accepted: %v", bad, back)
		}
	}
	for _, bad := range []game.Card{game.InvalidCard, game.NoCard, 52} {
		if _, err := json.Marshal(bad); err == nil {
			t.Errorf("Marshal(card %d) succeeded", bad)
		}
	}
	for s, want := range map[game.Suit]string{game.Spades: `"S"`, game.Clubs: `"C"`, game.NoSuit: `null`, game.InvalidSuit: `null`} {
		if b, _ := json.Marshal(s); string(b) != want {
			t.Errorf("Marshal(suit %d) = %s, want %s", s, b, want)
		}
	}
}

func TestCardSet(t *testing.T) {
	t.Parallel()
	s := tcSet(t, "AS 2S KH 3D TC")
	if s.Len() != 5 || !s.Has(tcCard(t, "KH")) || s.Has(tcCard(t, "QH")) {
		t.Fatalf("set %v: Len %d", s.Cards(), s.Len())
	}
	if got := s.OfSuit(game.Spades); got != tcSet(t, "AS 2S") {
		t.Errorf("OfSuit(S) = %v", got.Cards())
	}
	if got := s.OfSuit(game.Clubs); got != tcSet(t, "TC") {
		t.Errorf("OfSuit(C) = %v", got.Cards())
	}
	if got := s.Remove(tcCard(t, "AS")).Add(tcCard(t, "QC")); got != tcSet(t, "2S KH 3D TC QC") {
		t.Errorf("Remove/Add = %v", got.Cards())
	}
	// Cards are listed by suit S H D C, then rank low to high.
	want := tcCards(t, "2S AS KH 3D TC")
	got := s.Cards()
	if len(got) != len(want) {
		t.Fatalf("Cards() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Cards() = %v, want %v", got, want)
		}
	}
	if game.SetOf(game.InvalidCard, game.NoCard) != 0 || s.Has(game.InvalidCard) {
		t.Error("invalid cards must not enter a set")
	}
	if game.FullDeck.Len() != 52 || len(game.FullDeck.Cards()) != 52 {
		t.Error("FullDeck is not 52 cards")
	}
	for su := game.Spades; su <= game.Clubs; su++ {
		if game.FullDeck.OfSuit(su).Len() != 13 {
			t.Errorf("suit %v: %d cards", su, game.FullDeck.OfSuit(su).Len())
		}
	}
}

func TestDeckValid(t *testing.T) {
	t.Parallel()
	var d game.Deck
	for i := range d {
		d[i] = game.Card(i)
	}
	if !d.Valid() {
		t.Fatal("identity deck invalid")
	}
	dup := d
	dup[51] = dup[0]
	bad := d
	bad[7] = game.InvalidCard
	over := d
	over[7] = 52
	for name, x := range map[string]game.Deck{"duplicate": dup, "invalid": bad, "52": over} {
		if x.Valid() {
			t.Errorf("%s deck accepted", name)
		}
	}
}

func TestActionString(t *testing.T) {
	t.Parallel()
	if got := game.ChooseTrump(game.Hearts).String(); got != "trump H" {
		t.Errorf("got %q", got)
	}
	if got := game.PlayCard(tcCard(t, "QS")).String(); got != "play QS" {
		t.Errorf("got %q", got)
	}
}

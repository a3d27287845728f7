package botclient

import (
	"strings"
	"testing"
)

// step is one frame a seat receives and whether the leak check must pass it.
type step struct {
	frame string
	leak  string // "" when the frame is fine, else a card the error must name
}

// dealt is the start of a hand as seat 0 receives it: its first five cards
// are 2H 3H 4H 5H 6H, seat 1's (redacted) deal, then the whole hand.
var dealt = []step{
	{`{"type":"snapshot","table":"t1","seq":1,"table_info":{"id":"t1","rules":{"target":3},"seats":[{"id":"g_1","name":"bot0"},null,null,null],"status":"waiting","match":0},"view":null}`, ""},
	{`{"type":"event","table":"t1","seq":2,"event":{"type":"match_started","hand":0,"first_hakem":2,"draw":["7C","KS","AD"]}}`, ""},
	{`{"type":"event","table":"t1","seq":3,"event":{"type":"hand_started","hand":0,"hakem":2,"dealer":1}}`, ""},
	{`{"type":"event","table":"t1","seq":4,"event":{"type":"cards_dealt","hand":0,"seat":0,"count":5,"cards":["2H","3H","4H","5H","6H"]}}`, ""},
	{`{"type":"event","table":"t1","seq":5,"event":{"type":"cards_dealt","hand":0,"seat":1,"count":5}}`, ""},
	{`{"type":"event","table":"t1","seq":6,"event":{"type":"trump_chosen","hand":0,"seat":2,"suit":"H"}}`, ""},
	{`{"type":"event","table":"t1","seq":7,"event":{"type":"cards_dealt","hand":0,"seat":0,"count":13,"cards":["2H","3H","4H","5H","6H","2S","3S","4S","5S","6S","2C","3C","4C"]}}`, ""},
}

func runSteps(t *testing.T, seat int, steps []step) {
	t.Helper()
	l := &leakCheck{seat: seat}
	for i, s := range steps {
		err := l.check([]byte(s.frame))
		switch {
		case s.leak == "" && err != nil:
			t.Fatalf("frame %d refused: %v", i, err)
		case s.leak != "" && err == nil:
			t.Fatalf("frame %d with %s passed: %s", i, s.leak, s.frame)
		case s.leak != "" && (!strings.Contains(err.Error(), "hidden card leak") || !strings.Contains(err.Error(), s.leak)):
			t.Fatalf("frame %d: error does not name %s: %v", i, s.leak, err)
		case s.leak != "":
			return // the match fails here
		}
	}
	if l.frames != len(steps) {
		t.Fatalf("checked %d frames of %d", l.frames, len(steps))
	}
}

func with(extra ...step) []step { return append(append([]step{}, dealt...), extra...) }

func TestLeakCheckAllowsWhatTheSeatMaySee(t *testing.T) {
	runSteps(t, 0, with(
		// Acks, errors and pings name no cards; strings that only look
		// like cards are not cards.
		step{`{"type":"ack","id":"m9","data":{"seq":7}}`, ""},
		step{`{"type":"error","id":"m10","code":"invalid_card","message":"not a card (rank then suit, e.g. \"TD\")"}`, ""},
		step{`{"type":"ack","id":"10H","data":{"note":["as","AS ","1H","ASS"]}}`, ""},
		// Its own cards, anywhere; the others' once played.
		step{`{"type":"ack","id":"m11","data":{"echo":"2S"}}`, ""},
		step{`{"type":"event","table":"t1","seq":8,"event":{"type":"card_played","hand":0,"seat":2,"card":"AH"}}`, ""},
		step{`{"type":"event","table":"t1","seq":9,"event":{"type":"card_played","hand":0,"seat":3,"card":"KH"}}`, ""},
		step{`{"type":"event","table":"t1","seq":10,"event":{"type":"card_played","hand":0,"seat":0,"card":"2H"}}`, ""},
		step{`{"type":"event","table":"t1","seq":11,"event":{"type":"card_played","hand":0,"seat":1,"card":"9D"}}`, ""},
		step{`{"type":"event","table":"t1","seq":12,"event":{"type":"trick_won","hand":0,"winner":2,"leader":2,"cards":["AH","KH","2H","9D"],"tricks":[1,0]}}`, ""},
		// A snapshot (after a reconnect) replaces what is known: its own
		// cards and the table's tricks.
		step{`{"type":"snapshot","table":"t1","seq":20,"table_info":{"id":"t1"},"view":{"seat":0,"phase":"play","cards":["3H","4H","5H","6H","2S","3S","4S","5S","6S","2C","3C"],"legal":["2C","3C"],"trick":{"leader":1,"plays":[{"seat":1,"card":"QC"}]},"done":[{"leader":2,"plays":[{"seat":2,"card":"AH"},{"seat":3,"card":"KH"},{"seat":0,"card":"2H"},{"seat":1,"card":"9D"}],"winner":2},{"leader":2,"plays":[{"seat":2,"card":"TC"},{"seat":3,"card":"JC"},{"seat":0,"card":"4C"},{"seat":1,"card":"QC"}],"winner":1}],"results":[{"hakem":2,"trump":"H","tricks":[7,2],"winner":0,"points":1,"kind":"normal"}]}}`, ""},
		step{`{"type":"event","table":"t1","seq":21,"event":{"type":"card_played","hand":0,"seat":2,"card":"KC"}}`, ""},
		step{`{"type":"event","table":"t1","seq":22,"event":{"type":"hand_ended","hand":0,"result":{"hakem":2,"trump":"H","tricks":[7,3],"winner":0,"points":1,"kind":"normal"},"score":[1,0]}}`, ""},
		// The server plays for a seat out of time: it names the card first.
		step{`{"type":"event","table":"t1","seq":23,"event":{"type":"timeout","hand":0,"seat":3,"action":{"card":"8S"}}}`, ""},
		step{`{"type":"event","table":"t1","seq":24,"event":{"type":"card_played","hand":0,"seat":3,"card":"8S"}}`, ""},
		step{`{"type":"event","table":"t1","seq":25,"event":{"type":"timeout","hand":0,"seat":1,"action":{"trump":"S"}}}`, ""},
		// What people write is theirs: a player called "KD", chat about "QD".
		step{`{"type":"event","table":"t1","seq":26,"event":{"type":"table","table":{"id":"t1","seats":[{"id":"g_1","name":"bot0"},{"id":"g_2","name":"KD"},null,null]}}}`, ""},
		step{`{"type":"chat","table":"t1","from":{"user":"g_2","name":"KD","seat":1},"text":"QD","at":1}`, ""},
		step{`{"type":"chat_history","table":"t1","messages":[{"type":"chat","table":"t1","from":{"user":"g_2","name":"KD","seat":1},"text":"JD","at":1}]}`, ""},
		// A resync (the server rebuilt the table, taking seqs back) is
		// adopted like a snapshot: its cards are the seat's own.
		step{`{"type":"resync","table":"t1","seq":24,"epoch":2,"reason":"restored","back":2,"table_info":{"id":"t1"},"view":{"seat":0,"phase":"play","cards":["7S","8S"],"legal":["7S","8S"],"trick":{"leader":3,"plays":[{"seat":3,"card":"9S"}]},"done":[]}}`, ""},
		step{`{"type":"ack","id":"m12","data":{"echo":["7S","8S","9S"]}}`, ""},
		// The next hand: a new deal.
		step{`{"type":"event","table":"t1","seq":27,"event":{"type":"hand_started","hand":1,"hakem":2,"dealer":1}}`, ""},
		step{`{"type":"event","table":"t1","seq":28,"event":{"type":"cards_dealt","hand":1,"seat":0,"count":5,"cards":["AS","KS","QS","JS","TS"]}}`, ""},
	))
}

func TestLeakCheckFindsHiddenCards(t *testing.T) {
	for name, extra := range map[string][]step{
		// Another seat's deal with its cards (the gateway must send the
		// redacted form).
		"other seat's deal": {{`{"type":"event","table":"t1","seq":8,"event":{"type":"cards_dealt","hand":0,"seat":1,"count":13,"cards":["AS","KD","QD","JD","TD","9D","8D","7D","6D","5D","4D","3D","2D"]}}`, "KD"}},
		// A card of another hand in a field the client does not read.
		"extra field":       {{`{"type":"event","table":"t1","seq":8,"event":{"type":"trump_chosen","hand":0,"seat":2,"suit":"H","debug":{"hands":[["QD"]]}}}`, "QD"}},
		"object key":        {{`{"type":"ack","id":"m1","data":{"JD":1}}`, "JD"}},
		"text outside chat": {{`{"type":"notice","notice":"x","text":"JD"}`, "JD"}},
		"trick_won after a timeout": {
			{`{"type":"event","table":"t1","seq":8,"event":{"type":"timeout","hand":0,"seat":1,"action":{"card":"9C"}}}`, ""},
			{`{"type":"event","table":"t1","seq":9,"event":{"type":"card_played","hand":0,"seat":1,"card":"TC"}}`, ""},
			{`{"type":"event","table":"t1","seq":10,"event":{"type":"trick_won","hand":0,"winner":1,"leader":1,"cards":["TC","AD"],"tricks":[0,1]}}`, "AD"},
		},
		"error text": {{`{"type":"error","id":"m1","code":"card_not_in_hand","message":"QS"}`, "QS"}},
		// A trick_won may only show cards already played.
		"unplayed card in trick_won": {
			{`{"type":"event","table":"t1","seq":8,"event":{"type":"card_played","hand":0,"seat":2,"card":"AH"}}`, ""},
			{`{"type":"event","table":"t1","seq":9,"event":{"type":"trick_won","hand":0,"winner":2,"leader":2,"cards":["AH","KH","2H","9D"],"tricks":[1,0]}}`, "KH"},
		},
		// A snapshot of this seat showing more than its cards and the table.
		"snapshot legal card not held": {{`{"type":"snapshot","table":"t1","seq":9,"table_info":{"id":"t1"},"view":{"seat":0,"phase":"play","cards":["3H"],"legal":["3H","AC"],"trick":{"leader":0,"plays":[]},"done":[]}}`, "AC"}},
		"snapshot hand sizes as cards": {{`{"type":"snapshot","table":"t1","seq":9,"table_info":{"id":"t1"},"view":{"seat":0,"phase":"play","cards":["3H"],"hands":{"1":["8C"]},"trick":{"leader":0,"plays":[]},"done":[]}}`, "8C"}},
		// A resync replaces what the seat knew: a card played in the seqs
		// it took back, or held before it, is hidden again.
		"card played before a resync took it back": {
			{`{"type":"event","table":"t1","seq":8,"event":{"type":"card_played","hand":0,"seat":2,"card":"AH"}}`, ""},
			{`{"type":"resync","table":"t1","seq":7,"epoch":3,"reason":"restored","back":1,"table_info":{"id":"t1"},"view":{"seat":0,"phase":"play","cards":["2H"],"trick":{"leader":2,"plays":[]},"done":[]}}`, ""},
			{`{"type":"ack","id":"m3","data":{"peek":"AH"}}`, "AH"},
		},
		"own card before a resync": {
			{`{"type":"resync","table":"t1","seq":7,"epoch":3,"reason":"restored","back":0,"table_info":{"id":"t1"},"view":{"seat":0,"phase":"play","cards":["2H"],"trick":{"leader":2,"plays":[]},"done":[]}}`, ""},
			{`{"type":"ack","id":"m3","data":{"peek":"3H"}}`, "3H"},
		},
		// The drawn cards were public only until the deal.
		"draw card after the deal": {{`{"type":"ack","id":"m3","data":{"peek":"KS"}}`, "KS"}},
		// Its own cards of the last hand are hidden in the next one.
		"last hand's own card": {
			{`{"type":"event","table":"t1","seq":8,"event":{"type":"hand_started","hand":1,"hakem":2,"dealer":1}}`, ""},
			{`{"type":"ack","id":"m3","data":{"peek":"6S"}}`, "6S"},
		},
	} {
		t.Run(name, func(t *testing.T) { runSteps(t, 0, with(extra...)) })
	}
}

// TestLeakCheckSeatMatters: the same deal is fine for its seat and a leak
// for every other.
func TestLeakCheckSeatMatters(t *testing.T) {
	deal := `{"type":"event","table":"t1","seq":1,"event":{"type":"cards_dealt","hand":0,"seat":3,"count":5,"cards":["2H","3H","4H","5H","6H"]}}`
	for seat := range 4 {
		err := (&leakCheck{seat: seat}).check([]byte(deal))
		if (err == nil) != (seat == 3) {
			t.Errorf("seat %d: %v", seat, err)
		}
	}
	if err := (&leakCheck{}).check([]byte(`{"type":"event"`)); err == nil {
		t.Error("a truncated frame passed")
	}
}

#!/usr/bin/env python3
"""Writes the hand-crafted golden records game/testdata/replay/own-*.json.

Nothing here runs the engine: every deal is laid out by hand from the rules
(HOKM_RULES.md: 5-4-4, packets start with the Hakem) and every expectation was
worked out by hand from the plays listed next to it. The only checks made here
are on the script's own bookkeeping (each card is held by the seat that plays
it and is played once).

The records own-seeded-*.json are not made here: they are random legal
matches (NewMatch with seeds 101, 202, 303, 404 and 505 and the rules in each
record, random legal actions) written with the engine, their expectations
taken from its replay. They guard against regressions; the crafted records
here are the ones checked by hand.

Run from game/testdata:  python3 make_own_records.py
"""
import json
import os

RANKS = "AKQJT98765432"  # high to low
ALL = [r + s for s in "SHDC" for r in RANKS]


def suit(s, ranks=RANKS):
    return [r + s for r in ranks]


def deck(hakem, hands):
    """The deck that deals hands[seat] (first five first) 5-4-4 from hakem."""
    assert sorted(sum(hands, [])) == sorted(ALL), "hands must hold the 52 cards once"
    assert all(len(h) == 13 for h in hands)
    d = [None] * 52
    for k in range(4):
        h = hands[(hakem + k) % 4]
        d[5 * k:5 * k + 5] = h[0:5]
        d[20 + 4 * k:24 + 4 * k] = h[5:9]
        d[36 + 4 * k:40 + 4 * k] = h[9:13]
    return d


def suit_per_seat(order):
    """Seat i holds the whole suit order[i]."""
    return [suit(order[i]) for i in range(4)]


class Hand:
    """Bookkeeping of one hand: who holds what, so a typo in a play fails here."""

    def __init__(self, hakem, hands):
        self.hakem = hakem
        self.hands = [list(h) for h in hands]
        self.deck = deck(hakem, hands)
        self.actions = []

    def trump(self, s, seat=None):
        self.actions.append({"seat": self.hakem if seat is None else seat, "trump": s})
        return self

    def trick(self, leader, cards):
        for i, c in enumerate(cards.split()):
            seat = (leader + i) % 4
            assert c in self.hands[seat], f"{c} not held by seat {seat}"
            self.hands[seat].remove(c)
            self.actions.append({"seat": seat, "card": c})
        return self


def res(hakem, trump, tricks, winner, points, kind):
    return {"hakem": hakem, "trump": trump, "tricks": tricks, "winner": winner, "points": points, "kind": kind}


def ok(hands, score, over=False, winner=None):
    return {"hands": hands, "score": score, "over": over, "winner": winner, "ok": True}


def illegal(index, code, hands=(), score=(0, 0), over=False, winner=None):
    return {"hands": list(hands), "score": list(score), "over": over, "winner": winner, "ok": False,
            "error": {"index": index, "code": code}}


BAD = {"ok": False, "error": {"code": "invalid_record"}}

OUT = {}


def write(name, record, status, expect):
    OUT[name] = {"record": record, "exit_status": status, "expect": expect}


# --- Standard deals --------------------------------------------------------

def kot_hand0():
    """Hakem 0 holds every spade, trump S: he leads AS..8S, nobody else has a
    spade, seat 0 takes 7 tricks: Kot for team 0 (2 points), Hakem stays."""
    h = Hand(0, suit_per_seat("SHDC")).trump("S")
    for i in range(7):
        r = RANKS[i]
        low = RANKS[12 - i]  # the others throw 2,3,4,...
        h.trick(0, f"{r}S {low}H {low}D {low}C")
    return h


# G: seat 0 holds AS..3S and 2D, seat 1 holds 2S and AD..3D,
# seat 2 every heart, seat 3 every club (Hakem 0).
G_HANDS = [suit("S", "AKQJT98765432"[:12]) + ["2D"],
           ["2S"] + suit("D", "AKQJT9876543"),
           suit("H"), suit("C")]


def g_first_seven(h):
    """Trump S. Trick 1: AS led, seat 1 must follow with its only spade 2S.
    Tricks 2-7: seat 0 leads KS..8S, nobody else holds a spade: 7-0 to seat 0."""
    h.trick(0, "AS 2S 2H 2C")
    for r, low in zip("KQJT98", "345678"):
        h.trick(0, f"{r}S {low}D {low}H {low}C")
    return h


# --- Legal records ------------------------------------------------------------

# Draw 5D->0, KC->1, AH->2: Hakem 2 (the HOKM_RULES example), dealer 1.
# Seat 2 (Hakem) holds the spades, his partner seat 0 the hearts, seat 1 the
# diamonds, seat 3 the clubs. Hakem chooses hearts, a suit he does not hold.
# Trick 1: 2 leads AS, 3 throws 2C, 0 trumps 2H, 1 throws 2D: seat 0 wins.
# Tricks 2-7: seat 0 leads AH..9H (trump), nobody else has one: seat 0 wins.
# Team 0 (the Hakem's team, tricks all taken by the partner) wins 7-0: Kot, 2.
h = Hand(2, suit_per_seat("HDSC")).trump("H")
h.trick(2, "AS 2C 2H 2D")
for r, low, hi in zip("AKQJT9", "345678", "KQJT98"):
    h.trick(0, f"{r}H {low}D {hi}S {low}C")
write("own-kot-by-partner.json",
      {"draw": ["5D", "KC", "AH"], "deals": [h.deck], "actions": h.actions}, 0,
      ok([res(2, "H", [7, 0], 0, 2, "kot")], [2, 0]))

# Draw: the ace is the 6th card -> seat 5 % 4 = 1. Hakem 1 (team 1).
# Hand 1: seat 0 spades, 1 clubs, 2 diamonds, 3 hearts; Hakem chooses D.
# Trick 1: 1 leads AC, 2 trumps 2D, 3 throws 2H, 0 throws 2S: seat 2 wins;
# tricks 2-7: seat 2 leads AD..9D (trump): 7-0 for team 0 = the Hakem's
# opponents: Hakem-Kot, 3 points. Hakem passes to next(1) = 2.
# Hand 2 (Hakem 2, deal laid out from seat 2): seat 2 spades, trump S,
# he leads AS..8S: Kot for team 0, 2 more points: 5-0.
h1 = Hand(1, suit_per_seat("SCDH")).trump("D")
h1.trick(1, "AC 2D 2H 2S")
for r, low, hi in zip("AKQJT9", "345678", "KQJT98"):
    h1.trick(2, f"{r}D {low}H {low}S {hi}C")
h2 = Hand(2, suit_per_seat("DCSH")).trump("S")
for i in range(7):
    low = RANKS[12 - i]
    h2.trick(2, f"{RANKS[i]}S {low}H {low}D {low}C")
write("own-hakem-kot.json",
      {"draw": ["2C", "3C", "4C", "5C", "6C", "AS", "AH"], "deals": [h1.deck, h2.deck],
       "actions": h1.actions + h2.actions}, 0,
      ok([res(1, "D", [7, 0], 0, 3, "hakem_kot"), res(2, "S", [7, 0], 0, 2, "kot")], [5, 0]))

# first_hakem 3. Hand 1: seat 0 AS..3S + 2D, seat 1 hearts, seat 2 2S + AD..3D,
# seat 3 (Hakem) clubs. Trump S.
# T1 (3 leads): AC 2D 2H 3D -> 3 (seat 0 discards instead of trumping).
# T2 (3 leads): KC 3S 3H 4D -> 0 (trump).
# T3 (0 leads): AS 4H 2S QC -> 0 (seat 2 follows with its only spade).
# T4-T8: 0 leads KS QS JS TS 9S, nobody else has a spade -> 0.
# Team 0 7 tricks (T2-T8), team 1 1 trick: normal, 1 point to team 0. The
# Hakem's team lost: Hakem goes to next(3) = 0 (wraps), dealer 3.
# Hand 2 (Hakem 0): seat 0 spades, trump S: Kot, 2 points. 3-0.
h1 = Hand(3, [suit("S", "AKQJT98765432"[:12]) + ["2D"], suit("H"),
              ["2S"] + suit("D", "AKQJT9876543"), suit("C")]).trump("S")
h1.trick(3, "AC 2D 2H 3D").trick(3, "KC 3S 3H 4D").trick(0, "AS 4H 2S QC")
for r, x, c in zip("KQJT9", "56789", "JT987"):
    h1.trick(0, f"{r}S {x}H {x}D {c}C")
h2 = kot_hand0()
write("own-rotation-3-to-0.json",
      {"first_hakem": 3, "deals": [h1.deck, h2.deck], "actions": h1.actions + h2.actions}, 0,
      ok([res(3, "S", [7, 1], 0, 1, "normal"), res(0, "S", [7, 0], 0, 2, "kot")], [3, 0]))

# Four Kots in a row for Hakem 0 (same deal each time): 2, 4, 6, then 6 + Kot
# = 8 >= 7: the match is over, won by team 0 with 8 (overshoot counts).
hands4 = [kot_hand0() for _ in range(4)]
actions4 = sum((x.actions for x in hands4), [])
assert len(actions4) == 116
kot0 = res(0, "S", [7, 0], 0, 2, "kot")
write("own-overshoot.json",
      {"first_hakem": 0, "deals": [x.deck for x in hands4], "actions": actions4}, 0,
      ok([kot0] * 4, [8, 0], True, 0))

# The same, then one more action: the match is over -> game_over at 116.
write("own-game-over.json",
      {"first_hakem": 0, "deals": [x.deck for x in hands4],
       "actions": actions4 + [{"seat": 0, "card": "AS"}]}, 1,
      illegal(116, "game_over", [kot0] * 4, [8, 0], True, 0))

# Target 3: Hakem 0 holds the spades but chooses hearts, held by seat 1.
# T1: AS 2H 2D 2C -> seat 1 trumps. T2-T7: seat 1 leads AH..9H: team 1 7-0,
# Hakem-Kot, 3 points: 3 >= 3 ends the match at once, won by team 1.
h = Hand(0, suit_per_seat("SHDC")).trump("H")
h.trick(0, "AS 2H 2D 2C")
for r, low, hi in zip("AKQJT9", "345678", "KQJT98"):
    h.trick(1, f"{r}H {low}D {low}C {hi}S")
write("own-target3-hakem-kot.json",
      {"rules": {"target": 3}, "first_hakem": 0, "deals": [h.deck, kot_hand0().deck], "actions": h.actions}, 0,
      ok([res(0, "H", [0, 7], 1, 3, "hakem_kot")], [0, 3], True, 1))

# Target 5: Kot (2), Kot (4), Kot (6 >= 5): over, won by team 0.
hands3 = [kot_hand0() for _ in range(3)]
write("own-target5.json",
      {"rules": {"target": 5}, "first_hakem": 0, "deals": [x.deck for x in hands3],
       "actions": sum((x.actions for x in hands3), [])}, 0,
      ok([kot0] * 3, [6, 0], True, 0))

# play_all_tricks, deal G. T1-T7 as g_first_seven (team 0 has 7 after T7 but
# the hand goes on). T8-T12: seat 0 leads 7S..3S, seat 1 throws 9D..KD, the
# others hearts and clubs. T13: 0 leads 2D, 1 plays AD, 2 AH, 3 AC: no trump,
# AD is the highest diamond -> seat 1. Tricks 12-1: normal, 1 point (not Kot).
h = g_first_seven(Hand(0, G_HANDS).trump("S"))
for r, x in zip("76543", "9TJQK"):
    h.trick(0, f"{r}S {x}D {x}H {x}C")
h.trick(0, "2D AD AH AC")
write("own-play-all-tricks.json",
      {"rules": {"play_all_tricks": True}, "first_hakem": 0, "deals": [h.deck], "actions": h.actions}, 0,
      ok([res(0, "S", [12, 1], 0, 1, "normal")], [1, 0]))

# The same deal under the default rules: the hand ends at 7-0 (Kot, 2) and
# hand 2 is dealt (Hakem 0 again, trump phase): the 8th "trick" card is
# rejected with wrong_phase.
h = g_first_seven(Hand(0, G_HANDS).trump("S"))
write("own-default-stops-at-7.json",
      {"first_hakem": 0, "deals": [h.deck, kot_hand0().deck], "actions": h.actions + [{"seat": 0, "card": "7S"}]}, 1,
      illegal(29, "wrong_phase", [res(0, "S", [7, 0], 0, 2, "kot")], [2, 0]))

# play_all_tricks, Hakem 0 holds every spade: 13-0, Kot.
h = Hand(0, suit_per_seat("SHDC")).trump("S")
for i in range(13):
    h.trick(0, f"{RANKS[i]}S {RANKS[i]}H {RANKS[i]}D {RANKS[i]}C")
write("own-play-all-tricks-kot.json",
      {"rules": {"play_all_tricks": True}, "first_hakem": 0, "deals": [h.deck], "actions": h.actions}, 0,
      ok([res(0, "S", [13, 0], 0, 2, "kot")], [2, 0]))

# first_hakem 3 wins over the draw (whose ace would make seat 0 Hakem).
# Seat 3 holds the spades, trump S, leads AS..8S: team 1 7-0 with its own
# Hakem: Kot (not Hakem-Kot), 2 points to team 1.
h = Hand(3, suit_per_seat("HDCS")).trump("S")
for i in range(7):
    low = RANKS[12 - i]
    h.trick(3, f"{RANKS[i]}S {low}H {low}D {low}C")
write("own-first-hakem.json",
      {"first_hakem": 3, "draw": ["AS"], "deals": [h.deck], "actions": h.actions}, 0,
      ok([res(3, "S", [0, 7], 1, 2, "kot")], [0, 2]))

# --- Illegal actions (exit 1) -------------------------------------------------

SPS0 = Hand(0, suit_per_seat("SHDC")).deck  # Hakem 0: 0 S, 1 H, 2 D, 3 C
G0 = Hand(0, G_HANDS).deck


def illegal_case(name, deal, actions, index, code):
    acts = [{"seat": s, k: v} for s, k, v in actions]
    write(name, {"first_hakem": 0, "deals": [deal], "actions": acts}, 1, illegal(index, code))


illegal_case("own-illegal-not-hakem.json", SPS0, [(1, "trump", "S")], 0, "not_hakem")
illegal_case("own-illegal-invalid-suit.json", SPS0, [(0, "trump", "X")], 0, "invalid_suit")
illegal_case("own-illegal-lowercase-suit.json", SPS0, [(0, "trump", "s")], 0, "invalid_suit")
illegal_case("own-illegal-not-hakem-before-bad-suit.json", SPS0, [(2, "trump", "X")], 0, "not_hakem")
illegal_case("own-illegal-card-before-trump.json", SPS0, [(0, "card", "AS")], 0, "wrong_phase")
illegal_case("own-illegal-trump-during-play.json", SPS0, [(0, "trump", "S"), (0, "trump", "H")], 1,
             "wrong_phase")
illegal_case("own-illegal-card-10H.json", SPS0, [(0, "trump", "S"), (0, "card", "10H")], 1, "invalid_card")
illegal_case("own-illegal-card-lowercase.json", SPS0, [(0, "trump", "S"), (0, "card", "as")], 1, "invalid_card")
illegal_case("own-illegal-card-empty.json", SPS0, [(0, "trump", "S"), (0, "card", "")], 1, "invalid_card")
illegal_case("own-illegal-not-your-turn.json", SPS0, [(0, "trump", "S"), (1, "card", "2H")], 1, "not_your_turn")
illegal_case("own-illegal-not-your-turn-before-bad-card.json", SPS0, [(0, "trump", "S"), (2, "card", "10H")], 1,
             "not_your_turn")
illegal_case("own-illegal-not-in-hand.json", SPS0, [(0, "trump", "S"), (0, "card", "AH")], 1, "card_not_in_hand")
illegal_case("own-illegal-already-played.json", SPS0,
             [(0, "trump", "S"), (0, "card", "AS"), (1, "card", "2H"), (2, "card", "2D"), (3, "card", "2C"),
              (0, "card", "AS")], 5, "card_not_in_hand")
# Deal G: seat 1 holds 2S, so on AS led it must follow.
illegal_case("own-illegal-must-follow.json", G0, [(0, "trump", "S"), (0, "card", "AS"), (1, "card", "AD")], 2,
             "must_follow_suit")
# AH is seat 2's card and would not follow either: card_not_in_hand comes first.
illegal_case("own-illegal-not-in-hand-before-follow.json", G0,
             [(0, "trump", "S"), (0, "card", "AS"), (1, "card", "AH")], 2, "card_not_in_hand")

# --- Malformed records (exit 2) -----------------------------------------------

T0 = [{"seat": 0, "trump": "S"}]
bad = {
    "missing-deals": {"first_hakem": 0, "actions": T0},
    "null-deals": {"first_hakem": 0, "deals": None, "actions": T0},
    "missing-actions": {"first_hakem": 0, "deals": [SPS0]},
    "null-actions": {"first_hakem": 0, "deals": [SPS0], "actions": None},
    "seat-4": {"first_hakem": 0, "deals": [SPS0], "actions": [{"seat": 4, "trump": "S"}]},
    "seat-negative": {"first_hakem": 0, "deals": [SPS0], "actions": [{"seat": -1, "trump": "S"}]},
    "seat-float": {"first_hakem": 0, "deals": [SPS0], "actions": [{"seat": 1.5, "trump": "S"}]},
    "seat-string": {"first_hakem": 0, "deals": [SPS0], "actions": [{"seat": "0", "trump": "S"}]},
    "seat-missing": {"first_hakem": 0, "deals": [SPS0], "actions": [{"trump": "S"}]},
    "trump-and-card": {"first_hakem": 0, "deals": [SPS0], "actions": [{"seat": 0, "trump": "S", "card": "AS"}]},
    "neither-trump-nor-card": {"first_hakem": 0, "deals": [SPS0], "actions": [{"seat": 0}]},
    "deal-51-cards": {"first_hakem": 0, "deals": [SPS0[:51]], "actions": T0},
    "deal-53-cards": {"first_hakem": 0, "deals": [SPS0 + ["AS"]], "actions": T0},
    "deal-repeats-card": {"first_hakem": 0, "deals": [SPS0[:51] + [SPS0[0]]], "actions": T0},
    "deal-bad-card": {"first_hakem": 0, "deals": [SPS0[:51] + ["10H"]], "actions": T0},
    # The second deal is never reached, and action 0 is illegal: the record is
    # still malformed (every deal is checked before the first action).
    "second-deal-bad": {"first_hakem": 0, "deals": [SPS0, SPS0[:51] + [SPS0[1]]],
                        "actions": [{"seat": 1, "trump": "S"}]},
    "no-ace-in-draw": {"draw": ["2C", "3D", "KH", "QS"], "deals": [SPS0], "actions": []},
    "bad-card-in-draw": {"draw": ["2C", "1D", "AH"], "deals": [SPS0], "actions": []},
    "no-draw-no-first-hakem": {"deals": [SPS0], "actions": []},
    "first-hakem-4": {"first_hakem": 4, "deals": [SPS0], "actions": []},
    "first-hakem-negative": {"first_hakem": -1, "deals": [SPS0], "actions": []},
    # One deal, its hand ends in a Kot, then the Hakem acts in hand 2: there is
    # no deal for it.
    "action-after-last-deal": {"first_hakem": 0, "deals": [SPS0],
                               "actions": kot_hand0().actions + [{"seat": 0, "trump": "S"}]},
    "unknown-field": {"first_hakem": 0, "seed": 1, "deals": [SPS0], "actions": []},
    "unknown-action-field": {"first_hakem": 0, "deals": [SPS0],
                             "actions": [{"seat": 0, "trump": "S", "id": 1}]},
    "unknown-rules-field": {"rules": {"target": 7, "bam": True}, "first_hakem": 0, "deals": [SPS0], "actions": []},
    "target-1": {"rules": {"target": 1}, "first_hakem": 0, "deals": [SPS0], "actions": []},
    "target-4": {"rules": {"target": 4}, "first_hakem": 0, "deals": [SPS0], "actions": []},
    "target-9": {"rules": {"target": 9}, "first_hakem": 0, "deals": [SPS0], "actions": []},
    "target-string": {"rules": {"target": "7"}, "first_hakem": 0, "deals": [SPS0], "actions": []},
    "record-is-array": [],
    "record-is-string": "not a record",
}
for name, rec in bad.items():
    write(f"own-invalid-{name}.json", rec, 2, BAD)

here = os.path.dirname(os.path.abspath(__file__))
for name, body in sorted(OUT.items()):
    with open(os.path.join(here, "replay", name), "w") as f:
        json.dump(body, f)
        f.write("\n")
print(len(OUT), "records written")

// The table as this client sees it: built from a snapshot, then advanced by
// each event in seq order (docs/protocol.md, Events). Pure functions of
// plain objects; nothing here touches the page.

export const SUITS = ['S', 'H', 'D', 'C']
export const SUIT_SYMBOL = { S: '♠', H: '♥', D: '♦', C: '♣' }
const RANKS = '23456789TJQKA'

export const suitOf = (card) => card[1]
export const rankOf = (card) => card[0]
export const rankLabel = (card) => card[0] === 'T' ? '10' : card[0]
export const isRed = (card) => card[1] === 'H' || card[1] === 'D'
export const teamOf = (seat) => seat % 2

/** The hand sorted by suit (trump first, then alternating colours), high to low. */
export function sortHand (cards, trump) {
  const order = trump ? [trump, ...['S', 'H', 'C', 'D'].filter(s => s !== trump)] : ['S', 'H', 'C', 'D']
  return [...cards].sort((a, b) =>
    order.indexOf(suitOf(a)) - order.indexOf(suitOf(b)) || RANKS.indexOf(rankOf(b)) - RANKS.indexOf(rankOf(a)))
}

/** The seat a user sits in, or -1. */
export function seatOf (info, user) {
  return info ? info.seats.findIndex(s => s && s.id === user) : -1
}

/** A new table state from a snapshot or resync frame. */
export function fromSnapshot (f, user) {
  const st = { id: f.table, seq: f.seq, epoch: f.epoch, info: f.table_info, view: f.view ? { ...f.view } : null, lastTrick: null, lastResult: null }
  if (st.view) {
    const done = st.view.done || []
    if (!st.view.trick.plays.length && done.length) st.lastTrick = done[done.length - 1]
  }
  st.prevTrick = st.lastTrick || (st.view && st.view.done && st.view.done.at(-1)) || null // the last trick won, for review
  st.me = seatOf(st.info, user)
  st.deadline = deadlineOf(st)
  return st
}

/** The turn clock of a table object: {seat, at} (unix ms), or null. */
function deadlineOf (st) {
  const at = st.info && st.info.deadline
  return at && st.view ? { seat: st.view.turn, at } : null
}

/** Applies one event to st (mutating it). */
export function applyEvent (st, ev, user) {
  const v = st.view
  switch (ev.type) {
    case 'table':
      st.info = ev.table
      st.me = seatOf(st.info, user)
      if (v && v.seat < 0 && st.me >= 0) v.seat = st.me
      if (ev.table.deadline) st.deadline = deadlineOf(st)
      break
    case 'turn': // a change with no event to carry its turn timer (and earlier servers' logs)
      st.deadline = { seat: ev.seat, at: ev.deadline }
      break
    case 'match_started':
      // what the match before showed, to count moves lost across matches (movesBack)
      st.prev = v ? { match: st.info.match - 1, moves: movesOf(v) } : null
      st.view = {
        seat: st.me, rules: st.info.rules, phase: 'trump', hand: 0, hakem: ev.first_hakem, dealer: (ev.first_hakem + 3) % 4,
        trump: null, turn: ev.first_hakem, cards: [], legal: [], hand_sizes: [0, 0, 0, 0],
        trick: { leader: ev.first_hakem, plays: [] }, done: [], tricks: [0, 0], score: [0, 0], results: [], winner: null
      }
      st.lastTrick = null
      st.lastResult = null
      st.prevTrick = null
      break
    case 'hand_started':
      Object.assign(v, {
        hand: ev.hand, hakem: ev.hakem, dealer: ev.dealer, phase: 'trump', trump: null, turn: ev.hakem, cards: [],
        hand_sizes: [0, 0, 0, 0], trick: { leader: ev.hakem, plays: [] }, done: [], tricks: [0, 0]
      })
      st.lastTrick = null
      break
    case 'cards_dealt':
      v.hand_sizes[ev.seat] = ev.count
      if (ev.seat === v.seat && ev.cards) v.cards = ev.cards
      break
    case 'trump_chosen':
      v.trump = ev.suit
      v.phase = 'play'
      v.turn = v.hakem
      break
    case 'card_played':
      if (!v.trick.plays.length) st.lastTrick = null
      v.trick.plays.push({ seat: ev.seat, card: ev.card })
      v.hand_sizes[ev.seat] = Math.max(0, v.hand_sizes[ev.seat] - 1)
      if (ev.seat === v.seat) v.cards = v.cards.filter(c => c !== ev.card)
      v.turn = v.trick.plays.length < 4 ? (ev.seat + 1) % 4 : -2
      break
    case 'trick_won': {
      const done = { leader: ev.leader, plays: v.trick.plays, winner: ev.winner }
      v.done.push(done)
      st.lastTrick = done
      st.prevTrick = done
      v.tricks = ev.tricks
      v.trick = { leader: ev.winner, plays: [] }
      v.turn = ev.winner
      break
    }
    case 'hand_ended':
      v.results.push(ev.result)
      v.score = ev.score
      v.turn = -2
      st.lastResult = { ...ev.result, at: Date.now() }
      break
    case 'match_ended':
      v.phase = 'over'
      v.turn = -1
      v.winner = ev.winner
      v.score = ev.score
      break
    case 'timeout':
      st.lastTimeout = { seat: ev.seat, at: Date.now() }
      break
  }
  // the last event of a change that started a turn timer carries it
  if (ev.turn) st.deadline = { seat: ev.turn.seat, at: ev.turn.deadline }
  if (st.view) st.view.legal = legal(st.view)
}

/** The play winning a trick so far: the highest trump, else the highest card of the suit led. */
export function winningPlay (plays, trump) {
  let best = null
  for (const p of plays) {
    if (!best || (suitOf(p.card) === trump && suitOf(best.card) !== trump) ||
      (suitOf(p.card) === suitOf(best.card) && RANKS.indexOf(rankOf(p.card)) > RANKS.indexOf(rankOf(best.card)))) best = p
  }
  return best
}

/** The cards this seat may play now: all, or those of the suit led if it has any. */
export function legal (v) {
  if (v.phase !== 'play' || v.turn !== v.seat || v.seat < 0) return []
  if (!v.trick.plays.length) return v.cards
  const led = suitOf(v.trick.plays[0].card)
  const follow = v.cards.filter(c => suitOf(c) === led)
  return follow.length ? follow : v.cards
}

/**
 * The moves of the match so far that a view shows: each trump choice and
 * each card played, in finished hands (a result's tricks, four cards each)
 * and in the hand being played.
 */
export function movesOf (v) {
  if (!v) return 0
  const results = v.results || []
  let n = 0
  for (const r of results) n += 1 + 4 * (r.tricks[0] + r.tricks[1])
  if (results.length <= v.hand) { // the current hand is not among the results yet
    n += (v.trump ? 1 : 0) + 4 * (v.done || []).length + v.trick.plays.length
  }
  return n
}

/**
 * How many of the moves the table showed in before are not in after (the
 * state a resync brought): 0 when nothing was lost, null when it cannot be
 * told (the table went back to a match whose end this client did not see).
 */
export function movesBack (before, after) {
  const m0 = before.info.match || 0
  const m1 = after.info.match || 0
  if (!before.view || m1 > m0) return 0
  if (m1 === m0) return Math.max(0, movesOf(before.view) - movesOf(after.view))
  if (m1 === m0 - 1 && before.prev && before.prev.match === m1) {
    return movesOf(before.view) + Math.max(0, before.prev.moves - movesOf(after.view))
  }
  return null
}

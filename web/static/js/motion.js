// Motion and its sounds (docs/client.md). Purely visual: the state is in the
// page at once. Ghosts in #fx (patch leaves it alone) replay the trick's
// events over the real cards (hidden meanwhile), at most MAX_LAG behind.

import { h } from './dom.js'
import { SUIT_SYMBOL, teamOf, winningPlay } from './game.js'
import { sound } from './sound.js'
import { face } from './cards.js'

const FLY = 300
const GAP = 200
const HOLD = 700
const TAKE = 450
const MAX_LAG = 2500
const EASE = 'cubic-bezier(.2,.7,.3,1)'
const reduce = matchMedia('(prefers-reduced-motion: reduce)')
const still = () => reduce.matches || document.hidden

let free = 0 // when the visual timeline is free
let landed = 0 // when the last card played lands
let todo = [] // what events ask for, done after the next patch
let seen = null // the hand before the patch: card -> {rect, left}
let stale = false // events went by unanimated while ghosts were up
let trickNo = 0
let dealtHand = -1
let wasMine = false
const due = {} // a panel's id -> when it comes in
const shown = new Map() // card -> its ghost {g, trick, landed}
const live = new Set() // running animations
const hidden = new Set() // real cards under ghosts

const pos = (seat, me) => ['bottom', 'right', 'top', 'left'][(seat - Math.max(me, 0) + 4) % 4]
const mid = (r) => [r.left + r.width / 2, r.top + r.height / 2]
const plate = (seat) => document.querySelector(`.seat[data-seat="${seat}"] .plate`)?.getBoundingClientRect()
const none = () => {}
const go = (el, frames, opts) => { const a = el.animate(frames, opts); live.add(a); a.finished.then(() => live.delete(a), () => live.delete(a)); return a }

export const fxLayer = () => h('div', { class: 'fx', id: 'fx', opaque: true, 'aria-hidden': 'true' })

function catchUp (now) {
  for (const a of [...live]) { try { a.finish() } catch { a.cancel() } }
  for (const it of todo) it.t = Math.min(it.t, now)
  free = landed = now
}

/** Drops animations and ghosts: the page shows its state (a snapshot, leaving). */
export function motionReset () {
  todo = []
  for (const a of [...live]) a.cancel()
  for (const e of shown.values()) e.g.remove()
  shown.clear()
  for (const el of hidden) { el.__hid.cancel(); el.__hid = null }
  hidden.clear()
  free = landed = 0
  stale = false
}

/** An event applied to st: what it shows and sounds like. */
export function motionEvent (st, ev) {
  const v = st.view
  if (!v) return
  const now = performance.now()
  const quiet = still()
  if (quiet && (shown.size || live.size)) stale = true
  const at = () => quiet ? now : (free - now > MAX_LAG && catchUp(now), Math.max(now, free))
  const us = (team) => team === teamOf(Math.max(st.me, 0))
  const play = (name, t) => sound(name, (t - now) / 1000)
  const later = (it) => quiet || todo.push(it)
  const type = ev.type
  if (type === 'match_started') dealtHand = -1
  if (type === 'cards_dealt' && ev.cards && ev.seat === v.seat) {
    const t = at()
    later({ k: deal, t, cards: ev.cards, from: v.dealer === st.me ? -1 : v.dealer, fresh: dealtHand !== v.hand })
    dealtHand = v.hand
    if (v.phase === 'trump') due['trump-picker'] = t
    free = t + 150
  } else if (type === 'trump_chosen') {
    const t = at()
    later({ k: reveal, t, suit: ev.suit })
    free = t + 600
    play('trump', t)
  } else if (type === 'card_played') {
    if (ev.seat === st.me && !quiet) catchUp(now)
    if (v.trick.plays.length === 1) trickNo++
    const t = at()
    later({ k: fly, t, seat: ev.seat, card: ev.card, trick: trickNo, trump: v.trump })
    free = t + GAP
    landed = t + FLY
  } else if (type === 'trick_won') {
    const t = quiet ? now : Math.max(at(), landed + HOLD)
    later({ k: take, t, winner: ev.winner, leader: ev.leader, cards: ev.cards })
    free = landed = t + TAKE * 0.6
    play(us(teamOf(ev.winner)) ? 'trick_us' : 'trick', t + TAKE * 0.4)
  } else if (type === 'hand_ended') {
    play(us(ev.result.winner) ? 'hand_won' : 'hand_lost', due['hand-summary'] = at())
  } else if (type === 'match_ended') {
    play(us(ev.winner) ? 'match_won' : 'match_lost', (due['match-result'] = at()) + 300)
  }
  const mine = st.me >= 0 && st.info.status === 'playing' && v.turn === st.me && v.phase !== 'over'
  if (mine && !wasMine) play('turn', at())
  wasMine = mine
}

/** Before a patch: where the hand's cards are. */
export function motionBefore () {
  seen = null
  if (!todo.length || still()) return
  seen = new Map()
  for (const b of document.querySelectorAll('#hand .card')) seen.set(b.dataset.card, { rect: b.firstChild.getBoundingClientRect(), left: b.offsetLeft })
}

/** After a patch: starts what the events asked for. */
export function motionAfter (st) {
  const list = todo
  todo = []
  const fx = document.getElementById('fx')
  if (!fx || !st || !st.view || still() || stale) {
    if (shown.size || live.size || hidden.size) motionReset()
    return
  }
  const now = performance.now()
  const dealt = new Set()
  for (const it of list) it.k(fx, it, Math.max(0, it.t - now), st.me, dealt)
  if (seen) { // FLIP: the cards that stay slide to their new place
    for (const b of document.querySelectorAll('#hand .card')) {
      const was = seen.get(b.dataset.card)
      const dx = was ? was.left - b.offsetLeft : 0
      if (dx && !b.firstChild.getAnimations().length) go(b.firstChild, [{ transform: `translateX(${dx}px)` }, { transform: 'none' }], { duration: 260, easing: 'ease-out' })
    }
  }
  seen = null
  for (const f of document.querySelectorAll('#trick .played > .face')) {
    const el = f.parentNode
    if (shown.has(f.dataset.card) && !el.__hid) { el.__hid = el.animate({ opacity: [0, 0] }, { duration: 1e9 }); hidden.add(el) }
  }
  for (const el of hidden) if (!el.isConnected) hidden.delete(el)
  // panels come in once the table shows what led to them
  for (const el of document.querySelectorAll('#hand-summary, #match-result, #trump-picker, #last-trick')) {
    if (!el.__in) el.__in = go(el, [{ opacity: 0, scale: 0.94 }, { opacity: 1, scale: 1 }], { duration: 240, delay: Math.max(0, (due[el.id] || 0) - now), easing: 'ease-out', fill: 'backwards' })
  }
}

function ghost (fx, card, seat, me) {
  shown.get(card)?.g.remove()
  const g = h('div', { class: 'played pos-' + pos(seat, me) }, face(card))
  fx.append(g)
  return g
}

/** A card played: from the hand, or from its seat, to the table. */
function fly (fx, it, wait, me) {
  const g = ghost(fx, it.card, it.seat, me)
  const mine = it.seat === me && seen?.get(it.card)
  const [x1, y1] = mid(g.getBoundingClientRect())
  const [x0, y0] = mid((mine ? mine.rect : plate(it.seat)) || g.getBoundingClientRect())
  const e = { g, trick: it.trick, card: it.card, trump: it.trump }
  shown.set(it.card, e)
  go(g.firstChild, [
    { transform: `translate(${x0 - x1}px,${y0 - y1}px) scale(${mine ? 1 : 0.45}) rotate(${mine ? 0 : it.seat % 2 ? -20 : 12}deg)`, opacity: mine ? 1 : 0.2 },
    { transform: 'none', opacity: 1 }], { duration: FLY, delay: wait, easing: EASE, fill: 'forwards' })
    .finished.then(() => { // landed: mark the card winning so far
      e.landed = true
      const on = [...shown.values()].filter(x => x.trick === e.trick && x.landed)
      const best = winningPlay(on, e.trump)
      for (const x of on) x.g.classList.toggle('winning', x === best)
    }, none)
}

/** A trick won: it stays a moment, then goes to its winner. */
function take (fx, it, wait, me) {
  const [x1, y1] = mid(plate(it.winner) || fx.getBoundingClientRect())
  it.cards.forEach((card, i) => {
    let e = shown.get(card)
    // a card from before the events (a snapshot's) stays up until it goes (fill both: not over a flight)
    if (!e) shown.set(card, e = { g: ghost(fx, card, (it.leader + i) % 4, me), still: true })
    const [x0, y0] = mid(e.g.getBoundingClientRect())
    go(e.g.firstChild, [{ transform: 'none', opacity: 1 }, { transform: `translate(${x1 - x0}px,${y1 - y0}px) scale(.35)`, opacity: 0 }],
      { duration: TAKE, delay: wait + i * 25, easing: 'ease-in', fill: e.still ? 'both' : 'forwards' })
      .finished.then(() => { e.g.remove(); if (shown.get(card) === e) shown.delete(card) }, none)
  })
}

/** Cards dealt: from the dealer's seat into the hand, one after another. */
function deal (fx, it, wait, me, dealt) {
  const [x0, y0] = mid((it.from >= 0 && plate(it.from)) || fx.getBoundingClientRect())
  let i = 0
  for (const b of document.querySelectorAll('#hand .card')) {
    const c = b.dataset.card
    if (!it.cards.includes(c) || dealt.has(c) || (!it.fresh && seen?.has(c))) continue
    dealt.add(c)
    const [x1, y1] = mid(b.firstChild.getBoundingClientRect())
    go(b.firstChild, [{ transform: `translate(${x0 - x1}px,${y0 - y1}px) scale(.4) rotate(-10deg)`, opacity: 0 }, { transform: 'none', opacity: 1 }],
      { duration: 300, delay: wait + i++ * 45, easing: EASE, fill: 'backwards' })
  }
}

/** Trump chosen: its suit grows in the middle of the table, then goes to the score bar. */
function reveal (fx, it, wait) {
  const s = h('span', { class: 'trump-fx' + ('HD'.includes(it.suit) ? ' red' : '') }, SUIT_SYMBOL[it.suit])
  fx.append(s)
  const to = document.getElementById('trump')
  const [x0, y0] = mid(s.getBoundingClientRect())
  const [x1, y1] = to ? mid(to.getBoundingClientRect()) : [x0, y0]
  go(s, [{ transform: 'scale(.2)', opacity: 0 }, { transform: 'scale(1.15)', opacity: 1, offset: 0.25 }, { transform: 'scale(1)', opacity: 1, offset: 0.6 },
    { transform: `translate(${x1 - x0}px,${y1 - y0}px) scale(.25)`, opacity: 0.4 }], { duration: 1300, delay: wait, easing: 'ease-in-out' })
    .finished.then(() => s.remove(), () => s.remove())
  if (to) go(to, [{ transform: 'scale(2.4)', opacity: 0 }, { transform: 'none', opacity: 1 }], { duration: 350, delay: wait + 1150, easing: 'ease-out', fill: 'backwards' })
}

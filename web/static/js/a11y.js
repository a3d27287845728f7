// Keyboard, screen readers, themes: the hand and the trump picker are
// roving groups (arrows move, Enter or Space plays); the focus stays in the
// game across plays; a live region says what happens; cards have names;
// the theme follows the system until chosen (hokm.theme).

import { h } from './dom.js'
import { rankLabel, teamOf } from './game.js'
import { fmt, t } from './i18n.js'

/** "Ace of spades", "آس پیک". */
export const cardLabel = (c) => t('fx.card', { rank: 'AKQJ'.includes(c[0]) ? t('fx.rank.' + c[0]) : fmt(+rankLabel(c)), suit: t('suit.' + c[1]).toLowerCase() })

const region = h('div', { id: 'announce', class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' })
document.body.append(region)
let said = []
let myTurn = false

/** What a screen reader hears of an event, said after the next patch (who(seat): a name). */
export function announceEvent (st, ev, who) {
  const v = st.view
  if (!v) return
  const us = (team) => team === teamOf(Math.max(st.me, 0))
  const e = ev.type
  if (e === 'card_played' && ev.seat !== st.me) said.push(t('fx.played', { name: who(ev.seat), card: cardLabel(ev.card) }))
  if (e === 'trump_chosen') said.push(t('fx.trump_is', { suit: t('suit.' + ev.suit) }))
  if (e === 'trick_won') said.push(t('fx.took', { name: who(ev.winner) }))
  if (e === 'hand_ended') said.push(t(us(ev.result.winner) ? 'hand_won_us' : 'hand_won_them', { points: ev.result.points }))
  if (e === 'match_ended') said.push(t(us(ev.winner) ? 'match_won' : 'match_lost'))
  const mine = st.me >= 0 && st.info.status === 'playing' && v.turn === st.me && v.phase !== 'over'
  if (mine && !myTurn) said.push(t(v.phase === 'trump' ? 'fx.you_hakem' : 'your_turn'))
  myTurn = mine
}

// the last focus was in the game (a card, the hand, the picker); a card
// played or disabled drops it, the player moving it elsewhere does not count
let inGame = false
document.addEventListener('focusin', (e) => { inGame = !!e.target.closest('#hand, #trump-picker') })
document.addEventListener('focusout', (e) => {
  const el = e.target // (an element being removed may get focusout while still in the page)
  if (!e.relatedTarget) queueMicrotask(() => { if (el.isConnected && !el.disabled && document.activeElement !== el) inGame = false })
})

let focusNext = null // the id focusAfterDraw asked for
/** Focuses the element of id once the next patch has drawn it (a dialog's first button): a timer could run before the frame draws it. */
export function focusAfterDraw (id) { focusNext = id }

/** After each patch: says what was collected; the focus asked for, or a focus dropped from the game goes back to what is to do (or the hand). */
export function a11yAfter () {
  if (said.length) { region.textContent = said.join(' '); said = [] }
  const next = focusNext && document.getElementById(focusNext)
  focusNext = null
  if (next) return next.focus()
  const a = document.activeElement
  const hand = document.getElementById('hand')
  if ((inGame && (!a || a === document.body)) || (a && a === hand)) {
    const to = document.querySelector('#trump-picker .suit-btn:not([disabled]), #hand .card[tabindex="0"]:not([disabled])') ||
      document.querySelector('#match-result button') || hand
    if (to && to !== a) to.focus({ preventScroll: true })
  }
}

/** Arrows, Home and End move the focus among a group's enabled buttons. */
export function rove (e, set) {
  const rtl = getComputedStyle(e.currentTarget).direction === 'rtl' // (the hand is always left to right)
  const step = { ArrowLeft: rtl ? 1 : -1, ArrowUp: -1, ArrowRight: rtl ? -1 : 1, ArrowDown: 1, Home: -99, End: 99 }[e.key]
  const all = [...e.currentTarget.querySelectorAll('button:not([disabled])')]
  if (step == null || !all.length) return
  e.preventDefault()
  const i = all.indexOf(document.activeElement)
  const to = all[i < 0 ? 0 : Math.max(0, Math.min(all.length - 1, i + step))]
  to.focus()
  if (set) set(to)
}

const dark = matchMedia('(prefers-color-scheme: dark)')
const chosen = () => { try { return localStorage.getItem('hokm.theme') } catch { } }

/** <html data-theme>: the chosen theme, else the system's. */
export function applyTheme () {
  const theme = chosen() || (dark.matches ? 'dark' : 'light')
  document.documentElement.dataset.theme = theme
  document.querySelector('meta[name="color-scheme"]')?.setAttribute('content', theme)
}
dark.addEventListener('change', applyTheme)

/** The header's theme switch, remembered. */
export function themeButton (render) {
  const on = document.documentElement.dataset.theme === 'dark'
  return h('button', {
    class: 'link icon',
    id: 'theme',
    'aria-pressed': String(on),
    'aria-label': t('fx.dark'),
    title: t('fx.dark'),
    onclick: () => { try { localStorage.setItem('hokm.theme', on ? 'light' : 'dark') } catch { } applyTheme(); render() }
  }, on ? '☀' : '☾')
}

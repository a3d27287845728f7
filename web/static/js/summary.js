// The end of a hand (a panel with its result until closed, or until the
// player must choose trump) and the last trick, shown on request.

import { face } from './cards.js'
import { h } from './dom.js'
import { teamOf } from './game.js'
import { fmt, t } from './i18n.js'

/** A card's face, as main.js draws it. */

/** Keeps a hand's result for its panel (S.summary); the player's trump choice closes it. */
export function summaryEvent (S, st, ev) {
  if (ev.type === 'hand_ended') S.summary = { table: st.id, hand: ev.hand, result: ev.result, score: ev.score }
  else if ((ev.type === 'hand_started' && ev.hakem === st.me) || /^match_/.test(ev.type)) S.summary = null
}

/** Escape closes the hand's panel, then the last trick. */
export const closeOnEscape = (S, render) => document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || !(S.summary || S.review)) return
  if (S.summary) S.summary = null
  else S.review = false
  render()
})

/** The hand just played: tricks, Kot, points, score, the next Hakem (who(seat): a name). */
export function handSummary (S, st, who, render) {
  const s = S.summary
  const v = st.view
  if (!s || s.table !== st.id || !v || v.phase === 'over' || (v.phase === 'trump' && v.hakem === st.me)) return null
  const my = teamOf(Math.max(st.me, 0))
  const r = s.result
  const next = v.hand > s.hand ? v.hakem : -1
  const row = (label, a, tag = 'td') => h('tr', {}, h('th', {}, label), h(tag, { class: 'us' }, a[my]), h(tag, { class: 'them' }, a[1 - my]))
  return h('section', {
    class: 'summary ' + (r.winner === my ? 'won' : 'lost'),
    id: 'hand-summary',
    key: 'summary' + s.hand,
    role: 'dialog',
    'aria-labelledby': 'sum-title',
    dataset: { hand: s.hand, winner: r.winner, tricks: r.tricks.join(','), points: r.points, kind: r.kind, score: s.score.join(','), next }
  },
  h('h2', { id: 'sum-title' }, t('fx.hand_n', { n: s.hand + 1 }), ' · ', t(r.winner === my ? 'fx.we_won' : 'fx.they_won')),
  r.kind !== 'normal' ? h('p', { class: 'kot' }, t(r.kind)) : null,
  h('table', {}, row('', [t('us'), t('them')], 'th'), row(t('tricks'), r.tricks.map(fmt)),
    row(t('fx.points'), [0, 1].map(team => team === r.winner ? '+' + fmt(r.points) : '–')), row(t('score'), s.score.map(fmt))),
  next >= 0 ? h('p', {}, t('fx.next_hakem'), ': ', h('bdi', {}, who(next))) : null,
  h('button', { class: 'primary', id: 'summary-close', onclick: () => { S.summary = null; render() } }, t('fx.continue')))
}

/** For the trump picker and the match's end: how the hand before went. */
export function lastHandLine (st) {
  const r = st.view.results?.at(-1)
  return r && h('p', { class: 'last-hand' }, t(r.winner === teamOf(Math.max(st.me, 0)) ? 'hand_won_us' : 'hand_won_them', { points: r.points }), r.kind !== 'normal' ? ' ' + t(r.kind) : '')
}

/** The last trick: a toggle on the table and, when on, its four cards and who took them. */
export function lastTrick (S, st, who, render) {
  const tr = st.view && st.prevTrick
  const open = !!(S.review && tr)
  const toggle = () => { S.review = !open; render() }
  const pos = (seat) => ['bottom', 'right', 'top', 'left'][(seat - Math.max(st.me, 0) + 4) % 4]
  return [h('button', { class: 'small review-btn', id: 'last-trick-btn', 'aria-expanded': String(open), 'aria-controls': 'last-trick', disabled: !tr, onclick: toggle }, '⟲ ', t('last_trick')),
    open && h('section', { class: 'review', id: 'last-trick', role: 'dialog', 'aria-labelledby': 'rv-title', dataset: { winner: tr.winner, leader: tr.leader } },
      h('h2', { id: 'rv-title' }, t('fx.took', { name: who(tr.winner) })),
      h('div', { class: 'mini-trick' }, tr.plays.map(p => h('div', { class: `rv pos-${pos(p.seat)}${p.seat === tr.winner ? ' won' : ''}`, key: p.card, dataset: { seat: p.seat } },
        face(p.card), h('small', { dir: 'auto' }, who(p.seat))))),
      h('button', { class: 'small', id: 'last-trick-close', 'aria-label': t('dismiss'), onclick: toggle }, '✕'))]
}

// My finished matches (GET /api/me/matches) and a replay of one, trick by
// trick (GET /api/matches/{id}/replay).

import { api } from './api.js'
import { h, name } from './dom.js'
import { isRed, rankLabel, sortHand, SUIT_SYMBOL, teamOf } from './game.js'
import { fmt, t } from './i18n.js'

const face = (card, cls = '') => h('span', { class: 'face' + (isRed(card) ? ' red' : '') + cls, dataset: { card } },
  h('span', { class: 'rank' }, rankLabel(card)), h('span', { class: 'suit' }, SUIT_SYMBOL[card[1]]))

const who = (s) => s.bot ? t('bot') : s.name

/** The list of my matches; open(id) shows one. */
export async function historyView (token, open) {
  let page
  try {
    page = await api('GET', '/api/me/matches?limit=20', { token })
  } catch (err) {
    return h('p', { class: 'card-panel' }, t('error'), ': ', err.message)
  }
  if (!page.matches.length) return h('p', { class: 'card-panel', id: 'history' }, t('no_matches'))
  return h('section', { class: 'card-panel', id: 'history' }, h('h2', {}, t('my_matches')),
    h('ul', { class: 'matches' }, page.matches.map(m => h('li', { class: m.won ? 'won' : 'lost' },
      h('span', { class: 'when' }, new Date(m.ended_at).toLocaleString()),
      h('b', {}, t(m.won ? 'won' : 'lost'), ' ', fmt(m.own_score), '–', fmt(m.other_score)),
      h('span', {}, '+ ', name(who(m.partner)), ' · ', m.opponents.map((o, i) => [i ? ', ' : '', name(who(o))])),
      h('button', { class: 'small', dataset: { match: m.id }, onclick: () => open(m.id) }, t('replay'))))))
}

/** A replay: one trick at a time, every hand's cards shown (the match is over). */
export async function replayView (token, id) {
  let r
  try {
    r = await api('GET', `/api/matches/${encodeURIComponent(id)}/replay`, { token })
  } catch (err) {
    return h('p', { class: 'card-panel' }, t('error'), ': ', err.message)
  }
  const steps = []
  r.hands.forEach((hand, hi) => hand.tricks.forEach((trick, ti) => steps.push({ hi, ti })))
  const me = r.your_seat >= 0 ? r.your_seat : 0
  const box = h('section', { class: 'card-panel replay', id: 'replay' })
  let i = 0
  const draw = () => {
    const { hi, ti } = steps[i]
    const hand = r.hands[hi]
    const played = new Set(hand.tricks.slice(0, ti).flatMap(tr => tr.plays.map(p => p.card)))
    const trick = hand.tricks[ti]
    box.replaceChildren(
      h('h2', {}, t('replay'), ' · ', t('score'), ' ', fmt(hand.score[teamOf(me)]), '–', fmt(hand.score[1 - teamOf(me)])),
      h('p', {}, t('trump'), ': ', hand.trump ? SUIT_SYMBOL[hand.trump] : '—', ' · ', t('hakem'), ': ', name(who(r.seats[hand.hakem])),
        ' · ', fmt(hi + 1), '/', fmt(r.hands.length), ' · ', fmt(ti + 1), '/', fmt(hand.tricks.length)),
      h('div', { class: 'replay-seats' }, [0, 1, 2, 3].map(s => h('div', { class: 'replay-seat' + (trick.winner === s ? ' winner' : '') },
        h('div', {}, name(who(r.seats[s])), trick.plays.find(p => p.seat === s) ? [' ', face(trick.plays.find(p => p.seat === s).card, ' small')] : null),
        h('div', { class: 'mini-hand' }, sortHand(hand.dealt[s].filter(c => !played.has(c)), hand.trump).map(c => h('span', { class: isRed(c) ? 'red' : '' }, rankLabel(c), SUIT_SYMBOL[c[1]])))))),
      h('div', { class: 'controls' },
        h('button', { id: 'replay-prev', disabled: i === 0, onclick: () => { i--; draw() } }, t('prev')),
        h('button', { id: 'replay-next', class: 'primary', disabled: i === steps.length - 1, onclick: () => { i++; draw() } }, t('next'))))
  }
  if (steps.length) draw()
  return box
}

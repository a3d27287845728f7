// My finished matches (GET /api/me/matches) and a replay of one (GET
// /api/matches/{id}/replay) drawn like the table, card by card, every hand
// as it was, with play/pause and step controls.

import { api } from './api.js'
import { face } from './cards.js'
import { h, name, patch } from './dom.js'
import { isRed, rankLabel, sortHand, SUIT_SYMBOL, teamOf } from './game.js'
import { fmt, t } from './i18n.js'
import { playerLink } from './leaders.js'
import { dateText, tx } from './pages.js'


/** A seat of a stored match: a person (a link to their page, given ctx) or a named bot. */
function who (s, ctx) {
  if (!s.bot) return s.player && ctx ? playerLink(s.player, s.name, ctx) : name(s.name)
  return s.name && s.name !== 'bot' ? [name(s.name), h('small', {}, ' (', t('bot'), ')')] : t('bot')
}

export async function historyView (page, ctx) {
  const list = h('ul', { class: 'matches' })
  const box = h('section', { class: 'card-panel', id: 'history' }, h('h2', {}, t('my_matches')), list)
  const more = async (before) => {
    const d = await api('GET', '/api/me/matches?limit=20' + (before ? '&before=' + encodeURIComponent(before) : ''), { token: ctx.token })
    list.append(...d.matches.map(m => h('li', { class: m.result },
      h('span', { class: 'when' }, dateText(m.ended_at, true)),
      h('b', {}, t(m.result === 'none' ? 'no_result' : m.result), ' ', fmt(m.own_score), '–', fmt(m.other_score)),
      h('span', {}, t('with'), ' ', who(m.partner, ctx), ' · ', t('against'), ' ', m.opponents.map((o, i) => [i ? ', ' : '', who(o, ctx)])),
      h('button', { class: 'small', dataset: { match: m.id }, onclick: () => ctx.open({ replay: m.id }) }, t('replay')))))
    box.querySelector('#history-more')?.remove()
    if (d.next) box.append(h('button', { id: 'history-more', onclick: () => more(d.next) }, t('more')))
    if (!list.children.length) list.replaceWith(h('p', {}, t('no_matches')))
  }
  await more()
  return box
}

/** Where a seat is drawn: the player's own at the bottom, as at the table. */
const position = (seat, me) => ['bottom', 'right', 'top', 'left'][(seat - me + 4) % 4]

export async function replayView (page, ctx) {
  const r = await api('GET', `/api/matches/${encodeURIComponent(page.replay)}/replay`, { token: ctx.token })
  // the steps: each hand's start (trump chosen), every card, its result; k: cards of trick ti shown
  const steps = []
  r.hands.forEach((hd, hi) => {
    steps.push({ hi, ti: 0, k: 0 })
    hd.tricks.forEach((tr, ti) => tr.plays.forEach((p, k) => steps.push({ hi, ti, k: k + 1 })))
    steps.push({ hi, ti: hd.tricks.length - 1, k: 4, end: true })
  })
  if (!r.hands.length) return h('p', { class: 'card-panel', id: 'replay' }, t('no_matches'))
  const me = Math.max(r.your_seat, 0)
  const us = teamOf(me)
  const box = h('section', { class: 'replay', id: 'replay' })
  const last = steps.length - 1
  let i = Math.min(page.step || 0, last)
  let timer = null // set while playing; go() stops at the end
  const stop = () => { clearTimeout(timer); timer = null }
  const go = (n) => {
    i = page.step = Math.max(0, Math.min(last, n)) // page.step: kept when built again in another language
    if (i === last) stop()
    draw()
  }
  const tick = () => {
    if (!box.isConnected) return stop()
    go(i + 1)
    if (timer) timer = setTimeout(tick, steps[i].end ? 2600 : steps[i].k === 4 ? 1500 : 800)
  }
  const toggle = () => {
    if (timer) { stop(); return draw() }
    if (i === last) i = -1
    timer = -1
    tick()
  }
  const seat = (s) => who(r.seats[s])
  const draw = () => {
    const { hi, ti, k, end } = steps[i]
    const hd = r.hands[hi]
    const trick = hd.tricks[ti]
    const plays = trick.plays.slice(0, k)
    const gone = new Set([...hd.tricks.slice(0, ti).flatMap(tr => tr.plays), ...plays].map(p => p.card))
    const won = [0, 0]
    hd.tricks.slice(0, k === 4 ? ti + 1 : ti).forEach(tr => won[teamOf(tr.winner)]++)
    const score = end ? hd.score : hi ? r.hands[hi - 1].score : [0, 0]
    const over = end && hi === r.hands.length - 1
    const turn = k < 4 ? (trick.leader + k) % 4 : -1
    const winner = k === 4 ? trick.winner : -1
    const hand = (s) => sortHand(hd.dealt[s].filter(c => !gone.has(c)), hd.trump)
    const stat = (label, id, ...value) => h('div', { class: 'stat' }, h('span', { class: 'label' }, label), h('span', { class: 'value', id }, value))
    const suit = h('span', { class: isRed('x' + hd.trump) ? 'red' : '', title: t('suit.' + hd.trump) }, SUIT_SYMBOL[hd.trump])
    const res = hd.result
    const p = plays[k - 1]
    const say = end
      ? [t(res.winner === us ? 'hand_won_us' : 'hand_won_them', { points: res.points }), res.kind !== 'normal' ? ' ' + t(res.kind) : '']
      : !k
          ? tx('replay_trump', { name: seat(hd.hakem), suit })
          : [tx('replay_played', { name: seat(p.seat), card: h('bdi', { dir: 'ltr', class: 'cardname' + (isRed(p.card) ? ' red' : '') }, rankLabel(p.card), SUIT_SYMBOL[p.card[1]]) }),
              k === 4 ? [' — ', tx('replay_took', { name: seat(winner) })] : null]
    const btn = (id, label, to, off, aria) => h('button', { id, disabled: off, 'aria-label': aria, title: aria, onclick: () => go(to) }, label)
    patch(box,
      h('div', { class: 'row replay-head' }, ctx.back ? h('button', { class: 'link', id: 'page-back', onclick: ctx.back }, t('history')) : null,
        h('b', { id: 'replay-label' }, t('replay_label', { hand: hi + 1, trick: ti + 1 }))),
      h('div', { class: 'scorebar' },
        stat(t('score'), 'replay-score', h('b', { class: 'us' }, fmt(score[us])), ' – ', h('b', { class: 'them' }, fmt(score[1 - us])), h('small', {}, ' / ', fmt(r.rules.target || 7))),
        stat(t('tricks'), 'replay-tricks', fmt(won[us]), ' – ', fmt(won[1 - us])),
        stat(t('trump'), 'replay-trump', suit)),
      h('div', { class: 'felt' },
        [0, 1, 2, 3].map(s => {
          const pos = position(s, me)
          return h('div', { class: `seat replay-seat pos-${pos}${s === turn ? ' turn' : ''}${teamOf(s) === us ? ' ally' : ''}${s === winner ? ' winner' : ''}`, dataset: { seat: s } },
            h('div', { class: 'plate' }, seat(s), s === me ? h('small', {}, ' (', t('you'), ')') : null, s === hd.hakem ? h('span', { class: 'badge' }, t('hakem')) : null),
            pos === 'bottom' ? null : h('div', { class: 'mini' + (pos === 'top' ? '' : ' v') }, hand(s).map(face)))
        }),
        h('div', { class: 'trick' + (k === 4 ? ' done' : ''), id: 'replay-trick' },
          plays.map(p => h('div', { class: `played pos-${position(p.seat, me)}${p.seat === winner ? ' winner' : ''}`, key: p.card }, face(p.card)))),
        end
          ? h('div', { class: 'result ' + ((over ? r.winner : res.winner) === us ? 'won' : 'lost'), id: 'replay-result' },
            h('h2', {}, over ? t(r.winner === us ? 'match_won' : 'match_lost') : say),
            h('p', { id: 'replay-final' }, t(over ? 'final_score' : 'score_now', { us: score[us], them: score[1 - us] })))
          : null),
      h('div', { class: 'status-line', role: 'status' }, say),
      h('div', { class: 'hand replay-hand' }, hand(me).map(face)),
      h('div', { class: 'controls' },
        btn('replay-first', '«', 0, i === 0, t('replay_first')),
        btn('replay-prev', t('prev'), i - 1, i === 0),
        h('button', { id: 'replay-play', class: 'primary', dataset: { playing: !!timer }, onclick: toggle }, t(timer ? 'pause' : 'play')),
        btn('replay-next', t('next'), i + 1, i === last),
        btn('replay-last', '»', last, i === last, t('replay_last')),
        h('input', { type: 'range', id: 'replay-pos', min: 0, max: last, value: i, 'aria-label': t('replay_pos'), oninput: (e) => go(+e.currentTarget.value) })))
    box.querySelector('#replay-pos').value = i
    Object.assign(box.dataset, { step: i, steps: steps.length, hand: hi + 1, trick: ti + 1, cards: k, end: !!end })
  }
  draw()
  return box
}

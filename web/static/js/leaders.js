// The leaderboards (GET /api/leaderboards/{period}), a player's public page
// (GET /api/players/{id}, …/stats, …/page) and the statistics block.

import { api } from './api.js'
import { h, name, patch } from './dom.js'
import { fmt, t } from './i18n.js'
import { dateText, pct } from './pages.js'

const STATS = ['matches_played', 'matches_won', 'matches_abandoned', 'win_rate', 'hands_played', 'hands_won',
  'tricks_taken', 'kots_given', 'kots_taken', 'hakem_kots_given', 'hakem_kots_taken', 'seconds_played']

const none = (err) => { if (err.status === 404) return null; throw err }

/** A player's rating: their entry of the all-time board (the stats have none), or null. */
export async function ratingOf (id) {
  const board = await api('GET', '/api/leaderboards/alltime').catch(() => null)
  const e = board && board.entries.find(e => e.player_id === id)
  return e ? e.rating : null
}

/** The statistics (null: none yet) and the rating; each item has data-stat and data-value (the API's). */
export function statsBlock (st, rating) {
  if (!st) return h('p', { class: 'muted', id: 'stats' }, t('no_matches'))
  const item = (k, v, raw) => h('div', { dataset: { stat: k, value: raw } }, h('dt', {}, t('st.' + k)), h('dd', {}, v))
  const m = Math.round(st.seconds_played / 60)
  return h('dl', { class: 'stats', id: 'stats' },
    item('rating', rating == null ? '—' : fmt(Math.round(rating)), rating ?? ''),
    STATS.map(k => item(k, k === 'win_rate' ? pct(st[k]) : k === 'seconds_played' ? t(st[k] < 60 ? 'seconds' : m < 60 ? 'minutes' : 'hours_minutes', { n: st[k], h: Math.floor(m / 60), m: m % 60 }) : fmt(st[k]), st[k])))
}

/** A player's name that opens their page. */
export const playerLink = (id, text, ctx) => h('button', { class: 'link who', dataset: { player: id }, onclick: () => ctx.open({ player: id }) }, name(text))

let period = 'daily'

export async function leadersView (page, ctx) {
  const box = h('section', { class: 'card-panel', id: 'leaders' })
  const load = async (p) => {
    period = p
    const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': t('leaderboards') }, ['daily', 'weekly', 'alltime'].map(p =>
      h('button', { class: 'tab', dataset: { period: p }, 'aria-pressed': String(p === period), onclick: () => load(p) }, t('period.' + p))))
    patch(box, h('h2', {}, t('leaderboards')), tabs, h('p', { class: 'muted' }, '…'))
    const d = await api('GET', '/api/leaderboards/' + p).catch(err => ({ error: err.message }))
    if (p !== period) return
    patch(box, h('h2', {}, t('leaderboards')), tabs,
      d.error ? h('p', { role: 'alert' }, d.error) : d.entries.length ? board(d, ctx) : h('p', { class: 'muted', id: 'leaderboard' }, t('lb_empty')),
      d.start ? h('p', { class: 'muted small', id: 'lb-period' }, dateText(d.start, false, d.time_zone), p === 'weekly' ? [' – ', dateText(Date.parse(d.end) - 1, false, d.time_zone)] : null, ' · ', d.time_zone) : null)
  }
  await load(period)
  return box
}

function board (d, ctx) {
  const th = (k) => h('th', { scope: 'col' }, t(k))
  return h('table', { class: 'board', id: 'leaderboard', dataset: { period: d.period, bucket: d.bucket } },
    h('thead', {}, h('tr', {}, th('lb_rank'), th('lb_player'), th('st.matches_won'), th('st.matches_played'), th('st.win_rate'), th('st.rating'))),
    h('tbody', {}, d.entries.map(e => h('tr', { class: e.player_id === ctx.user ? 'me' : null, dataset: { player: e.player_id } },
      h('td', {}, fmt(e.rank)), h('td', {}, playerLink(e.player_id, e.name, ctx)), h('td', {}, fmt(e.wins)),
      h('td', {}, fmt(e.played)), h('td', {}, pct(e.win_rate)), h('td', {}, fmt(Math.round(e.rating)))))))
}

export async function playerView (page, ctx) {
  const id = encodeURIComponent(page.player)
  const [profile, st, live, rating] = await Promise.all([api('GET', '/api/players/' + id).catch(none),
    api('GET', `/api/players/${id}/stats`).catch(none), api('GET', `/api/players/${id}/page`).catch(none), ratingOf(page.player)])
  const table = live && live.live
  return h('section', { class: 'card-panel player', id: 'player', dataset: { player: page.player } },
    ctx.back ? h('button', { class: 'link', id: 'page-back', onclick: ctx.back }, t('back')) : null,
    profile
      ? [h('h2', {}, name(profile.name), ' ', h('span', { class: 'badge kind' }, t('kind.' + profile.kind))),
          profile.created_at ? h('p', { class: 'muted' }, t('member_since', { date: dateText(profile.created_at) })) : null,
          statsBlock(st, rating)]
      : h('p', {}, t('err.not_found')),
    table
      ? h('div', { id: 'player-live' }, h('h3', {}, t('playing_now')),
        h('p', {}, table.seats.map((p, i) => [i ? ' · ' : '', p ? (p.bot ? t('bot') : name(p.name)) : '—'])),
        h('button', { class: 'primary', id: 'player-watch', onclick: () => ctx.watch(table.id) }, t('watch')))
      : null,
    live && live.matches.length
      ? [h('h3', {}, t('recent_matches')), h('ul', { class: 'matches', id: 'player-matches' }, live.matches.map(m =>
          h('li', { class: m.won ? 'won' : 'lost', dataset: { match: m.id } }, h('span', { class: 'when' }, dateText(m.ended_at, true)),
            h('b', {}, t(m.won ? 'won' : 'lost'), ' ', fmt(m.score[m.seat % 2]), '–', fmt(m.score[1 - m.seat % 2])))))]
      : null)
}

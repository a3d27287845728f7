// Tournaments of teams of two (docs/client.md, "Tournaments"): the list and
// a tournament's page — registering (a team, alone, or with a partner's
// code), check-in, withdrawal, the player's table, the rounds with Watch,
// the standings. Each page patches its own element every 5 s, at once on a
// "tournament" notice (main.js: hokm:tournament) and after an action.

import { api } from './api.js'
import { h, name, patch } from './dom.js'
import { errorText, fmt, t } from './i18n.js'
import { dateText } from './pages.js'

/**
 * Runs load every 5 s and on each tournament notice, until box has left the
 * page. Loads may overlap (load draws only the latest answer): one that
 * hangs stops nothing.
 */
function live (box, load) {
  const tick = () => {
    // (the first tick may come before draw() puts box in the page)
    if (box.isConnected || !box.shown) {
      box.shown = true
      return load().catch(() => {})
    }
    clearInterval(timer)
    document.removeEventListener('hokm:tournament', tick)
  }
  const timer = setInterval(tick, 5000)
  document.addEventListener('hokm:tournament', tick)
}

/** The first load; one that fails says why and the page keeps asking (but for no such tournament). */
async function firstLoad (box, load, head) {
  try {
    await load()
  } catch (err) {
    const gone = err.status === 404
    patch(box, head(), h('p', { role: 'alert', id: 'tn-problem' }, problem(err), gone ? null : [' ', t('tn.retrying')]))
    if (gone) return
  }
  live(box, load)
}

/** An API error as text: the tournament's wording of its code first (tn.err.*). */
function problem (err) {
  const k = 'tn.err.' + err.code
  return t(k) !== k ? t(k) : errorText(err.code, err.message)
}

const chip = (text, cls = '') => h('span', { class: 'chip ' + cls }, text)
const about = (T) => [h('span', { class: 'chip tn-' + T.status }, t('tn.st.' + T.status)), chip(t('tn.f.' + T.format)),
  chip(t('to_points', { n: T.target })), T.format === 'swiss' ? chip(t(T.rounds === 1 ? 'tn.one_round' : 'tn.rounds', { n: T.rounds })) : null,
  chip(t('tn.teams_of', { n: T.teams, max: T.max_teams })), T.bots_fill ? chip(t('tn.bots')) : null]
const when = (k, at) => at ? [t(k), ' ', h('b', {}, dateText(at, true))] : null

export async function tournamentsView (page, ctx) {
  const box = h('section', { class: 'card-panel', id: 'tournaments' })
  let n = 0
  const load = async () => {
    const k = ++n
    const d = await api('GET', '/api/tournaments')
    if (k === n) patch(box, h('h2', {}, t('tournaments')), d.tournaments.length
      ? h('ul', { class: 'matches', id: 'tn-list' }, d.tournaments.map(T => h('li', { key: T.id, dataset: { id: T.id, status: T.status } },
          h('button', { class: 'link who', dataset: { tournament: T.id }, onclick: () => ctx.open({ tournament: T.id }) }, name(T.name)),
          about(T), h('span', { class: 'when' }, when('tn.starts', T.starts_at)))))
      : h('p', { class: 'muted', id: 'tn-list' }, t('tn.none')))
  }
  await firstLoad(box, load, () => [h('h2', {}, t('tournaments'))])
  return box
}

export async function tournamentView (page, ctx) {
  const path = '/api/tournaments/' + encodeURIComponent(page.tournament)
  const box = h('section', { class: 'card-panel tournament', id: 'tournament', dataset: { id: page.tournament } })
  const back = () => h('button', { class: 'link', id: 'page-back', onclick: () => ctx.back ? ctx.back() : ctx.open('tournaments') }, t('tournaments'))
  let d, msg, busy // the tournament; {text, bad}: what came of the last action; an action on its way
  let n = 0
  const load = async () => {
    const k = ++n
    const got = await api('GET', path, { token: ctx.token })
    if (k === n) { d = got; draw() }
  }
  const act = async (e, what, body = {}) => {
    e.preventDefault()
    busy = true
    msg = null
    draw()
    try {
      await api('POST', `${path}/${what}`, { token: ctx.token, body })
      msg = { text: t('tn.done.' + what) }
    } catch (err) {
      msg = { text: problem(err), bad: true }
    }
    busy = false
    await load().catch(draw)
    // the form used may be gone: the focus goes to what there is to do now
    if (!box.contains(document.activeElement)) box.querySelector('#tn-me :is(input, button:not([disabled]))')?.focus()
  }
  const copy = async () => {
    const field = box.querySelector('#tn-partner-code')
    try {
      await navigator.clipboard.writeText(field.value)
      msg = { text: t('copied') }
    } catch {
      field.focus()
      field.select() // no clipboard here: selected for the player to copy
      msg = { text: t('tn.copy_by_hand') }
    }
    draw()
  }

  const draw = () => {
    const T = d.tournament
    const me = d.me || {}
    Object.assign(box.dataset, { status: T.status, final: d.final })
    patch(box, back(),
      h('h2', {}, name(T.name)),
      h('p', { class: 'tn-about' }, about(T)),
      h('p', { class: 'muted' }, when('tn.checkin_at', T.checkin_at), ' · ', when('tn.starts', T.starts_at), T.finished_at ? [' · ', when('tn.finished', T.finished_at)] : null),
      mine(T, me),
      h('p', { class: 'form-msg' + (msg && msg.bad ? ' bad' : ''), id: 'tn-msg', role: 'status' }, msg ? msg.text : null),
      d.standings.length ? [h('h3', { id: d.final ? 'tn-final' : 'tn-now' }, t(d.final ? 'tn.final' : 'tn.standings')), standings(me)] : null,
      rounds(T, me))
  }

  /** The player's part: registering; else their team (its code while a partner is awaited), check-in, their table, withdrawal. */
  const mine = (T, me) => {
    const open = T.status === 'registration'
    if (!me.registered) {
      if (!open) return T.status === 'checkin' ? h('p', { class: 'muted', id: 'tn-me' }, t('tn.closed')) : null
      const form = (id, what, field, label, attrs, button) => h('form', { class: 'row', key: id, onsubmit: (e) => act(e, what, field(e.currentTarget.querySelector('#' + id).value.trim())) },
        h('label', {}, label, h('input', { id, autocomplete: 'off', ...attrs })), button)
      return h('div', { class: 'tn-me', id: 'tn-me', key: 'enter' },
        h('h3', {}, t('tn.enter')),
        form('tn-team', 'register', v => ({ team_name: v }), t('tn.team_name'), { maxlength: 40, dir: 'auto' },
          h('button', { class: 'primary', id: 'tn-register', disabled: busy }, t('tn.register'))),
        h('p', { class: 'muted' }, t('tn.register_help')),
        form('tn-code', 'join', v => ({ code: v.toUpperCase() }), t('tn.code'), { maxlength: 16, dir: 'ltr', class: 'code', required: true },
          h('button', { id: 'tn-join', disabled: busy }, t('tn.join'))),
        h('p', {}, h('button', { id: 'tn-alone', disabled: busy, onclick: (e) => act(e, 'register', { alone: true }) }, t('tn.alone')), ' ',
          h('small', { class: 'muted' }, t('tn.alone_help'))))
    }
    const team = d.teams.find(x => x.id === me.team) || { players: [] }
    return h('div', { class: 'tn-me', id: 'tn-me', key: 'mine', dataset: { team: me.team, checkedIn: !!me.checked_in } },
      h('h3', {}, t('tn.your_team'), ' ', name(team.name), ' ', h('small', {}, '(', team.players.map((p, i) => [i ? t('list_sep') : '', name(p.name)]), ')')),
      me.code && open // (joining closes with registration)
        ? [h('p', {}, t('tn.code_help')), h('div', { class: 'row' },
            h('input', { id: 'tn-partner-code', key: me.code, class: 'code', readonly: true, value: me.code, dir: 'ltr', 'aria-label': t('tn.your_code'), onfocus: (e) => e.currentTarget.select() }),
            h('button', { id: 'tn-copy', onclick: copy }, t('copy')))]
        : null,
      open ? h('p', { class: 'muted' }, t('tn.checkin_help', { at: dateText(T.checkin_at, true) })) : null,
      T.status !== 'checkin' ? null
        : me.checked_in ? h('p', { id: 'tn-checked' }, '✓ ', t('tn.checked_in'))
          : h('p', {}, h('button', { class: 'primary', id: 'tn-checkin', disabled: busy, onclick: (e) => act(e, 'checkin') }, t('tn.checkin')), ' ',
            h('small', { class: 'muted' }, t('tn.checkin_until', { at: dateText(T.starts_at, true) }))),
      me.table ? h('button', { class: 'primary', id: 'tn-play', onclick: () => ctx.play(me.table) }, t('tn.go_table', { n: me.round })) : null,
      open || T.status === 'checkin' ? h('p', {}, h('button', { class: 'danger small', id: 'tn-withdraw', disabled: busy, onclick: (e) => act(e, 'withdraw') }, t('tn.withdraw'))) : null)
  }

  const standings = (me) => {
    const th = (k) => h('th', { scope: 'col' }, t(k))
    return h('table', { class: 'board', id: 'tn-standings' },
      h('thead', {}, h('tr', {}, th('lb_rank'), th('tn.team'), th('tn.wins'), th('tn.buchholz'), th('tn.points'), th('tn.played'))),
      h('tbody', {}, d.standings.map(s => h('tr', { key: s.team, class: s.team === me.team ? 'me' : null, dataset: { team: s.team, rank: s.rank, wins: s.wins } },
        [s.rank, s.name, s.wins, s.buchholz, s.points, s.played].map((v, i) => h('td', {}, i === 1 ? name(v) : fmt(v)))))))
  }

  /** The games by round (an elimination's as a bracket: a column a round); Watch on those being played. */
  const rounds = (T, me) => {
    const by = new Map()
    for (const g of d.games) by.set(g.round, [...(by.get(g.round) || []), g])
    const elim = T.format === 'elimination'
    const title = (r) => t(!elim || r < T.rounds - 1 ? 'tn.round' : r === T.rounds ? 'tn.final_round' : 'tn.semi', { n: r })
    const names = Object.fromEntries(d.teams.map(x => [x.id, x.name]))
    const side = (g, team) => h('span', { class: team === g.winner ? 'won' : null }, name(names[team] || '?'))
    const game = (g) => {
      const on = g.b && !g.winner && g.table
      const ours = on && g.table === me.table
      return h('li', { key: g.line, dataset: { table: g.table || '', winner: g.winner || '' } },
        h('span', { class: 'tn-sides' }, side(g, g.a), g.b ? [' – ', side(g, g.b)] : [' ', chip(t('tn.bye'))]),
        g.winner && g.b ? h('b', {}, fmt(g.score_a), '–', fmt(g.score_b)) : null,
        on ? [chip(t('tn.playing'), 'tn-running'), h('button', { class: 'small', dataset: { watch: g.table }, onclick: () => ours ? ctx.play(g.table) : ctx.watch(g.table) }, t(ours ? 'tn.to_table' : 'watch'))] : null)
    }
    return by.size
      ? h('div', { class: 'tn-rounds' + (elim ? ' bracket' : ''), id: 'tn-rounds', key: 'rounds' }, [...by].map(([r, games]) =>
          h('section', { key: 'r' + r, dataset: { round: r } }, h('h3', {}, title(r)), h('ul', { class: 'matches' }, games.map(game)))))
      : null
  }

  await firstLoad(box, load, back)
  return box
}

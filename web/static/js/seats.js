// The people at a table around its matches (docs/client.md, "Host, ready,
// rematch, invites"): the host's start, fill and swap, a guest's ready, the
// marks on the seats, the rematch offer, the invite link, the lobby's table
// entries, the timing of a new table and the question before leaving a
// running match. Views of S like main.js's; bindSeats gives them the app.

import { focusAfterDraw } from './a11y.js'
import { h, name } from './dom.js'
import { fmt, t } from './i18n.js'

let app // {S, cmd(type, fields, busy), render, say, leave}

export function bindSeats (a) {
  app = a
  // the offer's countdown and the quick-match wait run on their own
  setInterval(() => {
    const st = app.S.table
    if (app.S.searching || (st && st.info.status === 'finished' && st.info.deadline)) app.render()
  }, 1000)
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || (app.S.swapFrom == null && !app.S.confirmLeave)) return
    if (app.S.confirmLeave) focusAfterDraw('leave') // back where the question came from
    app.S.swapFrom = null
    app.S.confirmLeave = false
    app.render()
  })
}

const secs = (at) => Math.max(0, Math.ceil((at - Date.now()) / 1000))
const people = (info) => info.seats.filter(p => p && !p.bot)
const names = (ps) => ps.map((p, i) => [i ? t('list_sep') : '', name(p.name)])
const hostOf = (info) => info.seats.find(p => p && !p.bot && p.id === info.host)
const isHost = (st) => st.me >= 0 && st.info.host === app.S.user

/** A seat's holder as text: a bot's own name (Rostam, Sohrab, …) or the person's. */
export const holder = (p) => p ? p.name || t('bot') : '?'

// a text badge, not 🤖: not every device has an emoji font
const botMark = () => h('span', { class: 'badge botmark' }, t('bot_badge'))

/** A seat's holder with its mark: a bot's name and a "bot" badge. */
export function seatLabel (p) {
  return p.bot ? [h('span', { class: 'name' }, holder(p)), botMark()] : name(p.name)
}

/** The host's star and, between matches, each person's ready (or yes). */
export function seatMarks (st, seat) {
  const info = st.info
  const p = info.seats[seat]
  if (!p || p.bot) return null
  const host = p.id === info.host
  const asked = info.status === 'finished' ? !!info.deadline && !info.options?.tournament : info.status === 'waiting' && !host
  return [
    host ? h('span', { class: 'badge host', title: t('host') }, '★ ', t('host')) : null,
    asked ? h('span', { class: 'badge ' + (p.ready ? 'ready' : 'unready') }, p.ready ? '✓ ' : '', t(info.status === 'finished' ? (p.ready ? 'said_yes' : 'no_answer') : (p.ready ? 'is_ready' : 'not_ready'))) : null
  ]
}

/** The host's ⇄ on a seat: press one seat, then the seat it goes to. */
export function swapButton (st, seat) {
  const S = app.S
  if (!isHost(st) || st.info.status !== 'waiting') return null
  const p = st.info.seats[seat]
  const from = S.swapFrom
  const set = (v) => () => { S.swapFrom = v; app.render() }
  if (from == null || !st.info.seats[from]) {
    return p ? h('button', { class: 'small swap', dataset: { swap: seat }, 'aria-label': t('move_who', { name: holder(p) }), onclick: set(seat) }, '⇄ ', t('move')) : null
  }
  if (from === seat) return h('button', { class: 'small swap active', dataset: { swap: seat }, 'aria-pressed': 'true', onclick: set(null) }, t('cancel'))
  return h('button', {
    class: 'small swap target',
    dataset: { swap: seat },
    'aria-label': t('move_to', { name: holder(st.info.seats[from]), n: seat + 1 }),
    onclick: () => { S.swapFrom = null; app.cmd('swap', { seat: from, to: seat }) }
  }, '⇄ ', t('move_here'))
}

/** What a waiting table waits for, said to this user. */
export function waitingStatus (st) {
  const info = st.info
  if (st.me < 0) return app.S.watching ? t('pick_seat') : t('lost_seat_me')
  const host = hostOf(info)
  if (!isHost(st)) {
    return !info.host ? t('no_host') : host ? t('waiting_for_host', { name: host.name }) : t('host_away')
  }
  if (!info.seats.every(Boolean)) return t('waiting_players')
  const unready = people(info).filter(p => p.id !== info.host && !p.ready)
  return unready.length ? [t('not_ready_yet'), ' ', names(unready)] : t('ready_to_start')
}

/** The buttons of a waiting table: the host's fill and start, anyone else's ready. */
export function waitingControls (st) {
  const info = st.info
  const S = app.S
  if (info.status !== 'waiting' || st.me < 0 || info.options?.tournament) return null // (the director seats and starts a tournament's)
  if (!isHost(st)) {
    const ready = !!info.seats[st.me].ready
    return h('button', { class: ready ? '' : 'primary', id: 'ready', 'aria-pressed': String(ready), disabled: !!S.busy, onclick: () => app.cmd('ready', { ready: !ready }) },
      ready ? '✓ ' + t('is_ready') : t('ready_btn'))
  }
  const full = info.seats.every(Boolean)
  const unready = people(info).some(p => p.id !== info.host && !p.ready)
  return [
    full ? null : h('button', { id: 'add-bots', onclick: () => app.cmd('add_bots') }, t('fill_bots')),
    h('button', { class: 'primary', id: 'start', disabled: !full || unready || !!S.busy, onclick: () => app.cmd('start') }, t('start')),
    h('p', { class: 'muted hint', key: 'swap-hint' }, t('swap_hint'))
  ]
}

/** The rematch offer after a match: my yes, who said yes, who is awaited, its countdown. */
export function rematchPanel (st) {
  const info = st.info
  const mine = st.me >= 0 ? info.seats[st.me] : null
  if (info.status !== 'finished' || !info.deadline) return mine ? h('button', { class: 'primary', id: 'rematch', onclick: () => app.cmd('rematch') }, t('rematch')) : null
  const ps = people(info)
  const yes = ps.filter(p => p.ready)
  const awaited = ps.filter(p => !p.ready)
  return h('div', { class: 'offer', id: 'offer' },
    mine ? h('button', { class: 'primary', id: 'rematch', 'aria-pressed': String(!!mine.ready), disabled: !!mine.ready || !!app.S.busy, onclick: () => app.cmd('rematch') }, mine.ready ? '✓ ' + t('you_said_yes') : t('rematch')) : null,
    yes.length ? h('p', { id: 'offer-yes' }, t('said_yes_list'), ' ', names(yes)) : null,
    awaited.length ? h('p', { id: 'offer-waiting' }, t('waiting_yes'), ' ', names(awaited)) : null,
    h('p', { class: 'muted', id: 'offer-clock' }, t('offer_ends', { n: secs(info.deadline) })))
}

/** Who lost their seat when an offer ran out: the persons of before not seated after. */
export function seatsLost (before, after) {
  if (before.status !== 'finished' || after.status !== 'waiting') return []
  const kept = new Set(after.seats.filter(Boolean).map(p => p.id))
  return people(before).filter(p => !kept.has(p.id)).map(p => p.name)
}

/** A private table's link and code, to send to friends. */
export function invitePanel (st) {
  const code = st.info.options && st.info.options.code
  if (!code || st.info.status === 'playing' || st.me < 0) return null
  const link = location.origin + '/?join=' + code
  const copy = async (e) => {
    const field = e.currentTarget.parentNode.querySelector('#invite-link')
    try {
      await navigator.clipboard.writeText(link)
      app.say(t('copied'))
    } catch {
      field.focus()
      field.select() // no clipboard here: the link is selected for the player to copy
      app.say(t('copy_by_hand'))
    }
  }
  return h('div', { class: 'invite-panel card-panel', id: 'invite', key: 'invite:' + code },
    h('h2', {}, t('invite_title')),
    h('div', { class: 'row' },
      h('input', { id: 'invite-link', readonly: true, value: link, dir: 'ltr', 'aria-label': t('invite_link'), onfocus: (e) => e.currentTarget.select() }),
      h('button', { id: 'invite-copy', onclick: copy }, t('copy'))),
    h('p', { class: 'muted' }, t('invite'), ': ', h('code', { dir: 'ltr', id: 'invite-code' }, code)))
}

/** The confirmation before leaving a running match: the seat goes to a bot for good. */
export function leaveButton (st) {
  const S = app.S
  const ask = st.info.status === 'playing' && st.me >= 0 && !S.watching
  return h('button', {
    class: 'link',
    id: 'leave',
    onclick: () => {
      if (!ask) return app.leave()
      S.confirmLeave = true
      focusAfterDraw('leave-cancel')
      app.render()
    }
  }, t('leave'))
}

export function leaveDialog (st) {
  const S = app.S
  if (st.info.status !== 'playing') S.confirmLeave = false // the match ended meanwhile: nothing to ask
  if (!S.confirmLeave) return null
  const close = () => { S.confirmLeave = false; focusAfterDraw('leave'); app.render() }
  return h('div', { class: 'dialog-back', key: 'leave-dialog', onclick: (e) => { if (e.target === e.currentTarget) close() } },
    h('div', { class: 'dialog card-panel', id: 'leave-dialog', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'leave-title', 'aria-describedby': 'leave-text' },
      h('h2', { id: 'leave-title' }, t('leave_q')),
      h('p', { id: 'leave-text' }, t('leave_warn')),
      h('div', { class: 'row' },
        h('button', { class: 'primary', id: 'leave-cancel', onclick: close }, t('stay')),
        h('button', { id: 'leave-confirm', onclick: () => { S.confirmLeave = false; app.leave() } }, t('leave_anyway')))))
}

/** A lobby entry's details: its target, its timing, its seats taken and by whom. */
export function lobbyDetails (tb) {
  const o = tb.options || {}
  const taken = tb.seats.filter(Boolean).length
  return h('span', { class: 'details' },
    h('span', { class: 'chip' }, t('to_points', { n: (tb.rules && tb.rules.target) || 7 })),
    h('span', { class: 'chip' }, o.untimed ? t('untimed') : t('per_turn', { n: o.turn_seconds || 30 })),
    h('span', { class: 'chip seats-taken', dataset: { taken } }, fmt(taken), '/', fmt(4)),
    h('span', { class: 'who' }, tb.seats.map((p, i) => [i ? ' · ' : '', p ? seatLabel(p) : '—'])))
}

/** The quick-match wait: how long so far, and what comes next. */
export function quickWait () {
  const n = Math.floor((Date.now() - (app.S.searchingSince || Date.now())) / 1000)
  return h('span', { id: 'quick-wait', role: 'status' }, t('quick_waited', { n }), ' ', h('small', { class: 'muted' }, t('quick_next')))
}

/** The new table's time per turn: 30 s by default, untimed at private tables only. */
export function timingField () {
  const sel = h('select', { id: 'turn-seconds', 'aria-describedby': 'turn-help' },
    [15, 30, 60, 120].map(n => h('option', { value: n, selected: n === 30 }, n === 30 ? t('secs_default', { n }) : t('secs', { n }))),
    h('option', { value: 'untimed', disabled: !!app.S.formPublic }, t('untimed_private')))
  return h('label', { key: 'timing' }, t('opt_turn_seconds'), sel, h('small', { class: 'muted', id: 'turn-help' }, t('turn_help')))
}

/** Keeps the untimed choice for private tables: called when "public" changes. */
export function publicChanged (e) {
  app.S.formPublic = e.currentTarget.checked
  const sel = e.currentTarget.form && e.currentTarget.form.querySelector('#turn-seconds')
  if (sel && app.S.formPublic && sel.value === 'untimed') sel.value = '30'
  app.render()
}

/** The timing options of the form (the public flag besides). */
export function timingOptions (form) {
  const v = form.querySelector('#turn-seconds').value
  return v === 'untimed' ? { untimed: true } : { turn_seconds: Number(v) || undefined }
}

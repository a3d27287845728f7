// The web client: a guest (or, where the server has accounts, a user) opens
// the page, creates or joins a table, and plays. One state object; every
// change rebuilds the view from it and patches the page where it differs
// (dom.js, docs/client.md); the connection keeps the seat across drops and
// reloads.

import { api } from './api.js'
import { Connection } from './conn.js'
import { cardFace, face } from './cards.js'
import { h, name, patch, svg } from './dom.js'
import { openRules, pagesNav, pageView } from './pages.js'
import { applyEvent, fromSnapshot, movesBack, sortHand, SUIT_SYMBOL, SUITS, teamOf, winningPlay } from './game.js'
import { currentLang, errorText, fmt, initialLang, loaded, setLang, t } from './i18n.js'
import * as seatUI from './seats.js'
import { a11yAfter, announceEvent, applyTheme, cardLabel, rove, themeButton } from './a11y.js'
import { fxLayer, motionAfter, motionBefore, motionEvent, motionReset } from './motion.js'
import { muteButton } from './sound.js'
import { closeOnEscape, handSummary, lastHandLine, lastTrick, summaryEvent } from './summary.js'

const store = {
  get: (k) => { try { return localStorage.getItem('hokm.' + k) } catch { return null } },
  set: (k, v) => { try { v == null ? localStorage.removeItem('hokm.' + k) : localStorage.setItem('hokm.' + k, v) } catch { } }
}

/** A stored yes/no: true, false or null (not stored). */
function flag (v) { return v === '1' ? true : v === '0' ? false : null }

const S = {
  token: store.get('token'),
  user: null,
  name: store.get('name') || '',
  tableId: store.get('table'),
  table: null, // game.js state of the table we sit at
  conn: 'idle', // idle, connecting, open, reconnecting, replaced, kicked
  notice: null, // {text, at}
  busy: null, // the card or command in flight
  // a guest session, not an account: true, false, or null (not known yet).
  // The server says which (GET /api/me); a claimed guest keeps its g_ id.
  guest: flag(store.get('guest')),
  username: null, // an account's username (GET /api/me)
  // The page and the account and history APIs come from the same server
  // (roles serve and gateway); GET /api/me answering 404 turns them off.
  features: { accounts: true, history: true, lobby: true },
  lobby: null, // public tables by id, while the lobby is shown
  searching: false, // in the quick-match queue
  tnOffers: [], // loadTournamentOffers
  watching: store.get('watching') === '1', // the table is watched, not sat at
  chat: [], // chat frames of the table
  page: null, // 'history' or {replay: id}
  pageEl: null,
  summary: null, // the last hand's result, until the player closes it (summary.js)
  review: false, // the last trick shown (summary.js)
  cursor: null, // the card the hand's roving focus is on (a11y.js)
  health: { redis: true, postgres: true }, // false while the server says the service is down
  restored: null // {table, back}: the server restored the table (back moves lost, null: unknown), until dismissed
}

// QUIET_ERRORS are the answers a superseded command may expect (it was
// decided on a state of the table that has changed since, see
// Connection.superseded): dropped without a word; the player acts again
// from the table as it is now.
const QUIET_ERRORS = new Set(['not_your_turn', 'wrong_phase', 'not_hakem', 'card_not_in_hand', 'must_follow_suit',
  'game_over', 'stale_timeout', 'seat_away', 'not_away', 'match_running', 'match_not_finished', 'table_not_full',
  'unavailable', 'superseded'])

const conn = new Connection({
  hello: () => S.token ? { token: S.token } : { name: S.name || 'player' },
  onReady: ready,
  onFrame: frame,
  onState: (state, info) => {
    S.conn = state
    // a new socket hears the server's status again (only when something is down)
    if (state === 'connecting' || state === 'reconnecting') S.health = { redis: true, postgres: true }
    if (state === 'kicked') kicked(info)
    render()
  },
  onHelloError: async (err) => {
    if (err.code !== 'bad_token') return false
    S.token = null // expired or revoked: carry on as a new guest
    store.set('token', null)
    say(t('session_expired'))
    return true
  }
})

async function ready (data) {
  if (!S.token) setGuest(true) // a hello without a token starts a guest session
  S.user = data.user
  S.name = data.name
  S.token = data.token
  store.set('token', data.token)
  store.set('name', data.name)
  whoAmI()
  if (S.tableId) await syncTable()
  const invited = invitation() // an invite link: its table's seats, to choose one
  if (invited && !S.tableId) openInvite(invited)
  else if (!S.tableId) showLobby()
  const wanted = wantedPage
  wantedPage = null
  if (wanted && !S.tableId && !invited) openPage(wanted, null)
  if (invited && S.tableId && S.table && S.table.info.options.code !== invited) say(t('invite_busy'))
}

function setGuest (v) {
  S.guest = v
  store.set('guest', v == null ? null : v ? '1' : '0')
}

/**
 * Asks the server who this session is (GET /api/me, with the token the
 * socket just accepted, so it does not fail): a guest or an account, its
 * name and username. Never asked without a token (that would be a 401, an
 * error in the console). A 404 means a server without the account API.
 */
let meAsked = 0 // whoAmI's questions; only the latest answer counts (an older one may describe the guest before a sign-up)
async function whoAmI () {
  const token = S.token
  if (!token || !S.features.accounts) return
  const n = ++meAsked
  try {
    const me = await api('GET', '/api/me', { token })
    if (token !== S.token || n !== meAsked) return
    setGuest(me.guest === true)
    S.username = me.username || null
    if (me.name) { S.name = me.name; store.set('name', me.name) }
  } catch (err) {
    if (err.status === 404) { S.features.accounts = false; S.features.history = false }
    // anything else (unavailable, a network error): keep what we knew; asked again at the next hello
  }
  render()
}

/** Follows the public listing while the lobby is on screen. */
async function showLobby () {
  if (!S.tableId) loadTournamentOffers()
  if (!S.features.lobby || S.tableId || S.conn === 'replaced') return
  try {
    const data = await conn.send('lobby')
    S.lobby = new Map(data.tables.map(tb => [tb.id, tb]))
  } catch (err) {
    if (err.code === 'unknown_type') S.features.lobby = false
  }
  render()
}

/** The lobby's offers (its table, a check-in) from our live tournaments: as the lobby shows, at each tournament notice. */
async function loadTournamentOffers () {
  if (!S.token) return
  const d = await api('GET', '/api/tournaments?mine=1', { token: S.token }).catch(() => null)
  if (!d) return
  S.tnOffers = d.mine.filter(p => p.table || (p.status === 'checkin' && !p.checked_in))
  render()
}

/** Our seat at a tournament's table. */
function playTournamentTable (id) {
  hideLobby()
  S.watching = false
  store.set('watching', null)
  enterTable(id)
  syncTable()
}

function hideLobby () {
  if (S.lobby) conn.send('lobby_leave').catch(() => {})
  S.lobby = null
}

/**
 * Catches up with the table: events after the last seq, or a snapshot, or a
 * resync when the table's history is not the one we have (our epoch is not
 * the table's). The connection retries unavailable (the table is being
 * rebuilt) with backoff.
 */
async function syncTable () {
  const fields = { table: S.tableId }
  if (S.table && S.table.id === S.tableId) {
    fields.after = S.table.seq
    if (S.table.epoch >= 1) fields.epoch = S.table.epoch
  }
  try {
    if (S.watching) await conn.send('watch', { table: S.tableId })
    else await conn.send('sync', fields)
  } catch (err) {
    if (err.code === 'not_in_game' || err.code === 'table_not_found') forgetTable()
  }
}

function forgetTable () {
  S.tableId = null
  S.table = null
  S.watching = false
  S.chat = []
  S.restored = null
  store.set('table', null)
  store.set('watching', null)
  render()
  if (S.user) showLobby()
}

/** What an event shows beyond the state: motion and sound, the hand's summary, what a screen reader hears. */
function tableEvent (ev) {
  motionEvent(S.table, ev)
  summaryEvent(S, S.table, ev)
  announceEvent(S.table, ev, seatText)
}

function frame (f) {
  if (f.type === 'lobby') { lobbyFrame(f); return }
  if (f.type === 'notice') { noticeFrame(f); return }
  if (typeof f.table === 'string' && f.table !== S.tableId) return
  if (f.type === 'chat') {
    S.chat = [...S.chat.slice(-49), f]
  } else if (f.type === 'chat_history') {
    S.chat = (f.messages || []).slice(-50)
  } else if (f.type === 'snapshot' || f.type === 'resync') {
    const before = S.table && S.table.id === f.table ? S.table : null
    // A snapshot of another epoch than ours is a rebuilt table too (a
    // socket that has not synced yet may get one before its resync).
    const rebuilt = f.type === 'resync' || (before && before.epoch >= 1 && f.epoch >= 1 && f.epoch !== before.epoch)
    S.table = fromSnapshot(f, S.user)
    motionReset()
    conn.superseded(f.table, rebuilt)
    if (rebuilt && before) restored(before, S.table)
  } else if (f.type === 'event' && S.table) {
    if (f.seq <= S.table.seq) return
    if (f.seq > S.table.seq + 1) { // a gap: ask once for what is missing
      if (!S.syncing) { S.syncing = true; syncTable().finally(() => { S.syncing = false }) }
      return
    }
    const before = S.table.info
    applyEvent(S.table, f.event, S.user)
    S.table.seq = f.seq
    tableEvent(f.event)
    const lost = f.event.type === 'table' ? seatUI.seatsLost(before, S.table.info) : []
    if (lost.length && !S.table.info.options?.tournament) say(t('lost_seat', { names: lost.join(t('list_sep')) }))
    if (f.event.type === 'hand_ended') setTimeout(render, 3500)
    if (f.event.type === 'timeout') {
      const p = S.table.info.seats[f.event.seat]
      say(t('auto_played', { name: seatUI.holder(p) }))
    }
  }
  render()
}

/**
 * Tells the player that the server rebuilt the table and how many of the
 * moves they saw are gone. A banner that stays until dismissed (it adds up
 * while shown), so it can be read even when a card is to be played now.
 */
function restored (before, after) {
  const back = movesBack(before, after)
  const shown = S.restored && S.restored.table === after.id ? S.restored.back : 0
  S.restored = { table: after.id, back: shown == null || back == null ? null : shown + back }
}

function lobbyFrame (f) {
  if (!S.lobby) return
  if (f.removed) S.lobby.delete(f.removed)
  else if (f.table && f.table.id) S.lobby.set(f.table.id, f.table)
  render()
}

function noticeFrame (f) {
  if (f.notice === 'status') {
    S.health = { redis: f.redis !== 'down', postgres: f.postgres !== 'down' }
    render()
    return
  }
  if (f.notice === 'tournament') { // its new status (checkin, running, cancelled, finished): an open tournament page reloads
    const now = f.status || f.event // (event: the first servers' name)
    document.dispatchEvent(new CustomEvent('hokm:tournament', { detail: f }))
    loadTournamentOffers()
    if (now && now !== 'running') tnName(f.tournament).then(name => say(t('tn.ev.' + now, { name })))
    return
  }
  if (f.notice === 'matched' && f.table) {
    // a tournament's round: the director seated us (tournaments.js)
    if (f.tournament) tnName(f.tournament).then(name => say(t('tn.matched', { name, n: f.round })))
    // the gateway sends the table's snapshot once the seat is taken (the
    // notice may come first); ask for it only if it does not come
    S.searching = false
    hideLobby()
    enterTable(f.table)
    render()
    setTimeout(() => { if (S.tableId === f.table && !S.table) syncTable() }, 3000)
  }
}

const tnNames = {}
/** A tournament's name, for its notices (asked once; its id if the API does not answer). */
function tnName (id) {
  return (tnNames[id] ??= api('GET', '/api/tournaments/' + encodeURIComponent(id)).then(d => d.tournament.name, () => id))
}

function say (text) {
  S.notice = { text, at: Date.now() }
  render()
  setTimeout(() => { if (S.notice && Date.now() - S.notice.at >= 4000) { S.notice = null; render() } }, 4100)
}

/** Runs a command, showing its error; resolves with the ack data or null. */
async function command (type, fields = {}, busy = type) {
  if (busy) S.busy = busy // (a chat message is not: the cards stay playable)
  render()
  try {
    return await conn.send(type, fields)
  } catch (err) {
    if (!(err.superseded && QUIET_ERRORS.has(err.code))) say(errorText(err.code, err.message))
    return null
  } finally {
    if (busy && S.busy === busy) S.busy = null
    render()
  }
}

// ---- actions ----

function startGuest (guestName) {
  S.name = guestName.trim().slice(0, 32) || 'player'
  store.set('name', S.name)
  conn.connect()
}

/**
 * Logs in or registers (claiming the guest session when there is one, and
 * keeping the name the guest chose; on the welcome page, the name typed
 * there if any).
 */
async function account (kind, username, password, displayName) {
  try {
    const body = { username, password }
    if (kind === 'register' && displayName && displayName.trim()) body.name = displayName.trim().slice(0, 32)
    const token = kind === 'register' && S.token && S.guest ? S.token : undefined
    const a = await api('POST', '/api/' + kind, { body, token })
    meAsked++ // an answer to a question asked before this is about who the session was
    S.token = a.token
    setGuest(false)
    S.username = null
    store.set('token', a.token)
    S.name = a.name
    store.set('name', a.name)
    S.page = null
    address(null, true)
    conn.connect()
  } catch (err) {
    say(errorText(err.code, err.message))
  }
}

async function logout () {
  const token = S.token
  conn.stop('idle')
  signedOut()
  if (token) await api('POST', '/api/logout', { token }).catch(() => {})
}

/** Forgets the session (logged out here or elsewhere, or the account is gone). */
function signedOut (reason) {
  S.token = null
  S.user = null
  S.username = null
  S.tnOffers = []
  setGuest(null)
  store.set('token', null)
  forgetTable()
  S.page = null
  address(null, true)
  if (reason) say(t('bye.' + reason))
  render()
}

/**
 * The server closed the socket for good (logged out, account deleted,
 * password changed). A password change keeps the session that made it
 * (docs/http-api.md): while this token still works, connect again.
 */
async function kicked (info) {
  const token = S.token
  if (info && info.reason === 'password_changed' && token) {
    const ok = await api('GET', '/api/me', { token }).then(() => true, () => false)
    if (ok && token === S.token) { conn.connect(); return }
  }
  signedOut(info && info.reason)
}

function enterTable (id) {
  S.tableId = id
  S.page = null
  address(null, true)
  store.set('table', id)
  if (!S.table || S.table.id !== id) { S.table = null; S.chat = [] }
}

async function createTable (rules, options) {
  const fields = { rules }
  if (options) fields.options = options
  const data = await command('create_table', fields)
  if (!data) return
  hideLobby()
  enterTable(data.table)
  if (!await command('sit', { table: data.table, seat: 0 })) forgetTable()
}

// A join code: 9 letters (6 from earlier releases); never 8, a table id's length.
const CODE = /^([A-HJ-NP-Z2-9]{6}|[A-HJ-NP-Z2-9]{9})$/

/** Sits at the first free seat of a table, given its id or a private table's code. */
async function joinTable (id) {
  id = id.trim()
  if (!id) return
  if (CODE.test(id.toUpperCase())) { // a private table's code: find its id
    const data = await command('join_code', { code: id.toUpperCase() })
    if (!data) return
    id = data.table
  }
  hideLobby()
  enterTable(id)
  for (let seat = 0; seat < 4; seat++) {
    try {
      await conn.send('sit', { table: id, seat })
      render()
      return
    } catch (err) {
      if (err.code === 'seat_taken') continue
      say(errorText(err.code, err.message))
      forgetTable()
      return
    }
  }
  say(t('err.table_full'))
  forgetTable()
}

/** The invite link's code kept for this tab: invitation() reads it, invitation(v) sets it (null: used). */
function invitation (v) {
  try {
    if (v === undefined) return sessionStorage.getItem('hokm.join')
    v ? sessionStorage.setItem('hokm.join', v) : sessionStorage.removeItem('hokm.join')
  } catch { return null }
}

/** An invite link's table: watched, so its free seats show, until a seat is chosen (sitAt). */
async function openInvite (code) {
  invitation(null)
  const data = await command('join_code', { code })
  if (!data) { showLobby(); return }
  S.invite = code
  await watchTable(data.table)
}

/** Sits at the table shown; a spectator (an invite link's) stops watching once seated. */
async function sitAt (seat) {
  const by = S.watching && S.invite
  const ok = by ? await command('join_code', { code: S.invite, seat }) : await tableCmd('sit', { seat })
  if (!ok || !S.watching) return
  S.watching = false
  S.invite = null
  store.set('watching', null)
  conn.send('unwatch', { table: S.tableId }).catch(() => {})
}

async function watchTable (id) {
  hideLobby()
  enterTable(id)
  S.watching = true
  store.set('watching', '1')
  try {
    await conn.send('watch', { table: id })
  } catch (err) {
    say(errorText(err.code, err.message))
    forgetTable()
  }
}

async function quickMatch (on) {
  S.searching = on
  S.searchingSince = Date.now()
  render()
  if (!await command(on ? 'quick_match' : 'quick_match_cancel')) S.searching = false
  render()
}

async function leaveTable () {
  if (S.tableId && S.watching) await command('unwatch', { table: S.tableId })
  else if (S.tableId) await command('leave', { table: S.tableId })
  forgetTable()
}

// ---- the address: each page has its own (#history, #account, #leaders,
// #tournaments, #replay/ID, #player/ID, #tournament/ID; the lobby none),
// so the browser's back and forward go from page to page, and a page can
// be reloaded or shared ----

const PAGE_HASH = /^#(?:(history|account|leaders|tournaments)|(replay|player|tournament)\/([^/]+))$/

function pageOfHash (hash) {
  const m = PAGE_HASH.exec(hash)
  return !m ? null : m[1] || { [m[2]]: decodeURIComponent(m[3]) }
}

function hashOfPage (page) {
  if (!page) return ''
  if (typeof page === 'string') return '#' + page
  const [kind, id] = Object.entries(page)[0]
  return '#' + kind + '/' + encodeURIComponent(id)
}

/** Shows page in the address bar: a new history entry, or (replace) instead of the current one. */
function address (page, replace = false) {
  const hash = hashOfPage(page)
  if (hash === location.hash) return
  history[replace ? 'replaceState' : 'pushState'](null, '', hash || location.pathname + location.search)
}

// a reloaded or shared page's address: opened once the session is ready
let wantedPage = pageOfHash(location.hash)
window.addEventListener('popstate', () => {
  if (S.tableId || !S.user) return // at a table (left with its Leave button) or before the session: no pages
  openPage(pageOfHash(location.hash), null, true)
})

let pageSeq = 0
/**
 * Opens a page (pages.js: 'history', 'account', 'leaders', {replay: id},
 * {player: id}; null: the lobby); from is where its back button returns.
 * The address follows, unless the page comes from it (back, forward).
 */
async function openPage (page, from = S.page, fromAddress = false) {
  const n = ++pageSeq
  if (!fromAddress) address(page)
  S.page = page
  S.pageFrom = from === page ? null : from
  S.pageEl = h('p', { class: 'muted' }, '…')
  render()
  if (!page) return
  const back = S.pageFrom
  const el = await pageView(page, {
    token: S.token,
    user: S.user,
    open: (p) => openPage(p),
    back: back ? () => openPage(back, null) : null,
    renamed: (me) => { S.name = me.name; store.set('name', me.name); render() },
    gone: () => { conn.stop('idle'); signedOut('account_deleted') },
    watch: watchTable,
    play: playTournamentTable,
    claimForm: () => accountForm(true)
  })
  if (n === pageSeq) { S.pageEl = el; render() }
}

const tableCmd = (type, fields = {}, busy) => command(type, { table: S.tableId, ...fields }, busy)

function toggleLang () {
  setLang(currentLang() === 'fa' ? 'en' : 'fa').then(() => {
    if (S.page && !S.table) openPage(S.page, S.pageFrom) // pages are built in one language
    render()
  }, (err) => say(t('error') + ': ' + err.message))
}

// ---- rendering ----

let queued = false
function render () {
  if (queued) return
  queued = true
  requestAnimationFrame(() => { queued = false; draw() })
}

/**
 * Builds the whole view from S and patches the page with it: only what
 * differs changes, so focus, typed text and a pressed card survive (dom.js).
 */
function draw () {
  if (!loaded()) return // the language's text comes first (start below)
  const view = !S.user && !S.token ? 'welcome' : S.table ? 'table' : S.page ? 'page' : 'lobby'
  document.body.dataset.view = view
  // a page (history, replay) is built once by history.js and then changes by itself: it goes into a slot patch leaves alone
  const main = { welcome, table: () => tableView(S.table), page: () => h('div', { id: 'page-slot', opaque: true }), lobby }[view]()
  motionBefore()
  patch(document.getElementById('app'),
    header(),
    connBanner(),
    statusBanners(),
    h('main', { class: 'main', key: 'main' }, view === 'lobby' || view === 'page' ? pagesNav(S, openPage) : null, main),
    S.notice ? h('div', { class: 'toast', role: 'alert', key: 'toast' }, S.notice.text) : null)
  const slot = document.getElementById('page-slot')
  if (slot && S.pageEl && slot.firstChild !== S.pageEl) slot.replaceChildren(S.pageEl)
  followChat()
  motionAfter(S.table)
  a11yAfter()
}

let chatShown = null // the chat log and its last message, when last scrolled to it
/** Scrolls the chat to its end when a message came or the chat was opened (not on every redraw: the player may be reading). */
function followChat (force) {
  const log = document.getElementById('chat-log')
  const last = S.chat[S.chat.length - 1]
  if (!log || (!force && chatShown && chatShown.log === log && chatShown.last === last)) return
  chatShown = { log, last }
  log.scrollTop = log.scrollHeight
}

/**
 * The header's logo (icon.svg) drawn in the page: an <img> of an SVG makes
 * the browser build a second document for it, which cost a phone about
 * 80 ms in the middle of the first screen (docs/client.md, "Performance").
 */
const logo = () => svg('svg', { viewBox: '0 0 64 64', width: 24, height: 24, 'aria-hidden': 'true' },
  svg('rect', { x: 6, y: 2, width: 52, height: 60, rx: 8, fill: '#fff', stroke: '#1d5c3a', 'stroke-width': 4 }),
  svg('path', { d: 'M32 14c-6 9-16 14-16 22a8 8 0 0 0 14 5l-3 9h10l-3-9a8 8 0 0 0 14-5c0-8-10-13-16-22z', fill: '#1d2a22' }))

function header () {
  const signedIn = S.user || S.token
  return h('header', { class: 'top', key: 'top' },
    h('button', { class: 'brand link', onclick: () => openPage(null) }, logo(), h('span', { class: 'brand-name' }, t('title'))),
    S.user
      ? h('span', { class: 'me', id: 'me', title: S.username ? '@' + S.username : null, dataset: { guest: S.guest == null ? '' : String(S.guest) } },
          name(S.name), S.guest ? h('small', {}, ' (', t('guest'), ')') : null)
      : h('span', { class: 'me', id: 'me' }),
    h('span', { class: 'conn', id: 'conn', dataset: { state: S.conn } }, S.conn === 'open' ? t('online') : ''),
    signedIn && S.features.accounts ? h('button', { class: 'link', id: 'logout', onclick: logout }, t('log_out')) : null,
    muteButton(render), themeButton(render),
    h('button', { class: 'link', id: 'lang', onclick: toggleLang, lang: currentLang() === 'fa' ? 'en' : 'fa' }, t('language')))
}

function connBanner () {
  if (S.conn === 'reconnecting' || (S.conn === 'connecting' && S.token)) {
    return h('div', { class: 'banner warn', id: 'reconnecting', role: 'status' }, h('span', { class: 'spinner' }), t(S.conn === 'connecting' ? 'connecting' : 'reconnecting'))
  }
  if (S.conn === 'replaced') {
    return h('div', { class: 'banner', role: 'status' }, t('replaced'), ' ',
      h('button', { onclick: () => conn.connect() }, t('reconnect_now')))
  }
  return null
}

/** Persistent banners while the server says Redis or PostgreSQL is down. */
function statusBanners () {
  if (S.conn !== 'open' && S.conn !== 'connecting' && S.conn !== 'reconnecting') return null
  return [
    S.health.redis ? null : h('div', { class: 'banner warn status', id: 'status-redis', role: 'status' }, t('status_redis_down')),
    S.health.postgres ? null : h('div', { class: 'banner status', id: 'status-postgres', role: 'status' }, t('status_postgres_down'))
  ]
}

/** The table was restored by the server: what was lost, until the player dismisses it. */
function restoredBanner (st) {
  const r = S.restored
  if (!r || r.table !== st.id) return null
  const text = r.back == null ? t('restored_unknown') : r.back === 0 ? t('restored_nothing') : t(r.back === 1 ? 'restored_back_one' : 'restored_back', { n: r.back })
  return h('div', { class: 'banner warn restored', id: 'restored', role: 'status', dataset: { back: r.back == null ? '' : r.back } },
    h('span', {}, text),
    h('button', { class: 'small', id: 'restored-dismiss', 'aria-label': t('dismiss'), title: t('dismiss'), onclick: () => { S.restored = null; render() } }, '✕'))
}

function welcome () {
  const input = h('input', { id: 'guest-name', maxlength: 32, autocomplete: 'nickname', dir: 'auto', value: S.name, required: true })
  // handlers read the live page (the elements built here are thrown away once patched in)
  return h('section', { class: 'card-panel welcome', key: 'welcome' },
    h('h1', {}, t('title')),
    h('p', {}, t('welcome'), ' ', rulesLink()),
    invitation() ? h('p', { class: 'banner', id: 'invited' }, t('invited')) : null,
    h('form', { key: 'guest', onsubmit: (e) => { e.preventDefault(); startGuest(e.currentTarget.querySelector('#guest-name').value) } },
      h('label', {}, t('your_name'), input),
      h('button', { class: 'primary', id: 'play-guest', type: 'submit' }, t('play_guest'))),
    S.features.accounts ? accountForm() : null)
}

/** For a guest: keep this session's games by setting a username and password. */
function claimForm () {
  return h('div', { class: 'card-panel', id: 'claim' }, h('h2', {}, t('sign_up')), h('p', { class: 'muted' }, t('claim')), accountForm(true))
}

function accountForm (claim = false) {
  const user = h('input', { id: 'username', autocomplete: 'username', dir: 'auto', required: true, minlength: 3, maxlength: 24 })
  const pass = h('input', { id: 'password', type: 'password', autocomplete: claim ? 'new-password' : 'current-password', required: true, minlength: 8, maxlength: 128 })
  const submit = (e) => {
    e.preventDefault()
    const f = e.currentTarget
    // the button pressed (Enter: the form's first one)
    const by = e.submitter && e.submitter.id
    const kind = by === 'login' ? 'login' : claim || by === 'register' ? 'register' : 'login'
    const typed = document.getElementById('guest-name')
    account(kind, f.querySelector('#username').value, f.querySelector('#password').value, claim ? S.name : typed && typed.value)
  }
  return h('form', { class: 'account', key: 'account', onsubmit: submit },
    claim ? null : h('hr'),
    h('label', {}, t('username'), user),
    h('label', {}, t('password'), pass),
    h('div', { class: 'row' },
      claim ? null : h('button', { type: 'submit', id: 'login' }, t('log_in')),
      h('button', { type: 'submit', id: 'register' }, t('sign_up'))),
    // a guest who has an account logs in to it instead (the guest's games stay the guest's)
    claim ? h('p', { class: 'muted have-account' }, t('have_account'), ' ', h('button', { type: 'submit', class: 'link', id: 'login' }, t('log_in'))) : null)
}

function lobby () {
  const target = h('select', { id: 'target' }, [3, 5, 7].map(n => h('option', { value: n, selected: n === 7 }, t('points', { n }))))
  const opt = (id, key) => h('label', { class: 'check' }, h('input', { type: 'checkbox', id }), t(key))
  const create = h('form', {
    class: 'card-panel',
    id: 'create-form',
    onsubmit: (e) => {
      e.preventDefault()
      const f = e.currentTarget
      createTable({
        target: Number(f.querySelector('#target').value),
        play_all_tricks: f.querySelector('#opt-all').checked,
        hide_until_trump: f.querySelector('#opt-hide').checked,
        random_first_hakem: f.querySelector('#opt-random').checked
      }, S.features.lobby ? { public: f.querySelector('#opt-public').checked, ...seatUI.timingOptions(f) } : seatUI.timingOptions(f))
    }
  },
  h('h2', {}, t('create_table')),
  h('label', {}, t('target'), target),
  opt('opt-all', 'opt_play_all'), opt('opt-hide', 'opt_hide'), opt('opt-random', 'opt_random_hakem'),
  S.features.lobby ? h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'opt-public', onchange: seatUI.publicChanged }), t('opt_public')) : null,
  seatUI.timingField(),
  h('button', { class: 'primary', id: 'create', type: 'submit', disabled: S.conn !== 'open' }, t('create')))
  const idInput = h('input', { id: 'join-id', maxlength: 32, autocomplete: 'off', placeholder: t('table_id_or_code'), dir: 'ltr' })
  const join = h('form', { class: 'card-panel', id: 'join-form', onsubmit: (e) => { e.preventDefault(); joinTable(e.currentTarget.querySelector('#join-id').value) } },
    h('h2', {}, t('join_table')),
    h('div', { class: 'row' }, idInput, h('button', { type: 'submit', id: 'join', disabled: S.conn !== 'open' }, t('join'))))
  return h('section', { class: 'lobby', key: 'lobby' }, tournamentOffers(), create, join, S.features.lobby ? [quick(), openTables()] : null,
    S.features.accounts && S.guest === true ? claimForm() : null)
}

function tournamentOffers () {
  if (!S.tnOffers.length) return null
  return h('div', { class: 'card-panel', id: 'tn-offers', key: 'tn-offers', role: 'status' },
    h('h2', {}, t('tournaments')),
    S.tnOffers.map(p => h('p', { key: p.tournament, dataset: { tournament: p.tournament } },
      p.table
        ? [t('tn.offer_table', { name: p.name, n: p.round }), ' ',
            h('button', { class: 'primary small', dataset: { play: p.table }, onclick: () => playTournamentTable(p.table) }, t('tn.go_table', { n: p.round }))]
        : [t('tn.ev.checkin', { name: p.name }), ' ',
            h('button', { class: 'small', dataset: { open: p.tournament }, onclick: () => openPage({ tournament: p.tournament }) }, t('tn.checkin'))])))
}

function quick () {
  return h('div', { class: 'card-panel', key: 'quick' },
    h('h2', {}, t('quick_match')),
    S.searching
      ? h('p', {}, h('span', { class: 'spinner' }), ' ', seatUI.quickWait(), ' ', h('button', { id: 'quick-cancel', 'aria-label': t('cancel'), onclick: () => quickMatch(false) }, '✕'))
      : h('button', { class: 'primary', id: 'quick', disabled: S.conn !== 'open', onclick: () => quickMatch(true) }, t('quick_match')))
}

function openTables () {
  const tables = S.lobby ? [...S.lobby.values()] : []
  return h('div', { class: 'card-panel tables', key: 'tables' },
    h('h2', {}, t('open_tables')),
    tables.length
      ? h('ul', { id: 'lobby-tables' }, tables.map(tb => h('li', { key: tb.id },
          h('span', { class: 'tid', dir: 'ltr' }, tb.id), ' ',
          seatUI.lobbyDetails(tb),
          tb.status === 'waiting' && tb.seats.some(p => !p || p.bot)
            ? h('button', { class: 'small', dataset: { join: tb.id }, onclick: () => joinTable(tb.id) }, t('join'))
            : null,
          h('button', { class: 'small', dataset: { watch: tb.id }, onclick: () => watchTable(tb.id) }, t('watch')))))
      : h('p', { class: 'muted' }, t('no_tables')))
}

/** Where a seat is drawn: me at the bottom, the next seat (who plays after me) on the right. */
function position (seat, me) {
  return ['bottom', 'right', 'top', 'left'][(seat - Math.max(me, 0) + 4) % 4]
}

function seatName (p) {
  if (!p) return h('span', { class: 'empty' }, t('seat_empty'))
  return seatUI.seatLabel(p)
}

function tableView (st) {
  const v = st.view
  const info = st.info
  const me = st.me
  const playing = v && info.status === 'playing'
  const el = h('section', {
    class: 'table-view',
    id: 'table',
    key: 'table:' + st.id,
    dataset: { me, status: info.status, phase: v ? v.phase : 'waiting', turn: v ? v.turn : -1, hand: v ? v.hand : -1, seq: st.seq, epoch: st.epoch ?? '' }
  },
  restoredBanner(st),
  scoreBar(st),
  felt(st),
  statusLine(st),
  v && me >= 0 && v.phase !== 'over' ? handRow(v, playing) : null,
  awayBar(st),
  controls(st),
  seatUI.invitePanel(st),
  chatBox(st),
  seatUI.leaveDialog(st))
  return el
}

function awayBar (st) {
  const p = st.me >= 0 ? st.info.seats[st.me] : null
  if (!p || !p.away) return null
  return h('div', { class: 'banner warn', key: 'away' }, t('away'), ' ', h('button', { id: 'back', class: 'primary', onclick: () => tableCmd('back') }, t('take_seat_back')))
}

function chatBox (st) {
  if (!S.features.lobby) return null
  const input = h('input', { id: 'chat-input', maxlength: 200, dir: 'auto', placeholder: t('say'), autocomplete: 'off' })
  const list = h('ol', { class: 'chat-log', id: 'chat-log', 'aria-live': 'polite' }, S.chat.map(m =>
    h('li', { key: m.at + '/' + m.from.user }, name(m.from.seat >= 0 && st.info.seats[m.from.seat] && st.info.seats[m.from.seat].bot ? t('bot') : m.from.name, 'who'), ': ', h('bdi', { dir: 'auto' }, m.text))))
  // open is the player's (patch leaves it): S.chatOpen only says how a new chat box starts
  return h('details', { class: 'chat card-panel', id: 'chat', open: S.chatOpen, ontoggle: (e) => { S.chatOpen = e.currentTarget.open; if (S.chatOpen) followChat(true) } },
    h('summary', {}, t('chat'), S.chat.length ? ` (${fmt(S.chat.length)})` : ''),
    list,
    h('form', {
      class: 'row',
      onsubmit: async (e) => {
        e.preventDefault()
        const field = e.currentTarget.querySelector('#chat-input')
        const text = field.value.trim()
        if (!text) return
        // clear only what was sent: the player may have typed on meanwhile
        if (await tableCmd('chat', { text }, null) && field.value.trim() === text) field.value = ''
      }
    }, input, h('button', { type: 'submit' }, t('send'))))
}

/** The remaining seconds of the seat on turn, when the server set a deadline. */
function secondsLeft (st) {
  const d = st.deadline
  if (!d || !st.view || d.seat !== st.view.turn || st.info.status !== 'playing') return null
  return Math.max(0, Math.ceil((d.at - Date.now()) / 1000))
}

function scoreBar (st) {
  const v = st.view
  const info = st.info
  const myTeam = teamOf(Math.max(st.me, 0))
  const score = v ? v.score : [0, 0]
  const tricks = v ? v.tricks : [0, 0]
  const item = (label, value, cls = '') => h('div', { class: 'stat ' + cls }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value))
  return h('div', { class: 'scorebar', key: 'scorebar' },
    item(t('score'), h('span', {}, h('b', { class: 'us' }, fmt(score[myTeam])), ' – ', h('b', { class: 'them' }, fmt(score[1 - myTeam])), h('small', {}, ' / ', fmt(info.rules.target || 7))), 'score'),
    item(t('tricks'), h('span', { id: 'tricks' }, fmt(tricks[myTeam]), ' – ', fmt(tricks[1 - myTeam]))),
    item(t('trump'), v && v.trump ? h('span', { id: 'trump', class: 'trump-suit' + (v.trump === 'H' || v.trump === 'D' ? ' red' : ''), title: t('suit.' + v.trump) }, SUIT_SYMBOL[v.trump]) : '—'),
    item(t('table'), h('span', { class: 'tid', dir: 'ltr' }, info.id)))
}

function felt (st) {
  const v = st.view
  const info = st.info
  const me = st.me
  const seats = [0, 1, 2, 3].map(seat => {
    const p = info.seats[seat]
    const badges = []
    if (v && v.hakem === seat && v.phase !== 'over') badges.push(h('span', { class: 'badge hakem', title: t('hakem') }, t('hakem')))
    if (p && p.away) badges.push(h('span', { class: 'badge away' }, t('away')))
    const turn = v && v.turn === seat && info.status === 'playing'
    return h('div', { class: `seat pos-${position(seat, me)}${turn ? ' turn' : ''}${seat === me ? ' mine' : ''}${teamOf(seat) === teamOf(Math.max(me, 0)) ? ' ally' : ''}`, key: 'seat' + seat, dataset: { seat } },
      h('div', { class: 'plate' }, seatName(p), seat === me ? h('small', {}, ' (', t('you'), ')') : null, badges, seatUI.seatMarks(st, seat),
        v && seat !== me && v.phase !== 'over' ? h('span', { class: 'count' }, '🂠 ', fmt(v.hand_sizes[seat])) : null),
      info.status === 'waiting' || (info.status === 'finished' && !v) ? sitButton(st, seat) : null, seatUI.swapButton(st, seat))
  })
  const choosing = v && v.phase === 'trump' && v.hakem === me && info.status === 'playing'
  return h('div', { class: 'felt', key: 'felt' }, seats, trickArea(st), v && v.phase === 'over' && info.status !== 'waiting' ? matchResult(st) : null,
    choosing ? trumpPicker(v) : null,
    fxLayer(), v && v.phase !== 'over' ? lastTrick(S, st, seatText, render) : null, handSummary(S, st, seatText, render))
}

/** A seat's holder as text ("you" for the player's own). */
function seatText (seat) {
  return seat === S.table.me ? t('you') : seatUI.holder(S.table.info.seats[seat])
}

function sitButton (st, seat) {
  const p = st.info.seats[seat]
  // (the seated host moves with ⇄ instead of taking a bot's seat)
  if (seat === st.me || st.info.options?.tournament || (p && (!p.bot || (st.me >= 0 && st.info.host === S.user)))) return null
  return h('button', { class: 'small sit', dataset: { seat }, onclick: () => sitAt(seat) }, t('sit_here'))
}

function trickArea (st) {
  const v = st.view
  if (!v) return null
  let plays = v.trick.plays
  let winner = null
  if (!plays.length && st.lastTrick) { plays = st.lastTrick.plays; winner = st.lastTrick.winner }
  const lead = winner == null ? winningPlay(plays, v.trump) : null // the card winning the trick so far
  return h('div', { class: 'trick' + (winner != null ? ' done' : ''), id: 'trick', role: 'group', 'aria-label': t('fx.table'), dataset: { count: v.trick.plays.length } },
    plays.map(p => h('div', {
      class: `played pos-${position(p.seat, st.me)}${p.seat === winner ? ' winner' : ''}${p === lead ? ' winning' : ''}`,
      key: p.card,
      role: 'img',
      'aria-label': `${seatText(p.seat)}: ${cardLabel(p.card)}${p === lead ? ' (' + t('fx.winning') + ')' : ''}`
    }, face(p.card))))
}

/** One line under the table: whose turn (and their time), a hand's result, or what the table waits for. */
function statusLine (st) {
  const v = st.view
  const info = st.info
  const who = (seat) => seatUI.holder(info.seats[seat])
  let msg = null
  if (!v || info.status === 'waiting') {
    msg = info.status !== 'waiting' ? t('waiting_players') : info.options?.tournament && v ? t('tn.over') : seatUI.waitingStatus(st)
  } else if (v.phase === 'over') {
    return null
  } else if (st.lastResult && Date.now() - st.lastResult.at < 3500 && !S.summary && v.turn !== st.me) {
    const r = st.lastResult
    const ours = r.winner === teamOf(Math.max(st.me, 0))
    msg = [t(ours ? 'hand_won_us' : 'hand_won_them', { points: r.points }), r.kind !== 'normal' ? ' ' + t(r.kind) : '']
  } else if (v.phase === 'trump') {
    msg = v.hakem === st.me ? t('choose_trump') : t('choosing_trump', { name: who(v.hakem) })
  } else if (v.turn === st.me) {
    msg = t('your_turn')
  } else if (v.turn >= 0) {
    msg = t('turn_of', { name: who(v.turn) })
  }
  const left = secondsLeft(st)
  if (msg && left != null) msg = [msg, ' — ', h('span', { class: 'clock' + (left <= 5 ? ' low' : ''), id: 'clock' }, t('seconds_left', { n: left }))]
  // nothing to say: no pill (it keeps its room, so the hand does not jump)
  return h('div', { class: 'status-line' + (v && v.turn === st.me && v.phase !== 'over' ? ' mine' : '') + (msg ? '' : ' empty'), id: 'status', role: 'status', 'aria-live': 'off' }, msg || '\u00a0')
}

function matchResult (st) {
  const v = st.view
  const myTeam = teamOf(Math.max(st.me, 0))
  const won = v.winner === myTeam
  return h('div', { class: 'result ' + (won ? 'won' : 'lost'), id: 'match-result', role: 'status' },
    h('h2', {}, t(won ? 'match_won' : 'match_lost')),
    h('p', {}, t('final_score', { us: v.score[myTeam], them: v.score[1 - myTeam] })),
    lastHandLine(st),
    st.info.options?.tournament ? tnBack(st) : seatUI.rematchPanel(st))
}

/** A tournament's table plays one match (no rematch): back to the tournament's page after it. */
function tnBack (st) {
  const id = st.info.options.tournament
  const back = async () => {
    if (S.table.me < 0 && !S.watching) forgetTable() // (unseated when the table's offer ran out: nothing to leave)
    else await leaveTable()
    openPage({ tournament: id }, null)
  }
  return h('button', { class: 'primary', id: 'tn-back', onclick: back }, t('tn.back'))
}

function trumpPicker (v) {
  // the Hakem's first five cards under the message, arrows move between the suits
  return h('div', { class: 'trump-picker', id: 'trump-picker', role: 'group', 'aria-labelledby': 'trump-msg', onkeydown: (e) => rove(e) },
    h('span', { class: 'hakem-msg', id: 'trump-msg' }, t('fx.you_hakem')),
    h('div', { class: 'five' }, sortHand(v.cards || [], null).map(c => cardFace(c, { key: c, role: 'img', 'aria-label': cardLabel(c), dataset: { card: c } }))),
    SUITS.map(s => h('button', {
      class: 'suit-btn' + (s === 'H' || s === 'D' ? ' red' : ''),
      dataset: { suit: s },
      title: t('suit.' + s),
      'aria-label': t('suit.' + s),
      disabled: !!S.busy || S.conn !== 'open',
      onclick: () => { if (!S.busy) tableCmd('trump', { suit: s }, 'trump') }
    }, SUIT_SYMBOL[s])),
    lastHandLine(S.table))
}

function handRow (v, playing) {
  const legal = new Set(playing ? v.legal : [])
  const cards = sortHand(v.cards || [], v.trump)
  const can = (c) => legal.has(c) && !S.busy && S.conn === 'open'
  // one playable card is in the tab order (the last one focused, else the first); arrows move (a11y.js)
  const cur = can(S.cursor) ? S.cursor : cards.find(can)
  return h('div', { class: 'hand', id: 'hand', role: 'group', 'aria-label': t('fx.hand'), tabindex: cur ? -1 : 0, onkeydown: (e) => rove(e, (b) => { S.cursor = b.dataset.card }), dataset: { count: cards.length } },
    cards.map(c => {
      const ok = can(c)
      // keyed by the card: the same button stays under the pointer across redraws, so a press becomes a click
      return h('button', {
        key: c,
        class: 'card' + (legal.has(c) ? ' legal' : '') + (S.busy === c ? ' pending' : ''),
        dataset: { card: c, legal: legal.has(c) },
        disabled: !ok,
        'aria-label': cardLabel(c),
        tabindex: c === cur ? 0 : -1,
        onfocus: () => { S.cursor = c },
        // lifted at once, before the redraw (the next frame shows the press); a second click before the redraw: not sent
        onclick: (e) => { if (!S.busy) { e.currentTarget.classList.add('pending'); tableCmd('play', { card: c }, c) } }
      }, cardFace(c))
    }))
}

/** The rules (pages.js), over the page: at the table and on the welcome page (the lobby's strip has its own). */
const rulesLink = () => h('button', { class: 'link', id: 'rules-link', onclick: (e) => openRules(e.currentTarget) }, t('how_to_play'))

function controls (st) {
  // the host's start, fill and swap, or a guest's ready (seats.js); leaving a running match asks first
  // (a tournament's table whose offer ran out waits again without us: no result panel, its way back here)
  const back = st.info.options?.tournament && st.info.status === 'waiting' && st.view
  return h('div', { class: 'controls', key: 'controls' }, seatUI.waitingControls(st), back ? tnBack(st) : null, seatUI.leaveButton(st), rulesLink())
}

// ---- start ----

seatUI.bindSeats({ S, cmd: tableCmd, render, say, leave: leaveTable })
// an invite link (/?join=CODE): kept for this tab until the session is ready
// (a new visitor gives a name first), then its table's seats are shown
const joinParam = (new URLSearchParams(location.search).get('join') || '').toUpperCase()
if (joinParam) history.replaceState(null, '', location.pathname)
if (CODE.test(joinParam)) invitation(joinParam)

applyTheme()
closeOnEscape(S, render)
// the language's text, then the first draw; the socket connects meanwhile
setLang(initialLang()).catch(() => setLang('en')).then(render, (err) => {
  document.querySelector('#app').textContent = 'Hokm could not load its text (' + err.message + '): reload the page.'
})
// the turn clock: the redraw changes only its text
setInterval(() => { if (S.table && S.table.deadline) render() }, 1000)
if (S.token) conn.connect()

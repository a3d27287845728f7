// The pages beside the game (docs/client.md, "Pages"): the strip that leads
// to them, each page built by its own module, loaded the first time it is
// opened (history.js, account.js, leaders.js, tournaments.js), and the rules
// (rules.js), a dialog over whatever is on screen. A page builds its element once and
// updates it itself; draw() puts it in an opaque slot.

import { h } from './dom.js'
import { currentLang, t } from './i18n.js'

const MODULES = {
  history: () => import('./history.js'),
  replay: () => import('./history.js'),
  account: () => import('./account.js'),
  leaders: () => import('./leaders.js'),
  player: () => import('./leaders.js'),
  tournaments: () => import('./tournaments.js'),
  tournament: () => import('./tournaments.js')
}

/** A page's kind: 'history', 'account', 'leaders', 'tournaments', or {replay: id} / {player: id} / {tournament: id}. */
export const pageKind = (page) => typeof page === 'string' ? page : Object.keys(page)[0]

/**
 * The element of page (ctx: the session and what a page may ask of the
 * app, see openPage in main.js); an error is shown in its place.
 */
export async function pageView (page, ctx) {
  const kind = pageKind(page)
  try {
    return await (await MODULES[kind]())[kind + 'View'](page, ctx)
  } catch (err) {
    return h('p', { class: 'card-panel', role: 'alert' }, t('error'), ': ', err.message || String(err))
  }
}

/** The strip of the lobby and the pages: where the player can go. */
export function pagesNav (S, open) {
  // a replay is in the history; a player's page where it was opened from
  let now = S.page ? pageKind(S.page) : 'lobby'
  if (now === 'replay') now = 'history'
  if (now === 'player') now = S.pageFrom && pageKind(S.pageFrom)
  if (now === 'tournament') now = 'tournaments'
  const tab = (id, kind, label) => h('button', {
    id,
    class: 'tab',
    'aria-current': now === kind ? 'page' : null,
    onclick: () => open(kind === 'lobby' ? null : kind)
  }, label)
  return h('nav', { class: 'pages', key: 'pages-nav', 'aria-label': t('pages') },
    tab('nav-lobby', 'lobby', t('back_to_lobby')),
    S.features.history ? tab('history-link', 'history', t('history')) : null,
    tab('nav-leaders', 'leaders', t('leaderboards')),
    tab('nav-tournaments', 'tournaments', t('tournaments')),
    S.features.accounts ? tab('nav-account', 'account', t('account')) : null,
    h('button', { id: 'nav-rules', class: 'tab', onclick: (e) => openRules(e.currentTarget) }, t('rules')))
}

/** Shows the rules over the page; focus goes back to opener when closed. */
export function openRules (opener) {
  import('./rules.js').then(m => m.showRules(opener)).catch(() => {}) // offline: nothing happens
}

// ---- shared by the pages ----

const locale = () => currentLang() === 'fa' ? 'fa-IR' : 'en-US'

/** A date (ISO text or ms), the day or (time) the day and time; in timeZone, else the browser's. */
export function dateText (iso, time = false, timeZone) {
  const d = new Date(iso)
  return isNaN(d) ? '' : d.toLocaleString(locale(), { dateStyle: 'medium', timeStyle: time ? 'short' : undefined, timeZone })
}

/** 0.75 as "75%" in the page's language. */
export const pct = (v) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(v || 0)

/**
 * A translated text with elements in it: tx('replay_played', {name: el,
 * card: el}) fills {name} and {card} of the template with the elements.
 */
export function tx (key, parts) {
  const marks = Object.fromEntries(Object.keys(parts).map(k => [k, '\u0001' + k + '\u0001']))
  return t(key, marks).split('\u0001').map((s, i) => i % 2 ? parts[s] : s)
}

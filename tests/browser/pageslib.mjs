// Helpers of the tests of the pages beside the game (account.mjs,
// leaders.mjs, rules.mjs, replay.mjs): the HTTP API called with a page's
// token, a match played to the end against bots, what the pages show in
// English, and screenshots on a phone.

import { baseURL, check, createAndStart, fail, newPage, playFast, shot, switchLang } from './lib.mjs'

export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }

/** The session token the page keeps. */
export const tokenOf = (page) => page.evaluate(() => localStorage.getItem('hokm.token'))

/** Calls the API as the page's user (or without a token: token null); resolves {status, body}. */
export async function apiAs (page, method, path, body) {
  const token = page ? await tokenOf(page) : null
  const headers = { Accept: 'application/json' }
  if (token) headers.Authorization = 'Bearer ' + token
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(baseURL + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

/** The API's answer, which must be a success. */
export async function get (page, path) {
  const r = await apiAs(page, 'GET', path)
  check(r.status === 200, `GET ${path}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

/** Signs up on the welcome page; waits for the lobby. */
export async function register (page, username, password) {
  await page.goto(baseURL + '/')
  await page.fill('#username', username)
  await page.fill('#password', password)
  await page.click('#register')
  await page.waitForSelector('body[data-view="lobby"] #conn[data-state="open"]')
}

/** Logs in on the welcome page: true when the lobby comes, false when the page says the login is wrong. */
export async function logIn (page, username, password) {
  await page.fill('#username', username)
  await page.fill('#password', password)
  await page.click('#login')
  const ok = await page.waitForFunction(() => document.querySelector('body[data-view="lobby"] #conn[data-state="open"]') ? 'in'
    : /wrong username or password/i.test(document.querySelector('.toast')?.textContent) ? 'refused' : false)
  const r = await ok.jsonValue()
  if (r === 'refused') await page.waitForSelector('.toast', { state: 'detached' })
  return r === 'in'
}

/** Plays a match to target against bots through the UI, leaves, and waits until it is stored (n: how many the user then has). */
export async function playStored (page, n = 1, target = 3) {
  await createAndStart(page, { target })
  await playFast(page) // the pages' subject is what a match leaves behind, not its play (play.mjs)
  check(await page.$('#match-result'), 'the match did not end')
  await page.click('#leave')
  await page.waitForSelector('body[data-view="lobby"]')
  await stored(page, n)
}

/** Waits until the user's history has n matches (a match reaches PostgreSQL shortly after it ends). */
export async function stored (page, n) {
  for (let i = 0; ; i++) {
    const d = await get(page, '/api/me/matches?limit=100')
    if (d.matches.length >= n) return d.matches
    if (i > 60) fail(`the history has ${d.matches.length} matches, want ${n}`)
    await page.waitForTimeout(250)
  }
}

// What the pages show in English (en-US numbers, as i18n.js's fmt)
export const num = (v) => v.toLocaleString('en-US')
export const pct = (v) => new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 0 }).format(v || 0)

/**
 * Checks that the statistics block in root shows stats (GET
 * /api/players/{id}/stats) and one of ratings (the all-time board's, or
 * null for none, as read before and after the page read it: the board is a
 * snapshot that may be refreshed in between).
 */
export async function checkStats (page, root, stats, ratings) {
  const shown = await page.$$eval(root + ' #stats [data-stat]', els => Object.fromEntries(els.map(e => [e.dataset.stat, { text: e.querySelector('dd').textContent, value: e.dataset.value }])))
  const keys = Object.keys(stats).filter(k => k !== 'player' && k !== 'name')
  for (const k of keys) {
    const s = shown[k]
    check(s, `${root}: no ${k} shown`)
    check(s.value === String(stats[k]), `${root}: ${k} is ${s.value}, the API says ${stats[k]}`)
    if (k === 'win_rate') check(s.text === pct(stats[k]), `${root}: win rate shown as ${s.text}, want ${pct(stats[k])}`)
    else if (k === 'seconds_played') check(stats[k] < 60 ? s.text === `${stats[k]}s` : /\d min$/.test(s.text), `${root}: time played (${stats[k]} s) shown as ${s.text}`)
    else check(s.text === num(stats[k]), `${root}: ${k} shown as ${s.text}, want ${num(stats[k])}`)
  }
  const wants = ratings.map(r => r == null ? '—' : num(Math.round(r)))
  check(shown.rating && wants.includes(shown.rating.text), `${root}: rating shown as ${shown.rating && shown.rating.text}, want ${wants.join(' or ')}`)
  return keys.length
}

/** The rating the all-time board gives a player, or null. */
export async function ratingOf (id) {
  const board = await get(null, '/api/leaderboards/alltime')
  const e = board.entries.find(e => e.player_id === id)
  return e ? e.rating : null
}

/**
 * Screenshots on a phone, English and Persian: a new phone-sized context
 * with page's session (it takes the user's socket over, so call it last),
 * open(p) brings the page to what is to be shown.
 */
export async function phoneShots (browser, page, name, open) {
  const state = await page.context().storageState()
  const phone = await newPage(browser, { ...PHONE, storageState: state })
  for (const lang of ['en', 'fa']) {
    await phone.addInitScript(l => localStorage.setItem('hokm.lang', l), lang)
    await phone.goto(baseURL + '/')
    await phone.waitForSelector(`html[lang="${lang}"] body[data-view="lobby"] #conn[data-state="open"]`)
    await open(phone)
    await shot(phone, `${name}-phone-${lang}`)
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    check(wide <= 0, `${name} (${lang}) scrolls sideways on a phone by ${wide}px`)
  }
  await phone.context().close()
}

/** Screenshots on the desktop page in English and Persian (switching with #lang; back to English after). */
export async function desktopShots (page, name, ready) {
  await shot(page, `${name}-en`)
  await switchLang(page)
  await ready(page)
  await shot(page, `${name}-fa`)
  await switchLang(page)
  await ready(page)
}

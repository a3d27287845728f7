// Helpers shared by the browser tests: launching Debian's Chromium through
// playwright-core, a page that records its errors, the play loop that acts
// through the UI, and screenshots. Each test script is run by
// internal/app/browser_test.go as: node <script> <baseURL> <screenshotDir>
// [<controlURL>] (the last: a test's own endpoint on the Go side, see
// control).

import { chromium } from 'playwright-core'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export const [baseURL, shotDir, controlURL] = process.argv.slice(2)
if (!baseURL || !shotDir) {
  console.error('usage: node <test>.mjs <baseURL> <screenshotDir> [<controlURL>]')
  process.exit(2)
}
mkdirSync(shotDir, { recursive: true })

/** Fails the test with a message (the Go harness prints the output). */
export function fail (msg) {
  throw new Error(msg)
}

export function check (cond, msg) {
  if (!cond) fail(msg)
}

/** How lib.mjs and browserd.mjs start Debian's Chromium (HOKM_CHROMIUM names which one). */
export const launchOptions = {
  executablePath: process.env.HOKM_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
    '--disable-quic', '--disable-component-update', '--disable-sync']
}

/**
 * The browser: the shared one when HOKM_BROWSER_WS names browserd.mjs's
 * endpoint (TestBrowser), else one of the script's own. Either way
 * browser.close() ends what the script opened.
 */
export async function launch () {
  const shared = process.env.HOKM_BROWSER_WS
  return shared ? chromium.connect(shared) : chromium.launch(launchOptions)
}

/**
 * A new page in its own context. Page errors, console errors (a CSP
 * violation is one) and failed requests are collected in page.problems.
 * window.__hokmNet lets a test cut the WebSocket and block reconnecting
 * (blocked, sockets), see what the page sent (sent: every frame) and
 * received (moves: the card_played and trump_chosen events; events: every
 * event, {seq, ...event}; errors: the error answers), hand the page
 * a frame as if the server had sent it (inject), and stand between the
 * page and the server: filter(frame) returning "hold" keeps a frame from
 * the server (held), a frame object answers it in the server's place.
 * The page prefers reduced motion unless opts say otherwise (MOTION): the
 * scripts about play as people see it (play, presses, review, keyboard,
 * motion) keep the motion; the others check what motion never changes and
 * take about a quarter less CPU without it.
 */
export const MOTION = { reducedMotion: 'no-preference' }

export async function newPage (browser, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 820 }, reducedMotion: 'reduce', ...opts })
  await context.addInitScript(() => {
    const Real = window.WebSocket
    const net = { blocked: false, sockets: [], sent: [], held: [], moves: 0, filter: null, events: [], errors: [], wire: {} }
    const deliver = (ws, frame) => ws.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(frame) }))
    net.inject = (frame) => deliver(net.sockets.at(-1), frame)
    window.__hokmNet = net
    window.WebSocket = class extends Real {
      constructor (url, protocols) {
        // blocked: a same-origin path without a WebSocket, so it fails
        super(net.blocked ? String(url).replace('/ws?', '/no-ws?') : url, protocols)
        net.sockets.push(this)
        this.addEventListener('message', (m) => {
          const w = JSON.parse(m.data)
          net.wire[w.type] = (net.wire[w.type] || 0) + 1
          // (protocol 2 sends a change's events in one frame)
          const frames = w.type === 'events' ? w.events.map((event, i) => ({ type: 'event', seq: w.seq + i, event })) : [w]
          for (const f of frames) {
            if (f.type === 'event' && (f.event.type === 'card_played' || f.event.type === 'trump_chosen')) net.moves++
            if (f.type === 'event') net.events.push({ seq: f.seq, ...f.event })
            if (f.type === 'error') net.errors.push(f)
          }
        })
      }

      send (data) {
        const f = JSON.parse(data)
        net.sent.push(f)
        const verdict = net.filter ? net.filter(f) : null
        if (verdict === 'hold') net.held.push(f)
        else if (verdict) setTimeout(() => deliver(this, verdict), 0)
        else super.send(data)
      }
    }
  })
  const page = await context.newPage()
  // expected: the blocked reconnects (the client asks GET /api/me only
  // with a token the socket accepted, so no 401 is expected any more), and
  // a 429 the client sends again after its short Retry-After (api.js; the
  // tests' pages share one address: one password hash at a time)
  const ignored = /no-ws|status of 429/
  page.problems = []
  page.on('pageerror', e => page.problems.push('page error: ' + e.message))
  page.on('console', m => {
    if (m.type() === 'error' && !ignored.test(m.text())) page.problems.push('console: ' + m.text())
  })
  page.setDefaultTimeout(15000)
  return page
}

export function noProblems (page) {
  check(page.problems.length === 0, 'the page reported problems:\n' + page.problems.join('\n'))
}

export async function shot (page, name) {
  const path = join(shotDir, name + '.png')
  await page.screenshot({ path, fullPage: true })
  console.log('screenshot', path)
}

/**
 * Clicks the language button and waits until the page is drawn in the
 * other language: <html> turns at once, the view a frame later (the button
 * then names the language it would switch back to).
 */
export async function switchLang (page) {
  const to = await page.getAttribute('#lang', 'lang')
  await page.click('#lang')
  await page.waitForSelector(`html[lang="${to}"] #lang[lang="${to === 'fa' ? 'en' : 'fa'}"]`)
}

/** Opens the page and starts as a guest called name; waits for the lobby. */
export async function openAsGuest (page, name) {
  await page.goto(baseURL + '/')
  await page.fill('#guest-name', name)
  await page.click('#play-guest')
  await page.waitForSelector('body[data-view="lobby"] #conn[data-state="open"]')
}

/** Creates a table through the lobby form, moves to seat, fills the rest with bots and starts. */
export async function createAndStart (page, { target = 3, seat = 0 } = {}) {
  await page.selectOption('#target', String(target))
  await page.click('#create')
  await page.waitForSelector('#table[data-status="waiting"][data-me="0"]')
  if (seat !== 0) {
    await page.click(`button.sit[data-seat="${seat}"]`)
    await page.waitForSelector(`#table[data-me="${seat}"]`)
  }
  await page.click('#add-bots')
  await page.waitForSelector('#start:not([disabled])')
  await page.click('#start')
  await page.waitForSelector('#table[data-status="playing"]')
}

/**
 * Two people at one table: host creates a private table to target, friend
 * joins by its code (seat 1) and says ready, bots fill the other seats and
 * the host starts; resolves when both see the match running.
 */
export async function startWithFriend (host, friend, { target = 3 } = {}) {
  await host.selectOption('#target', String(target))
  await host.click('#create')
  await host.waitForSelector('#table[data-status="waiting"][data-me="0"]')
  await friend.fill('#join-id', (await host.textContent('#invite-code')).trim())
  await friend.click('#join')
  await friend.waitForSelector('#table[data-status="waiting"][data-me="1"]')
  await friend.click('#ready')
  await host.click('#add-bots')
  await host.waitForSelector('#start:not([disabled])')
  await host.click('#start')
  await host.waitForSelector('#table[data-status="playing"]')
  await friend.waitForSelector('#table[data-status="playing"]')
}

/** A card the player can play now; a suit button of the Hakem's picker. */
export const CARD = '#hand button.card[data-legal="true"]:not([disabled])'
export const TRUMP = '#trump-picker button[data-suit]:not([disabled])'

/**
 * Waits until the player can act: "trump", "card", or "over" (an element
 * matches over: the result, or a script's narrower choice). polling: as
 * waitForFunction's ('raf' for a script that acts the moment it can).
 */
export async function nextStep (page, { polling = 50, over = '#match-result', timeout = 20000 } = {}) {
  const handle = await page.waitForFunction(([over, trump, card]) => {
    if (document.querySelector(over)) return 'over'
    if (document.querySelector(trump)) return 'trump'
    if (document.querySelector(card)) return 'card'
    return false
  }, [over, TRUMP, CARD], { timeout, polling })
  return handle.jsonValue()
}

/** One move (the first suit, or the first legal card); waits for the table to move on. */
export async function move (page, step) {
  const seq = await page.getAttribute('#table', 'data-seq')
  await page.locator(step === 'trump' ? TRUMP : CARD).first().click()
  await page.waitForFunction(s => document.querySelector('#table').dataset.seq !== s, seq, { timeout: 15000 })
}

/** What the page shows and last sent, for a test that waited in vain. */
export function stuck (page) {
  return page.evaluate(() => JSON.stringify({
    view: document.body.dataset.view,
    table: { ...document.querySelector('#table')?.dataset },
    conn: document.querySelector('#conn')?.dataset.state,
    status: document.querySelector('#status')?.textContent,
    toast: document.querySelector('.toast')?.textContent,
    pending: document.querySelector('#hand .card.pending')?.dataset.card,
    focus: document.activeElement?.outerHTML.slice(0, 100),
    said: document.querySelector('#announce')?.textContent,
    sent: window.__hokmNet.sent.slice(-4),
    errors: window.__hokmNet.errors.slice(-2)
  }))
}

/**
 * Plays through the UI until the match is over or until(state) says stop:
 * chooses trump with the first suit button and plays the first legal card.
 * onStep(kind) runs before each action (for screenshots); wait: how long
 * the player may wait for their turn (nextStep's timeout). Returns the
 * number of actions taken and whether the match is over.
 */
export async function play (page, { until, onStep, wait } = {}) {
  let actions = 0
  for (;;) {
    const kind = await nextStep(page, { timeout: wait })
    if (kind === 'over') return { actions, over: true }
    if (until && await until(actions)) return { actions, over: false }
    if (onStep) await onStep(kind)
    const sel = kind === 'trump' ? TRUMP : CARD
    const before = await page.getAttribute('#table', 'data-seq')
    const sent = await page.evaluate(() => window.__hokmNet.sent.length)
    try {
      await page.locator(sel).first().click({ timeout: 3000 })
      // The page keeps the card's button across redraws (presses.mjs checks
      // that a press is never lost); a card that became unplayable between
      // the look and the click (a state the test did not wait for) sends
      // nothing: then look again.
      await page.waitForFunction(n => window.__hokmNet.sent.slice(n).some(f => f.type === 'play' || f.type === 'trump'), sent, { timeout: 2000, polling: 20 })
    } catch (err) {
      console.log(`a ${kind} click did not go out (no longer playable?): looking again`)
      continue
    }
    actions++
    // the action's events arrive before its answer; wait for the seq to move
    await page.waitForFunction(s => document.querySelector('#table')?.dataset.seq !== s, before, { timeout: 15000, polling: 20 })
      .catch(async (err) => fail(`the seq stayed at ${before} after a ${kind} was clicked: ${await stuck(page)}\n${err.message.split('\n')[0]}`))
    if (actions > 2000) fail('the match does not end')
  }
}

/**
 * Plays on inside the page, fast — a DOM click on the first legal card or
 * suit as soon as there is one, and on #rematch when the match ends if
 * rematch — until an element matches the selector stop, or the match ends
 * (without rematch). For tests whose subject is not the play itself but
 * what comes of it (a stored match, a hand's end): no Playwright round
 * trip per move. Resolves with the number of actions.
 */
export function playFast (page, { stop = null, rematch = false, timeout = 90000 } = {}) {
  return page.evaluate(async ([stop, rematch, timeout, trump, card]) => {
    const until = Date.now() + timeout
    const table = () => document.querySelector('#table')
    const pause = () => new Promise(resolve => setTimeout(resolve, 20))
    let actions = 0
    while (Date.now() < until) {
      if (stop && document.querySelector(stop)) return actions
      const over = document.querySelector('#match-result')
      if (over && !rematch) return actions
      const seq = table()?.dataset.seq
      const next = over ? document.querySelector('#rematch:not([disabled])')
        : document.querySelector(trump) || document.querySelector(card)
      if (!next) { await pause(); continue }
      next.click()
      if (!over) actions++
      while (table()?.dataset.seq === seq && Date.now() < until) await pause()
    }
    throw new Error(`playFast: not done in ${timeout} ms (${actions} actions)`)
  }, [stop, rematch, timeout, TRUMP, CARD])
}

/**
 * A person's press on the first element matching selector: the mouse down
 * on its centre, held for ms, then up (a click that spans redraws).
 */
export async function press (page, selector, ms = 120) {
  const box = await page.locator(selector).first().boundingBox()
  check(box, 'nothing to press: ' + selector)
  const x = box.x + box.width / 2
  const y = box.y + box.height / 2
  // what is under the pointer, and its state: for a press that made no click
  const under = () => page.evaluate(([x, y]) => {
    const el = document.elementFromPoint(x, y)?.closest('button') || document.elementFromPoint(x, y)
    return el ? `${el.tagName.toLowerCase()} ${el.dataset.card || el.id || el.className} disabled=${!!el.disabled} legal=${el.dataset.legal}` : 'nothing'
  }, [x, y])
  await page.mouse.move(x, y)
  const down = await under()
  await page.mouse.down()
  await page.waitForTimeout(ms)
  const up = await under()
  await page.mouse.up()
  return { down, up }
}

/** The frames of a type the page sent after the first n. */
export function sentSince (page, n, type) {
  return page.evaluate(([n, type]) => window.__hokmNet.sent.slice(n).filter(f => f.type === type), [n, type])
}

/** How many frames the page has sent. */
export function sentCount (page) {
  return page.evaluate(() => window.__hokmNet.sent.length)
}

/**
 * Calls the test's control endpoint on the Go side (controlURL + path,
 * POST with the query params); resolves with its JSON answer.
 */
export async function control (path, params = {}) {
  check(controlURL, 'this test needs a control URL (third argument)')
  const res = await fetch(controlURL + path + '?' + new URLSearchParams(params), { method: 'POST' })
  const body = await res.text()
  if (!res.ok) fail(`control ${path}: ${res.status} ${body}`)
  return JSON.parse(body)
}

/** The cards in the page's hand, sorted. */
export function handOf (page) {
  return page.evaluate(() => [...document.querySelectorAll('#hand .card')].map(c => c.dataset.card).sort())
}

/**
 * After a failure: what each page of the script still open shows (its
 * address, view, connection and the main element's data) and a screenshot
 * of it (FAIL-<script>-<n>.png), for a CI run whose failure cannot be
 * watched again.
 */
async function showPages (browser) {
  const script = process.argv[1].split('/').pop().replace(/\.mjs$/, '')
  let n = 0
  for (const page of browser.contexts().flatMap(c => c.pages())) {
    n++
    try {
      const seen = await page.evaluate(() => {
        const data = (sel) => { const e = document.querySelector(sel); return e ? { ...e.dataset } : null }
        const main = document.querySelector('#table, #tournament, #page-slot > *, main > section')
        return {
          url: location.href, body: { ...document.body.dataset }, conn: data('#conn'), main: main && { el: '#' + main.id, data: { ...main.dataset } },
          alert: document.querySelector(':not(.toast)[role="alert"]')?.textContent || null, toast: document.querySelector('.toast')?.textContent || null
        }
      })
      console.error(`page ${n}: ${JSON.stringify(seen)}`)
      await shot(page, `FAIL-${script}-${n}`)
    } catch (err) {
      console.error(`page ${n}: not readable (${err.message.split('\n')[0]})`)
    }
  }
}

/**
 * Runs main and exits non-zero with the error on failure, or when it takes
 * longer than limit seconds (150; a script whose length depends on the
 * deal, such as keyboard.mjs, says how long it may take at most).
 */
export async function run (main, { limit: seconds = 150 } = {}) {
  const limit = setTimeout(() => { console.error(`FAIL: the test took over ${seconds} s`); process.exit(1) }, seconds * 1000)
  limit.unref()
  const browser = await launch()
  const started = Date.now()
  try {
    await main(browser)
    console.log(`ok (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  } catch (err) {
    console.error('FAIL:', err.stack || err)
    process.exitCode = 1
    await showPages(browser)
  } finally {
    await browser.close()
  }
}

// The web client's performance on a phone profile — a benchmark, not a
// test (scripts/webbench runs it against a private server; nothing here
// fails on a slow figure). Chromium emulates a phone (393×851, touch,
// device scale 2.75) with its CPU slowed ×4, every load cold (a new
// context: no cache, no storage). It prints JSON:
//   assets: what a new visitor's first screen loads of the client — its
//     JavaScript, CSS and language strings (JSON) — uncompressed bytes;
//   firstScreenMs: navigation start → the guest form usable (a new visitor);
//   lobbyMs: navigation start → the lobby usable (create enabled, socket
//     open) for a returning visitor (a session token in storage);
//   pressMs: a click on a legal card → the first frame that shows a change
//     (the card leaves the hand or starts moving), over RUNS presses.
// Each figure: median and max over RUNS (env, default 7) cold loads.

import { baseURL, CARD, check, createAndStart, launch, nextStep, openAsGuest } from './lib.mjs'

const RUNS = Number(process.env.RUNS || 7)
const phone = {
  viewport: { width: 393, height: 851 }, deviceScaleFactor: 2.75, isMobile: true, hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36'
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
const summary = (xs) => ({ median: Math.round(median(xs)), max: Math.round(Math.max(...xs)), runs: xs.length })

async function throttled (context) {
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
  return page
}

/**
 * Time from navigation start until ready() holds on the page, cold. The
 * page times itself: an init script checks ready() every frame and keeps
 * the first time it held; the harness reads it over CDP afterwards. Not
 * Playwright's waitForFunction: that evaluates Playwright's own injected
 * script (hundreds of KB) on the page's throttled main thread during the
 * load, which added 100–180 ms of the harness's work to each figure
 * (measured with a trace, docs/client.md "Performance").
 */
async function coldLoad (browser, ready, storage) {
  const context = await browser.newContext(phone)
  if (storage) await context.addInitScript(s => { for (const [k, v] of Object.entries(s)) localStorage.setItem(k, v) }, storage)
  await context.addInitScript(`window.__readyAt = new Promise(resolve => {
    const look = () => { const v = (${ready})(); v ? resolve(v) : requestAnimationFrame(look) }
    requestAnimationFrame(look)
  })`)
  const page = await throttled(context)
  const cdp = await context.newCDPSession(page)
  const assets = new Map()
  page.on('response', async r => {
    const type = r.headers()['content-type'] || ''
    if (/javascript|css|json/.test(type) && !r.url().includes('/api/')) assets.set(r.url(), (await r.body()).length)
  })
  await page.goto(baseURL + '/', { waitUntil: 'commit' })
  const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', {
    expression: 'Promise.race([window.__readyAt, new Promise((_, no) => setTimeout(() => no(new Error("not ready in 30 s")), 30000))])',
    awaitPromise: true,
    returnByValue: true
  })
  check(!exceptionDetails && typeof result.value === 'number', `cold load: ${exceptionDetails?.exception?.description || 'no time'}`)
  await page.waitForLoadState('networkidle')
  await context.close()
  return { ms: result.value, assets: [...assets.values()].reduce((a, b) => a + b, 0) }
}

/** A session token for a returning visitor, from a page that started as a guest. */
async function returning (browser) {
  const context = await browser.newContext(phone)
  const page = await context.newPage()
  await openAsGuest(page, 'Bench')
  const storage = await page.evaluate(() => Object.fromEntries(Object.keys(localStorage).map(k => [k, localStorage.getItem(k)])))
  await context.close()
  return storage
}

/** Click-to-first-visible-change of legal cards during play against bots. */
async function presses (browser, n) {
  const context = await browser.newContext(phone)
  const page = await throttled(context)
  await openAsGuest(page, 'Bench')
  await createAndStart(page, { target: 7 })
  const out = []
  while (out.length < n) {
    const kind = await nextStep(page, { timeout: 30000 })
    if (kind === 'over') break
    if (kind === 'trump') { await page.locator('#trump-picker button[data-suit]').first().click(); continue }
    const card = await page.getAttribute(CARD, 'data-card')
    // Arm a watcher: the click's timestamp, then the first animation frame
    // after the card's button changed, left the hand, or began to animate.
    await page.evaluate((card) => {
      window.__press = new Promise(resolve => {
        const sel = `#hand button.card[data-card="${card}"]`
        let clicked = 0
        const btn = document.querySelector(sel)
        const changed = () => {
          const b = document.querySelector(sel)
          return !b || b !== btn || b.getAnimations().length > 0 || b.classList.contains('pending') || b.disabled
        }
        document.addEventListener('click', e => {
          clicked = e.timeStamp
          const look = () => changed() ? requestAnimationFrame(t => resolve(t - clicked)) : requestAnimationFrame(look)
          look()
        }, { capture: true, once: true })
      })
    }, card)
    const hand = await page.getAttribute('#table', 'data-hand')
    await page.click(`#hand button.card[data-card="${card}"]`)
    out.push(await page.evaluate(() => window.__press))
    // played: the card left the hand, or the hand ended (the next may deal the same card again)
    await page.waitForFunction(([c, n]) => !document.querySelector(`#hand button.card[data-card="${c}"]`) ||
      document.querySelector('#table')?.dataset.hand !== n, [card, hand], { timeout: 30000 })
  }
  await context.close()
  return out
}

const browser = await launch()
try {
  const first = []
  let assets = 0
  for (let i = 0; i < RUNS; i++) {
    const r = await coldLoad(browser, () => {
      const b = document.querySelector('#play-guest')
      return b && !b.disabled && performance.now()
    })
    first.push(r.ms)
    assets = Math.max(assets, r.assets)
  }
  const storage = await returning(browser)
  const lobby = []
  for (let i = 0; i < RUNS; i++) {
    lobby.push((await coldLoad(browser, () => {
      const create = document.querySelector('#create')
      return document.body.dataset.view === 'lobby' && document.querySelector('#conn')?.dataset.state === 'open' &&
        create && !create.disabled && performance.now()
    }, storage)).ms)
  }
  const press = await presses(browser, Math.max(RUNS * 2, 10))
  check(press.length > 0, 'no card was pressed')
  console.log(JSON.stringify({
    profile: 'phone 393x851, CPU throttled x4, cold loads over loopback',
    assets: { bytes: assets },
    firstScreenMs: summary(first),
    lobbyMs: summary(lobby),
    pressMs: summary(press)
  }, null, 2))
} finally {
  await browser.close()
}

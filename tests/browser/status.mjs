// The server's status notices and moves refused while Redis is down, on a
// phone in English and Persian. The notices are handed to the page as if the
// gateway had sent them, and the page's socket wrapper answers the first
// tries of a move with unavailable in the server's place: the page shows a
// banner for each service that is down (none while all is ok), sends the
// same move, with the same id, until it goes through, shows no error, and
// scrolls no sideways. A new socket starts with no status (the server sends
// it again after hello when something is down).

import { check, createAndStart, newPage, noProblems, openAsGuest, play, run, shot, switchLang } from './lib.mjs'

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
const status = (page, redis, postgres) => page.evaluate(([redis, postgres]) =>
  window.__hokmNet.inject({ type: 'notice', notice: 'status', redis, postgres }), [redis, postgres])
const MOVE = (f) => f.type === 'play' || f.type === 'trump'

/** The banners shown, by id, with their text. */
const banners = (page) => page.evaluate(() => Object.fromEntries(
  [...document.querySelectorAll('.banner.status')].map(b => [b.id, b.textContent])))

/** The hand is on the screen without scrolling, with the banners above it. */
async function handOnScreen (page, what) {
  const r = await page.evaluate(() => {
    const b = document.querySelector('#hand')?.getBoundingClientRect()
    return b && { l: b.left, r: b.right, bottom: b.bottom }
  })
  check(r && r.l >= 0 && r.r <= 390.5 && r.bottom <= 844, `${what}: the hand is off the screen: ${JSON.stringify(r)}`)
}

await run(async (browser) => {
  const page = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
  await openAsGuest(page, 'Leila لیلا')
  await createAndStart(page, { target: 3 })
  await page.waitForSelector('#hand .card')

  await status(page, 'down', 'ok')
  await page.waitForSelector('#status-redis')
  let shown = await banners(page)
  check(Object.keys(shown).join() === 'status-redis', 'banners with Redis down: ' + JSON.stringify(shown))
  check(shown['status-redis'].includes('your moves will go through as soon as it is back'), 'Redis banner: ' + shown['status-redis'])
  check(await overflow(page) <= 0, 'the Redis banner scrolls sideways on a phone')
  await handOnScreen(page, 'Redis down')

  // A move while Redis is down: answered unavailable three times, then it goes through.
  await page.evaluate(() => {
    let refused = 0
    window.__hokmNet.filter = (f) => (f.type === 'play' || f.type === 'trump') && refused++ < 3
      ? { type: 'error', id: f.id, code: 'unavailable', message: 'the server is busy' }
      : null
  })
  const before = (await page.evaluate(() => window.__hokmNet.sent)).filter(MOVE).length
  await play(page, { until: (n) => n >= 1 })
  const tries = (await page.evaluate(() => window.__hokmNet.sent)).filter(MOVE).slice(before)
  check(tries.length === 4, `the move was sent ${tries.length} times, want 4 (three refused)`)
  check(tries.every(f => JSON.stringify(f) === JSON.stringify(tries[0])), 'the move was not sent again as it was:\n' + tries.map(f => JSON.stringify(f)).join('\n'))
  check(!(await page.$('.toast')), 'an error was shown for a move that went through')
  await page.evaluate(() => { window.__hokmNet.filter = null })
  await shot(page, '15-phone-status-redis')

  // PostgreSQL down too, in Persian.
  await status(page, 'down', 'down')
  await switchLang(page)
  shown = await banners(page)
  check(Object.keys(shown).join() === 'status-redis,status-postgres', 'banners with both down: ' + JSON.stringify(shown))
  check(shown['status-redis'].includes('ارتباط با بازی قطع شده است'), 'Persian Redis banner: ' + shown['status-redis'])
  check(shown['status-postgres'].includes('پایگاه داده'), 'Persian PostgreSQL banner: ' + shown['status-postgres'])
  check(await overflow(page) <= 0, 'the Persian banners scroll sideways on a phone')
  await handOnScreen(page, 'both down, Persian')
  await shot(page, '16-phone-status-both-fa')

  // Redis is back; then PostgreSQL.
  await status(page, 'ok', 'down')
  await page.waitForSelector('#status-redis', { state: 'detached' })
  check(await page.isVisible('#status-postgres'), 'the PostgreSQL banner went with Redis back')
  await switchLang(page)
  shown = await banners(page)
  check(shown['status-postgres'].includes('Results will be saved when the database is back'), 'PostgreSQL banner: ' + shown['status-postgres'])
  await status(page, 'ok', 'ok')
  await page.waitForSelector('#status-postgres', { state: 'detached' })

  // A status is the socket's: a new socket starts without one.
  await status(page, 'down', 'down')
  await page.waitForSelector('#status-redis')
  await page.evaluate(() => { window.__hokmNet.blocked = true; window.__hokmNet.sockets.at(-1).close() })
  await page.waitForSelector('#reconnecting')
  await page.evaluate(() => { window.__hokmNet.blocked = false })
  await page.waitForSelector('#conn[data-state="open"]')
  check(Object.keys(await banners(page)).length === 0, 'a status outlived its socket: ' + JSON.stringify(await banners(page)))
  console.log('status banners shown and cleared; a move refused three times went through with its id ' + tries[0].id)
  noProblems(page)
})

// The server loses a table and rebuilds it a few moves back, as after a
// Redis restart from a state that lost its last moves (the Go side,
// internal/app/browser_restore_test.go, plays the fault through its control
// endpoint). The page shows a banner saying how many moves went back (the
// number the server's two states differ by, and the number of moves the
// page had been sent since), keeps the focus where it was, shows the hand the
// server has, drops the move it had in flight when the table was restored
// without an error and without sending it again, and the match is played to
// its end. The second time the socket is down while the table is restored:
// the page's sync with its old epoch gets the resync.

import { check, control, createAndStart, handOf, newPage, noProblems, openAsGuest, play, run, shot, switchLang } from './lib.mjs'

const movesSeen = (page) => page.evaluate(() => window.__hokmNet.moves)
const ACTIONS = '#trump-picker button[data-suit]:not([disabled]), #hand button.card[data-legal="true"]:not([disabled])'

/** Plays n actions through the UI and stops at the player's next turn (the table waits for them). */
async function playFor (page, n) {
  const { over } = await play(page, { until: (done) => done >= n })
  check(!over, 'the match ended too early for this test')
}

/** The page shows what the server has: the epoch, and the player's cards. */
async function sameAsServer (page, id, what) {
  const me = await page.getAttribute('#table', 'data-me')
  const st = await control('/state', { table: id, seat: me })
  const epoch = Number(await page.getAttribute('#table', 'data-epoch'))
  check(epoch === st.epoch, `${what}: the page is in epoch ${epoch}, the server in ${st.epoch}`)
  const hand = (await handOf(page)).join(' ')
  const server = [...st.cards].sort().join(' ')
  check(hand === server, `${what}: the page's hand is not the server's:\npage   ${hand}\nserver ${server}`)
  return st
}

/** Waits for the restored banner and checks the number of moves it gives. */
async function banner (page, want, what) {
  await page.waitForSelector('#restored', { timeout: 30000 })
  const back = await page.getAttribute('#restored', 'data-back')
  const text = await page.textContent('#restored span')
  check(back === String(want), `${what}: the banner counts ${back} moves back, want ${want} (${text})`)
  check(text.includes(`went back ${want} move`), `${what}: the banner says: ${text}`)
  check(await page.evaluate(() => !document.querySelector('#restored').contains(document.activeElement)), `${what}: the banner took the focus`)
  console.log(`${what}: "${text}"`)
}

/** The banner on a phone-sized screen, in Persian: no sideways scroll, the hand on the screen. */
async function onPhoneInPersian (page, back) {
  await page.setViewportSize({ width: 390, height: 844 })
  await switchLang(page)
  const m = await page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    hand: document.querySelector('#hand').getBoundingClientRect().toJSON(),
    text: document.querySelector('#restored span').textContent
  }))
  check(m.overflow <= 0, 'the restored banner scrolls sideways on a phone')
  check(m.hand.left >= 0 && m.hand.right <= 390.5 && m.hand.bottom <= 844, 'the hand is off the screen under the banner: ' + JSON.stringify(m.hand))
  const n = back.toLocaleString('fa-IR')
  check(m.text.includes(`${n} حرکت به عقب برگشت`), 'the Persian banner says: ' + m.text)
  await shot(page, '12-restored-banner-phone-fa')
  await switchLang(page)
  await page.setViewportSize({ width: 1100, height: 820 })
}

/** The moves counted from views (game.js), on a few hand-made views. */
async function countingChecks (page) {
  const got = await page.evaluate(async () => {
    const { movesOf, movesBack } = await import('/js/game.js')
    const trick = (n) => ({ leader: 0, plays: Array.from({ length: n }, (_, i) => ({ seat: i, card: 'AS' })) })
    const view = (o) => ({ hand: 0, trump: null, results: [], done: [], trick: trick(0), ...o })
    const finished = { tricks: [7, 3] } // a finished hand: trump + 40 cards
    const mid = view({ hand: 1, trump: 'S', results: [finished], done: [trick(4), trick(4)], trick: trick(1) })
    const st = (match, v, prev) => ({ info: { match }, view: v, prev })
    return {
      empty: movesOf(null),
      trumpPhase: movesOf(view({})),
      mid: movesOf(mid),
      handOver: movesOf(view({ hand: 1, trump: 'S', results: [finished, finished], done: [trick(4)] })),
      back: movesBack(st(1, mid), st(1, view({ hand: 1, trump: 'S', results: [finished] }))),
      ahead: movesBack(st(1, view({})), st(1, mid)),
      nextMatch: movesBack(st(1, mid), st(2, view({}))),
      earlierMatch: movesBack(st(2, view({ trump: 'H', trick: trick(2) }), { match: 1, moves: 60 }), st(1, mid)),
      unknown: movesBack(st(3, mid), st(1, mid))
    }
  })
  const want = { empty: 0, trumpPhase: 0, mid: 51, handOver: 82, back: 9, ahead: 0, nextMatch: 0, earlierMatch: 12, unknown: null }
  check(JSON.stringify(got) === JSON.stringify(want), `moves counted from views:\ngot  ${JSON.stringify(got)}\nwant ${JSON.stringify(want)}`)
}

await run(async (browser) => {
  const page = await newPage(browser)
  await openAsGuest(page, 'Nima نیما')
  await countingChecks(page)
  await page.selectOption('#turn-seconds', '60') // no auto-play while the fault is played
  // To 5 points: at least two hands, 14 tricks, so the ten moves the
  // player makes before the second restore cannot end the match (to 3, a
  // first hand won 7–0 by the Hakem's opponents, 3 points, ended it).
  await createAndStart(page, { target: 5 })
  const id = (await page.textContent('.scorebar .tid')).trim()

  // 1. On the live socket, with a move in flight.
  await playFor(page, 3)
  const kept = await control('/remember', { table: id })
  const seen0 = await movesSeen(page)
  await playFor(page, 2)
  const seen1 = await movesSeen(page)
  // the next move is held back from the server: in flight when the table is restored
  await page.evaluate(() => { window.__hokmNet.filter = (f) => f.type === 'play' || f.type === 'trump' ? 'hold' : null })
  await page.locator(ACTIONS).first().click()
  await page.waitForFunction(() => window.__hokmNet.held.length === 1)
  const r1 = await control('/restore', { table: id })
  const t1 = Date.now()
  check(r1.back === seen1 - seen0, `the server's states differ by ${r1.back} moves; the page was sent ${seen1 - seen0} since`)
  check(r1.back >= 2, `only ${r1.back} moves went back`)
  await banner(page, r1.back, 'restored on the live socket')
  console.log(`  banner ${Date.now() - t1} ms after Redis lost the table (the recovery checks every second)`)
  const st1 = await sameAsServer(page, id, 'after the live resync')
  check(st1.moves === kept.moves, `the server restored ${st1.moves} moves, want the kept row's ${kept.moves}`)

  // The held move was decided on the old state; had the server refused it
  // (as it would a card that no longer fits), the page drops it quietly.
  const held = await page.evaluate(() => {
    const net = window.__hokmNet
    const f = net.held.shift()
    net.filter = null
    net.inject({ type: 'error', id: f.id, code: 'not_your_turn', message: 'not your turn' })
    return f
  })
  await page.waitForSelector(ACTIONS) // the player acts again from the restored state
  check(!(await page.$('.toast')), 'an error was shown for the move that the restore superseded: ' + await page.textContent('.toast').catch(() => ''))
  const copies = await page.evaluate((id) => window.__hokmNet.sent.filter(f => f.id === id).length, held.id)
  check(copies === 1, `the superseded move was sent ${copies} times`)
  await shot(page, '12-restored-banner')
  await onPhoneInPersian(page, r1.back)
  await page.click('#restored-dismiss')
  await page.waitForSelector('#restored', { state: 'detached' })

  // 2. The socket is down while the table is restored.
  await playFor(page, 2)
  await control('/remember', { table: id })
  const seen2 = await movesSeen(page)
  await playFor(page, 2)
  const seen3 = await movesSeen(page)
  await page.evaluate(() => { window.__hokmNet.blocked = true; window.__hokmNet.sockets.at(-1).close() })
  await page.waitForSelector('#reconnecting')
  const r2 = await control('/restore', { table: id })
  check(r2.back === seen3 - seen2, `the server's states differ by ${r2.back} moves; the page was sent ${seen3 - seen2} since`)
  await page.evaluate(() => { window.__hokmNet.blocked = false })
  const t2 = Date.now()
  await banner(page, r2.back, 'restored while reconnecting')
  console.log(`  banner ${Date.now() - t2} ms after the network came back`)
  await page.waitForSelector('#conn[data-state="open"]')
  const syncs = await page.evaluate(() => window.__hokmNet.sent.filter(f => f.type === 'sync'))
  check(syncs.length > 0 && syncs.at(-1).epoch === st1.epoch, `the reconnect's sync did not name the old epoch ${st1.epoch}: ${JSON.stringify(syncs.at(-1))}`)
  await sameAsServer(page, id, 'after the resync of the reconnect')
  await shot(page, '13-restored-after-reconnect')

  const { actions, over } = await play(page)
  check(over, 'the match did not end after the restores')
  console.log(`went back ${r1.back} and ${r2.back} moves; the match ended ${actions} actions later`)
  await shot(page, '14-result-after-restores')
  noProblems(page)
})

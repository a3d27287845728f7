// Reloading the page mid-match puts the player back in the same seat with
// the same hand, and the match goes on to its end. Then the connection is
// cut and reconnecting is blocked for a while: the page shows that it is
// reconnecting and recovers on its own.

import { check, createAndStart, newPage, noProblems, openAsGuest, play, run, shot } from './lib.mjs'

const seatState = (page) => page.evaluate(() => ({
  me: document.querySelector('#table').dataset.me,
  hand: [...document.querySelectorAll('#hand .card')].map(c => c.dataset.card).sort().join(' '),
  name: document.querySelector('.seat.mine .name')?.textContent
}))

await run(async (browser) => {
  const page = await newPage(browser)
  await openAsGuest(page, 'Reza رضا')
  // sit in seat 2 (not the default 0) so "the same seat" means something
  await createAndStart(page, { target: 3, seat: 2 })

  await play(page, { until: (n) => n >= 4 })
  const before = await seatState(page)
  check(before.me === '2', 'not in seat 2 before the reload: ' + before.me)
  await page.reload()
  await page.waitForSelector('#table[data-status="playing"]')
  await page.waitForSelector('#conn[data-state="open"]')
  const after = await seatState(page)
  check(after.me === before.me, `seat changed across the reload: ${before.me} -> ${after.me}`)
  check(after.hand === before.hand, `hand changed across the reload:\n${before.hand}\n${after.hand}`)
  check(after.name === before.name, `name changed: ${before.name} -> ${after.name}`)
  console.log(`after the reload: seat ${after.me}, ${after.hand.split(' ').length} cards, name ${after.name}`)

  await play(page, { until: (n) => n >= 3 })
  // a dropped connection that cannot come back at once
  await page.evaluate(() => { window.__hokmNet.blocked = true; window.__hokmNet.sockets.at(-1).close() })
  await page.waitForSelector('#reconnecting')
  await shot(page, '04-reconnecting')
  await page.evaluate(() => { window.__hokmNet.blocked = false })
  await page.waitForSelector('#conn[data-state="open"]', { timeout: 15000 })
  check(!(await page.isVisible('#reconnecting')), 'the reconnecting banner stayed')
  check((await seatState(page)).me === '2', 'seat changed after reconnecting')

  const { over } = await play(page)
  check(over, 'the match did not end after the reload')
  await shot(page, '05-result-after-reload')
  noProblems(page)
})

// A guest opens the page, creates a table, fills it with bots, starts and
// plays a whole match through the UI, sees the result and starts a rematch.
// Screenshots: the lobby, the table mid-trick, the final result.

import { check, createAndStart, MOTION, newPage, noProblems, openAsGuest, play, run, shot } from './lib.mjs'

await run(async (browser) => {
  const page = await newPage(browser, MOTION)
  await openAsGuest(page, 'Sara')
  await shot(page, '01-lobby')

  // to 3 points: one hand at least (a kot of the Hakem's team ends it), most
  // often two or three; the cheapest whole match that still has our turn
  // with cards on the table (the motion makes this the costliest script:
  // ~0.2 CPU-seconds a move)
  await createAndStart(page, { target: 3 })
  let midTrick = false
  const { actions, over } = await play(page, {
    onStep: async (kind) => {
      if (midTrick || kind !== 'card') return
      const n = Number(await page.getAttribute('#trick', 'data-count'))
      if (n >= 1) { await shot(page, '02-table-mid-trick'); midTrick = true }
    }
  })
  check(over, 'the match did not end')
  check(midTrick, 'never saw a trick in progress on our turn')
  const result = await page.textContent('#match-result h2')
  check(/won|lost/.test(result), 'no result text: ' + result)
  const score = await page.textContent('#match-result p')
  console.log(`match over after ${actions} actions through the UI: ${result} ${score}`)
  // the page speaks protocol 2: a change's events come in one frame, with
  // the ack of the move that caused them
  const wire = await page.evaluate(() => window.__hokmNet.wire)
  check(wire.events > 0 && !wire.event, 'frames by type: ' + JSON.stringify(wire))
  await shot(page, '03-final-result')
  // the next match at the same table
  await page.click('#rematch')
  await page.waitForFunction(() => {
    const tb = document.querySelector('#table')
    return tb && tb.dataset.status === 'playing' && tb.dataset.phase !== 'over' && !document.querySelector('#match-result')
  })
  noProblems(page)
})

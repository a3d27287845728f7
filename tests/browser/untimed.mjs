// The time per turn of a new table: the form says what it means and shows
// the default (30 s) as chosen; "untimed" is offered for private tables only
// (disabled while "List in the lobby" is ticked); a private untimed table
// plays with no countdown and no deadline.

import { check, newPage, noProblems, openAsGuest, play, run, sentSince } from './lib.mjs'

await run(async (browser) => {
  const page = await newPage(browser)
  await openAsGuest(page, 'Sara')
  check(await page.inputValue('#turn-seconds') === '30', 'the default is not shown as chosen')
  check(/30/.test(await page.textContent('#turn-seconds option:checked')), 'the default has no text')
  check(/card/.test(await page.textContent('#turn-help')), 'no help for the time per turn')
  const untimed = '#turn-seconds option[value="untimed"]'
  check(!await page.isDisabled(untimed), 'untimed not offered for a private table')
  await page.selectOption('#turn-seconds', 'untimed')
  await page.check('#opt-public')
  await page.waitForSelector(untimed + '[disabled]', { state: 'attached' })
  check(await page.inputValue('#turn-seconds') === '30', 'a public table kept untimed')
  await page.uncheck('#opt-public')
  await page.waitForSelector(untimed + ':not([disabled])', { state: 'attached' })
  await page.selectOption('#turn-seconds', 'untimed')
  await page.selectOption('#target', '5') // at least two hands, 14 moves of ours: one Hakem-Kot ends a match to 3
  await page.click('#create')
  await page.waitForSelector('#table[data-status="waiting"][data-me="0"]')
  const [create] = await sentSince(page, 0, 'create_table')
  check(create.options.untimed === true && !create.options.public && !create.options.turn_seconds, 'not an untimed private table: ' + JSON.stringify(create))
  await page.click('#add-bots')
  await page.click('#start')
  await page.waitForSelector('#table[data-status="playing"]')
  let seen = 0
  await play(page, {
    until: (n) => n >= 12,
    onStep: async () => {
      seen++
      check(await page.locator('#clock').count() === 0, 'a countdown at an untimed table')
    }
  })
  check(seen >= 12, 'too few moves seen')
  console.log(`untimed private table: ${seen} moves without a countdown; untimed disabled for public`)
  noProblems(page)
})

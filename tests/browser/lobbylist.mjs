// The lobby's open tables: another player's public table shows up with its
// target, time per turn and seats taken (1/4, names), and changes when a
// third player sits (2/4); the quick match shows a running wait and what
// comes next. Screenshots: the lobby with a table (desktop, phone, Persian).

import { check, newPage, noProblems, openAsGuest, run, shot, switchLang } from './lib.mjs'

await run(async (browser) => {
  const page = await newPage(browser)
  const other = await newPage(browser)
  const third = await newPage(browser)
  await openAsGuest(page, 'Sara')
  await openAsGuest(other, 'Omid')
  await other.selectOption('#target', '5')
  await other.check('#opt-public')
  await other.selectOption('#turn-seconds', '60')
  await other.click('#create')
  await other.waitForSelector('#table[data-status="waiting"][data-me="0"]')
  const id = (await other.textContent('.scorebar .tid')).trim()
  const row = `#lobby-tables li:has(button[data-watch="${id}"])`
  await page.waitForSelector(row + ' .seats-taken[data-taken="1"]')
  const text = await page.textContent(row)
  check(/to 5/.test(text) && /60s\/turn/.test(text) && /1\/4/.test(text) && /Omid/.test(text), 'the entry lacks target, timing or seats: ' + text)
  await shot(page, 'lobby-01-tables')

  await openAsGuest(third, 'Reza')
  await third.click(`#lobby-tables button[data-join="${id}"]`)
  await third.waitForSelector('#table[data-me="1"]')
  await page.waitForSelector(row + ' .seats-taken[data-taken="2"]')
  check(/Reza/.test(await page.textContent(row)), 'the new player is not listed')

  await switchLang(page)
  await shot(page, 'lobby-02-tables-fa')
  await page.setViewportSize({ width: 390, height: 844 })
  await shot(page, 'lobby-03-tables-phone-fa')
  await switchLang(page)

  await page.click('#quick')
  await page.waitForSelector('#quick-wait')
  const first = await page.textContent('#quick-wait')
  await page.waitForFunction((t) => document.querySelector('#quick-wait')?.textContent !== t, first, { timeout: 3000 })
  const later = await page.textContent('#quick-wait')
  check(/Waiting \d+s/.test(later) && /bots/.test(later), 'no running wait or next step: ' + later)
  await shot(page, 'lobby-04-quick-phone')
  await page.click('#quick-cancel')
  await page.waitForSelector('#quick')
  console.log(`table ${id} listed with target, timing, 1/4 then 2/4; quick match: "${later}"`)
  noProblems(page)
  noProblems(other)
  noProblems(third)
})

// A private table: the host reads the join code off the page, a friend in
// another browser joins with it, takes a seat (choosing a partner), and
// leaves again before the start.

import { check, newPage, noProblems, openAsGuest, run } from './lib.mjs'

await run(async (browser) => {
  const host = await newPage(browser)
  const friend = await newPage(browser)
  await openAsGuest(host, 'Host')
  await host.click('#create')
  await host.waitForSelector('#table[data-status="waiting"][data-me="0"]')
  const code = (await host.textContent('#invite-code')).trim()
  check(/^[A-HJ-NP-Z2-9]{9}$/.test(code), 'no join code on the page: ' + code)

  await openAsGuest(friend, 'دوست Friend')
  await friend.fill('#join-id', code.toLowerCase())
  await friend.click('#join')
  await friend.waitForSelector('#table[data-status="waiting"]')
  const seat = await friend.getAttribute('#table', 'data-me')
  check(seat !== '-1' && seat !== '0', 'the friend did not get a seat: ' + seat)
  // sit opposite the host: partners
  await friend.click('button.sit[data-seat="2"]')
  await friend.waitForSelector('#table[data-me="2"]')
  await host.waitForFunction(() => document.querySelector('.seat[data-seat="2"] .name')?.textContent === 'دوست Friend')

  await friend.click('#leave')
  await friend.waitForSelector('body[data-view="lobby"]')
  await host.waitForSelector('.seat[data-seat="2"] .empty')
  console.log(`joined with code ${code}, sat in seat 2, left`)
  noProblems(host)
  noProblems(friend)
})

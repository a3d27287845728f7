// Invite a friend: the host of a private table reads the share link (same
// origin, /?join=CODE) and the code off the page and presses Copy; a new
// visitor opens the link, gives a name, is shown the table's free seats,
// picks seat 2 (join_code with seat) and sits there, on both pages.
// Screenshots: the invite panel (desktop, phone, Persian), the seat choice.

import { check, newPage, noProblems, openAsGuest, run, sentSince, shot, switchLang } from './lib.mjs'

await run(async (browser) => {
  const host = await newPage(browser)
  await openAsGuest(host, 'Hostess')
  await host.click('#create')
  await host.waitForSelector('#table[data-status="waiting"][data-me="0"]')
  const code = (await host.textContent('#invite-code')).trim()
  const link = await host.inputValue('#invite-link')
  check(link === new URL(host.url()).origin + '/?join=' + code, 'not a same-origin link with the code: ' + link)
  await host.click('#invite-copy')
  await host.waitForSelector('.toast')
  await shot(host, 'invite-01-panel')
  await switchLang(host)
  await host.setViewportSize({ width: 390, height: 844 })
  await shot(host, 'invite-02-panel-phone-fa')
  await switchLang(host)

  const friend = await newPage(browser)
  await friend.goto(link)
  await friend.waitForSelector('#invited')
  await friend.fill('#guest-name', 'Friend')
  await friend.click('#play-guest')
  await friend.waitForSelector('#table[data-status="waiting"][data-me="-1"] button.sit[data-seat="2"]')
  check(!friend.url().includes('join='), 'the link stays in the address: ' + friend.url())
  check(await friend.locator('button.sit').count() === 3, 'not the three free seats offered')
  await shot(friend, 'invite-03-seat-choice')
  await friend.click('button.sit[data-seat="2"]')
  await friend.waitForSelector('#table[data-me="2"]')
  const joins = await sentSince(friend, 0, 'join_code')
  check(joins.some(f => f.seat === 2 && f.code === code), 'no join_code with seat 2: ' + JSON.stringify(joins))
  await host.waitForFunction(() => document.querySelector('.seat[data-seat="2"] .name')?.textContent === 'Friend')
  // seated, not watching: a reload comes back to the seat
  await friend.reload()
  await friend.waitForSelector('#table[data-me="2"]')
  console.log(`opened ${link} as a new visitor, chose seat 2`)
  noProblems(host)
  noProblems(friend)
})

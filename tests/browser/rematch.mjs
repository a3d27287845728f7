// The rematch needs each person's yes: two people and two bots play a
// match to 3; the host says "Play again": no start yet, the host's page
// shows the yes and waits for the friend, with the offer's countdown, and
// the friend's page shows who said yes; the friend says yes: both play the
// next match. Screenshots: the rematch offer (English, Persian, phone).

import { check, newPage, noProblems, openAsGuest, playFast, run, shot, startWithFriend, switchLang } from './lib.mjs'

await run(async (browser) => {
  const host = await newPage(browser)
  const friend = await newPage(browser)
  await openAsGuest(host, 'Hostess')
  await openAsGuest(friend, 'Friend')
  await startWithFriend(host, friend, { target: 3 })

  const [a, b] = await Promise.all([playFast(host), playFast(friend)]) // the subject is what comes after the match
  check(await host.$('#match-result') && await friend.$('#match-result'), 'the match did not end')
  await host.waitForSelector('#offer-clock')
  const clock = await host.textContent('#offer-clock')
  check(/\d+s/.test(clock), 'no countdown of the offer: ' + clock)

  await host.click('#rematch')
  await host.waitForSelector('#rematch[aria-pressed="true"][disabled]')
  await host.waitForFunction(() => /Friend/.test(document.querySelector('#offer-waiting')?.textContent))
  await friend.waitForFunction(() => /Hostess/.test(document.querySelector('#offer-yes')?.textContent))
  await host.waitForSelector('.seat[data-seat="0"] .badge.ready')
  check(await host.getAttribute('#table', 'data-status') === 'finished', 'a match started on one yes')
  check(await friend.getAttribute('#table', 'data-status') === 'finished', 'a match started on one yes')
  await shot(host, 'rematch-01-offer')
  await switchLang(host)
  await shot(host, 'rematch-02-offer-fa')
  await switchLang(host)
  await friend.setViewportSize({ width: 390, height: 844 })
  await shot(friend, 'rematch-03-offer-phone')

  await friend.click('#rematch')
  for (const p of [host, friend]) {
    await p.waitForFunction(() => {
      const tb = document.querySelector('#table')
      return tb && tb.dataset.status === 'playing' && tb.dataset.phase !== 'over' && !document.querySelector('#match-result')
    })
  }
  console.log(`match to 3 played by two people (${a}+${b} actions); the rematch started on the second yes`)
  noProblems(host)
  noProblems(friend)
})

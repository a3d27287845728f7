// The host and a friend at a private table before the start: the friend
// (joined by code) sees no Start, Fill or Move, a Ready toggle and who is to
// start; a start frame forged from the friend's page is refused not_host;
// the host moves the friend to another seat (⇄, keyboard) and both pages show
// it; the host's Start stays disabled, naming the friend, until the friend is
// ready; then the match starts on both pages. Bots show their names (Sohrab…)
// with a "bot" badge. Screenshots: the waiting table as host and as non-host.

import { check, newPage, noProblems, openAsGuest, run, shot, switchLang } from './lib.mjs'

/** Sends frame on the page's socket and resolves with the server's answer to it. */
function forge (page, frame) {
  return page.evaluate((f) => new Promise((resolve) => {
    const ws = window.__hokmNet.sockets.at(-1)
    const on = (m) => { const r = JSON.parse(m.data); if (r.id === f.id) { ws.removeEventListener('message', on); resolve(r) } }
    ws.addEventListener('message', on)
    ws.send(JSON.stringify(f))
  }), frame)
}

await run(async (browser) => {
  const host = await newPage(browser)
  const friend = await newPage(browser)
  await openAsGuest(host, 'Hostess')
  await host.click('#create')
  await host.waitForSelector('#table[data-status="waiting"][data-me="0"]')
  await host.waitForSelector('.seat[data-seat="0"] .badge.host')
  const code = (await host.textContent('#invite-code')).trim()
  const table = (await host.textContent('.scorebar .tid')).trim()

  await openAsGuest(friend, 'Friend')
  await friend.fill('#join-id', code)
  await friend.click('#join')
  await friend.waitForSelector('#table[data-status="waiting"][data-me="1"]')
  // the friend: no host controls, a ready toggle, who starts
  check(await friend.locator('#start, #add-bots, button.swap').count() === 0, 'the friend sees host controls')
  await friend.waitForSelector('#ready[aria-pressed="false"]')
  const wait = await friend.textContent('#status')
  check(/Hostess/.test(wait) && /start/.test(wait), 'the friend is not told who starts: ' + wait)
  await friend.waitForSelector('.seat[data-seat="1"] .badge.unready')
  const forged = await forge(friend, { type: 'start', id: 'forged-start', table })
  check(forged.type === 'error' && forged.code === 'not_host', 'a forged start was not refused not_host: ' + JSON.stringify(forged))

  // the host fills the table; Start stays disabled, naming who is not ready
  await host.click('#add-bots')
  await host.waitForSelector('.seat[data-seat="3"] .botmark')
  const bots = await host.$$eval('.seat .plate', ps => ps.filter(p => p.querySelector('.botmark')).map(p => p.querySelector('.name').textContent))
  check(bots.join() === 'Tahmineh,Gordafarid', 'bots are not named: ' + bots)
  check(await host.isDisabled('#start'), 'Start is enabled while the friend is not ready')
  const why = await host.textContent('#status')
  check(/Friend/.test(why), 'the host is not told who is not ready: ' + why)
  await shot(host, 'host-01-waiting-as-host')
  await shot(friend, 'host-02-waiting-as-guest')
  for (const p of [host, friend]) { await switchLang(p); await p.setViewportSize({ width: 390, height: 844 }) }
  await shot(host, 'host-03-waiting-as-host-phone-fa')
  await shot(friend, 'host-04-waiting-as-guest-phone-fa')
  for (const p of [host, friend]) { await switchLang(p); await p.setViewportSize({ width: 1100, height: 820 }) }

  // the host moves the friend from seat 1 to seat 2, by keyboard
  await host.focus('.seat[data-seat="1"] button.swap')
  await host.keyboard.press('Enter')
  await host.waitForSelector('.seat[data-seat="1"] button.swap.active')
  await host.focus('.seat[data-seat="2"] button.swap.target')
  await host.keyboard.press('Enter')
  await friend.waitForSelector('#table[data-me="2"]')
  await host.waitForFunction(() => document.querySelector('.seat[data-seat="2"] .name')?.textContent === 'Friend' &&
    document.querySelector('.seat[data-seat="1"] .name')?.textContent === 'Sohrab')
  await friend.waitForFunction(() => document.querySelector('.seat[data-seat="0"] .badge.host'))
  check(await host.isDisabled('#start'), 'Start is enabled while the friend is not ready')

  // ready: the host may start, and the match starts for both
  await friend.click('#ready')
  await friend.waitForSelector('#ready[aria-pressed="true"]')
  await host.waitForSelector('.seat[data-seat="2"] .badge.ready')
  await host.waitForSelector('#start:not([disabled])')
  await host.click('#start')
  await host.waitForSelector('#table[data-status="playing"]')
  await friend.waitForSelector('#table[data-status="playing"][data-me="2"]')
  console.log(`friend joined ${table}, was refused a forged start, moved to seat 2, got ready; the host started`)
  noProblems(host)
  noProblems(friend)
})

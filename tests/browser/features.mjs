// Accounts, lobby, spectators, chat and history through the page: a player
// signs up, lists a table in the lobby, a guest in another browser watches
// it from the lobby listing, they chat, the player plays the match to the
// end while the spectator never holds a hand, then opens the history and
// replays the match trick by trick, and logs out.

import { check, fail, newPage, noProblems, play, run, shot } from './lib.mjs'
import { baseURL } from './lib.mjs'

await run(async (browser) => {
  const player = await newPage(browser)
  await player.goto(baseURL + '/')
  await player.waitForSelector('#register')
  await player.fill('#username', 'p' + Date.now().toString(36))
  await player.fill('#password', 'correct horse battery')
  await player.click('#register')
  await player.waitForSelector('body[data-view="lobby"] #conn[data-state="open"]')
  check(!(await player.textContent('.top .me')).includes('guest'), 'a registered player is shown as a guest')

  await player.selectOption('#target', '3')
  await player.check('#opt-public')
  await player.click('#create')
  await player.waitForSelector('#table[data-status="waiting"][data-me="0"]')
  const id = (await player.textContent('.scorebar .tid')).trim()

  const watcher = await newPage(browser)
  await watcher.goto(baseURL + '/')
  await watcher.fill('#guest-name', 'Watcher ناظر')
  await watcher.click('#play-guest')
  await watcher.click(`button[data-watch="${id}"]`)
  await watcher.waitForSelector(`#table[data-me="-1"]`)

  await player.click('.chat summary')
  await player.fill('#chat-input', 'salam سلام')
  await player.press('#chat-input', 'Enter')
  await watcher.click('.chat summary')
  await watcher.waitForFunction(() => document.querySelector('#chat-log')?.textContent.includes('salam سلام'))

  await player.click('#add-bots')
  await player.waitForSelector('#start:not([disabled])')
  await player.click('#start')
  await watcher.evaluate(() => {
    window.__sawHand = false
    new MutationObserver(() => { if (document.querySelector('#hand .card')) window.__sawHand = true })
      .observe(document.body, { childList: true, subtree: true })
  })
  let watched = false // the spectator saw a card on the table
  const { over } = await play(player, {
    onStep: async () => {
      if (!watched && await watcher.$('#trick .face')) { await shot(watcher, '09-spectator'); watched = true }
    }
  })
  check(over, 'the match did not end')
  check(watched, 'the spectator never saw a played card')
  await watcher.waitForSelector('#match-result').catch(async (err) => {
    const state = await watcher.evaluate(() => `${document.querySelector('#table')?.outerHTML.slice(0, 300)} ${document.querySelector('#status')?.textContent}`)
    fail('the spectator did not see the end of the match: ' + state + '\n' + err.message.split('\n')[0])
  })
  check(!(await watcher.evaluate(() => window.__sawHand)), 'the spectator was shown a hand')

  await player.click('#leave')
  await player.waitForSelector('body[data-view="lobby"]')
  // the match reaches PostgreSQL shortly after it ends
  for (let i = 0; ; i++) {
    await player.click('#history-link')
    await player.waitForSelector('#history')
    if (await player.$('#history button[data-match]')) break
    check(i < 40, 'the finished match never showed in the history')
    await player.waitForTimeout(250)
  }
  await shot(player, '10-history')
  await player.click('#history button[data-match]')
  await player.waitForSelector('#replay .replay-seat')
  const first = await player.textContent('#replay')
  await player.click('#replay-next')
  check(first !== await player.textContent('#replay'), 'the replay did not move on')
  await shot(player, '11-replay')

  await player.click('#logout')
  await player.waitForSelector('body[data-view="welcome"]')
  noProblems(player)
  noProblems(watcher)
})

// Typing in the chat during a match: the text, the caret and the focus
// survive the redraws of a running match (the turn clock ticks every
// second, bots play, cards are dealt) and the message goes out as typed.
// The player's own cards are played by a script in the page, 1.5 s into
// each turn, with element.click(), which does not move the focus: the match
// goes on, its clock ticking, while the player types at a person's speed
// (80 ms a key) for over ten seconds. The page used to rebuild every
// element on every redraw: the input was replaced, the text and the focus
// were lost.

import { check, createAndStart, newPage, noProblems, openAsGuest, run, shot } from './lib.mjs'

const PARTS = ['salam! ', 'khoobin? ', 'سلام دوستان، ', 'بازی خوبی است', ' :)']

await run(async (browser) => {
  const page = await newPage(browser)
  await openAsGuest(page, 'Mina مینا')
  await page.check('#opt-all') // 13 tricks a hand: the match lasts
  await createAndStart(page, { target: 7 })

  // our turns: trump or the first legal card, 1.5 s after the turn comes (the clock ticks meanwhile)
  await page.evaluate(() => {
    let since = null
    window.__autoplay = setInterval(() => {
      const b = document.querySelector('#trump-picker button[data-suit]:not([disabled])') ||
        document.querySelector('#hand button.card[data-legal="true"]:not([disabled])')
      if (!b) { since = null; return }
      since = since ?? Date.now()
      if (Date.now() - since >= 1500) { since = null; b.click() }
    }, 100)
    // the turn clock's changes, as the player sees them
    window.__ticks = 0
    let last = null
    window.__clock = setInterval(() => {
      const c = document.querySelector('#clock')?.textContent ?? null
      if (c !== last && c != null) window.__ticks++
      last = c
    }, 100)
  })

  await page.click('.chat summary')
  await page.click('#chat-input')
  const moves0 = await page.evaluate(() => window.__hokmNet.moves)
  const started = Date.now()
  let typed = ''
  for (const part of PARTS) {
    await page.keyboard.type(part, { delay: 80 })
    typed += part
    await page.waitForTimeout(1500)
    const now = await page.evaluate(() => ({ value: document.querySelector('#chat-input')?.value, focus: document.activeElement?.id }))
    check(now.value === typed, `after ${((Date.now() - started) / 1000).toFixed(1)} s the chat input holds ${JSON.stringify(now.value)}, want ${JSON.stringify(typed)}`)
    check(now.focus === 'chat-input', `after ${((Date.now() - started) / 1000).toFixed(1)} s the focus is on ${JSON.stringify(now.focus)}, not the chat input`)
  }
  while (Date.now() - started < 10000) await page.waitForTimeout(250)
  const during = await page.evaluate(() => ({
    moves: window.__hokmNet.moves,
    ticks: window.__ticks,
    status: document.querySelector('#table').dataset.status,
    caret: [document.activeElement.selectionStart, document.activeElement.selectionEnd, document.activeElement.value.length]
  }))
  check(during.moves - moves0 >= 4, `only ${during.moves - moves0} moves were played while typing: the match was not running`)
  check(during.ticks >= 5, `the turn clock changed only ${during.ticks} times while typing`)
  check(during.caret[0] === during.caret[2] && during.caret[1] === during.caret[2], 'the caret moved: ' + during.caret.join(' '))
  await shot(page, '22-chat-typed')

  await page.keyboard.press('Enter')
  await page.waitForFunction(() => window.__hokmNet.sent.some(f => f.type === 'chat'))
  const chats = await page.evaluate(() => window.__hokmNet.sent.filter(f => f.type === 'chat').map(f => f.text))
  check(chats.length === 1 && chats[0] === typed.trim(), 'sent: ' + JSON.stringify(chats))
  await page.waitForFunction((text) => [...document.querySelectorAll('#chat-log li')].some(li => li.textContent.endsWith(text)), typed.trim())
  await page.waitForFunction(() => document.querySelector('#chat-input').value === '')
  check(await page.evaluate(() => document.activeElement.id === 'chat-input'), 'the focus left the chat input after sending')
  await page.evaluate(() => { clearInterval(window.__autoplay); clearInterval(window.__clock) })
  console.log(`typed for ${((Date.now() - started) / 1000).toFixed(1)} s through ${during.moves - moves0} moves and ${during.ticks} clock changes; sent "${chats[0]}"`)
  noProblems(page)
})

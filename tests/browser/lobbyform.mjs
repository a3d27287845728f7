// What a guest types and chooses in the lobby survives the lobby's updates.
// Half-way through filling in the sign-up form (focus in the password, the
// caret at its end) and with the new-table options set, another player in
// another browser creates public tables, three times: each appears in the
// list (and goes when that player leaves it). The fields keep their text,
// the focus and the caret stay, the options stay as set, the guest types
// on, and a table created then has the options chosen. The page used to
// rebuild every element on each lobby update: the fields were emptied and
// the options reset.

import { check, newPage, noProblems, openAsGuest, run, shot } from './lib.mjs'

const form = (page) => page.evaluate(() => ({
  username: document.querySelector('.lobby #username')?.value,
  password: document.querySelector('.lobby #password')?.value,
  focus: document.activeElement?.id,
  caret: document.activeElement?.selectionStart,
  target: document.querySelector('#target')?.value,
  all: document.querySelector('#opt-all')?.checked,
  hide: document.querySelector('#opt-hide')?.checked,
  pub: document.querySelector('#opt-public')?.checked,
  turn: document.querySelector('#turn-seconds')?.value,
  join: document.querySelector('#join-id')?.value
}))

await run(async (browser) => {
  const page = await newPage(browser)
  const other = await newPage(browser)
  await openAsGuest(page, 'Dina دینا')
  await openAsGuest(other, 'Omid امید')

  await page.selectOption('#target', '5')
  await page.check('#opt-hide')
  await page.check('#opt-public')
  await page.selectOption('#turn-seconds', '60')
  await page.fill('#join-id', 'not-yet')
  await page.fill('.lobby #username', 'dina' + Date.now().toString(36))
  await page.click('.lobby #password')
  await page.keyboard.type('correct hor', { delay: 30 })
  const want = await form(page)
  check(want.focus === 'password' && want.caret === 11, 'the set-up did not leave the caret at the end of the password: ' + JSON.stringify(want))

  for (let i = 1; i <= 3; i++) {
    await other.check('#opt-public')
    await other.click('#create')
    await other.waitForSelector('#table[data-status="waiting"][data-me="0"]')
    const id = (await other.textContent('.scorebar .tid')).trim()
    await page.waitForSelector(`#lobby-tables button[data-watch="${id}"]`)
    if (i === 1) await shot(page, '23-lobby-form-kept')
    let now = await form(page)
    check(JSON.stringify(now) === JSON.stringify(want), `after table ${i} appeared in the lobby:\nnow  ${JSON.stringify(now)}\nwant ${JSON.stringify(want)}`)
    await other.click('#leave')
    await other.waitForSelector('body[data-view="lobby"]')
    await page.waitForSelector(`#lobby-tables button[data-watch="${id}"]`, { state: 'detached' })
    now = await form(page)
    check(JSON.stringify(now) === JSON.stringify(want), `after table ${i} left the lobby:\nnow  ${JSON.stringify(now)}\nwant ${JSON.stringify(want)}`)
  }

  // the guest types on where they were
  await page.keyboard.type('se battery', { delay: 30 })
  check((await form(page)).password === 'correct horse battery', 'typing on did not continue the password')
  // and the table gets the options chosen
  await page.click('#create')
  await page.waitForSelector('#table[data-status="waiting"][data-me="0"]')
  const create = await page.evaluate(() => window.__hokmNet.sent.find(f => f.type === 'create_table'))
  const got = JSON.stringify({ rules: create.rules, options: create.options })
  const expected = JSON.stringify({
    rules: { target: 5, play_all_tricks: false, hide_until_trump: true, random_first_hakem: false },
    options: { public: true, turn_seconds: 60 }
  })
  check(got === expected, `the table was created with\n${got}\nwant\n${expected}`)
  console.log('the sign-up fields, focus, caret and table options survived 3 tables created and left by another player')
  noProblems(page)
  noProblems(other)
})

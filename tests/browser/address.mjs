// Each page has its own address, so the browser's back and forward move
// between pages and a page survives a reload or a shared link: a guest goes
// lobby → leaderboards → account (#leaders, #account in the address bar),
// back twice to the lobby (no hash), forward to the leaderboards; a
// reload on #account opens the account page again once the session is
// back; a link to a page (#history) opens it, when followed and when
// loaded afresh. At a table, back changes nothing on
// screen.

import { baseURL, check, createAndStart, newPage, noProblems, openAsGuest, run } from './lib.mjs'

const hash = (page) => page.evaluate(() => location.hash)

async function on (page, want, selector, what) {
  await page.waitForSelector(selector)
  const h = await hash(page)
  check(h === want, `${what}: the address has ${JSON.stringify(h)}, want ${JSON.stringify(want)}`)
  console.log(`${what}: ${selector} with ${JSON.stringify(h)}`)
}

await run(async (browser) => {
  const page = await newPage(browser)
  await openAsGuest(page, 'Nima')
  await on(page, '', 'body[data-view="lobby"]', 'the lobby')
  await page.click('#nav-leaders')
  await on(page, '#leaders', 'body[data-view="page"] #leaders', 'the leaderboards')
  await page.click('#nav-account')
  await on(page, '#account', 'body[data-view="page"] #nav-account[aria-current="page"]', 'the account page')

  await page.goBack()
  await on(page, '#leaders', 'body[data-view="page"] #leaders', 'back')
  await page.goBack()
  await on(page, '', 'body[data-view="lobby"] #create', 'back again')
  await page.goForward()
  await on(page, '#leaders', 'body[data-view="page"] #leaders', 'forward')

  await page.click('#nav-account')
  await page.waitForSelector('#nav-account[aria-current="page"]')
  await page.reload()
  await on(page, '#account', 'body[data-view="page"] #nav-account[aria-current="page"]', 'after a reload')

  // a link to a page: followed in this tab, then loaded afresh (a reload of it)
  await page.goto(baseURL + '/#history')
  await on(page, '#history', 'body[data-view="page"] #history-link[aria-current="page"]', 'a link to the history')
  await page.reload()
  await on(page, '#history', 'body[data-view="page"] #history-link[aria-current="page"]', 'that link loaded afresh')

  // at a table, back leaves nothing: the table stays on screen
  await page.click('#nav-lobby')
  await page.waitForSelector('body[data-view="lobby"] #create')
  await createAndStart(page, { target: 3 })
  await page.goBack().catch(() => null) // there may be nothing to go back to in this tab
  await page.waitForTimeout(300)
  check(await page.$('body[data-view="table"] #table[data-status="playing"]'), 'back at a table took the table off the screen')
  console.log('back at a table: the table stays')
  noProblems(page)
})

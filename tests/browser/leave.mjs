// Leaving a running match asks first, in the page (no window.confirm):
// Stay keeps the seat (nothing sent), Escape too, and either gives the
// focus back to Leave; Leave gives it up and
// goes back to the lobby. The bots sit under their names (Sohrab,
// Tahmineh, Gordafarid) with a bot badge, and the status line names them.
// Screenshot: the dialog.

import { check, createAndStart, fail, newPage, noProblems, openAsGuest, run, sentSince, shot } from './lib.mjs'

await run(async (browser) => {
  const page = await newPage(browser)
  page.on('dialog', d => { page.problems.push('a browser dialog: ' + d.message()); d.dismiss() })
  await openAsGuest(page, 'Sara')
  await createAndStart(page, { target: 3 })
  const bots = await page.$$eval('.seat .plate', ps => ps.filter(p => p.querySelector('.botmark')).map(p => p.querySelector('.name').textContent))
  check(bots.sort().join() === 'Gordafarid,Sohrab,Tahmineh', 'bot names: ' + bots)
  await page.waitForFunction(() => /Sohrab|Tahmineh|Gordafarid|Your turn|Choose trump/.test(document.querySelector('#status')?.textContent))

  await page.click('#leave')
  await page.waitForSelector('#leave-dialog')
  await page.waitForFunction(() => document.activeElement?.id === 'leave-cancel', null, { timeout: 2000 })
    .catch(() => fail('Stay is not focused'))
  await shot(page, 'leave-01-dialog')
  await page.click('#leave-cancel')
  await page.waitForSelector('#leave-dialog', { state: 'detached' })
  await focusBack(page, 'Stay')
  await page.click('#leave')
  await page.waitForFunction(() => document.activeElement?.id === 'leave-cancel', null, { timeout: 2000 })
    .catch(() => fail('Stay is not focused the second time'))
  await page.keyboard.press('Escape')
  await page.waitForSelector('#leave-dialog', { state: 'detached' })
  await focusBack(page, 'Escape')
  check((await sentSince(page, 0, 'leave')).length === 0, 'a leave was sent')
  check(await page.getAttribute('#table', 'data-me') === '0', 'the seat was lost')

  await page.click('#leave')
  await page.click('#leave-confirm')
  await page.waitForSelector('body[data-view="lobby"]')
  check((await sentSince(page, 0, 'leave')).length === 1, 'no leave sent')
  console.log(`bots ${bots.join(', ')}; Stay and Escape kept the seat and gave the focus back to Leave; Leave left`)
  noProblems(page)
})

// closing the question puts the focus back on the button that asked it
async function focusBack (page, how) {
  await page.waitForFunction(() => document.activeElement?.id === 'leave', null, { timeout: 2000 })
    .catch(() => fail(`${how} did not give the focus back to Leave`))
}

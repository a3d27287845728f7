// Quick match: four guests in four browsers ask for a game at once; the
// queue seats them at one table and each page moves to it by itself.

import { check, fail, newPage, noProblems, openAsGuest, run } from './lib.mjs'

await run(async (browser) => {
  const names = ['Ali علی', 'Bita', 'Cyrus', 'Dara']
  const pages = await Promise.all(names.map(() => newPage(browser, { viewport: { width: 800, height: 700 } })))
  await Promise.all(pages.map((p, i) => openAsGuest(p, names[i])))
  await Promise.all(pages.map(p => p.click('#quick')))
  try {
    await Promise.all(pages.map(p => p.waitForSelector('body[data-view="table"] #table[data-me]:not([data-me="-1"])', { timeout: 30000 })))
  } catch (err) {
    const states = await Promise.all(pages.map(p => p.evaluate(() => `${document.body.dataset.view} conn=${document.querySelector('#conn')?.dataset.state} ${document.querySelector('main')?.innerText.slice(0, 80).replace(/\n/g, ' ')}`)))
    fail('not every page reached the table:\n' + states.join('\n'))
  }
  const tables = await Promise.all(pages.map(p => p.textContent('.scorebar .tid')))
  check(new Set(tables).size === 1, 'the four players were not seated together: ' + tables.join(' '))
  const seats = await Promise.all(pages.map(p => p.getAttribute('#table', 'data-me')))
  check(new Set(seats).size === 4, 'seats are not four different ones: ' + seats.join(' '))
  console.log(`quick match: table ${tables[0]}, seats ${seats.join(' ')}`)
  pages.forEach(noProblems)
})

// The leaderboards and players' pages show what the API gives. Two people
// play a match together (with two bots); in one's history the other's name
// opens the other's public page, which shows their profile, statistics,
// rating and recent matches as GET /api/players/{id}, …/stats, …/page and
// the all-time board give them. The leaderboards page, for each period
// (daily, weekly, all time), lists the entries of GET
// /api/leaderboards/{period} in order, each value as the API has it; a name
// there opens that player's page, whose back button returns to the board.
// Screenshots: the leaderboards and a player's page, desktop and phone,
// English and Persian.

import { baseURL, check, newPage, noProblems, openAsGuest, playFast, run, shot, startWithFriend } from './lib.mjs'
import { checkStats, desktopShots, get, num, pct, phoneShots, ratingOf, register, stored } from './pageslib.mjs'

/**
 * Checks the player page on screen against the API; returns the player's
 * name. earlier is the player's rating on the all-time board read before
 * the page was opened (the page shows it or a refreshed board's).
 */
async function checkPlayer (page, id, earlier) {
  await page.waitForSelector(`#player[data-player="${id}"] #stats`)
  const profile = await get(null, `/api/players/${id}`)
  const stats = await get(null, `/api/players/${id}/stats`)
  const live = await get(null, `/api/players/${id}/page`)
  check(await page.textContent('#player h2 bdi') === profile.name, `the player page names ${await page.textContent('#player h2 bdi')}, the API ${profile.name}`)
  await checkStats(page, '#player', stats, [earlier, await ratingOf(id)])
  const shown = await page.$$eval('#player-matches li', els => els.map(e => ({ id: e.dataset.match, text: e.querySelector('b').textContent })))
  check(shown.length === live.matches.length, `${shown.length} recent matches shown, the API has ${live.matches.length}`)
  live.matches.forEach((m, i) => {
    const us = m.seat % 2
    const want = `${m.won ? 'won' : 'lost'} ${m.score[us]}–${m.score[1 - us]}`
    check(shown[i].id === m.id && shown[i].text === want, `recent match ${i}: ${JSON.stringify(shown[i])}, want ${m.id} ${want}`)
  })
  const liveShown = !!await page.$('#player-live')
  check(liveShown === !!live.live || liveShown === !!(await get(null, `/api/players/${id}/page`)).live, 'the live table is shown or not unlike the API')
  return profile.name
}

/** Checks the board on screen against the API's answer (fetched before and after: a snapshot may be refreshed between). */
async function checkBoard (page, period) {
  const before = await get(null, '/api/leaderboards/' + period)
  await page.click(`#leaders button[data-period="${period}"]`)
  await page.waitForSelector(`#leaders button[data-period="${period}"][aria-pressed="true"]`)
  await page.waitForSelector(`#leaderboard${before.entries.length ? `[data-period="${period}"]` : ''}`)
  const rows = await page.$$eval('#leaderboard tbody tr', trs => trs.map(tr => ({ id: tr.dataset.player, cells: [...tr.cells].map(td => td.textContent) })))
  const same = (d) => rows.length === d.entries.length && d.entries.every((e, i) => rows[i].id === e.player_id &&
    JSON.stringify(rows[i].cells) === JSON.stringify([num(e.rank), e.name, num(e.wins), num(e.played), pct(e.win_rate), num(Math.round(e.rating))]))
  if (!same(before)) {
    const after = await get(null, '/api/leaderboards/' + period)
    check(same(after), `the ${period} board shows ${JSON.stringify(rows)}, the API ${JSON.stringify(after.entries)}`)
  }
  console.log(`${period} board: ${rows.length} entries as the API gives them`)
  return before
}

await run(async (browser) => {
  const a = await newPage(browser)
  const b = await newPage(browser)
  await register(a, 'lead' + Date.now().toString(36), 'correct horse battery')
  await openAsGuest(b, 'Bahar بهار')
  await startWithFriend(a, b, { target: 3 })
  await Promise.all([playFast(a), playFast(b)]) // the pages' subject is what the match leaves behind
  check(await a.$('#match-result') && await b.$('#match-result'), 'the match did not end')
  for (const p of [a, b]) {
    await p.click('#leave')
    await p.waitForSelector('body[data-view="lobby"]')
  }
  const bId = (await get(b, '/api/me')).id
  await stored(a, 1)

  // from the history: the other player's name opens their page
  const bRating = await ratingOf(bId)
  await a.click('#history-link')
  await a.click(`#history button[data-player="${bId}"]`)
  const bName = await checkPlayer(a, bId, bRating)
  console.log(`${bName}'s page (from the history) shows what the API gives`)
  await desktopShots(a, '32-player', p => p.waitForSelector('#player #stats'))

  // the leaderboards, each period
  await a.click('#nav-leaders')
  await a.waitForSelector('#leaders')
  const boards = {}
  for (const period of ['weekly', 'alltime', 'daily']) boards[period] = await checkBoard(a, period)
  await desktopShots(a, '33-leaders', p => p.waitForSelector('#leaderboard'))

  // a name on the board opens that player's page; back returns to the board.
  // One of this test's players, else the first whose page is there: the
  // boards are snapshots (15 minutes), so they may still list another
  // test's player whose account was deleted since (account.mjs), or one
  // mid-match meanwhile
  const aId = (await get(a, '/api/me')).id
  let first = boards.daily.entries.find(e => e.player_id === aId || e.player_id === bId)
  for (const e of first ? [] : boards.daily.entries) {
    const there = await fetch(`${baseURL}/api/players/${e.player_id}/stats`)
    if (there.ok) { first = e; break }
  }
  if (first) {
    const rating = await ratingOf(first.player_id)
    await a.click(`#leaderboard tr[data-player="${first.player_id}"] button[data-player]`)
    await checkPlayer(a, first.player_id, rating)
    await a.click('#page-back')
    await a.waitForSelector('#leaderboard')
    console.log(`${first.name}'s page (from the daily board) shows what the API gives; back to the board`)
  } else {
    console.log('no name to follow on the daily board (a snapshot from before the match, of players gone since)')
  }
  noProblems(a)
  noProblems(b)

  await phoneShots(browser, a, '33-leaders', async p => { await p.click('#nav-leaders'); await p.waitForSelector('#leaderboard') })
  await phoneShots(browser, a, '32-player', async p => {
    await p.click('#history-link')
    await p.click(`#history button[data-player="${bId}"]`)
    await p.waitForSelector('#player #stats')
  })
  await shot(b, '34-lobby-after-match')
})

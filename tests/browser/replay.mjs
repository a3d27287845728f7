// The replay of a stored match, drawn like the table. A player plays a
// match against bots, opens it from the history and steps through it with
// the Next button to its end. At every step the label ("Hand 3 · Trick 5")
// says where it is and advances as it should (a hand starts at trick 1 with
// no card, a trick fills card by card, then the next trick or the hand's
// result), the cards on the table and in the four hands are those of the
// record at that point (GET /api/matches/{id}/replay: all 52 at each
// hand's start), and hearts and diamonds are red, spades and clubs not. At
// the end the final score and the match's result are the record's (GET
// /api/matches/{id}). Play runs the replay by itself and Pause stops it;
// the range slider and first/last buttons jump. Screenshots: desktop and
// phone, English and Persian.

import { check, newPage, noProblems, run, shot } from './lib.mjs'
import { desktopShots, get, phoneShots, playStored, register } from './pageslib.mjs'

/**
 * The replay's state now, then (n > 0) after each of up to n presses of
 * Next (clicked in the page: hundreds of steps, quickly).
 */
const states = (page, n = 0) => page.evaluate((n) => {
  const faces = (sel) => [...document.querySelectorAll(sel)].map(f => f.dataset.card)
  const snap = () => ({
    ...document.querySelector('#replay').dataset,
    label: document.querySelector('#replay-label').textContent,
    played: faces('#replay-trick .face'),
    hands: Object.fromEntries([0, 1, 2, 3].map(s => [s, faces(`#replay .replay-seat[data-seat="${s}"] .mini .face`)])),
    mine: faces('#replay .replay-hand .face'),
    colours: [...document.querySelectorAll('#replay .face')].map(f => [f.dataset.card, getComputedStyle(f).color]),
    next: !document.querySelector('#replay-next').disabled
  })
  const out = [snap()]
  for (let i = 0; i < n && out.at(-1).next; i++) {
    document.querySelector('#replay-next').click()
    out.push(snap())
  }
  return out
}, n)

await run(async (browser) => {
  const page = await newPage(browser)
  await register(page, 'rep' + Date.now().toString(36), 'correct horse battery')
  await playStored(page, 1, 5) // at least two hands
  const id = (await get(page, '/api/me/matches')).matches[0].id
  await page.click('#history-link')
  await page.click(`#history button[data-match="${id}"]`)
  await page.waitForSelector('#replay[data-step="0"]')
  const rec = await get(page, `/api/matches/${id}`)
  const rep = await get(page, `/api/matches/${id}/replay`)
  const me = rep.your_seat
  const want = rep.hands.reduce((n, hd) => n + hd.tricks.length * 4 + 2, 0)

  let prev = null
  let steps = 0
  const red = new Set()
  const verify = (s) => {
    check(Number(s.step) === steps, `step ${steps} shows itself as step ${s.step}`)
    const hi = Number(s.hand) - 1
    const ti = Number(s.trick) - 1
    const k = Number(s.cards)
    const hd = rep.hands[hi]
    check(s.label === `Hand ${hi + 1} · Trick ${ti + 1}`, `step ${s.step}: the label is "${s.label}"`)
    if (prev) {
      const ok = s.end === 'true'
        ? prev.hi === hi && prev.ti === ti && prev.k === 4 && prev.end === 'false'
        : prev.end === 'true'
          ? hi === prev.hi + 1 && ti === 0 && k === 0
          : hi === prev.hi && ((ti === prev.ti && k === prev.k + 1) || (ti === prev.ti + 1 && prev.k === 4 && k === 1))
      check(ok, `step ${s.step} does not follow step ${prev.step}: hand ${hi + 1} trick ${ti + 1} card ${k} after hand ${prev.hi + 1} trick ${prev.ti + 1} card ${prev.k}`)
    } else {
      check(hi === 0 && ti === 0 && k === 0, 'the replay does not start at the first hand')
    }
    // the trick and the hands as the record has them at this point
    const plays = hd.tricks[ti].plays.slice(0, k).map(p => p.card)
    check(JSON.stringify(s.played) === JSON.stringify(plays), `step ${s.step}: the trick shows ${s.played}, the record ${plays}`)
    const gone = new Set([...hd.tricks.slice(0, ti).flatMap(t => t.plays.map(p => p.card)), ...plays])
    for (let seat = 0; seat < 4; seat++) {
      const shown = (seat === me ? s.mine : s.hands[seat]).slice().sort()
      const left = hd.dealt[seat].filter(c => !gone.has(c)).sort()
      check(JSON.stringify(shown) === JSON.stringify(left), `step ${s.step}: seat ${seat} holds ${shown}, the record ${left}`)
    }
    if (k === 0) check(s.mine.length + [0, 1, 2, 3].filter(x => x !== me).reduce((n, x) => n + s.hands[x].length, 0) === 52, 'a hand does not start with 52 cards')
    for (const [card, colour] of s.colours) {
      const [r, g, b] = colour.match(/\d+/g).map(Number)
      const isRed = r > g + 80 && r > b + 80
      check(isRed === (card[1] === 'H' || card[1] === 'D'), `${card} is drawn in ${colour}`)
      if (isRed) red.add(card[1])
    }
    prev = { hi, ti, k, end: s.end, step: s.step }
    steps++
  }
  // the first steps with the mouse, the rest clicked in the page
  for (let i = 0; i < 12; i++) {
    verify((await states(page))[0])
    await page.click('#replay-next')
    await page.waitForSelector(`#replay[data-step="${steps}"]`)
  }
  await desktopShots(page, '37-replay', p => p.waitForSelector('#replay'))
  for (const s of await states(page, 1000)) verify(s)
  check(steps === want, `${steps} steps, want ${want} (two per hand and one per card)`)
  check(red.size === 2, 'hearts and diamonds were not both seen in red')

  const us = me % 2
  const final = await page.textContent('#replay-final')
  check(final === `Final score ${rec.score[us]} – ${rec.score[1 - us]}`, `the end says "${final}", the record's score is ${rec.score} (we are team ${us})`)
  const result = await page.textContent('#replay-result h2')
  check(result === (rec.winner === us ? 'You won the match!' : 'You lost the match.'), 'the end says ' + result)
  const bar = await page.textContent('#replay-score')
  check(bar.startsWith(`${rec.score[us]} – ${rec.score[1 - us]}`), 'the score bar says ' + bar)
  await shot(page, '38-replay-end')
  console.log(`stepped through ${steps} steps of ${rep.hands.length} hands; the end: ${final}, ${result}`)

  // play and pause, the slider, first and last
  await page.click('#replay-first')
  await page.waitForSelector('#replay[data-step="0"]')
  await page.click('#replay-play')
  await page.waitForSelector('#replay-play[data-playing="true"]')
  await page.waitForFunction(() => Number(document.querySelector('#replay').dataset.step) >= 3, null, { timeout: 8000 })
  await page.click('#replay-play')
  const paused = await page.getAttribute('#replay', 'data-step')
  await page.waitForTimeout(1200)
  check(await page.getAttribute('#replay', 'data-step') === paused, 'the replay went on after Pause')
  await page.fill('#replay-pos', '20')
  await page.waitForSelector('#replay[data-step="20"]')
  await page.click('#replay-last')
  await page.waitForSelector(`#replay[data-step="${want - 1}"][data-end="true"]`)
  console.log('play ran it by itself, pause stopped it at step ' + paused + '; the slider and last jumped')
  noProblems(page)

  await phoneShots(browser, page, '37-replay', async p => {
    await p.click('#history-link')
    await p.click('#history button[data-match]')
    await p.waitForSelector('#replay')
    for (let i = 0; i < 7; i++) await p.click('#replay-next')
  })
})

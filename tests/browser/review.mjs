// The trick in progress and the last trick. A guest plays with bots; at
// each of its turns:
// - the card marked as winning the trick so far (#trick .played.winning)
//   is the one the events make the winner (the highest trump, else the
//   highest card of the suit led: computed here from the card_played and
//   trump_chosen events, a rule itself checked against every trick_won);
//   once the animations are over the table shows the mark on that card;
// - the last trick (#last-trick-btn opens #last-trick) shows the four cards
//   of the last trick_won event, in play order, each with its seat, and its
//   winner marked; it closes with its button, its ✕ or Escape.
// Screenshots: the last trick open, desktop in English, phone in English
// and Persian.

import { check, createAndStart, fail, MOTION, move, newPage, nextStep, noProblems, openAsGuest, run, shot, switchLang } from './lib.mjs'

const RANKS = '23456789TJQKA'

/** The play that wins so far: a trump beats any other suit, else the highest of the suit led. */
function best (plays, trump) {
  const led = plays[0].card[1]
  const score = (c) => (c[1] === trump ? 100 : c[1] === led ? 50 : 0) + RANKS.indexOf(c[0])
  return plays.reduce((a, b) => score(b.card) > score(a.card) ? b : a)
}

/** From the events: the trump, the trick in progress and the last trick won. */
function state (evs) {
  let trump = null
  let plays = []
  let last = null
  for (const e of evs) {
    if (e.type === 'hand_started') { trump = null; plays = [] }
    if (e.type === 'trump_chosen') trump = e.suit
    if (e.type === 'card_played') plays.push({ seat: e.seat, card: e.card })
    if (e.type === 'trick_won') {
      const w = best(plays, trump)
      if (w.seat !== e.winner) fail(`the rule here says seat ${w.seat} (${w.card}) won ${plays.map(p => p.card)}, trick_won says ${e.winner}`)
      plays = []
      last = e
    }
  }
  return { trump, plays, last }
}

/** Opens the last trick and checks it against the last trick_won; closes it with how. */
async function checkReview (page, last, how, shotName) {
  await page.click('#last-trick-btn')
  await page.waitForSelector('#last-trick')
  const got = await page.evaluate(() => {
    const el = document.querySelector('#last-trick')
    return {
      expanded: document.querySelector('#last-trick-btn').getAttribute('aria-expanded'),
      winner: el.dataset.winner,
      cards: [...el.querySelectorAll('.rv .face')].map(f => f.dataset.card),
      seats: [...el.querySelectorAll('.rv')].map(r => r.dataset.seat),
      won: [...el.querySelectorAll('.rv.won .face')].map(f => f.dataset.card),
      title: el.querySelector('h2').textContent
    }
  })
  const seats = last.cards.map((_, i) => String((last.leader + i) % 4))
  check(got.expanded === 'true', 'the toggle is not aria-expanded')
  check(got.winner === String(last.winner), `last trick: winner ${got.winner}, event ${last.winner}`)
  check(got.cards.join() === last.cards.join(), `last trick: cards ${got.cards}, event ${last.cards}`)
  check(got.seats.join() === seats.join(), `last trick: seats ${got.seats}, event ${seats}`)
  check(got.won.join() === last.cards[(last.winner - last.leader + 4) % 4], `last trick: marked ${got.won}, winner's card ${last.cards[(last.winner - last.leader + 4) % 4]}`)
  check(/took the trick|دست را برد/.test(got.title), 'the title does not say who took it: ' + got.title)
  if (shotName) {
    await page.waitForFunction(() => getComputedStyle(document.querySelector('#last-trick')).opacity === '1')
    await shot(page, shotName)
  }
  if (how === 'Escape') await page.keyboard.press('Escape')
  else await page.click(how)
  await page.waitForSelector('#last-trick', { state: 'detached' })
  check(await page.getAttribute('#last-trick-btn', 'aria-expanded') === 'false', 'closed, the toggle still says expanded')
}

async function playAndCheck (page, { turns, reviews, shotName }) {
  let marks = 0
  let looked = 0
  let settled = 0
  const closers = ['#last-trick-btn', '#last-trick-close', 'Escape']
  for (let turn = 0; marks < turns || looked < reviews;) {
    const step = await nextStep(page)
    if (step === 'over') break
    if (step === 'card') {
      turn++
      const { trump, plays, last } = state(await page.evaluate(() => window.__hokmNet.events))
      const mark = await page.evaluate(() => [...document.querySelectorAll('#trick .played.winning > .face')].map(f => f.dataset.card))
      if (plays.length) {
        const want = best(plays, trump).card
        check(mark.length === 1 && mark[0] === want, `turn ${turn}: marked ${mark}, the events make ${want} the winner of ${plays.map(p => p.card)} (trump ${trump})`)
        marks++
        if (settled < 3 && turn % 3 === 0) { // the motion layer shows the same mark once it is done
          await page.waitForFunction(() => !document.querySelector('#fx .played') || document.getAnimations().every(a => a.playState !== 'running' || a.effect.getTiming().duration > 1e8), null, { timeout: 5000 })
          const shown = await page.evaluate(() => [...document.querySelectorAll('#fx .played.winning > .face, #trick .played.winning > .face')].map(f => f.dataset.card))
          check(shown.every(c => c === want) && shown.length >= 1, `turn ${turn}: the table shows ${shown} as winning, want ${want}`)
          settled++
        }
      } else {
        check(mark.length === 0, `turn ${turn}: nothing played yet, but ${mark} is marked`)
      }
      if (last && looked < reviews && turn % 2 === 0) {
        await checkReview(page, last, closers[looked % 3], looked === 0 ? shotName : null)
        looked++
      }
    }
    await move(page, step)
  }
  check(marks >= turns && looked >= reviews, `only ${marks} marks and ${looked} reviews checked`)
  return { marks, looked, settled }
}

await run(async (browser) => {
  const page = await newPage(browser, MOTION)
  await openAsGuest(page, 'Sara')
  await page.check('#opt-all')
  await createAndStart(page, { target: 3 })
  const r = await playAndCheck(page, { turns: 10, reviews: 4, shotName: '50-last-trick' })
  // every trick_won so far agrees with the rule used above
  state(await page.evaluate(() => window.__hokmNet.events))
  console.log(`winning mark right at ${r.marks} turns (${r.settled} also after the motion), last trick right ${r.looked} times`)
  noProblems(page)
  await page.context().close()

  const phone = await newPage(browser, { ...MOTION, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
  await openAsGuest(phone, 'Sara سارا')
  await createAndStart(phone, { target: 3 })
  await playAndCheck(phone, { turns: 3, reviews: 1, shotName: '51-phone-last-trick' })
  await switchLang(phone) // and in Persian
  await playAndCheck(phone, { turns: 2, reviews: 1, shotName: '52-phone-fa-last-trick' })
  noProblems(phone)
})

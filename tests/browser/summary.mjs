// The end of a hand. A guest plays with bots; after each of the first two
// hands (then it plays on fast until it is Hakem after a hand):
// - the summary panel (#hand-summary) shows that hand's result as the
//   hand_ended event has it (read from window.__hokmNet): tricks per team,
//   Kot / Hakem-Kot, points, score, and the next Hakem (the hand_started
//   that follows), in its data attributes and its text;
// - it stays while the game goes on (three more moves of ours, three
//   seconds) until the player closes it (the button, or Escape);
// - when the player is the next Hakem, no summary covers the choice: the
//   trump picker says "You are Hakem — choose trump" and shows the five
//   cards of the hand, and the status line does not show the old result.
// Screenshots: the summary (desktop and phone, English and Persian) and the
// Hakem's picker.

import { check, createAndStart, fail, move, newPage, nextStep, noProblems, openAsGuest, playFast, run, shot, switchLang } from './lib.mjs'


const events = (page) => page.evaluate(() => window.__hokmNet.events)

/** What the summary of hand_ended should say, from the events. */
function expected (evs, ended, me) {
  const i = evs.indexOf(ended)
  const next = evs.slice(i + 1).find(e => e.type === 'hand_started')
  const r = ended.result
  const my = me % 2
  return {
    data: { hand: String(ended.hand), winner: String(r.winner), tricks: r.tricks.join(','), points: String(r.points), kind: r.kind, score: ended.score.join(','), next: String(next ? next.hakem : -1) },
    us: [String(r.tricks[my]), r.winner === my ? '+' + r.points : '–', String(ended.score[my])],
    them: [String(r.tricks[1 - my]), r.winner !== my ? '+' + r.points : '–', String(ended.score[1 - my])],
    kot: { normal: '', kot: 'Kot!', hakem_kot: 'Hakem-Kot!' }[r.kind],
    nextHakem: next ? next.hakem : -1
  }
}

const shown = (page) => page.evaluate(() => {
  const el = document.querySelector('#hand-summary')
  if (!el) return null
  return {
    data: { ...el.dataset },
    us: [...el.querySelectorAll('td.us')].map(td => td.textContent),
    them: [...el.querySelectorAll('td.them')].map(td => td.textContent),
    kot: el.querySelector('.kot')?.textContent || '',
    opacity: getComputedStyle(el).opacity
  }
})

/** At the Hakem's trump choice: the picker's message and five cards, no summary, no old result. */
async function checkPicker (page) {
  await page.waitForFunction(() => getComputedStyle(document.querySelector('#trump-picker')).opacity === '1', null, { timeout: 4000 })
  const got = await page.evaluate(() => ({
    msg: document.querySelector('#trump-picker .hakem-msg')?.textContent,
    five: [...document.querySelectorAll('#trump-picker .five .face')].map(f => f.dataset.card).sort().join(' '),
    hand: [...document.querySelectorAll('#hand .card')].map(c => c.dataset.card).sort().join(' '),
    summary: !!document.querySelector('#hand-summary'),
    status: document.querySelector('#status').textContent
  }))
  check(got.msg === 'You are Hakem — choose trump', 'the picker says ' + got.msg)
  check(got.five.split(' ').length === 5 && got.five === got.hand, `the picker shows ${got.five}, the hand is ${got.hand}`)
  check(!got.summary, 'the hand summary covers the trump choice')
  check(!/won the hand/.test(got.status), 'the status line shows the old result at the trump choice: ' + got.status)
}

async function playHands (page, { want = 2, shots = {} } = {}) {
  const me = Number(await page.getAttribute('#table', 'data-me'))
  let checked = 0
  let hakemAfterHand = false
  let seen = 0 // hand_ended events handled
  let close = 'button'
  const started = Date.now()
  while (checked < want || !hakemAfterHand) {
    if (Date.now() - started > 100000) fail(`only ${checked} summaries and ${hakemAfterHand ? 'a' : 'no'} Hakem's choice after a hand in 100 s`)
    if (checked >= want && !hakemAfterHand) {
      // on, fast, until the player chooses trump after a hand: the case the picker is checked in, which the deal makes rare
      await playFast(page, { stop: '#table:not([data-hand="0"]) #trump-picker button[data-suit]:not([disabled])', rematch: true })
      seen = (await events(page)).filter(e => e.type === 'hand_ended').length
    }
    const step = await nextStep(page)
    const evs = await events(page)
    const ended = evs.filter(e => e.type === 'hand_ended')
    if (ended.length > seen) { // a hand ended since the last look
      const last = ended.at(-1)
      seen = ended.length
      const exp = expected(evs, last, me)
      const over = evs.slice(evs.indexOf(last)).some(e => e.type === 'match_ended')
      if (!over && exp.nextHakem !== me) {
        await page.waitForSelector(`#hand-summary[data-hand="${last.hand}"]`)
        const got = await shown(page)
        check(JSON.stringify(got.data) === JSON.stringify(exp.data), `summary data:\ngot  ${JSON.stringify(got.data)}\nwant ${JSON.stringify(exp.data)}`)
        check(JSON.stringify([got.us, got.them]) === JSON.stringify([exp.us, exp.them]), `summary text: ${JSON.stringify([got.us, got.them])}, want ${JSON.stringify([exp.us, exp.them])}`)
        check(got.kot === exp.kot, `Kot shown as "${got.kot}", want "${exp.kot}"`)
        await page.waitForFunction(() => getComputedStyle(document.querySelector('#hand-summary')).opacity === '1', null, { timeout: 4000 })
        if (shots.summary && !checked) {
          await shot(page, shots.summary)
          await switchLang(page) // the same in Persian
          await shot(page, shots.summary + '-fa')
          await switchLang(page)
        }
        // it stays while we play on, until closed (looked at for the first ones; then closed at once, to get on)
        const until = Date.now() + 3000
        for (let moves = 0; checked < want && (moves < 3 || Date.now() < until);) {
          const s = await nextStep(page)
          if (s === 'over' || s === 'trump') break
          await move(page, s)
          moves++
          const still = await page.getAttribute('#hand-summary', 'data-hand').catch(() => null)
          check(still === String(last.hand), `the summary of hand ${last.hand} went by itself (${still}) after ${moves} moves`)
          if (moves >= 3 && Date.now() < until) await page.waitForTimeout(until - Date.now())
        }
        if (await page.$('#hand-summary')) {
          if (close === 'button') await page.click('#summary-close')
          else await page.keyboard.press('Escape')
          await page.waitForSelector('#hand-summary', { state: 'detached' })
          close = close === 'button' ? 'Escape' : 'button'
        }
        console.log(`hand ${last.hand}: summary ${JSON.stringify(exp.data)} shown${checked < want ? ', stayed' : ''}, closed`)
        checked++
        continue
      }
    }
    if (step === 'over') {
      await page.click('#rematch')
      await page.waitForSelector('#table[data-status="playing"]:not([data-phase="over"])')
      continue
    }
    if (step === 'trump') {
      const hand = Number(await page.getAttribute('#table', 'data-hand'))
      await checkPicker(page)
      if (hand > 0 && !hakemAfterHand) {
        hakemAfterHand = true
        if (shots.picker) await shot(page, shots.picker)
        console.log(`hand ${hand}: Hakem again after a hand: the picker, not the summary`)
      }
    }
    await move(page, step)
  }
}

await run(async (browser) => {
  const page = await newPage(browser)
  await openAsGuest(page, 'Sara')
  await createAndStart(page, { target: 5 })
  await playHands(page, { want: 2, shots: { summary: '40-hand-summary', picker: '41-hakem-picker' } })
  noProblems(page)
  await page.context().close()

  const phone = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
  await openAsGuest(phone, 'سارا')
  await switchLang(phone)
  await createAndStart(phone, { target: 3 })
  // Persian: only the screenshot (the texts are checked in English above)
  for (;;) {
    const step = await nextStep(phone)
    if (await phone.$('#hand-summary')) {
      await phone.waitForFunction(() => getComputedStyle(document.querySelector('#hand-summary')).opacity === '1')
      await shot(phone, '42-phone-fa-hand-summary')
      await switchLang(phone) // the same in English: the summary stays until closed
      await phone.waitForSelector('#hand-summary')
      await shot(phone, '42-phone-hand-summary')
      break
    }
    if (step === 'over') { // no summary before the last hand (the player was Hakem after each): another match
      await phone.click('#rematch')
      await phone.waitForSelector('#table[data-status="playing"]:not([data-phase="over"])')
      continue
    }
    await move(phone, step)
  }
  noProblems(phone)
})

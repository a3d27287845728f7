// Whole matches with the keyboard only (no mouse from the first page on):
// Tab to the name field, type, Enter; Tab to the target, "3", a random
// first Hakem (Space), Tab to Create, Enter; Tab to Fill with bots and
// Start — and until we are the first Hakem, Leave and its confirmation by
// keyboard and another table; then every trump choice and every card: the
// focus is in the trump picker or the hand (Tab there if not), arrow keys
// move it, Enter or Space plays — each must send its move; at the end
// "Play again" with Enter starts the next match. Every focused control shows a focus ring (:focus-visible with an
// outline). The live region (#announce) says the trump, who took tricks
// and when it is our turn; cards have names ("Ace of spades").

import { baseURL, check, fail, MOTION, newPage, nextStep, noProblems, run, shot, stuck, TRUMP } from './lib.mjs'


/** Presses Tab until the focus is on selector; returns how many presses it took. */
async function tabTo (page, selector, max = 60) {
  for (let n = 0; n <= max; n++) {
    if (await page.evaluate(sel => !!document.activeElement?.matches(sel), selector)) return n
    await page.keyboard.press('Tab')
  }
  fail(`${selector} is not reachable with Tab (${max} presses)`)
}

/**
 * The focused element in one look: its focus ring (on itself, or on a
 * card's face) and, when it is a playable card of the hand, the card and
 * its name (a round trip per check made a match to 5 take a minute).
 */
function focused (page) {
  return page.evaluate(() => {
    const a = document.activeElement || document.body
    const el = a.matches('.hand .card') ? a.querySelector('.face') : a
    const cs = getComputedStyle(el)
    const card = a.matches('#hand .card:not([disabled])') ? { card: a.dataset.card, label: a.getAttribute('aria-label') } : {}
    return { visible: a.matches(':focus-visible'), outline: cs.outlineStyle + ' ' + cs.outlineWidth, id: a.id || a.className, ...card }
  })
}

/** The focus, as focused gave it, shows a ring. */
function checkRing (got, what) {
  check(got.visible && !got.outline.startsWith('none') && got.outline !== 'solid 0px', `${what}: no visible focus on ${got.id} (${JSON.stringify(got)})`)
}

const ringShown = async (page, what) => checkRing(await focused(page), what)

await run(async (browser) => {
  const page = await newPage(browser, MOTION)
  await page.goto(baseURL + '/')
  await page.evaluate(() => {
    window.__said = []
    new MutationObserver(() => window.__said.push(document.querySelector('#announce').textContent))
      .observe(document.querySelector('#announce'), { childList: true, characterData: true, subtree: true })
  })
  await tabTo(page, '#guest-name')
  await page.keyboard.type('Kiana کیانا')
  await page.keyboard.press('Enter')
  await page.waitForSelector('body[data-view="lobby"] #conn[data-state="open"]')
  await tabTo(page, '#lang')
  await ringShown(page, 'the language switch')
  // A table to 3 with a random first Hakem, by keyboard; until we are its
  // first Hakem (a trump to choose by keyboard), leave it by keyboard and
  // make another (TestBrowser's server lifts the tables-per-minute limit)
  let tries = 0
  for (;;) {
    tries++
    await tabTo(page, '#target')
    await page.keyboard.type('3')
    check(await page.inputValue('#target') === '3', 'the target did not change from the keyboard')
    await tabTo(page, '#opt-random') // a random first Hakem: ours one time in four
    if (!await page.isChecked('#opt-random')) {
      await page.keyboard.press('Space')
      check(await page.isChecked('#opt-random'), 'Space did not check the box')
    }
    await tabTo(page, '#create')
    await ringShown(page, 'Create')
    await page.keyboard.press('Enter')
    await page.waitForSelector('#table[data-status="waiting"][data-me="0"]')
      .catch(async (err) => fail(`no table of ours after Create by keyboard (table ${tries}): ${await stuck(page)}\n${err.message.split('\n')[0]}`))
    await tabTo(page, '#add-bots')
    await page.keyboard.press('Enter')
    await page.waitForSelector('#start:not([disabled])')
    await tabTo(page, '#start')
    await ringShown(page, 'Start')
    await page.keyboard.press('Space')
    await page.waitForSelector('#table[data-status="playing"]')
    if (await nextStep(page) === 'trump') break
    if (tries >= 40) fail(`not the first Hakem at ${tries} tables`)
    await tabTo(page, '#leave')
    await page.keyboard.press('Enter')
    // the dialog takes the focus (on Stay) a moment after it opens: from there, Tab to Leave
    await page.waitForFunction(() => document.activeElement?.id === 'leave-cancel', null, { timeout: 5000 })
      .catch(() => fail('the leave dialog did not take the focus'))
    await tabTo(page, '#leave-confirm', 5)
    await page.keyboard.press('Enter')
    await page.waitForSelector('body[data-view="lobby"]')
  }
  console.log(`first Hakem at table ${tries} (left the others by keyboard)`)

  let cards = 0
  let trumps = 0
  let tabs = 0
  let without = 0 // moves that needed no Tab: the focus was already there
  let shotTaken = false
  for (let moves = 0; ; moves++) {
    if (moves > 400) fail('the match does not end')
    const step = await nextStep(page)
    if (step === 'over') {
      // the end: the match result's button is next, Enter plays again
      const n = await tabTo(page, '#match-result button', 20)
      await ringShown(page, 'the result')
      const seq = await page.getAttribute('#table', 'data-seq')
      await page.keyboard.press('Enter')
      await page.waitForFunction(s => document.querySelector('#table').dataset.seq !== s && !document.querySelector('#match-result'), seq, { timeout: 15000 })
      console.log(`match over (${n} Tabs to its button), Enter: the next one began`)
      break
    }
    const seq = await page.getAttribute('#table', 'data-seq')
    const sent = await page.evaluate(() => window.__hokmNet.sent.length)
    let n = 0
    if (step === 'trump') {
      if (!await page.evaluate(() => document.activeElement?.matches('#trump-picker .suit-btn'))) n = await tabTo(page, TRUMP)
      const before = await page.evaluate(() => document.activeElement.dataset.suit)
      await page.keyboard.press('ArrowRight')
      const suit = await page.evaluate(() => document.activeElement.dataset.suit)
      check(suit && suit !== before, `ArrowRight in the trump picker stayed on ${before}`)
      await ringShown(page, 'a suit')
      await page.keyboard.press(trumps % 2 ? 'Space' : 'Enter')
      const got = await page.waitForFunction(([n, suit]) => window.__hokmNet.sent.slice(n).find(f => f.type === 'trump'), [sent, suit], { timeout: 10000 }).then(h => h.jsonValue(), () => null)
      check(got && got.suit === suit, `Enter on ${suit} sent ${JSON.stringify(got)}; the page: ${got ? '' : await stuck(page)}`)
      trumps++
    } else {
      if (!(await focused(page)).card) {
        if (await page.evaluate(() => document.activeElement?.id === 'hand')) await page.keyboard.press('ArrowRight')
        else n = await tabTo(page, '#hand .card:not([disabled])')
      }
      // move about: right, and back left once in a while
      for (let k = 0; k < moves % 3; k++) await page.keyboard.press('ArrowRight')
      if (moves % 4 === 1) await page.keyboard.press('ArrowLeft')
      const f = await focused(page)
      check(f.card, 'the arrows left the hand\'s playable cards: ' + await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120)))
      const card = f.card
      check(/^(Ace|King|Queen|Jack|\d+) of (spades|hearts|diamonds|clubs)$/.test(f.label), 'a card is named ' + f.label)
      checkRing(f, 'a card')
      if (!shotTaken && cards === 3) { await shot(page, '60-keyboard-focus'); shotTaken = true }
      await page.keyboard.press(cards % 2 ? 'Space' : 'Enter')
      // (10 s: a busy machine once took over 3; what the page shows is printed if not)
      const got = await page.waitForFunction(([n]) => window.__hokmNet.sent.slice(n).find(f => f.type === 'play'), [sent], { timeout: 10000 }).then(h => h.jsonValue(), () => null)
      check(got && got.card === card, `${cards % 2 ? 'Space' : 'Enter'} on ${card} sent ${JSON.stringify(got)}; the page: ${got ? '' : await stuck(page)}`)
      cards++
    }
    tabs += n
    if (n === 0) without++
    await page.waitForFunction(s => document.querySelector('#table').dataset.seq !== s, seq, { timeout: 15000 })
  }
  check(cards > 5 && trumps > 0, `only ${cards} cards played and ${trumps} trumps chosen`)
  check(without >= (cards + trumps) * 0.8, `the focus had to be brought back with Tab for ${cards + trumps - without} of ${cards + trumps} moves`)
  const said = await page.evaluate(() => window.__said.join(' | '))
  check(/Trump is (Spades|Hearts|Diamonds|Clubs)/.test(said), 'the trump was not announced')
  check(/took the trick/.test(said), 'no trick winner was announced')
  check(/Your turn|You are Hakem/.test(said), 'our turn was not announced')
  check(/played (Ace|King|Queen|Jack|\d+) of/.test(said), 'the cards played were not announced')
  console.log(`a match by keyboard: ${cards} cards and ${trumps} trumps, ${tabs} Tabs in all (${without} moves with the focus already in place)`)
  noProblems(page)
}, { limit: 240 }) // a match to 3 and up to 40 tables started: over 150 s on a busy machine

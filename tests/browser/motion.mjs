// Motion and sound never hold the game up. A guest plays with bots:
// - sound: the page makes its sounds (oscillators, counted by wrapping the
//   Web Audio API) until the header's mute switch is pressed; muted, it makes
//   none, and the switch (hokm.mute) is still on after a reload;
// - motion: playing a card starts animations (a ghost flies to the table)
//   while the page's state is already the new one (#table[data-seq] is the
//   last event's seq, the trick's count that of the events) — screenshot of
//   a trick in flight, desktop and phone, English and Persian;
// - a fast player: 25 times, a legal card is clicked the moment it becomes
//   legal (animations running), and every click sends its play;
// - prefers-reduced-motion: reduce: after each play, and between, no
//   animation at all (document.getAnimations() is empty) and no ghost.

import { CARD, check, createAndStart, fail, MOTION, newPage, nextStep as waitStep, noProblems, openAsGuest, run, shot, stuck, switchLang, TRUMP } from './lib.mjs'


/** Counts the oscillators the page starts (window.__osc). */
async function countSounds (page) {
  await page.addInitScript(() => {
    window.__osc = 0
    const AC = window.AudioContext
    if (!AC) return
    const make = AC.prototype.createOscillator
    AC.prototype.createOscillator = function () { window.__osc++; return make.call(this) }
  })
}

// acts the moment it can: looks every animation frame
const nextStep = (page) => waitStep(page, { polling: 'raf' })

/**
 * Takes one action as fast as possible with the mouse; returns what was
 * clicked and whether the page was animating. A click that sent nothing is
 * told: what was under the pointer, and the page's state.
 */
async function act (page) {
  const step = await nextStep(page)
  if (step === 'over') return { step }
  const sel = step === 'trump' ? TRUMP : CARD
  const at = await page.evaluate((sel) => {
    const b = document.querySelector(sel)
    const r = b.getBoundingClientRect()
    return { x: r.left + r.width / 2, y: r.top + r.height / 2, card: b.dataset.card || b.dataset.suit, animating: document.getAnimations().some(a => a.playState === 'running') }
  }, sel)
  const n = await page.evaluate(() => window.__hokmNet.sent.length)
  const seq = await page.getAttribute('#table', 'data-seq')
  await page.mouse.click(at.x, at.y)
  // (the frame usually comes within a few ms; 9.5 s: a late one is the page's thread busy on a loaded machine, not a click lost)
  const sent = await page.waitForFunction(([n, type]) => window.__hokmNet.sent.slice(n).find(f => f.type === type), [n, step === 'trump' ? 'trump' : 'play'], { timeout: 9500, polling: 10 })
    .then(h => h.jsonValue(), () => null)
  if (!sent) {
    const under = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.outerHTML.slice(0, 120), [at.x, at.y])
    console.log(`the click on ${at.card} at (${Math.round(at.x)}, ${Math.round(at.y)}) sent nothing; under the pointer: ${under}; page: ${await stuck(page)}`)
  }
  // the next look is at the page after this move (not at the frame before its redraw)
  if (sent) await page.waitForFunction(s => document.querySelector('#table')?.dataset.seq !== s, seq, { polling: 10 })
  return { step, ...at, sent }
}

/**
 * A screenshot with the card just played halfway to the table: every
 * animation paused, that card's flight put at its middle, then resumed.
 */
async function shotInFlight (page, card, name) {
  await page.waitForFunction(card => [...document.querySelectorAll('#fx .played > .face')].some(f => f.dataset.card === card), card)
  await page.evaluate((card) => {
    window.__paused = document.getAnimations().filter(a => a.playState === 'running')
    for (const a of window.__paused) a.pause()
    const f = [...document.querySelectorAll('#fx .played > .face')].find(f => f.dataset.card === card)
    const fly = f.getAnimations()[0]
    fly.pause()
    window.__paused.push(fly)
    fly.currentTime = (fly.effect.getTiming().delay || 0) + 45
  }, card)
  await shot(page, name)
  await page.evaluate(() => { for (const a of window.__paused) a.play() })
}

/** The server refused none of the moves (a click at the wrong moment would be refused: not_your_turn, …). */
async function noRefusals (page, what) {
  const got = await page.evaluate(() => ({ errors: window.__hokmNet.errors, sent: window.__hokmNet.sent.slice(-6), events: window.__hokmNet.events.slice(-10) }))
  check(got.errors.length === 0, `${what}: the server refused moves: ${JSON.stringify(got)}`)
}

async function soundAndMotion (browser) {
  const page = await newPage(browser, MOTION)
  await countSounds(page)
  await openAsGuest(page, 'Sara')
  check(await page.getAttribute('#mute', 'aria-pressed') === 'false', 'sound is off at first')
  await createAndStart(page, { target: 3 })

  // a few moves with sound: the page plays some (your turn, trump, tricks)
  for (let i = 0; i < 4; i++) { const a = await act(page); if (a.step === 'over') break }
  await page.waitForTimeout(300)
  const heard = await page.evaluate(() => window.__osc)
  check(heard > 0, 'no sound was made while playing (unmuted)')

  // motion: the moment a card is played, animations run and the state is already there
  let flights = 0
  for (let i = 0; i < 8 && flights < 3; i++) {
    const step = await nextStep(page)
    if (step === 'over') break
    if (step === 'trump') { await act(page); continue }
    const n = await page.evaluate(() => window.__hokmNet.events.length)
    const a = await act(page)
    check(a.sent && a.sent.card === a.card, `the click on ${a.card} sent ${JSON.stringify(a.sent)}`)
    // the card's event came: the page shows the state of the last event while the card still flies (the
    // state does not wait for the animation; on a busy machine a frame or two may pass before the redraw)
    const got = await page.evaluate(async (n) => {
      const net = window.__hokmNet
      while (!net.events.slice(n).some(e => e.type === 'card_played')) await new Promise(r => setTimeout(r, 5))
      const at = () => document.querySelector('#table').dataset.seq === String(net.events.at(-1).seq)
      for (let f = 0; f < 2 || (f < 30 && !at()); f++) await new Promise(r => requestAnimationFrame(r))
      const last = net.events.at(-1)
      let trick = 0
      for (const e of net.events) { if (e.type === 'card_played') trick++; if (e.type === 'trick_won' || e.type === 'hand_started') trick = 0 }
      const ghosts = document.querySelectorAll('#fx .played').length
      return { seq: document.querySelector('#table').dataset.seq, want: String(last.seq), count: document.querySelector('#trick').dataset.count, trick: String(trick), running: document.getAnimations().length, ghosts }
    }, n)
    check(got.seq === got.want, `the page is at seq ${got.seq} while the last event is ${got.want}`)
    check(got.count === got.trick, `the trick shows ${got.count} cards, the events ${got.trick}`)
    check(got.running > 0 && got.ghosts > 0, `no animation after a card was played: ${JSON.stringify(got)}`)
    if (flights === 0) await shotInFlight(page, a.card, '30-trick-in-flight')
    flights++
  }
  check(flights > 0, 'never played a card to watch it fly')
  await noRefusals(page, 'motion')

  // mute: no sound from now on, remembered across a reload
  await page.click('#mute')
  await page.waitForSelector('#mute[aria-pressed="true"]', { timeout: 3000 }).catch(() => fail('the mute switch did not turn on'))
  const before = await page.evaluate(() => window.__osc)
  for (let i = 0; i < 4; i++) { const a = await act(page); if (a.step === 'over') break }
  await page.waitForTimeout(300)
  check(await page.evaluate(() => window.__osc) === before, 'sounds were made while muted')
  await page.reload()
  await page.waitForSelector('#table[data-status] #hand, #match-result')
  check(await page.getAttribute('#mute', 'aria-pressed') === 'true', 'muted, then reloaded: the switch is off')
  check(await page.evaluate(() => localStorage.getItem('hokm.mute')) === '1', 'hokm.mute is not kept')
  for (let i = 0; i < 3; i++) { const a = await act(page); if (a.step === 'over') break }
  check(await page.evaluate(() => window.__osc) === 0, 'sounds were made after a reload while muted')
  console.log(`sound: ${heard} oscillators in 4 moves; muted: none, also after a reload. motion: ${flights} plays animated with the state already patched`)
  noProblems(page)
  await page.context().close()
}

async function fastPlayer (browser) {
  const page = await newPage(browser, MOTION)
  await openAsGuest(page, 'Kian کیان')
  await page.selectOption('#target', '7')
  await page.check('#opt-all')
  await createAndStart(page, { target: 7 })
  let clicks = 0
  let animating = 0
  let hand = -1
  while (clicks < 25) {
    const a = await act(page)
    if (a.step === 'over') { await page.click('#rematch'); continue }
    if (!a.sent) fail(`a ${a.step} click on ${a.card} sent nothing (${clicks} clicks so far)`)
    if (a.step === 'card') {
      check(a.sent.card === a.card, `clicked ${a.card}, sent ${a.sent.card}`)
      clicks++
      if (a.animating) animating++
    }
    const h = Number(await page.getAttribute('#table', 'data-hand'))
    if (h !== hand && a.step === 'card' && hand >= 0) await shot(page, '31-fast-next-hand')
    hand = h
  }
  await noRefusals(page, 'fast player')
  check(animating >= 10, `only ${animating} of ${clicks} clicks came while the page animated: the test did not play fast`)
  console.log(`fast player: ${clicks} cards clicked the moment they were legal (${animating} while animating), every one sent its play`)
  noProblems(page)
  await page.context().close()
}

async function reduced (browser) {
  const page = await newPage(browser, { reducedMotion: 'reduce' }) // newPage's default, said: this part is about it
  await openAsGuest(page, 'Reza رضا')
  await createAndStart(page, { target: 3 })
  let checks = 0
  for (let plays = 0; plays < 8;) {
    const a = await act(page)
    if (a.step === 'over') break
    if (!a.sent) continue
    if (a.step === 'card') plays++
    for (const ms of [0, 40, 150, 400]) {
      if (ms) await page.waitForTimeout(ms)
      const got = await page.evaluate(() => ({
        animations: document.getAnimations().map(x => x.constructor.name + ' ' + (x.animationName || x.transitionProperty || x.effect?.target?.className || '')),
        ghosts: document.querySelectorAll('#fx > *').length,
        hidden: [...document.querySelectorAll('#trick .played')].filter(p => getComputedStyle(p).opacity === '0').length
      }))
      check(got.animations.length === 0, `reduced motion, ${ms} ms after a ${a.step}: animations ${JSON.stringify(got.animations)}`)
      check(got.ghosts === 0 && got.hidden === 0, `reduced motion: ghosts or hidden cards ${JSON.stringify(got)}`)
      checks++
    }
  }
  console.log(`reduced motion: ${checks} looks after plays, never an animation`)
  noProblems(page)
  await page.context().close()
}

/** A trick in flight, in a language (fa: Persian) on a phone or a desktop. */
async function looks (browser, { phone, fa, name }) {
  const size = phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}
  const page = await newPage(browser, { ...MOTION, ...size })
  await openAsGuest(page, fa ? 'سارا' : 'Sara')
  if (fa) {
    await switchLang(page)
  }
  await createAndStart(page, { target: 3 })
  for (let i = 0; i < 6; i++) {
    const step = await nextStep(page)
    if (step === 'over') break
    const card = await page.locator(step === 'trump' ? TRUMP : CARD).first().getAttribute(step === 'trump' ? 'data-suit' : 'data-card')
    const seq = await page.getAttribute('#table', 'data-seq')
    await page.locator(step === 'trump' ? TRUMP : CARD).first().click()
    if (step === 'card' && i >= 2) { await shotInFlight(page, card, name); break }
    // (the table moves on before the next look: on a loaded machine the
    // picker just clicked could still be there, and be waited for in vain)
    await page.waitForFunction(s => document.querySelector('#table').dataset.seq !== s, seq, { timeout: 15000 })
  }
  noProblems(page)
  await page.context().close()
}

await run(async (browser) => {
  await soundAndMotion(browser)
  await fastPlayer(browser)
  await reduced(browser)
  await looks(browser, { phone: true, fa: true, name: '32-phone-fa-trick-in-flight' })
  await looks(browser, { phone: true, name: '32-phone-trick-in-flight' })
  await looks(browser, { fa: true, name: '30-trick-in-flight-fa' })
})

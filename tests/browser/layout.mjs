// A phone-sized screen (390×844): no horizontal scroll, the hand visible
// without scrolling; then Persian: right-to-left, still no horizontal
// scroll. A Persian name displays as typed. Numbers are written as the
// browser's own formatting writes them in either language (i18n.js writes
// small whole numbers without Intl, for speed).

import { check, createAndStart, newPage, noProblems, openAsGuest, run, shot, switchLang } from './lib.mjs'

/** i18n.js's fmt against toLocaleString in the page's current language. */
async function numbersAsBrowser (page, lang) {
  const wrong = await page.evaluate(async (lang) => {
    const { fmt } = await import('/js/i18n.js')
    const locale = lang === 'fa' ? 'fa-IR' : 'en-US'
    const nums = [...Array(1200).keys(), 12345, 1e6, -1, -42, 2.5, 0.25, 1234.5]
    return nums.filter(n => fmt(n) !== n.toLocaleString(locale)).map(n => `${n}: ${fmt(n)} (want ${n.toLocaleString(locale)})`)
  }, lang)
  check(wrong.length === 0, `numbers in ${lang} written unlike the browser: ${wrong.slice(0, 5).join('; ')}`)
}

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)

async function handVisible (page) {
  // measured in one go: the hand is redrawn as the bots play
  const m = await page.evaluate(() => {
    const cards = [...document.querySelectorAll('#hand .card')].map(c => c.getBoundingClientRect())
    const hand = document.querySelector('#hand')?.getBoundingClientRect()
    return { cards: cards.map(r => ({ l: r.left, r: r.right, b: r.bottom })), hand: hand && { l: hand.left, r: hand.right, b: hand.bottom } }
  })
  check(m.hand && m.cards.length > 0, 'no hand on the page')
  check(m.hand.l >= 0 && m.hand.r <= 390.5, `hand sticks out sideways: ${JSON.stringify(m.hand)}`)
  check(m.hand.b <= 844, `hand below the fold: ${JSON.stringify(m.hand)}`)
  for (const c of m.cards) check(c.l >= 0 && c.r <= 390.5 && c.b <= 844, `a card is off screen: ${JSON.stringify(c)}`)
}

/** The header is one row, no control's text wraps, and the name shows at least its first letters. */
async function headerOneRow (page, what) {
  const m = await page.evaluate(() => {
    const top = document.querySelector('.top').getBoundingClientRect()
    // an element wraps when its visible text sits on more than one line (text
    // hidden for screen readers, in a 1px box, is not on the screen)
    const lines = (el) => {
      const tops = []
      const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT)
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (n.parentElement.getBoundingClientRect().width <= 1 || !n.textContent.trim()) continue
        const r = document.createRange()
        r.selectNodeContents(n)
        for (const x of r.getClientRects()) if (x.width > 0) tops.push(x.top)
      }
      return tops.sort((a, b) => a - b).filter((y, i) => i === 0 || y - tops[i - 1] > 8).length
    }
    const wrapped = [...document.querySelectorAll('.top button, .top .conn')].filter(el => lines(el) > 1).map(el => el.id || el.className)
    return { height: top.height, wrapped, name: document.querySelector('#me').getBoundingClientRect().width }
  })
  check(m.wrapped.length === 0, `${what}: header text wraps in ${m.wrapped.join(', ')}`)
  check(m.height < 64, `${what}: the header is ${m.height}px high (more than one row)`)
  check(m.name >= 60, `${what}: the player's name gets ${m.name}px`)
}

await run(async (browser) => {
  const page = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
  await openAsGuest(page, 'سارا Sara')
  check(await overflow(page) <= 0, 'lobby scrolls sideways on a phone')
  await headerOneRow(page, 'phone lobby')
  await numbersAsBrowser(page, 'en')
  await shot(page, '06-phone-lobby')

  await createAndStart(page, { target: 3 })
  await page.waitForSelector('#hand .card')
  check(await overflow(page) <= 0, 'table scrolls sideways on a phone')
  await handVisible(page)
  await shot(page, '07-phone-table')

  await switchLang(page)
  check(await overflow(page) <= 0, 'Persian table scrolls sideways on a phone')
  await headerOneRow(page, 'phone table in Persian')
  await numbersAsBrowser(page, 'fa')
  await handVisible(page)
  const shown = await page.textContent('.seat.mine .name')
  check(shown === 'سارا Sara', 'name shown as ' + shown)
  await shot(page, '08-phone-table-fa')

  // the choice is remembered
  await page.reload()
  await page.waitForSelector('html[dir="rtl"] #table')
  noProblems(page)
})

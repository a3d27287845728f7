// Contrast and themes. The main text/background pairs of the welcome page,
// the lobby and the table (header, score bar, seats, status, cards, the
// hand's summary, the last trick) are measured in the page, in the light
// and the dark theme: the text's colour (with its opacity) against what is
// behind it (backgrounds composed up to the page; a gradient counts by its
// worst stop) must reach 4.5:1 (3:1 for large text, WCAG AA). The theme
// follows prefers-color-scheme until the header's switch is used; the
// choice (hokm.theme) survives a reload. Screenshots: the dark theme,
// desktop and phone (Persian).

import { baseURL, check, createAndStart, newPage, noProblems, openAsGuest, play, run, shot, switchLang } from './lib.mjs'

const WELCOME = ['h1', '.welcome p', '.welcome label', '#play-guest', '#login', '#lang']
const LOBBY = ['.top .brand', '#me', '#conn', '.top button', '.card-panel h2', '.card-panel label', '.card-panel .muted', '#create', '#join', '#quick']
const TABLE = ['.top .brand', '#me', '#conn', '.top button', '.stat .label', '.stat .value', '.stat .value b', '.stat small', '.scorebar .tid',
  '.plate .name', '.plate .count', '.plate small', '.badge.hakem', '#last-trick-btn', '#status', '#hand .card:not([disabled]) .face .rank',
  '#trick .face .rank', '#fx .face .rank', '#trump', '#trump-picker .suit-btn', '.controls button', '.chat summary']
const SUMMARY = ['#hand-summary h2', '#hand-summary th', '#hand-summary td', '#hand-summary p', '#summary-close']
const REVIEW = ['#last-trick h2', '#last-trick .rv small', '#last-trick .face .rank', '#last-trick-close']

/** The contrast of every visible element matching the selectors, measured in the page. */
function measure (page, selectors) {
  return page.evaluate((selectors) => {
    const parse = (s) => {
      const m = s.match(/rgba?\(([^)]+)\)/)
      if (!m) return null
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number)
      return [r, g, b, a]
    }
    const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat(1)
    const lum = (c) => {
      const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 })
      return 0.2126 * r + 0.7152 * g + 0.0722 * b
    }
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05) }
    /** What is behind el: its backgrounds and its ancestors' down to an opaque one; a gradient gives each of its colours. */
    const behind = (el) => {
      const layers = []
      let bases = [[255, 255, 255, 1]]
      for (let e = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e)
        if (cs.backgroundImage.includes('gradient')) {
          bases = [...cs.backgroundImage.matchAll(/rgba?\([^)]+\)/g)].map(m => over(parse(m[0]), [255, 255, 255, 1]))
          break
        }
        const c = parse(cs.backgroundColor)
        if (c && c[3] > 0) layers.push(c)
        if (c && c[3] >= 1) { bases = [layers.pop()]; break }
      }
      return bases.map(base => layers.reduceRight((acc, l) => over(l, acc), base))
    }
    const out = []
    for (const sel of selectors) {
      for (const el of document.querySelectorAll(sel)) {
        const r = el.getBoundingClientRect()
        const cs = getComputedStyle(el)
        if (!r.width || !r.height || cs.visibility === 'hidden' || el.closest(':disabled') || !el.textContent.trim()) continue
        let alpha = 1
        for (let e = el; e; e = e.parentElement) alpha *= Number(getComputedStyle(e).opacity)
        if (alpha < 0.05) continue // not shown (a card on the table drawn by the motion layer instead)
        const fg = parse(cs.color)
        fg[3] *= alpha
        const size = parseFloat(cs.fontSize)
        const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700)
        for (const bg of behind(el)) {
          out.push({ sel, text: el.textContent.trim().slice(0, 24), ratio: Math.round(ratio(over(fg, bg), bg) * 100) / 100, need: large ? 3 : 4.5, fg: cs.color, bg: bg.slice(0, 3).map(Math.round).join(',') })
        }
      }
    }
    return out
  }, selectors)
}

/** Measures (once nothing moves) and fails on any pair under its need; returns how many were measured. */
async function contrast (page, selectors, what) {
  await page.waitForFunction(() => document.getAnimations().every(a => a.playState !== 'running' || a.effect.getTiming().duration > 1e8), null, { timeout: 8000 })
  const theme = await page.evaluate(() => document.documentElement.dataset.theme)
  const got = await measure(page, selectors)
  const bad = got.filter(p => p.ratio < p.need)
  check(bad.length === 0, `${what}, ${theme} theme: contrast too low:\n${bad.map(p => `  ${p.sel} "${p.text}": ${p.ratio} < ${p.need} (${p.fg} on rgb(${p.bg}))`).join('\n')}`)
  const seen = new Set(got.map(p => p.sel))
  const missing = selectors.filter(s => !seen.has(s))
  return { n: got.length, min: Math.min(...got.map(p => p.ratio)), missing }
}

async function both (page, selectors, what) {
  const res = []
  for (const theme of ['light', 'dark']) {
    if (await page.evaluate(() => document.documentElement.dataset.theme) !== theme) {
      await page.click('#theme')
      await page.waitForSelector(`html[data-theme="${theme}"]`)
    }
    res.push(await contrast(page, selectors, what))
  }
  console.log(`${what}: ${res.map((r, i) => `${['light', 'dark'][i]} ${r.n} pairs, lowest ${r.min.toFixed(2)}`).join('; ')}${res[0].missing.length ? ` (not on the page: ${res[0].missing.join(' ')})` : ''}`)
}

const waitShown = (page, sel) => page.waitForFunction(s => { const e = document.querySelector(s); return e && getComputedStyle(e).opacity === '1' }, sel)

await run(async (browser) => {
  const page = await newPage(browser, { colorScheme: 'light' })
  await page.goto(baseURL + '/')
  await page.waitForSelector('#play-guest')
  check(await page.evaluate(() => document.documentElement.dataset.theme) === 'light', 'a light system does not get the light theme')
  await both(page, WELCOME, 'welcome')
  await page.click('#theme') // back to light for the guest's start
  await openAsGuest(page, 'Sara')
  await both(page, LOBBY, 'lobby')
  await createAndStart(page, { target: 5 }) // (to 3, a first hand won 7–0 could end the match instead)
  // play until a hand ends: the summary is on the table
  await play(page, { until: async () => !!(await page.$('#hand-summary')) })
  await waitShown(page, '#hand-summary')
  await both(page, [...TABLE, ...SUMMARY], 'table and hand summary')
  await shot(page, '70-dark-hand-summary')
  await page.click('#summary-close')
  await page.click('#last-trick-btn')
  await waitShown(page, '#last-trick')
  await both(page, REVIEW, 'last trick')
  await page.keyboard.press('Escape')

  // the choice is kept; without one, the system's scheme decides
  check(await page.evaluate(() => localStorage.getItem('hokm.theme')) === 'dark', 'the theme chosen is not kept')
  await page.reload()
  await page.waitForSelector('#table')
  check(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'dark chosen, then reloaded: not dark')
  check(await page.getAttribute('#theme', 'aria-pressed') === 'true', 'the theme switch does not say dark')
  noProblems(page)
  await page.context().close()

  const phone = await newPage(browser, { colorScheme: 'dark', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
  await phone.goto(baseURL + '/')
  await phone.waitForSelector('#play-guest')
  check(await phone.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'a dark system does not get the dark theme')
  await openAsGuest(phone, 'سارا')
  await switchLang(phone)
  await createAndStart(phone, { target: 3 })
  await play(phone, { until: (n) => n >= 3 })
  await contrast(phone, TABLE, 'phone table')
  await shot(phone, '71-phone-fa-dark')
  noProblems(phone)
})

// The rules: reachable from the welcome page, the lobby (its strip, also
// with the keyboard) and the table (beside Leave), in English and Persian, as a
// dialog that returns to where the player was. At the table the game goes
// on underneath: after closing, the same table, seat and hand are there
// (or what the bots played meanwhile), and the player plays on.
// Escape, the close button and the done button close it; the focus goes
// back to the button that opened it. Screenshots: desktop and phone,
// English and Persian (the phone ones over the table).

import { baseURL, check, createAndStart, newPage, noProblems, openAsGuest, play, run, shot, switchLang } from './lib.mjs'
import { PHONE } from './pageslib.mjs'

const WORDS = { en: ['Hakem', 'trump', 'follow the suit', '7 of the 13 tricks', 'Kot', 'Hakem-Kot', '3, 5 or 7'], fa: ['حاکم', 'حکم', 'خال زمین', '۷ دست', 'کُت', 'کُتِ حاکم', '۳، ۵ یا ۷'] }

/** Opens the rules with opener, checks them in lang, closes them with how; the focus must come back to opener. */
async function rules (page, opener, lang, how, name) {
  if (opener === 'keyboard') {
    await page.focus('#nav-rules')
    await page.keyboard.press('Enter')
  } else {
    await page.click(opener)
  }
  await page.waitForSelector('dialog#rules[open]')
  const r = await page.evaluate(() => {
    const d = document.querySelector('#rules')
    return { text: d.textContent, dir: getComputedStyle(d).direction, focusIn: d.contains(document.activeElement), lang: d.dataset.lang, modal: d.matches(':modal') }
  })
  check(r.lang === lang, `the rules are in ${r.lang}, want ${lang}`)
  check(r.dir === (lang === 'fa' ? 'rtl' : 'ltr'), 'the rules are written ' + r.dir)
  check(r.focusIn && r.modal, 'the rules dialog is not modal with the focus in it')
  for (const w of WORDS[lang]) check(r.text.includes(w), `the ${lang} rules do not mention "${w}"`)
  if (name) await shot(page, name)
  if (how === 'Escape') await page.keyboard.press('Escape')
  else await page.click(how)
  await page.waitForSelector('#rules', { state: 'detached' })
  const back = opener === 'keyboard' ? '#nav-rules' : opener
  check(await page.evaluate(sel => document.activeElement === document.querySelector(sel), back), 'the focus did not return to ' + back)
}

/** What the table shows that must survive the rules: table, seat, hand, cards. */
const tableState = (page) => page.evaluate(() => {
  const t = document.querySelector('#table')
  return t && { id: document.querySelector('.scorebar .tid')?.textContent, me: t.dataset.me, status: t.dataset.status, seq: Number(t.dataset.seq), hand: t.dataset.hand, cards: document.querySelectorAll('#hand .card').length }
})

async function atTable (page, lang, name) {
  const before = await tableState(page)
  await rules(page, '#rules-link', lang, lang === 'en' ? '#rules-done' : 'Escape', name)
  await page.waitForTimeout(200)
  const after = await tableState(page)
  check(after && after.id === before.id && after.me === before.me, `the table changed under the rules: ${JSON.stringify(before)} → ${JSON.stringify(after)}`)
  check(after.seq >= before.seq && (after.seq > before.seq || after.cards === before.cards), `the game went back or lost cards: ${JSON.stringify(before)} → ${JSON.stringify(after)}`)
}

await run(async (browser) => {
  const page = await newPage(browser)
  await page.goto(baseURL + '/')
  await rules(page, '#rules-link', 'en', 'Escape', '35-rules-welcome-en')
  await openAsGuest(page, 'Sara سارا')
  await rules(page, '#nav-rules', 'en', '#rules-close', '35-rules-en')
  await rules(page, 'keyboard', 'en', 'Escape')
  await switchLang(page)
  await rules(page, '#nav-rules', 'fa', '#rules-done', '35-rules-fa')
  await switchLang(page)
  console.log('from the lobby: English and Persian, opened with the mouse and the keyboard')

  await createAndStart(page, { target: 3 })
  await play(page, { until: (n) => n >= 3 })
  await atTable(page, 'en')
  await switchLang(page)
  await atTable(page, 'fa')
  await switchLang(page)
  const seq = Number(await page.getAttribute('#table', 'data-seq'))
  await play(page, { until: (n) => n >= 3 })
  check(Number(await page.getAttribute('#table', 'data-seq')) > seq, 'the game did not go on after the rules')
  console.log('from the table: English and Persian; the same table and hand after, and the game played on')
  noProblems(page)

  const phone = await newPage(browser, PHONE)
  await openAsGuest(phone, 'Dara دارا')
  await createAndStart(phone, { target: 3 })
  await play(phone, { until: (n) => n >= 2 })
  await atTable(phone, 'en', '36-rules-table-phone-en')
  await switchLang(phone)
  await atTable(phone, 'fa', '36-rules-table-phone-fa')
  noProblems(phone)
})

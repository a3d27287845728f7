// The client's text. Each language's strings are a JSON file
// (/lang/en.json, /lang/fa.json: the same keys, {name} placeholders),
// loaded the first time the language is used, so a player downloads only
// the language they read (docs/client.md, "Text"). t(key, params) looks a
// key up in the current language and fills {name}s.

import { DIRS as dirs, fetchStrings, takeStrings } from './boot.js'

export { initialLang } from './boot.js'

const tables = {} // language code → its strings, once loaded
let lang = 'en'

/** The current language code ("en" or "fa"). */
export function currentLang () { return lang }

/**
 * Switches the language once its strings are loaded, sets <html lang dir>
 * and remembers the choice. Rejects (and changes nothing) when the strings
 * cannot be loaded.
 */
export async function setLang (code) {
  code = dirs[code] ? code : 'en'
  if (!tables[code]) {
    tables[code] = await (takeStrings(code) ?? fetchStrings(code))
  }
  lang = code
  document.documentElement.lang = lang
  document.documentElement.dir = dirs[lang]
  document.title = t('title')
  try { localStorage.setItem('hokm.lang', lang) } catch { /* private mode */ }
}

/** Whether a language's strings are loaded (nothing is drawn before). */
export const loaded = () => !!tables[lang]

/** The text of key in the current language, {name}s filled from params. */
export function t (key, params = {}) {
  const s = tables[lang]?.[key] ?? key
  return s.replace(/\{(\w+)\}/g, (_, k) => k in params ? fmt(params[k]) : '')
}

const PERSIAN_DIGITS = '۰۱۲۳۴۵۶۷۸۹'
const formats = {} // language code → its Intl.NumberFormat, made when first needed

/**
 * Numbers in the language's digits; anything else unchanged. The small
 * whole numbers a table shows (scores, tricks, cards, seats) are written
 * without Intl: a page's first Intl number format loads the locale's data,
 * which took a phone about 140 ms of the lobby's first draw (docs/client.md,
 * "Performance"); tests/browser/layout.mjs checks both ways agree.
 */
export function fmt (v) {
  if (typeof v !== 'number') return String(v)
  if (Number.isInteger(v) && v >= 0 && v < 1000) return lang === 'fa' ? String(v).replace(/\d/g, d => PERSIAN_DIGITS[d]) : String(v)
  formats[lang] ??= new Intl.NumberFormat(lang === 'fa' ? 'fa-IR' : 'en-US')
  return formats[lang].format(v)
}

/** A server error code as text (the server's message when the code is unknown). */
export function errorText (code, message) {
  return tables[lang]?.['err.' + code] || message || code
}

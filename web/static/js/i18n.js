// The client's text. Each language's strings are a JSON file
// (/lang/en.json, /lang/fa.json: the same keys, {name} placeholders),
// loaded the first time the language is used, so a player downloads only
// the language they read (docs/client.md, "Text"). t(key, params) looks a
// key up in the current language and fills {name}s.

const dirs = { en: 'ltr', fa: 'rtl' }
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
    const res = await fetch(`/lang/${code}.json`)
    if (!res.ok) throw new Error(`/lang/${code}.json: HTTP ${res.status}`)
    tables[code] = await res.json()
  }
  lang = code
  document.documentElement.lang = lang
  document.documentElement.dir = dirs[lang]
  document.title = t('title')
  try { localStorage.setItem('hokm.lang', lang) } catch { /* private mode */ }
}

/** Whether a language's strings are loaded (nothing is drawn before). */
export const loaded = () => !!tables[lang]

/** The remembered language, else the browser's if it is Persian. */
export function initialLang () {
  let saved = null
  try { saved = localStorage.getItem('hokm.lang') } catch { /* private mode */ }
  if (saved && dirs[saved]) return saved
  return (navigator.language || '').startsWith('fa') ? 'fa' : 'en'
}

/** The text of key in the current language, {name}s filled from params. */
export function t (key, params = {}) {
  const s = tables[lang]?.[key] ?? key
  return s.replace(/\{(\w+)\}/g, (_, k) => k in params ? fmt(params[k]) : '')
}

/** Numbers in the language's digits; anything else unchanged. */
export function fmt (v) {
  return typeof v === 'number' ? v.toLocaleString(lang === 'fa' ? 'fa-IR' : 'en-US') : String(v)
}

/** A server error code as text (the server's message when the code is unknown). */
export function errorText (code, message) {
  return tables[lang]?.['err.' + code] || message || code
}

// The first module the page runs: index.html loads it before main.js, and
// i18n.js and conn.js import it, so it runs once, as soon as the page is
// parsed, while the rest of the client is still being fetched and compiled.
// It asks for the language's strings and, for a returning visitor (a
// session token is stored), opens the socket, so neither round trip waits
// for the whole client (docs/client.md, "Performance").

/** The languages and their direction. */
export const DIRS = { en: 'ltr', fa: 'rtl' }

/** The remembered language, else the browser's if it is Persian. */
export function initialLang () {
  let saved = null
  try { saved = localStorage.getItem('hokm.lang') } catch { /* private mode */ }
  if (saved && DIRS[saved]) return saved
  return (navigator.language || '').startsWith('fa') ? 'fa' : 'en'
}

/** A language's strings, from /lang/<code>.json. */
export async function fetchStrings (code) {
  const res = await fetch(`/lang/${code}.json`)
  if (!res.ok) throw new Error(`/lang/${code}.json: HTTP ${res.status}`)
  return res.json()
}

export function socketURL () {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws?v=2`
}

const early = { lang: initialLang() }
early.strings = fetchStrings(early.lang)
early.strings.catch(() => {}) // a failure is the taker's to handle, not an unhandled rejection meanwhile
try { if (localStorage.getItem('hokm.token')) early.socket = new WebSocket(socketURL()) } catch { /* private mode, or refused: connect later */ }

/** The strings asked for at start, once, if they are code's; else null. */
export function takeStrings (code) {
  const p = early.lang === code ? early.strings : null
  early.strings = null
  early.lang = null
  return p
}

/** The socket opened at start, once, if it is still connecting or open; else null. */
export function takeSocket () {
  const ws = early.socket
  early.socket = null
  return ws && ws.readyState <= WebSocket.OPEN ? ws : null
}

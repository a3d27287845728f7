// A guest signs up (claims an account) and is shown as the account: the
// header gives the name the guest chose, without "(guest)", and the sign-up
// panel is gone — after the sign-up, after a reload, and after logging out
// and in again. Whether a session is a guest's comes from the server (GET
// /api/me): a claimed guest keeps its g_ id. And loading the page logs no
// error in the console (the client used to probe /api/me without a token:
// two 401s on every load). A login answered 429 with a short Retry-After
// goes again by itself.

import { baseURL, check, fail, newPage, noProblems, openAsGuest, run, shot } from './lib.mjs'

const NAME = 'Sara سارا'

/** The header names the user as NAME, not a guest, and there is no sign-up panel (waits a while for the server's answer). */
async function signedInAs (page, what) {
  await page.waitForSelector('body[data-view="lobby"] #conn[data-state="open"]')
  await page.waitForFunction(() => document.querySelector('#me')?.dataset.guest === 'false', null, { timeout: 5000 })
    .catch(() => null)
  const me = await page.evaluate(() => ({
    text: document.querySelector('.top .me')?.textContent,
    claim: !!document.querySelector('.lobby #register')
  }))
  if (me.text !== NAME) fail(`${what}: the header says ${JSON.stringify(me.text)}, want ${JSON.stringify(NAME)}`)
  check(!me.claim, `${what}: the sign-up panel is still shown`)
  console.log(`${what}: the header says "${me.text}"`)
}

await run(async (browser) => {
  const page = await newPage(browser)
  await page.goto(baseURL + '/')
  await page.waitForSelector('#guest-name')
  await page.waitForTimeout(1000) // what the page asks on load has been answered
  noProblems(page) // nothing in the console on load

  await openAsGuest(page, NAME)
  check((await page.textContent('.top .me')).includes('guest'), 'a guest is not shown as one')
  await page.waitForSelector('.lobby #register') // the sign-up panel
  const username = 'sara' + Date.now().toString(36)
  await page.fill('.lobby #username', username)
  await page.fill('.lobby #password', 'correct horse battery')
  await page.click('.lobby #register')
  await signedInAs(page, 'after the sign-up')
  // the username comes with the server's answer about the new session
  await page.waitForFunction((u) => document.querySelector('#me')?.title === '@' + u, username, { timeout: 5000 })
    .catch(async () => fail('the header does not name the username: ' + await page.getAttribute('#me', 'title')))
  await shot(page, '24-signed-up')

  await page.reload()
  await signedInAs(page, 'after a reload')

  await page.click('#logout')
  await page.waitForSelector('body[data-view="welcome"]')
  await page.fill('#username', username)
  await page.fill('#password', 'correct horse battery')
  await page.click('#login')
  await signedInAs(page, 'after logging in again')
  noProblems(page)

  // a login refused for a moment (429, Retry-After: 1: the server is hashing
  // another password of this address) is sent again by itself after the wait
  await page.click('#logout')
  await page.waitForSelector('body[data-view="welcome"]')
  const logins = []
  await page.route('**/api/login', (route) => {
    logins.push(Date.now())
    if (logins.length > 1) return route.continue()
    return route.fulfill({ status: 429, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' }, body: '{"code":"rate_limited","message":"wait"}' })
  })
  await page.fill('#username', username)
  await page.fill('#password', 'correct horse battery')
  await page.click('#login')
  await signedInAs(page, 'after a login refused once for a second')
  check(logins.length === 2 && logins[1] - logins[0] >= 900, `login requests at ${logins.map(t => t - logins[0]).join(', ')} ms: want two, a second apart`)
  console.log(`the login refused with Retry-After: 1 went again ${logins[1] - logins[0]} ms later`)
})

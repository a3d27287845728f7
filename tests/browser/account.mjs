// The account page. A player signs up and plays a match; the account page
// shows the statistics and rating the API gives (GET
// /api/players/{id}/stats, the all-time board). They rename themselves (the
// header and the API follow, also after a reload), change the password
// (the page stays signed in; after logging out the old password fails and
// the new one works), and delete the account behind its confirmation (the
// button stays off until the username is typed; afterwards the account no
// longer logs in). A guest who has an account logs in from the lobby.
// Screenshots of the account page: desktop and phone, English and Persian.

import { check, fail, newPage, noProblems, openAsGuest, run } from './lib.mjs'
import { apiAs, checkStats, desktopShots, get, logIn, phoneShots, playStored, ratingOf, register } from './pageslib.mjs'

const P1 = 'correct horse battery'
const P2 = 'battery staple horse'

/** Opens the account page from the lobby strip. */
async function openAccount (page) {
  await page.click('#nav-account')
  await page.waitForSelector('#account #stats')
}

/** Submits a form of the account page and waits for its message; returns it. */
async function submit (page, button) {
  const form = await page.$(`form:has(${button})`)
  await page.click(button)
  await page.waitForFunction(f => { const m = f.querySelector('.form-msg'); return m.textContent && m.textContent !== '…' }, form)
  return (await form.$eval('.form-msg', m => ({ text: m.textContent, bad: m.classList.contains('bad') })))
}

await run(async (browser) => {
  const page = await newPage(browser)
  const username = 'acc' + Date.now().toString(36)
  await register(page, username, P1)
  await playStored(page)

  // the statistics and rating as the API gives them (the rating from the
  // all-time board as before and after the page read it: a snapshot)
  const before = await ratingOf((await get(page, '/api/me')).id)
  await openAccount(page)
  const me = await get(page, '/api/me')
  const stats = await get(null, `/api/players/${me.id}/stats`)
  check(stats.matches_played === 1, 'the API counts ' + stats.matches_played + ' matches')
  const n = await checkStats(page, '#account', stats, [before, await ratingOf(me.id)])
  console.log(`account page: ${n} statistics as the API gives them (${stats.matches_played} match, ${stats.hands_played} hands, ${stats.tricks_taken} tricks)`)
  await desktopShots(page, '30-account', p => p.waitForSelector('#account #stats'))

  // rename: the page, the header, the API, and after a reload
  const NEW = 'Nova نوا'
  await page.fill('#account-name', NEW)
  const renamed = await submit(page, '#rename')
  check(!renamed.bad, 'rename failed: ' + renamed.text)
  check(await page.textContent('#account-title') === NEW, 'the page title is not the new name')
  await page.waitForFunction(n => document.querySelector('#me .name')?.textContent === n, NEW)
  check((await get(page, '/api/me')).name === NEW, 'the API does not have the new name')
  await page.reload() // the account page has its own address: it comes back
  await page.waitForSelector('body[data-view="page"] #account #account-title')
  await page.waitForFunction(n => document.querySelector('#me .name')?.textContent === n && document.querySelector('#account-title')?.textContent === n, NEW)
  console.log('renamed to ' + NEW)

  // password: a wrong current password is refused; the right one changes it and the page stays signed in
  await openAccount(page)
  await page.fill('#old-password', 'not my password')
  await page.fill('#new-password', P2)
  await page.fill('#new-password2', P2)
  const wrong = await submit(page, '#change-password')
  check(wrong.bad && /wrong/i.test(wrong.text), 'a wrong current password was not refused: ' + wrong.text)
  await page.fill('#old-password', P1)
  const sockets = await page.evaluate(() => window.__hokmNet.sockets.length)
  const changed = await submit(page, '#change-password')
  check(!changed.bad, 'the password change failed: ' + changed.text)
  check(await page.inputValue('#new-password') === '', 'the password fields were not cleared')
  // the server closes the user's sockets (bye password_changed): this session still works, so the page connects again
  await page.waitForFunction(n => window.__hokmNet.sockets.length > n && document.querySelector('#conn')?.dataset.state === 'open', sockets)
    .catch(() => fail('the page did not connect again after the password change'))
  check(await page.$('#account'), 'the page left the account page after the password change')
  check((await apiAs(page, 'GET', '/api/me')).status === 200, 'the session that changed the password no longer works')
  await page.click('#logout')
  await page.waitForSelector('body[data-view="welcome"]')
  check(!await logIn(page, username, P1), 'the old password still logs in')
  check(await logIn(page, username, P2), 'the new password does not log in')
  console.log('password changed: the old one fails, the new one logs in')

  // deletion: behind a button, the username typed, and the password
  await openAccount(page)
  check(await page.isHidden('#delete-form'), 'the deletion form shows before it is asked for')
  await page.click('#delete-start')
  await page.waitForSelector('#delete-form:not([hidden])')
  check(await page.evaluate(() => document.activeElement.id) === 'delete-username', 'the focus is not on the confirmation field')
  await page.fill('#delete-password', P2)
  check(await page.isDisabled('#delete-account'), 'delete is on before the username is typed')
  await page.fill('#delete-username', username + 'x')
  check(await page.isDisabled('#delete-account'), 'delete is on with a wrong username')
  await page.click('#delete-cancel')
  check(await page.isHidden('#delete-form'), 'cancel does not hide the deletion form')
  await page.click('#delete-start')
  await page.fill('#delete-username', username.toUpperCase())
  check(await page.isEnabled('#delete-account'), 'delete stays off with the username typed')
  await page.click('#delete-account')
  await page.waitForSelector('body[data-view="welcome"]')
  check(!await logIn(page, username, P2), 'the deleted account still logs in')
  const login = await apiAs(null, 'POST', '/api/login', { username, password: P2 })
  check(login.status === 401, 'the API logs the deleted account in: ' + login.status)
  const gone = await apiAs(null, 'GET', `/api/players/${me.id}`)
  check(gone.status === 200 && gone.body.kind === 'deleted', 'the profile is not a deleted one: ' + JSON.stringify(gone.body))
  console.log('deleted: the account no longer logs in, its profile is ' + gone.body.name)
  // the only errors: the refused logins and the wrong current password (401, 403)
  page.problems = page.problems.filter(p => !/status of 40[13]/.test(p))
  noProblems(page)

  // a guest with an account logs in from the lobby
  const other = 'acc2' + Date.now().toString(36)
  check((await apiAs(null, 'POST', '/api/register', { username: other, password: P1, name: 'Dara دارا' })).status === 201, 'sign-up through the API failed')
  const guest = await newPage(browser)
  await openAsGuest(guest, 'Guest مهمان')
  await guest.fill('.lobby #username', other)
  await guest.fill('.lobby #password', P1)
  await guest.click('.lobby #login')
  await guest.waitForFunction(() => document.querySelector('#me')?.dataset.guest === 'false')
  check(await guest.textContent('#me .name') === 'Dara دارا', 'the lobby login does not show the account: ' + await guest.textContent('#me'))
  check(!await guest.$('.lobby #claim'), 'the sign-up panel is still shown after logging in')
  console.log('a guest logged in to their account from the lobby')
  noProblems(guest)

  // a guest's account page: the name, statistics, and the way to sign up or log in
  const g2 = await newPage(browser)
  await openAsGuest(g2, 'Mehman')
  await openAccount(g2)
  check(await g2.$('#account #register') && await g2.$('#account #login') && !await g2.$('#change-password'), 'the guest account page is not a guest\'s')
  await phoneShots(browser, guest, '31-account', async p => { await openAccount(p) })
  noProblems(g2)
})

// The account page: the name (PATCH /api/me), the password (POST
// /api/password), deleting the account (DELETE /api/me, once the username
// is typed), the statistics and rating. A guest: name, statistics, sign-up.

import { api } from './api.js'
import { h, name } from './dom.js'
import { errorText, t } from './i18n.js'
import { dateText } from './pages.js'
import { ratingOf, statsBlock } from './leaders.js'

/** A form: submitting runs act(form) with the buttons off; its line says what came of it. */
const form = (id, act, ...kids) => h('form', {
  id,
  onsubmit: async (e) => {
    e.preventDefault()
    const f = e.currentTarget
    const msg = f.lastChild
    const buttons = f.querySelectorAll('button')
    buttons.forEach(b => { b.disabled = true })
    msg.className = 'form-msg'
    msg.textContent = '…'
    try {
      msg.textContent = await act(f) || ''
    } catch (err) {
      msg.textContent = errorText(err.code, err.message)
      msg.className = 'form-msg bad'
    }
    buttons.forEach(b => { b.disabled = false })
    f.dispatchEvent(new Event('input'))
  }
}, kids, h('p', { class: 'form-msg', role: 'status' }))

const field = (label, id, attrs = {}) => h('label', {}, label, h('input', { id, required: true, ...attrs }))
const pass = (label, id, auto = 'new-password') => field(label, id, { type: 'password', autocomplete: auto, maxlength: 128 })
const val = (f, id) => f.querySelector('#' + id).value

export async function accountView (page, ctx) {
  const token = ctx.token
  const me = await api('GET', '/api/me', { token })
  // a guest has no statistics (a 404) before a match of theirs is stored (created_at)
  const [st, rating] = await Promise.all([me.created_at && api('GET', `/api/players/${encodeURIComponent(me.id)}/stats`).catch(() => null), ratingOf(me.id)])
  const panel = (...kids) => h('div', { class: 'card-panel' }, kids)
  const parts = [
    panel(h('h2', { id: 'account-title' }, name(me.name)),
      h('p', { class: 'muted' }, me.username ? h('bdi', { dir: 'ltr' }, '@' + me.username) : t('guest'),
        me.created_at ? [' · ', t('member_since', { date: dateText(me.created_at) })] : null),
      form('rename-form', async (f) => {
        const next = await api('PATCH', '/api/me', { token, body: { name: val(f, 'account-name').trim() } })
        document.getElementById('account-title').replaceChildren(name(next.name))
        ctx.renamed(next)
        return t('saved')
      }, field(t('display_name'), 'account-name', { value: me.name, maxlength: 32, dir: 'auto', autocomplete: 'nickname' }),
      h('button', { id: 'rename' }, t('save')))),
    h('div', { class: 'card-panel wide' }, h('h2', {}, t('stats')), statsBlock(st, rating))]
  if (me.guest) {
    parts.push(panel(h('h2', {}, t('sign_up')), h('p', { class: 'muted' }, t('guest_account')), ctx.claimForm()))
  } else {
    parts.push(panel(h('h2', {}, t('change_password')), form('password-form', async (f) => {
      if (val(f, 'new-password') !== val(f, 'new-password2')) throw { code: 'passwords_differ' }
      await api('POST', '/api/password', { token, body: { old: val(f, 'old-password'), new: val(f, 'new-password') } })
      f.reset()
      return t('password_changed')
    }, pass(t('current_password'), 'old-password', 'current-password'), pass(t('new_password'), 'new-password'),
    pass(t('repeat_password'), 'new-password2'), h('button', { id: 'change-password' }, t('change_password')))),
    deletePanel(me, ctx))
  }
  return h('section', { class: 'account-page', id: 'account', dataset: { user: me.id } }, parts)
}

/** Deleting: behind a button, then the username typed (it enables the button) and the password. */
function deletePanel (me, ctx) {
  const typed = (f) => val(f, 'delete-username').trim().toLowerCase() === me.username.toLowerCase()
  const show = (e, on) => {
    const p = e.currentTarget.closest('.card-panel')
    p.querySelector('form').hidden = !on
    p.querySelector('#delete-start').hidden = on
    p.querySelector(on ? 'input' : '#delete-start').focus()
  }
  const del = form('delete-form', async (f) => {
    if (!typed(f)) throw { code: 'confirm_username' }
    await api('DELETE', '/api/me', { token: ctx.token, body: { password: val(f, 'delete-password') } })
    ctx.gone()
  }, h('p', {}, t('delete_warning')),
  field(t('delete_confirm', { username: me.username }), 'delete-username', { autocomplete: 'off', dir: 'auto' }),
  pass(t('password'), 'delete-password', 'current-password'),
  h('div', { class: 'row' }, h('button', { class: 'danger', id: 'delete-account', disabled: true }, t('delete_now')),
    h('button', { type: 'button', id: 'delete-cancel', onclick: (e) => show(e, false) }, t('cancel'))))
  del.hidden = true
  del.addEventListener('input', () => { del.querySelector('#delete-account').disabled = !typed(del) })
  return h('div', { class: 'card-panel danger-zone' }, h('h2', {}, t('delete_account')),
    h('button', { class: 'danger', id: 'delete-start', onclick: (e) => show(e, true) }, t('delete_account'), '…'), del)
}

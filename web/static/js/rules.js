// How Hokm is played (docs/rules.md): a modal dialog over the page (the
// table goes on underneath). The text is in rules/<lang>.json: [heading,
// paragraph or list, …] per section. Escape, a close button or a click
// outside closes it; the focus goes back to the button that opened it.

import { api } from './api.js'
import { h } from './dom.js'
import { currentLang, t } from './i18n.js'

export async function showRules (opener) {
  const lang = currentLang()
  const text = await api('GET', `/rules/${lang}.json`)
  document.getElementById('rules')?.remove()
  const dlg = h('dialog', { id: 'rules', class: 'rules', 'aria-labelledby': 'rules-title', dataset: { lang } },
    h('div', { class: 'rules-head' },
      h('h2', { id: 'rules-title', tabindex: -1 }, t('how_to_play')),
      h('button', { class: 'small', id: 'rules-close', 'aria-label': t('close'), title: t('close'), onclick: () => dlg.close() }, '✕')),
    text.map(([head, ...body]) => h('section', {}, h('h3', {}, head),
      body.map(p => Array.isArray(p) ? h('ul', {}, p.map(li => h('li', {}, li))) : h('p', {}, p)))),
    h('div', { class: 'controls' }, h('button', { class: 'primary', id: 'rules-done', onclick: () => dlg.close() }, t('close'))))
  dlg.addEventListener('click', (e) => { // on the backdrop: outside the box
    const r = dlg.getBoundingClientRect()
    if (e.target === dlg && (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom)) dlg.close()
  })
  // Escape closes this dialog only, not also a panel of the table under it
  dlg.addEventListener('keydown', (e) => { if (e.key === 'Escape') e.stopPropagation() })
  dlg.addEventListener('close', () => {
    dlg.remove()
    if (opener && opener.isConnected) opener.focus()
  })
  document.body.append(dlg)
  dlg.showModal()
  dlg.querySelector('h2').focus()
}

// A small element builder: h('button', {class: 'x', onclick: f}, 'text').
// Text always goes in as text nodes, never as HTML.

export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'class') el.className = v
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else if (k === 'value') el.value = v
    else el.setAttribute(k, v === true ? '' : v)
  }
  append(el, children)
  return el
}

function append (el, children) {
  for (const c of children) {
    if (c == null || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

/** A user-chosen name, isolated so any script displays correctly. */
export function name (text, cls = 'name') {
  return h('bdi', { class: cls, dir: 'auto' }, text)
}

/** Replaces the children of el. */
export function mount (el, ...children) {
  el.replaceChildren()
  append(el, children)
}

// A small element builder and a keyed renderer (docs/client.md).
//
// h('button', {class: 'x', onclick: f}, 'text') builds a detached element.
// Text always goes in as text nodes, never as HTML.
//
// patch(el, ...children) makes el's children look like the ones given,
// touching the page only where they differ: it morphs the freshly built
// tree into the live one. A live node is kept when a new one matches it —
// by key (the `key` attribute of h, else the element's id), otherwise by
// position, tag and first class — so focus, the caret, what was typed into
// an input, a select's choice, a checkbox and a button being pressed all
// survive a redraw. Only attributes and text are copied over; the state
// the user owns (an input's value, checked, selected, a <details>'s open)
// is set when an element is created and left alone afterwards. Handlers
// are kept on the node (el.__on) behind one listener per event type, so
// replacing a handler never adds or removes a listener.

/** Attributes the user changes: set at creation, never morphed. */
const OWNED = new Set(['open'])

function listen (e) {
  const f = this.__on && this.__on[e.type]
  return f ? f.call(this, e) : undefined
}

export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue
    if (k === 'key') el.__key = String(v)
    else if (k === 'opaque') el.__opaque = true // patch leaves its children alone
    else if (k.startsWith('on')) {
      (el.__on || (el.__on = {}))[k.slice(2)] = v
      el.addEventListener(k.slice(2), listen)
    } else if (k === 'class') el.className = v
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else if (k === 'value') el.value = v
    else el.setAttribute(k, v === true ? '' : v)
  }
  append(el, children)
  return el
}

/** An SVG element, as h builds HTML ones (attributes only). */
export function svg (tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v)
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

/** Makes the children of el those given, changing only what differs. */
export function patch (el, ...children) {
  const fresh = document.createElement(el.nodeName)
  append(fresh, children)
  morphChildren(el, fresh)
}

const keyOf = (n) => n.__key ?? (n.nodeType === 1 && n.id ? n.id : null)

/** Whether an unkeyed live node can become fresh: same kind of node, tag and first class. */
function same (live, fresh) {
  if (live.nodeType !== fresh.nodeType || live.nodeName !== fresh.nodeName) return false
  return live.nodeType !== 1 || (live.classList[0] || '') === (fresh.classList[0] || '')
}

/** Makes live (kept) look like fresh (thrown away). */
function morph (live, fresh) {
  if (live.nodeType !== 1) {
    if (live.nodeValue !== fresh.nodeValue) live.nodeValue = fresh.nodeValue
    return
  }
  for (const { name } of [...live.attributes]) {
    if (!OWNED.has(name) && !fresh.hasAttribute(name)) live.removeAttribute(name)
  }
  for (const { name, value } of fresh.attributes) {
    if (!OWNED.has(name) && live.getAttribute(name) !== value) live.setAttribute(name, value)
  }
  const on = fresh.__on
  if (on) for (const type in on) live.addEventListener(type, listen) // the same listener is added once
  live.__on = on
  live.__key = fresh.__key
  if (!fresh.__opaque) morphChildren(live, fresh)
}

function morphChildren (parent, fresh) {
  const kids = [...fresh.childNodes]
  const wanted = new Set()
  for (const f of kids) {
    const k = keyOf(f)
    if (k != null) wanted.add(k)
  }
  const keyed = new Map()
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    const k = keyOf(c)
    if (k != null && !keyed.has(k)) keyed.set(k, c)
  }
  let cursor = parent.firstChild
  for (const f of kids) {
    // keyed nodes that will not be used are removed rather than stepped over
    while (cursor) {
      const k = keyOf(cursor)
      if (k == null || (wanted.has(k) && keyed.get(k) === cursor)) break
      const next = cursor.nextSibling
      cursor.remove()
      cursor = next
    }
    const k = keyOf(f)
    let match = null
    if (k != null) {
      const c = keyed.get(k)
      if (c && c.nodeName === f.nodeName) { match = c; keyed.delete(k) }
    } else {
      let c = cursor
      while (c && keyOf(c) != null) c = c.nextSibling
      if (c && same(c, f)) match = c
    }
    if (!match) {
      parent.insertBefore(f, cursor)
      continue
    }
    if (match === cursor) cursor = cursor.nextSibling
    else parent.insertBefore(match, cursor)
    morph(match, f)
  }
  while (cursor) {
    const next = cursor.nextSibling
    cursor.remove()
    cursor = next
  }
}

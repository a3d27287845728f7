// Short sounds from Web Audio oscillators (no files). Audio starts at the
// first press or key (browsers allow it only then); muted: hokm.mute.

import { h } from './dom.js'
import { t } from './i18n.js'

let ctx = null
const key = 'hokm.mute'
export const isMuted = () => { try { return localStorage.getItem(key) === '1' } catch { return false } }

function unlock () {
  const AC = window.AudioContext || window.webkitAudioContext
  if (!ctx && AC) ctx = new AC()
  if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {})
}
addEventListener('pointerdown', unlock, true)
addEventListener('keydown', unlock, true)

// notes: [Hz, start s, length s, wave (sine)]
const T = 'triangle'
const SOUNDS = {
  turn: [[660, 0, 0.1], [990, 0.09, 0.16]],
  trump: [[392, 0, 0.12, T], [523, 0.1, 0.12, T], [784, 0.2, 0.3, T]],
  trick: [[330, 0, 0.09, T], [262, 0.07, 0.14, T]],
  trick_us: [[523, 0, 0.08, T], [659, 0.07, 0.14, T]],
  hand_won: [[523, 0, 0.12], [659, 0.11, 0.12], [784, 0.22, 0.12], [1047, 0.33, 0.3]],
  hand_lost: [[392, 0, 0.16, T], [330, 0.15, 0.16, T], [262, 0.3, 0.35, T]],
  match_won: [[523, 0, 0.14], [659, 0.14, 0.14], [784, 0.28, 0.14], [1047, 0.42, 0.2], [784, 0.62, 0.12], [1047, 0.74, 0.5]],
  match_lost: [[330, 0, 0.25, T], [311, 0.24, 0.25, T], [294, 0.48, 0.25, T], [262, 0.72, 0.6, T]]
}

/** Plays a sound in delay seconds (not muted, and after the first press). */
export function sound (name, delay = 0) {
  if (!ctx || isMuted()) return
  const t0 = ctx.currentTime + Math.max(0, delay)
  for (const [hz, at, len, wave = 'sine'] of SOUNDS[name]) {
    const o = ctx.createOscillator()
    const g = ctx.createGain()
    o.type = wave
    o.frequency.value = hz
    g.gain.setValueAtTime(0.0001, t0 + at)
    g.gain.exponentialRampToValueAtTime(0.18, t0 + at + 0.012)
    g.gain.exponentialRampToValueAtTime(0.0001, t0 + at + len)
    o.connect(g).connect(ctx.destination)
    o.start(t0 + at)
    o.stop(t0 + at + len + 0.02)
  }
}

/** The header's mute switch. */
export function muteButton (render) {
  const on = isMuted()
  return h('button', {
    class: 'link icon' + (on ? ' muted' : ''),
    id: 'mute',
    'aria-pressed': String(on),
    'aria-label': t('fx.mute'),
    title: t('fx.mute'),
    onclick: () => { try { localStorage.setItem(key, on ? '0' : '1') } catch { } render() }
  }, '♪')
}

// A card's face as every view draws it — the hand, the trick, the trump
// picker, the summary's last trick, the motion layer's ghosts and the
// replay: rank over suit in the corner, the suit's pip, red or black.

import { h } from './dom.js'
import { isRed, rankLabel, SUIT_SYMBOL } from './game.js'

/** The face of card ("QH"); extra: more attributes (its dataset merged). */
export function cardFace (card, extra = {}) {
  return h('span', { class: 'face' + (isRed(card) ? ' red' : ''), ...extra, dataset: { pip: SUIT_SYMBOL[card[1]], ...extra.dataset } },
    h('span', { class: 'rank' }, rankLabel(card)), h('span', { class: 'suit' }, SUIT_SYMBOL[card[1]]))
}

/** The face of card with data-card: one card among others, found by it. */
export const face = (card) => cardFace(card, { dataset: { card } })

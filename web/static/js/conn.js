// The WebSocket connection to the gateway (docs/protocol.md, version 2):
// hello with the kept token, one answer per frame id, reconnecting with
// jittered backoff. Table commands unanswered when the socket dropped, or
// answered unavailable, are sent again with the same id (the server applies
// an id at most once).

import { socketURL, takeSocket } from './boot.js'

const RETRYABLE = new Set(['sit', 'leave', 'add_bots', 'start', 'rematch', 'trump', 'play', 'sync', 'back', 'ping',
  'chat', 'watch', 'join_code', 'lobby'])

// TABLE_COMMANDS are applied by a game worker, at most once per id.
const TABLE_COMMANDS = new Set(['sit', 'leave', 'add_bots', 'start', 'rematch', 'trump', 'play', 'back'])

// RETRY_UNAVAILABLE are sent again with the same id after unavailable: the
// table commands, and the requests that only read a table.
const RETRY_UNAVAILABLE = new Set([...TABLE_COMMANDS, 'sync', 'watch'])

// MOVES are decided from what the table showed: a new state of the table
// makes them stale (see superseded).
const MOVES = new Set(['trump', 'play'])

/** The wait before the n-th resend after unavailable (n from 1): 250 ms doubling to 4 s, ±25 %. */
function retryDelay (n) {
  return Math.min(4000, 250 * 2 ** Math.min(n - 1, 4)) * (0.75 + Math.random() / 2)
}

export class Connection {
  /**
   * @param {object} o
   * @param {() => object} o.hello the hello frame's fields (token or name)
   * @param {(data: object) => Promise<void>|void} o.onReady after each accepted hello
   * @param {(frame: object) => void} o.onFrame every event, snapshot or notice
   * @param {(state: string, info?: object) => void} o.onState connecting, open, reconnecting, replaced, kicked
   * @param {(err: object) => Promise<boolean>} o.onHelloError may fix things up (true: try again now)
   */
  constructor (o) {
    this.o = o
    this.ws = null
    this.ready = false
    // id -> {frame, resolve, reject, sent, tries, timer, superseded, resynced}
    this.pending = new Map()
    this.prefix = Math.random().toString(36).slice(2, 8) + Date.now().toString(36)
    this.n = 0
    this.attempt = 0
    this.timer = null
    this.stopped = false
    window.addEventListener('online', () => this.reconnectSoon(0))
    setInterval(() => this.heartbeat(), 20000)
  }

  /** Opens the socket (again); safe to call at any time. */
  connect () {
    this.stopped = false
    clearTimeout(this.timer)
    if (this.ws) { this.ws.onclose = null; this.ws.close(); this.ws = null; this.unsend() }
    this.ready = false
    this.o.onState(this.attempt ? 'reconnecting' : 'connecting')
    let ws
    try {
      ws = takeSocket() ?? new WebSocket(socketURL()) // the first: opened while the page loaded (boot.js)
    } catch { // refused before any network (e.g. by the page's policy): try again later
      this.dropped()
      return
    }
    this.ws = ws
    if (ws.readyState === WebSocket.OPEN) this.hello(ws)
    else ws.onopen = () => this.hello(ws)
    ws.onmessage = (m) => this.receive(m.data)
    ws.onclose = () => { if (this.ws === ws) this.dropped() }
  }

  async hello (ws) {
    let data
    try {
      data = await this.request({ type: 'hello', ...this.o.hello() }, true)
    } catch (err) {
      if (this.ws !== ws) return
      if (err.code === 'unavailable' || err.code === 'rate_limited') ws.close() // start over after a backoff
      else if (await this.o.onHelloError(err)) this.hello(ws)
      return
    }
    if (this.ws !== ws) return
    this.ready = true
    this.attempt = 0
    await this.o.onReady(data)
    this.o.onState('open')
    for (const p of this.pending.values()) if (!p.sent) this.write(p)
  }

  /**
   * Marks sent table commands for sending again; fails the others. A table
   * command that outlives its socket is superseded: the player may have
   * seen the table change meanwhile, so a rules error for it is expected.
   */
  unsend () {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      if (RETRYABLE.has(p.frame.type)) {
        p.sent = false
        if (TABLE_COMMANDS.has(p.frame.type)) p.superseded = true
      } else {
        this.pending.delete(id)
        p.reject({ code: 'unavailable', message: 'connection lost' })
      }
    }
  }

  /**
   * Tells the connection that the client's state of table was replaced: by
   * a snapshot, or, with resync, by a resync (the server rebuilt the table
   * and its history may have gone back). Moves still unanswered were
   * decided on the old state: their rules errors are expected (the error
   * says superseded). After a resync, moves not on the wire (waiting for
   * the socket or for a retry) are dropped at once, rejected with code
   * "superseded", and those on the wire are not retried after unavailable:
   * the player decides again from the new state (docs/protocol.md, resync).
   */
  superseded (table, resync) {
    for (const [id, p] of this.pending) {
      if (p.frame.table !== table || !MOVES.has(p.frame.type)) continue
      p.superseded = true
      if (!resync) continue
      p.resynced = true
      if (!p.sent) {
        clearTimeout(p.timer)
        this.pending.delete(id)
        p.reject({ code: 'superseded', message: 'the table was restored', superseded: true })
      }
    }
  }

  dropped () {
    this.ws = null
    this.ready = false
    this.unsend()
    if (this.stopped) return
    this.attempt++
    this.o.onState('reconnecting')
    const delay = Math.min(8000, 400 * 2 ** Math.min(this.attempt - 1, 5))
    this.reconnectSoon(delay * (0.5 + Math.random() / 2))
  }

  reconnectSoon (ms) {
    if (this.stopped || (this.ws && this.ws.readyState <= 1 && ms === 0)) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.connect(), ms)
  }

  /** Stops for good (another tab took over, or the user logged out). */
  stop (state, info) {
    this.stopped = true
    clearTimeout(this.timer)
    if (this.ws) { this.ws.onclose = null; this.ws.close(); this.ws = null }
    this.ready = false
    this.o.onState(state, info)
  }

  /** Sends a command; resolves with the ack's data, rejects with {code, message}. */
  send (type, fields = {}) {
    return this.request({ type, ...fields }, false)
  }

  request (body, now) {
    const id = `${this.prefix}-${++this.n}`
    const frame = { id, ...body }
    return new Promise((resolve, reject) => {
      const p = { frame, resolve, reject, sent: false }
      this.pending.set(id, p)
      if (now || this.ready) this.write(p)
    })
  }

  write (p) {
    clearTimeout(p.timer)
    p.timer = null
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return
    this.ws.send(JSON.stringify(p.frame))
    p.sent = true
  }

  /** Sends p again, with the same id, after a backoff (or after the next hello, if the socket drops meanwhile). */
  retryLater (p) {
    p.sent = false
    p.tries = (p.tries || 0) + 1
    p.timer = setTimeout(() => {
      p.timer = null
      if (this.pending.get(p.frame.id) === p && this.ready) this.write(p)
    }, retryDelay(p.tries))
  }

  receive (text) {
    let f
    try { f = JSON.parse(text) } catch { return }
    if (f.type !== 'events') return this.take(f)
    // v2: a change's events, and the ack of our command behind them
    const { table, seq, events } = f
    events.forEach((event, i) => this.take({ type: 'event', table, seq: seq + i, event }))
    if (f.ack) this.take({ type: 'ack', id: f.ack, data: { seq: seq + events.length - 1 } })
  }

  take (f) {
    if (f.type === 'ack' || f.type === 'error') {
      const p = this.pending.get(f.id)
      if (!p || !p.sent) return // not ours, or an answer to an earlier copy of a command waiting to be resent
      if (f.type === 'error' && f.code === 'unavailable' && RETRY_UNAVAILABLE.has(p.frame.type) && !p.resynced) {
        this.retryLater(p)
        return
      }
      this.pending.delete(f.id)
      if (f.type === 'ack') p.resolve(f.data || {})
      else p.reject({ code: f.code, message: f.message, superseded: !!p.superseded })
      return
    }
    if (f.type === 'bye') {
      if (f.reason === 'replaced') this.stop('replaced')
      else if (f.reason === 'shutdown') { /* the close that follows reconnects */ } else this.stop('kicked', f)
      return
    }
    this.o.onFrame(f)
  }

  /** A ping that is not answered within 10 s means a dead link: start over. */
  heartbeat () {
    if (!this.ready) return
    const ws = this.ws
    const timer = setTimeout(() => { if (this.ws === ws && ws) ws.close() }, 10000)
    this.send('ping').then(() => clearTimeout(timer), () => clearTimeout(timer))
  }
}

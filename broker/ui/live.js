// The /api/events connection. EventSource reconnects by itself after a network error (sending
// Last-Event-ID); when it gives up (HTTP error, server gone) we reopen with ?since= and a
// growing delay. A `reset` event means the server cannot replay the gap: reload the snapshot.
// `onGiveUp` hears of each failed (re)connection: a 401 looks the same as a server gone.
/* global EventSource */  // browser module (eslint.config.js lints with node globals)
const KINDS = ['state', 'availability', 'alarm', 'ack', 'incident']

export class LiveStream {
  constructor({ onEvent, onReset, onStatus, onHello, onGiveUp = () => {} }) {
    this.onEvent = onEvent
    this.onReset = onReset
    this.onStatus = onStatus
    this.onHello = onHello
    this.onGiveUp = onGiveUp
    this.es = null
    this.lastId = ''
    this.failures = 0
    this.retryTimer = 0
  }

  open(since) {
    this.close()
    this.lastId = since || ''
    const url = '/api/events' + (this.lastId ? `?since=${encodeURIComponent(this.lastId)}` : '')
    const es = new EventSource(url)
    this.es = es
    this.onStatus('connecting')
    es.addEventListener('hello', (m) => {
      this.failures = 0
      this.onHello(JSON.parse(m.data))
      this.onStatus('live')
    })
    for (const kind of KINDS) {
      es.addEventListener(kind, (m) => {
        if (m.lastEventId) this.lastId = m.lastEventId
        this.onEvent(JSON.parse(m.data))
      })
    }
    es.addEventListener('reset', () => {
      this.close()
      this.onReset()
    })
    es.onerror = () => {
      if (es !== this.es) return
      if (es.readyState === EventSource.CONNECTING) {
        this.onStatus('reconnecting')
        return
      }
      this.close()
      this.onGiveUp()
      this.retryLater()
    }
  }

  retryLater() {
    this.failures++
    const seconds = Math.min(30, 2 ** Math.min(this.failures - 1, 5))
    this.onStatus('disconnected', seconds)
    this.retryTimer = setTimeout(() => this.open(this.lastId), seconds * 1000)
  }

  close() {
    clearTimeout(this.retryTimer)
    if (this.es) {
      this.es.onerror = null
      this.es.close()
      this.es = null
    }
  }
}

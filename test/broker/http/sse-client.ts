// A real server-sent-events client over node's fetch: reads the stream as it arrives and parses
// it per the HTML spec (id, event, data, retry fields; comment lines kept for heartbeat tests).
export interface SseMessage { id?: string; event: string; data: string; comment?: string }

export class SseClient {
  readonly messages: SseMessage[] = []
  private waiters: { test: (m: SseMessage) => boolean; resolve: (m: SseMessage) => void }[] = []
  private readonly ctrl = new AbortController()
  status = 0
  headers: Headers | undefined
  ended: Promise<void> = Promise.resolve()
  /** why the stream ended, when the server cut it */
  error: Error | undefined

  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const c = new SseClient()
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: c.ctrl.signal })
    c.status = res.status
    c.headers = res.headers
    if (res.body) c.ended = c.read(res.body)
    return c
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of body) {
        buf += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buf.indexOf('\n\n')) >= 0) {
          this.push(parse(buf.slice(0, end)))
          buf = buf.slice(end + 2)
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') this.error = err as Error
    }
  }

  private push(m: SseMessage): void {
    this.messages.push(m)
    this.waiters = this.waiters.filter((w) => (w.test(m) ? (w.resolve(m), false) : true))
  }

  /** Resolves with the first message (already received or future) that passes `test`. */
  next(test: (m: SseMessage) => boolean, timeoutMs = 5000): Promise<SseMessage> {
    const have = this.messages.find(test)
    if (have) return Promise.resolve(have)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching SSE message in ${timeoutMs} ms; got ${this.messages.map((m) => m.event).join(',')}`)), timeoutMs)
      this.waiters.push({ test, resolve: (m) => { clearTimeout(timer); resolve(m) } })
    })
  }

  events(kind: string): SseMessage[] { return this.messages.filter((m) => m.event === kind) }

  close(): void { this.ctrl.abort() }
}

function parse(block: string): SseMessage {
  const m: SseMessage = { event: 'message', data: '' }
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) { m.event = 'comment'; m.comment = line.slice(1).trim(); continue }
    const i = line.indexOf(':')
    const field = i < 0 ? line : line.slice(0, i)
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '')
    if (field === 'data') data.push(value)
    else if (field === 'event') m.event = value
    else if (field === 'id') m.id = value
  }
  m.data = data.join('\n')
  return m
}

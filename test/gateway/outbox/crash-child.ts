// A publishing gateway process for the kill -9 test: node bin/run-ts.js crash-child.ts URL FILE.
// Sends a steady stream with per-message seq; prints {"committed":seq} after each commit.
import pino from 'pino'
import { payload, topicOf } from './fixtures.ts'
import { startPair } from './harness.ts'

const [url, path] = process.argv.slice(2)
if (!url || !path) throw new Error('usage: crash-child.ts URL FILE')
const { outbox, publisher } = startPair(url, { path, log: pino({ level: 'warn' }, pino.destination(2)) })
outbox.on('committed', (rows) => {
  const last = JSON.parse(rows.at(-1)!.payload) as { seq: number }
  // stdout to a pipe is synchronous on Linux: the line is out before the next commit
  process.stdout.write(`${JSON.stringify({ committed: last.seq })}\n`)
})
let seq = 0
setInterval(() => {
  for (let i = 0; i < 5; i++) {
    const kind = seq % 3 ? 'heartbeat' : 'change'
    publisher.send({ topic: topicOf(), payload: payload(seq++, kind), retain: false, kind })
  }
}, 2)

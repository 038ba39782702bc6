// Every channel against the local receivers (simulators/notify/) over real HTTP on 127.0.0.1: the
// receiver checks keys and signatures itself, so a delivery here is a delivery the real service takes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { createSend, resolveEndpoint } from '../../../broker/notify/channels/index.ts'
import type { OutboxItem, ResolvedEndpoint, SendResult } from '../../../broker/notify/types.ts'
import { parseParties } from '../../../broker/parties/directory.ts'
import type { ChannelKind } from '../../../broker/parties/schema.ts'
import { ConfigError } from '../../../core/config.ts'
import { Receivers, type AddedEndpoint } from '../../../simulators/notify/receivers.ts'
import { LINK, sampleItem, sampleMessage } from './fixtures.ts'

const t = Date.parse('2024-06-01T02:42:00Z')
const now = () => t
const rx = new Receivers({ now })
const send = createSend({ now, timeoutMs: 2000 })
let n = 0

beforeAll(async () => { await rx.start() })
afterAll(async () => { await rx.stop() })

function endpoint(kind: ChannelKind, secret?: string): { added: AddedEndpoint; ep: ResolvedEndpoint } {
  const added = rx.add(kind, `${kind}-${++n}`, secret)
  const ep: ResolvedEndpoint = {
    id: added.id, kind, url: added.url,
    ...(added.secret !== undefined ? { secret: added.secret, secretValue: added.secret } : {}),
    ...(kind === 'sms' ? { keyId: added.keyId, template: 'SMS_123456', signName: '嵊泗电梯' } : {}),
  }
  return { added, ep }
}

// the timeline may show `detail`: never a URL, a key, a token, a secret or a signature
function expectClean(r: SendResult, ep: ResolvedEndpoint): void {
  const url = new URL(ep.url!)
  const secrets = [ep.url!, url.search, url.searchParams.get('key'), url.searchParams.get('access_token'), ep.secretValue, ep.secret]
  for (const s of secrets) if (s) expect(r.detail).not.toContain(s)
  expect(r.detail).not.toMatch(/:\/\/|sign=|sha256=|Signature=/i)
  // no signature, key or token of any kind: no long base64 or hex run
  expect(r.detail).not.toMatch(/[A-Za-z0-9+/]{24,}/)
  expect(r.detail).toMatch(/^[^\n]{1,120}$/)
}

async function deliver(item: OutboxItem, ep: ResolvedEndpoint, sender = send, signal = new AbortController().signal): Promise<SendResult> {
  const r = await sender(item, ep, signal)
  expectClean(r, ep)
  return r
}

const KINDS: ChannelKind[] = ['wecom', 'dingtalk', 'sms', 'webhook']

describe('notification channels', () => {
  it('WeCom: the text with its mentions arrives', async () => {
    const { ep } = endpoint('wecom')
    const r = await deliver(sampleItem('wecom', { endpointId: ep.id }), ep)
    expect(r).toEqual({ ok: true, retryable: false, detail: 'HTTP 200 errcode 0 ok' })
    const got = await rx.waitFor((m) => m.endpointId === ep.id, 1000)
    expect(got.text).toBe(sampleMessage.text)
    expect(got.mobiles).toEqual(['13800000001'])
  })

  it('DingTalk: signed with the injected clock, the receiver verifies the sign', async () => {
    const { ep } = endpoint('dingtalk', 'SEC0123456789abcdef')
    const r = await deliver(sampleItem('dingtalk', { endpointId: ep.id }), ep)
    expect(r.ok).toBe(true)
    const got = await rx.waitFor((m) => m.endpointId === ep.id, 1000)
    expect(got.text).toBe(sampleMessage.text)
    expect(got.mobiles).toEqual(['13800000001'])
  })

  it('SMS: the template and its variables, signed, to the number', async () => {
    const { ep } = endpoint('sms')
    const item = sampleItem('sms', { endpointId: ep.id })
    const r = await deliver(item, ep)
    expect(r).toEqual({ ok: true, retryable: false, detail: 'HTTP 200 Code OK' })
    const got = await rx.waitFor((m) => m.endpointId === ep.id, 1000)
    expect(got.mobiles).toEqual(['13800000001'])
    expect(got.text).toContain('31256')
    expect(got.body).toMatchObject({ OutId: item.id, TemplateCode: 'SMS_123456', SignName: '嵊泗电梯', Timestamp: '2024-06-01T02:42:00Z' })
  })

  it('webhook: the item as JSON with an Idempotency-Key; a second delivery is flagged a duplicate', async () => {
    const { ep } = endpoint('webhook', 'hook-secret-xyz')
    const item = sampleItem('webhook', { endpointId: ep.id })
    expect(await deliver(item, ep)).toEqual({ ok: true, retryable: false, detail: 'HTTP 200' })
    expect((await deliver(item, ep)).ok).toBe(true)
    const got = rx.received.filter((m) => m.endpointId === ep.id)
    expect(got.map((m) => m.duplicate)).toEqual([false, true])
    expect(got[0]!.idempotencyKey).toBe(item.id)
    expect(got[0]!.body).toMatchObject({ id: item.id, incidentId: 'inc-1', party: { id: 'zs-lift-service' }, link: LINK, sentAt: t, drill: false })
  })

  it('a wrong key or secret is not retryable and the receiver refused it', async () => {
    const cases: [ChannelKind, (ep: ResolvedEndpoint) => ResolvedEndpoint, RegExp][] = [
      ['wecom', (ep) => ({ ...ep, url: ep.url!.replace(/key=\w+/, 'key=0000') }), /^errcode 93000/],
      ['dingtalk', (ep) => ({ ...ep, secretValue: 'SECwrong' }), /^errcode 310000/],
      ['sms', (ep) => ({ ...ep, secretValue: 'wrong-secret' }), /^HTTP 400 Code SignatureDoesNotMatch$/],
      ['webhook', (ep) => ({ ...ep, secretValue: 'wrong-secret' }), /^HTTP 401$/],
    ]
    for (const [kind, spoil, detail] of cases) {
      const { ep } = endpoint(kind, kind === 'wecom' ? undefined : 'right-secret-123')
      const before = rx.rejected.length
      const r = await deliver(sampleItem(kind, { endpointId: ep.id }), spoil(ep))
      expectClean(r, ep)
      expect(r, kind).toMatchObject({ ok: false, retryable: false })
      expect(r.detail, kind).toMatch(detail)
      expect(rx.rejected.length, kind).toBe(before + 1)
      expect(rx.received.some((m) => m.endpointId === ep.id), kind).toBe(false)
    }
  })

  it('HTTP 500 is retryable on every channel', async () => {
    for (const kind of KINDS) {
      const { ep } = endpoint(kind, kind === 'wecom' ? undefined : 's3cret-value')
      rx.program(ep.id, [{ status: 500 }])
      const r = await deliver(sampleItem(kind, { endpointId: ep.id }), ep)
      expect(r, kind).toEqual({ ok: false, retryable: true, detail: 'HTTP 500' })
      expect(rx.received.some((m) => m.endpointId === ep.id), kind).toBe(false)
    }
  })

  it('rate limits are retryable with the time to come back', async () => {
    const cases: [ChannelKind, object, number, RegExp][] = [
      ['wecom', { errcode: 45009 }, 60_000, /^errcode 45009/],
      ['dingtalk', { errcode: 130101 }, 60_000, /^errcode 130101/],
      ['sms', { code: 'isv.BUSINESS_LIMIT_CONTROL' }, 60_000, /^HTTP 200 Code isv.BUSINESS_LIMIT_CONTROL$/],
      ['sms', { code: 'Throttling.User', status: 400 }, 60_000, /^HTTP 400 Code Throttling.User$/],
      ['webhook', { status: 429, retryAfterS: 7 }, 7_000, /^HTTP 429$/],
    ]
    for (const [kind, answer, after, detail] of cases) {
      const { ep } = endpoint(kind)
      rx.program(ep.id, [answer])
      const r = await deliver(sampleItem(kind, { endpointId: ep.id }), ep)
      expect(r, kind).toMatchObject({ ok: false, retryable: true, retryAfterMs: after })
      expect(r.detail, kind).toMatch(detail)
      // the answer after the programmed one is a success again
      expect((await deliver(sampleItem(kind, { endpointId: ep.id }), ep)).ok, kind).toBe(true)
    }
  })

  it('an SMS to a number the provider refuses is not retryable', async () => {
    const { ep } = endpoint('sms')
    const r = await deliver(sampleItem('sms', { endpointId: ep.id, to: '12345' }), ep)
    expect(r).toEqual({ ok: false, retryable: false, detail: 'HTTP 200 Code isv.MOBILE_NUMBER_ILLEGAL' })
  })

  it('connection refused, a receiver that never answers and an abort are retryable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    for (const kind of KINDS) {
      const { ep } = endpoint(kind)
      const dead = { ...ep, url: ep.url!.replace(/:\d+\//, `:${port}/`) }
      expect(await deliver(sampleItem(kind, { endpointId: ep.id }), dead), kind).toEqual({ ok: false, retryable: true, detail: 'ECONNREFUSED' })
      rx.program(ep.id, [{ hang: true }])
      const quick = createSend({ now, timeoutMs: 150 })
      expect(await deliver(sampleItem(kind, { endpointId: ep.id }), ep, quick), kind).toEqual({ ok: false, retryable: true, detail: 'timeout after 150 ms' })
    }
    const { ep } = endpoint('webhook')
    rx.program(ep.id, [{ hang: true }])
    const ac = new AbortController()
    const pending = deliver(sampleItem('webhook', { endpointId: ep.id }), ep, send, ac.signal)
    setImmediate(() => ac.abort())
    expect(await pending).toEqual({ ok: false, retryable: true, detail: 'aborted' })
  })

  it('WeCom: a 5,000-byte text is cut to 2,048 bytes on a character, keeping the title and the link', async () => {
    const { ep } = endpoint('wecom')
    const lines = sampleMessage.text.split('\n')
    const long = [lines[0], '现场情况：' + '轿厢停在两层之间，乘客情绪稳定。'.repeat(100), ...lines.slice(1)].join('\n')
    expect(Buffer.byteLength(long)).toBeGreaterThan(5000)
    const r = await deliver(sampleItem('wecom', { endpointId: ep.id, message: { ...sampleMessage, text: long } }), ep)
    expect(r.ok).toBe(true)
    const got = await rx.waitFor((m) => m.endpointId === ep.id, 1000)
    expect(Buffer.byteLength(got.text)).toBeLessThanOrEqual(2048)
    expect(Buffer.byteLength(got.text)).toBeGreaterThan(2000)
    expect(got.text.startsWith(lines[0]!)).toBe(true)
    expect(got.text).toContain(LINK)
    expect(got.text).not.toContain('\uFFFD')
  })

  it('an endpoint of another kind than the item is refused without a request', async () => {
    const { ep } = endpoint('wecom')
    const r = await deliver(sampleItem('webhook', { endpointId: ep.id }), ep)
    expect(r).toMatchObject({ ok: false, retryable: false })
    expect(rx.received.some((m) => m.endpointId === ep.id)).toBe(false)
  })
})

describe('endpoints and their secrets', () => {
  it('resolveEndpoint reads secretEnv; a missing variable names the endpoint and the variable', () => {
    const ep = { id: 'ding-1', kind: 'dingtalk' as const, url: 'https://robot.example/robot/send?access_token=T', secretEnv: 'LW_DING_SECRET' }
    expect(resolveEndpoint(ep, { LW_DING_SECRET: 'SECabc' })).toEqual({ ...ep, secretValue: 'SECabc' })
    const missing = resolveEndpoint(ep, {})
    expect(missing).toEqual({ problem: expect.stringContaining('ding-1') })
    expect((missing as { problem: string }).problem).toContain('LW_DING_SECRET')
    expect(resolveEndpoint({ id: 'w', kind: 'webhook', url: 'http://h/x', secret: 'inline' }, {})).toMatchObject({ secretValue: 'inline' })
  })

  it('the directory refuses an SMS endpoint without its AccessKey id or secret', () => {
    const file = { endpoints: [{ id: 'sms-1', kind: 'sms', template: 'SMS_1', signName: '嵊泗电梯' }] }
    try {
      parseParties(file, 'parties.yaml')
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const problems = (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)
      expect(problems).toContain('endpoints.0.keyId: an SMS endpoint needs its AccessKey id')
      expect(problems).toContain('endpoints.0: an SMS endpoint needs its AccessKey secret: secret or secretEnv')
    }
  })
})

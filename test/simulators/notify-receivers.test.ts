// The receivers' own checks, with requests built by hand here (node:crypto, fetch), not by the
// channels: a receiver that only agreed with our sender would prove nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHmac, randomUUID } from 'node:crypto'
import { format, Receivers } from '../../simulators/notify/receivers.ts'

let t = Date.parse('2024-06-01T02:42:00Z')
let rx: Receivers
beforeEach(async () => {
  rx = new Receivers({ now: () => t })
  await rx.start()
})
afterEach(async () => { await rx.stop() })

const postJson = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const text = (content: string) => ({ msgtype: 'text', text: { content } })

// Aliyun's RPC signature 1.0, written out here from its documented steps
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
function aliyunForm(params: Record<string, string>, secret: string): string {
  const query = Object.keys(params).sort().map((k) => `${enc(k)}=${enc(params[k]!)}`).join('&')
  const signature = createHmac('sha1', secret + '&').update('POST&' + enc('/') + '&' + enc(query)).digest('base64')
  return `${query}&Signature=${enc(signature)}`
}
const postForm = async (url: string, form: string) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('notification receivers', () => {
  it('WeCom: a valid key takes the text; a wrong key, bad JSON, a wrong msgtype and a long text are refused as the service does', async () => {
    const { url } = rx.add('wecom', 'wecom-a')
    expect((await postJson(url, { msgtype: 'text', text: { content: '电梯困人', mentioned_mobile_list: ['13800000001'] } })).body).toEqual({ errcode: 0, errmsg: 'ok' })
    expect(rx.received[0]).toMatchObject({ kind: 'wecom', endpointId: 'wecom-a', text: '电梯困人', mobiles: ['13800000001'], at: t, duplicate: false })
    expect(format(rx.received[0]!)).toBe('[企业微信 wecom-a] 电梯困人 @13800000001')
    expect((await postJson(url.replace(/key=\w+/, 'key=nope'), text('x'))).body.errcode).toBe(93000)
    expect((await postJson(url, '{not json')).body.errcode).toBe(40035)
    expect((await postJson(url, { msgtype: 'voice' })).body.errcode).toBe(40008)
    expect((await postJson(url, text('梯'.repeat(683)))).body.errcode).toBe(45002) // 2,049 bytes
    expect((await postJson(url, text('梯'.repeat(682)))).body.errcode).toBe(0)
    expect(rx.rejected.map((r) => r.reason)).toEqual(['invalid key', 'bad json', 'bad msgtype', 'content too long'])
  })

  it('DingTalk: a sign computed with node:crypto is accepted; an altered sign or a stale timestamp is 310000', async () => {
    const secret = 'SECtest0123456789'
    const { url } = rx.add('dingtalk', 'ding-a', secret)
    const sign = (ts: number) => encodeURIComponent(createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64'))
    const good = await postJson(`${url}&timestamp=${t}&sign=${sign(t)}`, { ...text('困人'), at: { atMobiles: ['13800000002'], isAtAll: false } })
    expect(good.body).toEqual({ errcode: 0, errmsg: 'ok' })
    expect(rx.received[0]).toMatchObject({ kind: 'dingtalk', text: '困人', mobiles: ['13800000002'] })
    expect((await postJson(`${url}&timestamp=${t + 1}&sign=${sign(t)}`, text('x'))).body.errcode).toBe(310000)
    expect((await postJson(`${url}&timestamp=${t}`, text('x'))).body.errcode).toBe(310000)
    const stale = t - 3_600_001
    expect((await postJson(`${url}&timestamp=${stale}&sign=${sign(stale)}`, text('x'))).body.errcode).toBe(310000)
    expect(rx.received).toHaveLength(1)
    expect(rx.rejected.map((r) => r.reason)).toEqual(['sign not match', 'sign missing', 'timestamp out of range'])
  })

  it('Aliyun SMS: an independently computed signature is accepted; a changed parameter, a reused nonce, a stale timestamp or a missing one are refused', async () => {
    const { url, keyId, secret } = rx.add('sms', 'sms-a')
    const params = (over: Record<string, string> = {}) => ({
      AccessKeyId: keyId!, Action: 'SendSms', Format: 'JSON', OutId: 'inc-1/n-1/sms-a/13800000001', PhoneNumbers: '13800000001',
      RegionId: 'cn-hangzhou', SignName: '嵊泗电梯', SignatureMethod: 'HMAC-SHA1', SignatureNonce: randomUUID(), SignatureVersion: '1.0',
      TemplateCode: 'SMS_1', TemplateParam: JSON.stringify({ code: '31256', address: '沙河路18号 (3号楼)*' }), Timestamp: '2024-06-01T02:42:00Z',
      Version: '2017-05-25', ...over,
    })
    const first = params()
    const ok = await postForm(url, aliyunForm(first, secret!))
    expect(ok).toMatchObject({ status: 200, body: { Code: 'OK' } })
    expect(rx.received[0]).toMatchObject({ kind: 'sms', mobiles: ['13800000001'] })
    expect(rx.received[0]!.text).toContain('code=31256')
    // the same nonce again, properly signed
    expect((await postForm(url, aliyunForm(first, secret!))).body.Code).toBe('SignatureNonceUsed')
    // signed, then a parameter changed on the way
    const changed = aliyunForm(params(), secret!).replace('PhoneNumbers=13800000001', 'PhoneNumbers=13800000009')
    expect(await postForm(url, changed)).toMatchObject({ status: 400, body: { Code: 'SignatureDoesNotMatch' } })
    expect((await postForm(url, aliyunForm(params(), 'other-secret'))).body.Code).toBe('SignatureDoesNotMatch')
    expect((await postForm(url, aliyunForm(params({ Timestamp: '2024-06-01T02:26:59Z' }), secret!))).body.Code).toBe('InvalidTimeStamp.Expired')
    expect((await postForm(url, aliyunForm(params({ Timestamp: '2024-06-01 02:42:00' }), secret!))).body.Code).toBe('InvalidTimeStamp.Expired')
    const { PhoneNumbers: _, ...noPhone } = params()
    expect(await postForm(url, aliyunForm(noPhone, secret!))).toMatchObject({ status: 400, body: { Code: 'MissingParameter' } })
    expect((await postForm(url, aliyunForm(params({ AccessKeyId: 'LTAIother' }), secret!))).body.Code).toBe('InvalidAccessKeyId.NotFound')
    expect(rx.received).toHaveLength(1)
    expect(rx.rejected.map((r) => r.reason)).toEqual(['nonce reused', 'signature', 'signature', 'timestamp', 'timestamp', 'missing PhoneNumbers', 'unknown AccessKeyId'])
  })

  it('webhook: an HMAC over timestamp and body is required; a repeated Idempotency-Key is taken and flagged', async () => {
    const { url } = rx.add('webhook', 'hook-a', 'hook-secret')
    const body = JSON.stringify({ id: 'inc-1/n-1/hook-a', text: '电梯困人' })
    const sig = (b: string) => `sha256=${createHmac('sha256', 'hook-secret').update(`${t}.${b}`).digest('hex')}`
    const headers = { 'idempotency-key': 'inc-1/n-1/hook-a', 'x-liftwatch-timestamp': String(t), 'x-liftwatch-signature': sig(body) }
    expect((await postJson(url, body, headers)).status).toBe(200)
    expect((await postJson(url, body, headers)).status).toBe(200)
    expect(rx.received.map((r) => r.duplicate)).toEqual([false, true])
    expect(rx.received[0]).toMatchObject({ text: '电梯困人', idempotencyKey: 'inc-1/n-1/hook-a' })
    expect((await postJson(url, body.replace('困人', '故障'), headers)).status).toBe(401)
    const { 'x-liftwatch-signature': _, ...unsigned } = headers
    expect((await postJson(url, body, unsigned)).status).toBe(401)
    expect(rx.rejected.map((r) => r.reason)).toEqual(['bad signature', 'bad signature'])
  })

  it('robots take 20 messages a minute: the 21st within 60 s is 45009 / 130101, the next minute is open again', async () => {
    const wecom = rx.add('wecom', 'wecom-r')
    const secret = 'SECrate'
    const ding = rx.add('dingtalk', 'ding-r', secret)
    const dingUrl = () => `${ding.url}&timestamp=${t}&sign=${encodeURIComponent(createHmac('sha256', secret).update(`${t}\n${secret}`).digest('base64'))}`
    const start = t
    for (let i = 0; i < 20; i++) {
      t = start + i * 2000
      expect((await postJson(wecom.url, text(`m${i}`))).body.errcode).toBe(0)
      expect((await postJson(dingUrl(), text(`m${i}`))).body.errcode).toBe(0)
    }
    t = start + 59_999
    expect((await postJson(wecom.url, text('m20'))).body.errcode).toBe(45009)
    expect((await postJson(dingUrl(), text('m20'))).body.errcode).toBe(130101)
    expect(rx.rejected.map((r) => [r.endpointId, r.reason])).toEqual([['wecom-r', 'rate limited'], ['ding-r', 'rate limited']])
    t = start + 60_000 // the first message left the window
    expect((await postJson(wecom.url, text('m21'))).body.errcode).toBe(0)
    expect(rx.received.filter((r) => r.endpointId === 'wecom-r')).toHaveLength(21)
  })

  it('programmed answers replace the success in order and are not received; programFor lasts until the clock passes', async () => {
    const { url } = rx.add('wecom', 'wecom-p')
    rx.program('wecom-p', [{ status: 500 }, { errcode: 45009 }])
    expect((await fetch(url, { method: 'POST', body: JSON.stringify(text('a')) })).status).toBe(500)
    expect((await postJson(url, text('b'))).body.errcode).toBe(45009)
    expect((await postJson(url, text('c'))).body.errcode).toBe(0)
    rx.programFor('wecom-p', t + 1000, { errcode: -1 })
    expect((await postJson(url, text('d'))).body.errcode).toBe(-1)
    t += 1000
    expect((await postJson(url, text('e'))).body.errcode).toBe(0)
    expect(rx.received.map((r) => r.text)).toEqual(['c', 'e'])
    await expect(rx.waitFor((r) => r.text === 'e', 100)).resolves.toMatchObject({ text: 'e' })
    const later = rx.waitFor((r) => r.text === 'f', 1000)
    await postJson(url, text('f'))
    await expect(later).resolves.toMatchObject({ endpointId: 'wecom-p' })
    await expect(rx.waitFor((r) => r.text === 'never', 20)).rejects.toThrow(/no matching message/)
  })
})

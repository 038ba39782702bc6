// liftwatch labels (broker/records/labels-cli.ts) against a listening broker app with the public
// routes: one QR label per car of the building, each with its public page's URL, rescue code and
// registration code; roles without publiccode.read and a missing token refused.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../../broker/records/labels-cli.ts'
import { labelsSheet } from '../../../broker/records/labels.ts'
import { LIFT1, LIFT2, LIFT_ISLAND } from '../incidents/fixtures.ts'
import { MAINT, TOWN_A } from '../http/incident-fixture.ts'
import { publicApp, type PublicApp } from '../http/public-fixture.ts'

let h: PublicApp
let url: string
const saved = process.env.LIFTWATCH_TOKEN
beforeEach(async () => {
  h = await publicApp()
  url = await h.app.listen({ host: '127.0.0.1', port: 0 })
  process.exitCode = undefined
})
afterEach(async () => {
  await h.close()
  if (saved === undefined) delete process.env.LIFTWATCH_TOKEN
  else process.env.LIFTWATCH_TOKEN = saved
  process.exitCode = undefined
})

const tokenOf = (username: string) => h.accounts.createToken(h.accounts.user(username)!.id, 'labels test')
const count = (s: string, needle: string) => s.split(needle).length - 1

describe('liftwatch labels', () => {
  it("writes one QR label per car of the building, with its public page's URL, rescue and registration codes", async () => {
    process.env.LIFTWATCH_TOKEN = tokenOf(TOWN_A.username)
    const out = join(mkdtempSync(join(tmpdir(), 'lw-labels-')), 'labels.html')
    await main(['--building', '沙河路 18 号', '--out', out, '--url', url])
    expect(process.exitCode ?? 0).toBe(0)
    const html = readFileSync(out, 'utf8')
    expect(count(html, '<svg')).toBe(2)
    expect(count(html, 'class="label"')).toBe(2)
    for (const [id, rescue] of [[LIFT1, '33001'], [LIFT2, '33002']] as const) {
      const code = h.rig.complaints.codes.codeFor(id)
      expect(html).toContain(`https://lw.example/p/${code}`)
      expect(html).toContain(`注册代码 ${id}`)
      expect(html).toContain(`${rescue}<small>`)
    }
    expect(html).not.toContain(LIFT_ISLAND)
    expect(count(html, '96333<small>')).toBe(2)
    expect(html).toContain('@page { size: A4')
  })

  it('--base sets the URL printed in the QRs; no match exits 1; a maintenance token is refused (2); no token is 2', async () => {
    process.env.LIFTWATCH_TOKEN = tokenOf(TOWN_A.username)
    const dir = mkdtempSync(join(tmpdir(), 'lw-labels-'))
    await main(['--building', '1号楼 2单元', '--out', join(dir, 'a.html'), '--url', url, '--base', 'https://lifts.example.gov.cn/'])
    const html = readFileSync(join(dir, 'a.html'), 'utf8')
    expect(count(html, '<svg')).toBe(1)
    expect(html).toContain(`https://lifts.example.gov.cn/p/${h.rig.complaints.codes.codeFor(LIFT2)}`)
    await main(['--building', '没有这栋楼', '--out', join(dir, 'b.html'), '--url', url])
    expect(process.exitCode).toBe(1)
    process.env.LIFTWATCH_TOKEN = tokenOf(MAINT.username)
    process.exitCode = undefined
    await main(['--building', '沙河路', '--out', join(dir, 'c.html'), '--url', url])
    expect(process.exitCode).toBe(2)
    delete process.env.LIFTWATCH_TOKEN
    process.exitCode = undefined
    await main(['--building', '沙河路', '--out', join(dir, 'd.html'), '--url', url])
    expect(process.exitCode).toBe(2)
  })

  it('the sheet escapes what it prints and holds a QR per car given', async () => {
    const html = await labelsSheet([
      { url: 'https://x.example/p/AAAA', rescueCode: '12345', registrationCode: '1'.repeat(20), address: '<b>路</b>' },
      { url: 'https://x.example/p/BBBB', rescueCode: '12346', registrationCode: '2'.repeat(20), address: 'x', building: '2号楼' },
      { url: 'https://x.example/p/CCCC', rescueCode: '12347', registrationCode: '3'.repeat(20), address: 'y' },
    ], 'title')
    expect(count(html, '<svg')).toBe(3)
    expect(html).toContain('&lt;b&gt;路&lt;/b&gt;')
    expect(html).not.toContain('<b>路</b>')
  })
})

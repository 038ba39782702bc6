// A printable A4 sheet of QR labels for the cars of a building (liftwatch labels, labels-cli.ts):
// each label holds the QR of the car's public page (/p/<code>), its rescue code big, 96333 and its
// registration code, zh-CN first, English second. The QRs are inline SVG (package qrcode), so the
// sheet is one file that prints offline.
import QRCode from 'qrcode'
import { esc } from '../http/public-view.ts'

export interface LabelCar {
  readonly url: string
  readonly rescueCode: string
  readonly registrationCode: string
  readonly address: string
  readonly building?: string
}

const SHEET_CSS = `
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #000; }
h1 { font-size: 12pt; margin: 0 0 4mm; }
.sheet { display: grid; grid-template-columns: repeat(3, 60mm); gap: 5mm; }
.label { width: 60mm; height: 88mm; border: 0.4mm solid #000; border-radius: 3mm; padding: 3mm; display: flex; flex-direction: column; align-items: center; text-align: center; break-inside: avoid; page-break-inside: avoid; }
.label .qr svg { width: 38mm; height: 38mm; display: block; }
.label .scan { font-size: 7pt; margin: 1mm 0; }
.label .rescue { font-size: 22pt; font-weight: bold; letter-spacing: 1mm; line-height: 1.1; }
.label .rescue small, .label .sos small { display: block; font-size: 6.5pt; font-weight: normal; letter-spacing: 0; }
.label .sos { font-size: 14pt; font-weight: bold; color: #c00; margin-top: 1mm; }
.label .reg, .label .where, .label .url { font-size: 6.5pt; overflow-wrap: anywhere; }
.label .url { color: #444; }
`

async function label(c: LabelCar): Promise<string> {
  const svg = await QRCode.toString(c.url, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 })
  const where = [c.address, c.building].filter(Boolean).join(' ')
  return `<div class="label">
<div class="qr">${svg}</div>
<div class="scan">扫码查看电梯信息、反映问题<br>Scan for lift info or to report a problem</div>
<div class="rescue">${esc(c.rescueCode)}<small>应急救援识别码 / Rescue code</small></div>
<div class="sos">96333<small>电梯应急救援电话 / Lift emergency line</small></div>
<div class="reg">注册代码 ${esc(c.registrationCode)}</div>
<div class="where">${esc(where)}</div>
<div class="url">${esc(c.url)}</div>
</div>`
}

/** The sheet's HTML: one label per car, in the order given. */
export async function labelsSheet(cars: readonly LabelCar[], title: string): Promise<string> {
  const labels = await Promise.all(cars.map(label))
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>${SHEET_CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="sheet">
${labels.join('\n')}
</div>
</body>
</html>
`
}

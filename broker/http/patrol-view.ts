// What the patrol page (broker/ui/patrol.html) reads: who patrols, the checklist in zh-CN and
// English, and the cars of their grid or scope with their due state, overdue first. Addresses and
// codes of cars only: no phone number, nothing of other people.
import type { PATROL_ITEMS, PatrolDue } from '../records/types.ts'
import type { Registry } from '../registry/registry.ts'
import type { PatrolLinkRefusal } from '../records/patrol-links.ts'

export interface PatrolCarView extends PatrolDue {
  readonly address?: string
  readonly building?: string
  readonly registrationCode?: string
  readonly rescueCode?: string
}

export interface PatrolState {
  readonly now: number
  readonly person: { readonly name: string; readonly roleZh: string; readonly via: 'link' | 'login' }
  readonly items: typeof PATROL_ITEMS
  readonly elevators: readonly PatrolCarView[]
  /** the largest photo the server takes, bytes */
  readonly photoMaxBytes: number
}

export function patrolCars(due: readonly PatrolDue[], registry: Registry): PatrolCarView[] {
  return due.map((d) => {
    const e = registry.elevator(d.elevatorId)
    return e ? { ...d, address: e.address, ...(e.building ? { building: e.building } : {}), registrationCode: e.registrationCode, rescueCode: e.rescueCode } : d
  })
}

const WHY: Readonly<Record<PatrolLinkRefusal, string>> = {
  malformed: '链接无效 / The link is invalid',
  tampered: '链接无效 / The link is invalid',
  expired: '链接已过期 / The link has expired',
  unknown_person: '此链接不是有效的巡查链接 / This is not a valid patrol link',
}

/** The page for a refused link: 403 for a bad one, 410 for an expired one or a person no longer a grid administrator. */
export function patrolRefusedPage(reason: PatrolLinkRefusal): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>巡查链接无效 / Patrol link invalid</title>
<link rel="stylesheet" href="/ui/phone.css"><link rel="stylesheet" href="/ui/patrol.css"></head>
<body class="refused"><main>
<h1>巡查链接无效或已过期</h1>
<p>请联系乡镇（街道）重新获取巡查链接，或登录后巡查。</p>
<p lang="en">This patrol link is invalid or has expired. Ask your township office for a new one, or log in.</p>
<p class="why">${WHY[reason]}</p>
<p><a class="button" href="/login">登录 / Log in</a></p>
</main></body></html>
`
}

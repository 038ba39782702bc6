// Who may do what. The roles are the (docs/api.md): the county bureau and the monitoring
// desk see a county, township and grid officers their township or village, stewards their
// buildings, maintenance units and property managers the elevators of their organisation.
export const ROLES = ['admin', 'bureau', 'township', 'grid', 'steward', 'desk', 'maintenance', 'property'] as const
export type Role = (typeof ROLES)[number]

export const ACTIONS = ['alarm.ack', 'audit.read', 'user.manage', 'token.manage', 'incident.act', 'incident.open', 'drill.run', 'complaint.manage', 'publiccode.read', 'patrol.submit', 'patrol.read', 'report.read', 'hazard.register', 'hazard.manage'] as const
export type Action = (typeof ACTIONS)[number]

const ALLOWED: Readonly<Record<Action, readonly Role[]>> = Object.freeze({
  'alarm.ack': ['admin', 'bureau', 'township', 'grid', 'desk', 'maintenance'],
  'audit.read': ['admin', 'bureau'],
  'user.manage': ['admin'],
  'token.manage': ['admin'],
  // act on an incident (respond, arrive, release, note, dispatch): every role that answers for a car
  'incident.act': ['admin', 'bureau', 'township', 'grid', 'steward', 'desk', 'maintenance', 'property'],
  // open one for a phone call: the 96333 desk
  'incident.open': ['admin', 'desk'],
  'drill.run': ['admin', 'bureau', 'desk'],
  // residents' reports from the public page (broker/records/complaints.ts): acknowledge, resolve, register a hazard
  'complaint.manage': ['admin', 'bureau', 'township', 'grid', 'steward', 'desk', 'property'],
  // the public page codes of cars, for printing their QR labels (liftwatch labels)
  'publiccode.read': ['admin', 'bureau', 'township'],
  // grid patrols (broker/records/patrols.ts): the grid administrator's checklist, and who follows them up
  'patrol.submit': ['admin', 'bureau', 'township', 'grid'],
  'patrol.read': ['admin', 'bureau', 'township', 'grid', 'desk'],
  // risk grades and the monthly reports (broker/records/risk.ts, report.ts): supervision, not the units supervised
  'report.read': ['admin', 'bureau', 'township', 'desk'],
  // the hazard register (broker/records/hazards.ts): who may enter one by hand, and who moves one to closure
  'hazard.register': ['admin', 'bureau', 'township', 'grid', 'desk', 'property', 'maintenance'],
  'hazard.manage': ['admin', 'bureau', 'township', 'property', 'maintenance', 'grid'],
})

export const isRole = (s: unknown): s is Role => typeof s === 'string' && (ROLES as readonly string[]).includes(s)

export function can(role: Role, action: Action): boolean {
  return ALLOWED[action].includes(role)
}

// Residents' reports over the hazard register's rig (hazard-fixture.ts: a real SQLite file in
// virtual time, the incident tests' county and its parties), with the complaints service on top.
import type { VirtualTimeScheduler } from 'rxjs'
import { Complaints, type ComplaintsOptions } from '../../../broker/records/complaints.ts'
import { hazardRig, type HazardRig } from './hazard-fixture.ts'

export interface ComplaintRig extends HazardRig { complaints: Complaints; restart(opts?: ComplaintsOptions): Complaints }

export function complaintRig(dir: string, s: VirtualTimeScheduler, opts: ComplaintsOptions = {}): ComplaintRig {
  const r = hazardRig(dir, s) as ComplaintRig
  r.complaints = new Complaints(r.deps, r.hazards, opts)
  r.complaints.start()
  const closeHazards = r.close
  r.restart = (o = opts) => {
    r.complaints.stop()
    r.complaints = new Complaints(r.deps, r.hazards, o)
    r.complaints.start()
    return r.complaints
  }
  r.close = () => { r.complaints.stop(); closeHazards() }
  return r
}

export const RESIDENT = { name: 'resident', via: 'public' } as const

import { describe, expect, it } from 'vitest'
import { demoFleet, demoRegistry, TOWNSHIPS } from '../../../bin/demo-files.ts'
import { demoParties } from '../../../bin/demo-parties.ts'
import { parseRegistry } from '../../../broker/registry/registry.ts'
import { parseParties, warnings } from '../../../broker/parties/directory.ts'

describe("the demo's parties", () => {
  const fleet = demoFleet()
  it('cover every car of the demo registry, with no warnings', () => {
    const dir = parseParties(demoParties(fleet), '(demo parties)')
    const registry = parseRegistry(demoRegistry(fleet))
    expect(warnings(dir, registry)).toEqual([])
    expect(dir.file.elevators).toHaveLength(20)
  })

  it('reach each car through every local role, each township through its own officer', () => {
    const dir = parseParties(demoParties(fleet))
    for (const e of parseRegistry(demoRegistry(fleet)).elevators) {
      for (const role of ['maintenance', 'property', 'steward', 'grid', 'township', 'desk', 'bureau'] as const) {
        expect(dir.partiesFor(e.id, role).length, `${e.id} ${role}`).toBeGreaterThan(0)
      }
      const officers = dir.partiesFor(e.id, 'township').filter((p) => p.type === 'person').map((p) => p.id)
      expect(officers).toEqual([`officer-${e.township}`])
    }
    expect(TOWNSHIPS).toHaveLength(2)
  })

  it('are left out for another region, whose cars have no townships', () => {
    expect(demoParties({ ...fleet, region: '330902' })).toBeUndefined()
  })
})

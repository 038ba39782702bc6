// Writes docs/protocol.md and docs/register-map.md from protocol/ (npm run docs).
import { writeFileSync } from 'node:fs'
import { renderProfileYaml, renderProtocolDoc, renderRegisterMapDoc } from '../protocol/docs.ts'
import { liftwatchRef } from '../protocol/profiles/liftwatch-ref.ts'

writeFileSync(new URL('../docs/protocol.md', import.meta.url), renderProtocolDoc())
writeFileSync(new URL('../docs/register-map.md', import.meta.url), renderRegisterMapDoc(liftwatchRef))
// The gateway loads profiles as data files; its copy of the reference map is generated too.
writeFileSync(new URL('../gateway/profiles/liftwatch-ref.yaml', import.meta.url), renderProfileYaml(liftwatchRef))
console.log('docs/protocol.md, docs/register-map.md, gateway/profiles/liftwatch-ref.yaml written')

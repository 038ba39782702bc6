// Writes docs/protocol.md and docs/register-map.md from protocol/ (npm run docs).
import { writeFileSync } from 'node:fs'
import { renderProtocolDoc, renderRegisterMapDoc } from '../protocol/docs.ts'
import { liftwatchRef } from '../protocol/profiles/liftwatch-ref.ts'

writeFileSync(new URL('../docs/protocol.md', import.meta.url), renderProtocolDoc())
writeFileSync(new URL('../docs/register-map.md', import.meta.url), renderRegisterMapDoc(liftwatchRef))
console.log('docs/protocol.md, docs/register-map.md written')

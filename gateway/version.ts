import { readFileSync } from 'node:fs'

/** The software version, from package.json; "unknown" in a copy installed without it. */
export const SOFTWARE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
})()

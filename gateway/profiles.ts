// Controller profiles as data files: gateway/profiles/NAME.yaml, or any path.
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { formatProblems, validateProfile, type Profile } from '../protocol/index.ts'
import { GatewayError, GatewayErrorCode } from './errors.ts'

export const PROFILE_DIR = fileURLToPath(new URL('./profiles/', import.meta.url))

export const builtinProfiles = (): string[] =>
  readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort()

/** A profile by name (gateway/profiles/NAME.yaml) or by path; every problem named with the file. */
export function loadProfile(nameOrPath: string): Profile {
  const file = /^[a-z0-9][a-z0-9-]*$/.test(nameOrPath) ? join(PROFILE_DIR, `${nameOrPath}.yaml`) : nameOrPath
  let data: unknown
  try {
    data = parseYaml(readFileSync(file, 'utf8'))
  } catch (err) {
    const known = builtinProfiles().join(', ')
    throw new GatewayError(GatewayErrorCode.Profile, `profile ${nameOrPath}: cannot read ${file}: ${(err as Error).message} (built in: ${known})`, { file }, err)
  }
  const r = validateProfile(data)
  if (!r.ok) {
    throw new GatewayError(GatewayErrorCode.Profile, `${file}: invalid profile\n${formatProblems(r.problems, { indent: '  ' })}`, { file, problems: r.problems })
  }
  return r.value
}

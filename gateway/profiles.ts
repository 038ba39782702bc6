// Controller profiles as data files: gateway/profiles/NAME.yaml, or any path.
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { formatProblems, validateProfile, type Profile } from '../protocol/index.ts'
import { GatewayError, GatewayErrorCode } from './errors.ts'
import { checkProfile } from './profile-check.ts'

export const PROFILE_DIR = fileURLToPath(new URL('./profiles/', import.meta.url))

export const builtinProfiles = (): string[] =>
  readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort()

export interface LoadedProfile {
  profile: Profile
  file: string
  /** `<file>: <path>: <message>`, one per warning (gateway/profile-check.ts) */
  warnings: string[]
}

/** A profile by name (gateway/profiles/NAME.yaml) or by path; every problem named with the file. */
export function loadProfile(nameOrPath: string): Profile {
  return loadProfileChecked(nameOrPath).profile
}

/** loadProfile, with the warnings a profile that loads may still deserve. */
export function loadProfileChecked(nameOrPath: string): LoadedProfile {
  const file = /^[a-z0-9][a-z0-9-]*$/.test(nameOrPath) ? join(PROFILE_DIR, `${nameOrPath}.yaml`) : nameOrPath
  let data: unknown
  try {
    data = parseYaml(readFileSync(file, 'utf8'))
  } catch (err) {
    const known = builtinProfiles().join(', ')
    throw new GatewayError(GatewayErrorCode.Profile, `profile ${nameOrPath}: cannot read ${file}: ${(err as Error).message} (built in: ${known})`, { file }, err)
  }
  const r = validateProfile(data)
  const problems = r.ok ? checkProfile(r.value).errors : r.problems
  if (!r.ok || problems.length > 0) {
    throw new GatewayError(GatewayErrorCode.Profile, `${file}: invalid profile\n${formatProblems(problems, { indent: '  ' })}`, { file, problems })
  }
  const warnings = checkProfile(r.value).warnings
  return { profile: r.value, file, warnings: warnings.length ? formatProblems(warnings, { where: file }).split('\n') : [] }
}

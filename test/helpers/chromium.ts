// Debian's chromium for the browser tests (through playwright-core; nothing downloaded): its path,
// the flags every test starts it with, and a launch that says what to install when it is missing.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)`)
  return await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true })
}

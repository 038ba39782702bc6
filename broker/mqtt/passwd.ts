// `liftwatch passwd USER [--role gateway|monitor|bridge]`: reads a password, prints the line for the
// broker config's mqtt.users. The password never reaches the config, only its salted scrypt hash.
import { parseArgs } from 'node:util'
import { GATEWAY_ID_PATTERN } from '../../protocol/index.ts'
import { ROLES, USERNAME_PATTERN, type Role } from './config.ts'
import { DEFAULT_SCRYPT, checkParams, hashPassword } from './passwords.ts'

const HELP = `usage: liftwatch passwd USER [--role gateway|monitor|bridge] [--gateways ID,…] [--password P] [--cost N]
生成 MQTT 用户口令哈希 / prints the line to paste under mqtt.users in the broker config.

  USER            a gateway's username is its gatewayId
  --role R        gateway (publishes its elevators, default), monitor (read-only), or bridge
                  (another broker forwarding the gateways named by --gateways)
  --gateways IDS  bridge only: comma-separated gateway ids it may publish for
  --password P    for scripts; otherwise read from stdin (asked twice, hidden, on a terminal)
  --cost N        scrypt N, a power of 2 (default ${DEFAULT_SCRYPT.N})
`

export async function main(argv: string[]): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { role: { type: 'string', default: 'gateway' }, gateways: { type: 'string' }, password: { type: 'string' }, cost: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
  } catch (err) {
    return usageError((err as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const [user, ...extra] = positionals
  if (!user || extra.length) return usageError('exactly one USER is required')
  if (!new RegExp(USERNAME_PATTERN).test(user)) return usageError(`USER must match ${USERNAME_PATTERN}`)
  if (!(ROLES as readonly string[]).includes(values.role)) return usageError(`--role must be one of ${ROLES.join(', ')}`)
  const gateways = values.gateways?.split(',').map((g) => g.trim()).filter(Boolean)
  if ((values.role === 'bridge') !== (gateways !== undefined)) return usageError('--gateways goes with --role bridge, and only with it')
  const badId = gateways?.find((g) => !new RegExp(GATEWAY_ID_PATTERN).test(g))
  if (gateways?.length === 0 || badId !== undefined) return usageError(`--gateways: each must match ${GATEWAY_ID_PATTERN}`)
  const params = { ...DEFAULT_SCRYPT, ...(values.cost === undefined ? {} : { N: Number(values.cost) }) }
  const badCost = checkParams(params)
  if (badCost) return usageError(`--cost: ${badCost}`)

  const password = values.password ?? (process.stdin.isTTY ? await askTwice() : await readPiped())
  const bad = password === null ? 'the passwords differ' : password === '' ? 'empty password' : null
  if (bad || !password) {
    process.stderr.write(`liftwatch passwd: ${bad}\n`)
    process.exitCode = 1
    return
  }
  const hash = await hashPassword(password, params)
  // quoted: an all-digit id would otherwise be read back as a number, and lose digits
  const carried = gateways ? `, gateways: [${gateways.map((g) => `'${g}'`).join(', ')}]` : ''
  process.stdout.write(`'${user}': { role: ${values.role as Role}${carried}, hash: '${hash}' }\n`)
  if (process.stdout.isTTY) process.stderr.write('# paste the line above under mqtt.users in the broker config\n')
}

function usageError(message: string): void {
  process.stderr.write(`liftwatch passwd: ${message}\n\n${HELP}`)
  process.exitCode = 2
}

/** The first line of stdin, without its line ending. */
export async function readPiped(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0]!
}

/** null when the two differ. */
export async function askTwice(): Promise<string | null> {
  const first = await askHidden('Password: ')
  const again = await askHidden('Reenter password: ')
  return first === again ? first : null
}

async function askHidden(prompt: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(prompt)
  stdin.setRawMode(true)
  stdin.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let chars: string[] = []
      const onData = (buf: Buffer) => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return done(() => resolve(chars.join('')))
          if (ch === '\u0003') return done(() => reject(new Error('interrupted')))
          if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1)
          else chars.push(ch)
        }
      }
      const done = (settle: () => void) => {
        stdin.off('data', onData)
        settle()
      }
      stdin.on('data', onData)
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    process.stderr.write('\n')
  }
}

// `liftwatch user add|list|disable|passwd|token`: being written (broker/accounts/store.ts is the API).
export async function main(_argv: string[]): Promise<void> {
  process.stderr.write('liftwatch user: not yet\n')
  process.exitCode = 2
}

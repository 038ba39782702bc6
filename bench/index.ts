// npm run bench: every benchmark in one run, one JSON document on stdout.
// Figures, not tests: this machine is shared, so compare ratios measured in the same run.
import { benchModbusTcp } from './modbus-tcp.ts'
import { benchModbusClient } from './modbus-client.ts'
import { benchGateway } from './gateway.ts'
import { benchBroker } from './broker.ts'
import { benchDetectors } from './detectors.ts'
import { benchIncidents } from './incidents.ts'
import { benchReport } from './report.ts'
import { benchLatency } from './latency.ts'
import { benchFleet } from './fleet.ts'

// a name picks a benchmark; `name=N` also hands it N (fleet20k: seconds, e.g. fleet20k=60)
const picked = new Map(process.argv.slice(2).map((a) => [a.split('=')[0]!, a.includes('=') ? Number(a.split('=')[1]) : undefined]))
const BENCHES: Record<string, () => Promise<unknown>> = {
  simulatorModbusTcp: () => benchModbusTcp({ seconds: 3 }),
  gatewayModbusClient: () => benchModbusClient({ seconds: 3, rounds: 3 }),
  gateway64Cars5Hz: () => benchGateway({ seconds: 20 }),
  brokerPipeline: () => benchBroker({ seconds: 20 }),
  detectors: () => benchDetectors({ seconds: 3 }),
  incidents100: () => benchIncidents({ seconds: 10 }),
  report10k: () => benchReport({ elevators: 10_000 }),
  latency: () => benchLatency({ rounds: picked.get('latency') ?? 3 }),
  fleet20k: () => benchFleet({ seconds: picked.get('fleet20k') ?? 600 }),
}

const results: Record<string, unknown> = { node: process.version, startedAt: new Date().toISOString() }
for (const [name, run] of Object.entries(BENCHES)) {
  if (picked.size && !picked.has(name)) continue
  results[name] = await run()
}
console.log(JSON.stringify(results, null, 2))

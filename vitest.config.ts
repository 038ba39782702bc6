import { defineConfig } from 'vitest/config'

// Two projects. "peers" files talk to real peers and mostly wait on the wall clock (outages, poll
// windows, scenarios played in real time): up to maxWorkers of them run at once. "compute" files
// use the CPU and nothing else (virtual time, tables, the simulated day in two child processes,
// chromium): vitest runs a singleFork project after the others, one file at a time, so no
// poll-rate window or alarm deadline is measured on cores a compute file has taken, and a compute
// file has the cores to itself. A file not listed under compute is a peers file.
const COMPUTE = [
  'test/detectors/**/*.test.ts',
  'test/protocol/**/*.test.ts',
  'test/broker/detect/*.test.ts',
  'test/broker/http/page.test.ts',
  'test/broker/http/app.test.ts',
  'test/broker/live-view.test.ts',
  'test/broker/alarms/store.test.ts',
  'test/broker/config.test.ts',
  'test/broker/mqtt/config.test.ts',
  'test/broker/ingest/registry.test.ts',
  'test/broker/ingest/sequence.test.ts',
  'test/broker/sinks/line-protocol.test.ts',
  'test/gateway/reporter.test.ts',
  'test/gateway/commission/checklist.test.ts',
  'test/gateway/commission/snapshot.test.ts',
  'test/gateway/modbus/plan.test.ts',
  'test/simulators/model.test.ts',
  'test/simulators/scenarios.test.ts',
  'test/simulators/fleet.test.ts',
  'test/simulators/modbus/crc.test.ts',
  'test/simulators/modbus/pdu.test.ts',
  'test/boundaries.test.ts',
  'test/docs.test.ts',
  'test/examples-registry.test.ts',
]

export default defineConfig({
  test: {
    // each project names its own files (a root include would be added to both)
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one fork per core less one: a single file at a time on 2 cores, while
    // most peers files spend their time waiting
    maxWorkers: 4,
    minWorkers: 1,
    projects: [
      { extends: true, test: { name: 'peers', include: ['test/**/*.test.ts'], exclude: COMPUTE } },
      { extends: true, test: { name: 'compute', include: COMPUTE, poolOptions: { forks: { singleFork: true } } } },
    ],
  },
})

import { defineConfig } from 'vitest/config'

// Two projects. "peers" files talk to real peers and mostly wait on the wall clock (outages,
// scenarios played in real time): up to maxWorkers of them run at once. "alone" files run one at
// a time, after the peers files (vitest runs a singleFork project after the others): the compute
// files, which use the CPU and nothing else (virtual time, tables, the simulated day in two child
// processes, chromium), and the files that compare poll rates over wall-clock windows, which a
// starved core would fail. A file listed in neither is a peers file.
const COMPUTE = [
  'test/detectors/**/*.test.ts',
  'test/protocol/**/*.test.ts',
  'test/broker/detect/*.test.ts',
  'test/broker/http/page.test.ts',
  'test/broker/desk-browser.test.ts',
  'test/broker/respond-browser.test.ts',
  'test/broker/hazards-browser.test.ts',
  'test/broker/public-browser.test.ts',
  'test/broker/patrol-browser.test.ts',
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
// poll rates within 10 % from one window to the next
const TIMING = [
  'test/gateway/modbus/link-poller.test.ts',
  // 300 ms timeouts and a late reply at 450 ms: failed twice in the peers project on a loaded machine
  'test/gateway/modbus/link.test.ts',
  'test/gateway/gateway-units.test.ts',
  // 2,000 connects must reach the password check within 20 s: a starved core misses it
  'test/broker/mqtt/limits.test.ts',
]
const ALONE = [...COMPUTE, ...TIMING]

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
      { extends: true, test: { name: 'peers', include: ['test/**/*.test.ts'], exclude: ALONE } },
      { extends: true, test: { name: 'alone', include: ALONE, poolOptions: { forks: { singleFork: true } } } },
    ],
  },
})

// The real detector runtime over inputs played in virtual time: every alarm event it publishes.
import type { AlarmEvent } from '../../../protocol/index.ts'
import type { DetectorInput } from '../../../detectors/index.ts'
import { DetectorRuntime, type DetectorRuntimeOptions } from '../../../broker/detect/runtime.ts'
import { play, vts } from '../../detectors/harness.ts'

export interface RuntimeRun {
  /** virtual ms the scheduler runs to */
  until: number
  facts: NonNullable<DetectorRuntimeOptions['facts']>
  /** when each input reaches the runtime (default its ts): replayed history arrives late */
  frameOf?: (i: DetectorInput) => number
}

/** Each event with the virtual frame it was published at. */
export function runRuntimeSeen(inputs: readonly DetectorInput[], run: RuntimeRun): { frame: number; e: AlarmEvent }[] {
  const scheduler = vts(run.until)
  const runtime = new DetectorRuntime({ input$: play(scheduler, inputs, run.frameOf), scheduler, facts: run.facts })
  const seen: { frame: number; e: AlarmEvent }[] = []
  runtime.alarms$.subscribe((e) => seen.push({ frame: scheduler.now(), e }))
  runtime.start()
  scheduler.flush()
  runtime.stop()
  return seen
}

export const runRuntime = (inputs: readonly DetectorInput[], run: RuntimeRun): AlarmEvent[] => runRuntimeSeen(inputs, run).map((x) => x.e)

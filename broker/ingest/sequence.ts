// Per-elevator `seq` bookkeeping (docs/protocol.md#semantics: seq +1 per message within one gateway boot). Memory
// is bounded: per elevator the current boot, the highest seq and a ring of the last W seqs seen.
//
// Gaps are counted when seq jumps ahead. After an outage the gateway sends live rows first and
// replays its backlog later (gateway/outbox/README.md), so a jump can be filled afterwards: those
// fill-ins are accepted (not duplicates) and the gap count is not taken back — it counts jumps.

export type SeqVerdict =
  /** the highest seq so far of the current boot (or the first message seen) */
  | 'head'
  /** below the head and not seen within the window: a fill-in, or too old to tell */
  | 'behind'
  /** seen within the window: drop it */
  | 'duplicate'
  /** from a boot older than the current one (a replay that crossed a reboot) */
  | 'old-boot'

interface BootState {
  boot: string
  head: number
  /** ts of the head message, to tell a new boot from an old one */
  headTs: number
  ring: Float64Array
}

export class SeqTracker {
  private readonly elevators = new Map<string, BootState>()

  constructor(private readonly window: number) {}

  /** `missed` is how many seqs the message jumped over (0 unless it is a new head). */
  observe(elevatorId: string, boot: string, seq: number, ts: number): { verdict: SeqVerdict; missed: number } {
    const s = this.elevators.get(elevatorId)
    if (!s || (s.boot !== boot && ts >= s.headTs)) {
      // first sight, or a newer boot: seq restarts; a first seq above 0 is not a gap we can prove
      const ring = s?.ring.fill(-1) ?? new Float64Array(this.window).fill(-1)
      ring[seq % this.window] = seq
      this.elevators.set(elevatorId, { boot, head: seq, headTs: ts, ring })
      return { verdict: 'head', missed: 0 }
    }
    if (s.boot !== boot) return { verdict: 'old-boot', missed: 0 }
    const slot = seq % this.window
    if (seq > s.head) {
      const missed = seq - s.head - 1
      s.head = seq
      s.headTs = ts
      s.ring[slot] = seq
      return { verdict: 'head', missed }
    }
    if (s.ring[slot] === seq) return { verdict: 'duplicate', missed: 0 }
    if (seq > s.head - this.window) s.ring[slot] = seq
    return { verdict: 'behind', missed: 0 }
  }
}

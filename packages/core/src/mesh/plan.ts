/**
 * Where every ring and control block lives. Threads are numbered: 0 is the main thread (the one
 * that started the Runtime), driver d is thread d + 1. Every ordered pair of distinct threads
 * gets one SPSC ring (requests one way and the answers to the other side's requests share it).
 *
 * Arena 0 belongs to the main thread: its control block, the generation words and the rings it
 * consumes. Arena t + 1 belongs to TPC t: its drivers' control blocks and the rings they consume,
 * so a consumer always reads memory of its own NUMA node (first touched there, see driver/worker.ts).
 */
import { CACHE_LINE, CTRL_BYTES, RING_HEADER_BYTES } from '../ring/layout';
import type { RingPlace } from '../ring/ring';

export interface PlacedRing extends RingPlace {
  arena: number;
}

export interface MeshPlan {
  arenas: SharedArrayBuffer[];
  /** Per thread: the arena and byte offset of its control block. */
  ctrl: { arena: number; offset: number }[];
  /**
   * rings[from][to]; null only where from === to. Every other pair gets one, driver to main
   * thread included: it carries the answers to the main thread's requests.
   */
  rings: (PlacedRing | null)[][];
  /** Byte offset in arena 0 of one Int32 generation word per thread (bumped on restart). */
  gens: number;
}

export interface RingSizes {
  /** Main thread to a driver (requests) and a driver to the main thread (answers). */
  main: number;
  /** Between two drivers. */
  peer: number;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** tpcOf[d] is the TPC index of driver d. */
export function planMesh(tpcOf: number[], sizes: RingSizes): MeshPlan {
  const threads = tpcOf.length + 1;
  const arenaOf = (t: number) => (t === 0 ? 0 : tpcOf[t - 1] + 1);
  const arenaCount = Math.max(0, ...tpcOf) + 2;
  const used = new Array<number>(arenaCount).fill(0);
  const take = (arena: number, bytes: number) => {
    const at = used[arena];
    used[arena] = roundUp(at + bytes, CACHE_LINE);
    return at;
  };

  const ctrl = [];
  for (let t = 0; t < threads; t++) ctrl.push({ arena: arenaOf(t), offset: take(arenaOf(t), CTRL_BYTES) });
  const gens = take(0, threads * 4);
  const rings: (PlacedRing | null)[][] = [];
  for (let from = 0; from < threads; from++) {
    const row: (PlacedRing | null)[] = [];
    for (let to = 0; to < threads; to++) {
      if (from === to) {
        row.push(null);
        continue;
      }
      const capacity = from === 0 || to === 0 ? sizes.main : sizes.peer;
      const arena = arenaOf(to);
      row.push({ arena, offset: take(arena, RING_HEADER_BYTES + capacity), capacity });
    }
    rings.push(row);
  }
  const arenas = used.map((bytes) => new SharedArrayBuffer(Math.max(bytes, CACHE_LINE)));
  return { arenas, ctrl, rings, gens };
}

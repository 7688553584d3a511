/**
 * The doorbell of one thread: the STATE and BELL words of its control block (../ring/layout.ts),
 * through which a thread that has nothing to read parks and a producer wakes it.
 *
 * A thread about to park sets STATE = PARKED (arm), checks its inbound rings once more and then
 * waits (Atomics.waitAsync, so its event loop keeps running timers and I/O) on BELL. A producer
 * that published a record rings the bell only when it sees PARKED, and only one producer wins the
 * PARKED -> AWAKE exchange, so a busy consumer costs no syscalls.
 *
 * Threads: ring() from any thread that writes into the owner's rings (after publishing a record
 * or freeing space); arm(), wait() and awake() only on the thread that owns the control block;
 * stop() from the owner's own thread (Endpoint.stop).
 */
import { CTRL_BELL, CTRL_STATE, STATE_AWAKE, STATE_PARKED } from '../ring/layout';

export class Doorbell {
  private readonly state: number;
  private readonly bell: number;

  /** `base`: the Int32 index of the control block in `i32`. */
  constructor(
    private readonly i32: Int32Array,
    base: number,
  ) {
    this.state = base + CTRL_STATE;
    this.bell = base + CTRL_BELL;
  }

  /** Wakes the owner if it is parked (producer side). */
  ring(): void {
    const i32 = this.i32;
    // Atomics.load first: the common case (consumer awake) costs no read-modify-write.
    // compareExchange: of all producers that saw PARKED, exactly one rings.
    if (
      Atomics.load(i32, this.state) === STATE_PARKED &&
      Atomics.compareExchange(i32, this.state, STATE_PARKED, STATE_AWAKE) === STATE_PARKED
    ) {
      // Atomics.add + notify: BELL changes so a waitAsync that has not started yet returns at once.
      Atomics.add(i32, this.bell, 1);
      Atomics.notify(i32, this.bell, 1);
    }
  }

  /**
   * Announces PARKED and returns the bell value to wait on. The caller must check its rings once
   * more afterwards, then either wait() or awake().
   */
  arm(): number {
    // Atomics.load: the bell value to wait on must be read before announcing PARKED.
    const bell = Atomics.load(this.i32, this.bell);
    // Atomics.store: producers read STATE after publishing; with the caller's re-check of the rings
    // (sequentially consistent), either they see PARKED or it sees their record.
    Atomics.store(this.i32, this.state, STATE_PARKED);
    return bell;
  }

  /** Waits (without blocking the event loop) until the bell moves away from `bell`. */
  wait(bell: number, onWake: () => void): void {
    const r = Atomics.waitAsync(this.i32, this.bell, bell);
    if (r.async) r.value.then(onWake);
    else onWake();
  }

  /** Announces AWAKE, so producers skip the bell. */
  awake(): void {
    // Atomics.store: announce we are awake so producers skip the bell.
    Atomics.store(this.i32, this.state, STATE_AWAKE);
  }

  /** Wakes a parked owner whatever its state, so it sees it was stopped. */
  stop(): void {
    Atomics.store(this.i32, this.state, STATE_AWAKE);
    // Atomics.add + notify (all waiters): BELL changes, so a wait not started yet returns at once too.
    Atomics.add(this.i32, this.bell, 1);
    Atomics.notify(this.i32, this.bell);
  }
}

/**
 * Send blocks: where a driver's small writes wait for their send.
 *
 * Connection.write copies a small chunk at once into a BLOCK_SIZE block cut from a few 1 MiB
 * slabs that the ring knows by index (addSendSlab). At the end of a turn, flush lists one record
 * per connection with pending bytes (fd, slot, slab, offset, length) and submit() queues them all
 * with a single native call: no allocation, no Buffer.concat and no typed array crossing into C++
 * per send. A connection holds at most two blocks, the one filling up and the one in flight; the
 * latter comes back to the free list (LIFO, so the next write lands in a cache-warm block) when
 * its send completes. Bytes past one block go to a plain Buffer and are sent on their own.
 *
 * Thread: the driver thread that owns the ring.
 */
import { SEND_RECORD_INTS, SocketError, type Uring } from '@gatio/native';

/** Bytes per block: the replies of a pipelined batch of small requests fit in one. */
export const BLOCK_SIZE = 4096;
const BLOCKS_PER_SLAB = 256;
/** Records per native call; a flush with more dirty connections submits in several calls. */
const TABLE_RECORDS = 1024;

export class SendBlocks {
  /** views[block]: a Buffer over that whole block. */
  readonly views: Buffer[] = [];
  private readonly free: number[] = [];
  /** Shared, so nothing can detach it while the ring reads it (setSendTable requires that). */
  private readonly table = new Int32Array(new SharedArrayBuffer(TABLE_RECORDS * SEND_RECORD_INTS * 4));
  private listed = 0;

  constructor(private readonly ring: Uring) {
    ring.setSendTable(this.table);
  }

  /** A free block; a new slab when none is left. Throws when the ring refuses the slab. */
  alloc(): number {
    const block = this.free.pop();
    return block !== undefined ? block : this.addSlab();
  }

  release(block: number): void {
    this.free.push(block);
  }

  /** Blocks in use (filling or in flight): for tests and metrics. */
  get inUse(): number {
    return this.views.length - this.free.length;
  }

  /** Records listed and not yet submitted. */
  get pending(): number {
    return this.listed;
  }

  /**
   * Lists a send of `length` bytes from the start of `block` for (fd, id). Returns false when
   * the table is full: submit() first.
   */
  list(fd: number, id: number, block: number, length: number): boolean {
    if (this.listed === TABLE_RECORDS) return false;
    const t = this.table;
    const o = this.listed++ * SEND_RECORD_INTS;
    t[o] = fd;
    t[o + 1] = id;
    t[o + 2] = (block / BLOCKS_PER_SLAB) | 0;
    t[o + 3] = (block % BLOCKS_PER_SLAB) * BLOCK_SIZE;
    t[o + 4] = length;
    return true;
  }

  /**
   * Queues the listed sends as SQEs (submitted with the rest of the turn). Returns how many were
   * queued, or -errno when none was; the ids of the others stay readable through idAt().
   */
  submit(): number {
    const n = this.listed;
    this.listed = 0;
    return n === 0 ? 0 : this.ring.sendQueued(n);
  }

  /** The id of listed record i (valid until the next list()). */
  idAt(i: number): number {
    return this.table[i * SEND_RECORD_INTS + 1];
  }

  private addSlab(): number {
    const slab = this.views.length / BLOCKS_PER_SLAB;
    const memory = new ArrayBuffer(BLOCK_SIZE * BLOCKS_PER_SLAB);
    const r = this.ring.addSendSlab(slab, memory);
    if (r < 0) throw new SocketError(-r, 'addSendSlab', this.ring.info().fd);
    for (let i = 0; i < BLOCKS_PER_SLAB; i++) this.views.push(Buffer.from(memory, i * BLOCK_SIZE, BLOCK_SIZE));
    const first = slab * BLOCKS_PER_SLAB;
    for (let i = BLOCKS_PER_SLAB - 1; i > 0; i--) this.free.push(first + i);
    return first;
  }
}

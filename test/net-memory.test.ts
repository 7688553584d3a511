// Memory comes back: a client that sends without reading makes a naive echo server queue hundreds
// of MB to send; when it disconnects, that queue is dropped and the server's RSS must come back
// down, run after run (before, the dropped buffers waited for a garbage collection that an idle
// driver never started: 750 MB stayed resident after one run). The server is a child process,
// its RSS read from /proc/PID/status.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { connect, fixture, settled, spawnServer, within } from './net-helpers';

const MB = 1 << 20;

/** Resident memory of a process in bytes (/proc/PID/status VmRSS). */
function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** RSS once it stopped moving (or after about 6 s). */
async function restingRss(pid: number): Promise<number> {
  return (await settled(() => rss(pid))) ?? rss(pid);
}

/**
 * Sends `bytes` without reading the echo (so the server queues it, less what the kernel's socket
 * buffers hold), then resets the connection. Returns the server's RSS just before the reset.
 */
async function queueThenDrop(port: number, pid: number, bytes: number): Promise<number> {
  const s: net.Socket = await connect(port);
  s.on('error', () => {});
  s.pause();
  const chunk = Buffer.alloc(1 << 20, 'q');
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
  }
  const peak = rss(pid);
  s.resetAndDestroy();
  return peak;
}

test('after a 160 MB send queue is dropped at close, RSS comes back, and three runs do not add up', async () => {
  // The probe handler (echo, never pauses) with maxQueuedSendBytes at 1 GiB.
  const server = await spawnServer(fixture('net-memory-server.js'));
  try {
    await queueThenDrop(server.port, server.pid, 4 * MB); // compiles the paths first
    const base = await restingRss(server.pid);
    const after: number[] = [];
    const peaks: number[] = [];
    for (let run = 0; run < 3; run++) {
      // 160 MB queued, plus what the loopback socket buffers hold (up to ~36 MB here). The size
      // matters little (before, any dropped queue stayed resident); this keeps the test short.
      peaks.push(await within(queueThenDrop(server.port, server.pid, 196 * MB), 60000, `run ${run}`));
      after.push(await restingRss(server.pid));
    }
    const show = (b: number) => `${Math.round(b / MB)} MB`;
    const summary = `base ${show(base)}, peaks ${peaks.map(show).join(' ')}, after ${after.map(show).join(' ')}`;
    // The queue was really built each time (the echo is held in the server) ...
    for (const peak of peaks) expect({ summary, grewBy96MB: peak - base > 96 * MB }).toEqual({ summary, grewBy96MB: true });
    // ... and its memory came back each time, so three runs end where the first did.
    for (const a of after) expect({ summary, within64MB: a - base < 64 * MB }).toEqual({ summary, within64MB: true });
    expect(after[2] - after[0]).toBeLessThan(64 * MB);
  } finally {
    await server.stop();
  }
}, 120000);

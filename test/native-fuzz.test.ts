// The native boundary never crashes: hostile arguments to every export and ring method, and one
// regression case per defect found there. Each runs in a child process, so a crash is a signal
// the test sees rather than the end of jest; stdio are pipes, so a closed fd 0-2 shows.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const fixtures = path.join(__dirname, 'fixtures');

function run(script: string, args: string[], timeout = 120000) {
  return spawnSync(process.execPath, ['--expose-gc', path.join(fixtures, script), ...args], {
    encoding: 'utf8',
    timeout,
    input: '',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

test('every export and ring method with hostile arguments: no signal, Gatio errors only, stdio intact, nothing left open', () => {
  const seed = String(1 + Math.floor(Math.random() * 2 ** 31));
  const child = run('native-fuzz.js', ['20000', seed], 240000);
  // The seed is in the output on failure: `node --expose-gc test/fixtures/native-fuzz.js 20000 <seed>`.
  expect({ signal: child.signal, status: child.status, stderr: child.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
  expect(child.stdout).toMatch(/^native-fuzz OK calls=\d+ rounds=\d+ seed=\d+/);
}, 300000);

// Each case failed on the code before its fix (checked with GATIO_ADDON=<old build>/gatio.node):
// send-minus-one: SIGSEGV; close-stdin: stdin closed; huge-ids: SIGSEGV; no-memory: SIGABRT
// (std::bad_alloc through N-API); destroy-in-flight: the listener outlived destroy();
// events-not-detachable: `events` could be transferred; send-queued-after-gc: read freed memory
// (valgrind: invalid read in SendQueued, scripts/valgrind.js runs it).
const cases: Array<[string, string]> = [
  ['send-minus-one', 'ring.send(-1, -1, -1) on a fresh ring is a RangeError naming fd, not a segfault'],
  ['close-stdin', 'close/shutdown/recv/send/accept/setNoDelay on fds 0-2 and the ring fd throw FdNotOwnedError; stdio stay open'],
  ['huge-ids', 'ids up to 2^32 - 1 work end to end (no wrap in the per-id tables)'],
  ['no-memory', 'an allocation failure inside a method is a NativeError ENOMEM, not an abort'],
  ['destroy-in-flight', 'destroy() cancels and reaps the requests in flight before it closes the ring and sockets'],
  ['worker-terminated', 'terminating a worker with requests in flight closes its ring and sockets cleanly'],
  ['events-not-detachable', '`events` and `control` cannot be detached; the send table must be shared'],
  ['send-queued-after-gc', 'the bound sendQueued of a collected ring answers -EBADF'],
];

describe('native boundary regressions', () => {
  test.each(cases)('%s: %s', (name) => {
    if (name === 'no-memory' && spawnSync('prlimit', ['--version']).error) {
      console.log('skipped: no-memory needs prlimit (util-linux) to cap the address space');
      return;
    }
    const child = run('native-fuzz-cases.js', [name]);
    expect({ signal: child.signal, status: child.status, stderr: child.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    expect(child.stdout).toContain(`${name} OK`);
  });
});

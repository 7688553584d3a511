// A driver serves (accepts, receives) only after the main thread checked every driver's report
// ('go'): a start refused for a configuration mismatch never hands a connection to a handler, even
// to clients that connect while the drivers start. The mismatch is real: the handler file changes
// while the drivers load it (fixtures/net-shifting-handler.js).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Runtime } from '@gatio/core';
import { tcp } from '@gatio/net';
import { fixture, freePort, sleep } from './net-helpers';
import { waitFor } from './net-waits';

const clients = new Set<net.Socket>();
let dir = '';
afterEach(() => {
  for (const c of clients) c.destroy();
  clients.clear();
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  dir = '';
});

test('a configuration refused at start never accepts a connection, though clients connect while the drivers start', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatio-shifting-'));
  const handler = path.join(dir, 'handler.js');
  fs.copyFileSync(fixture('net-shifting-handler.js'), handler);
  const port = await freePort();
  const seen = { connected: 0, served: 0 };
  let starting = true;
  // Clients knock every 10 ms for as long as the start takes (at most 500 of them).
  const knock = (async () => {
    while (starting && clients.size < 500) {
      const s = net.connect(port, '127.0.0.1');
      clients.add(s);
      s.on('error', () => {});
      s.on('connect', () => seen.connected++);
      s.on('data', (d) => String(d).includes('served') && seen.served++);
      await sleep(10);
    }
  })();
  const started = Runtime.start({
    filename: fixture('net-tasks.js'),
    drivers: 2,
    services: [tcp({ port, host: '127.0.0.1', drivers: [0, 1], handler })],
  });
  const outcome = await started.then(
    async (rt) => {
      await rt.close();
      return null;
    },
    (err: Error & { code?: string }) => err,
  );
  starting = false;
  await knock;
  // Every client learns its fate (refused, reset, or closed once served) before we count.
  await waitFor(() => [...clients].every((s) => s.destroyed || s.closed), 10000, 'every client socket to close');
  expect(outcome?.code).toBe('GATIO_ERR_PORT_CONFIG_MISMATCH');
  expect(outcome?.message).toMatch(/handler contents \(sha1\)/);
  // Clients did reach a listening socket while the drivers started (the kernel completed their
  // handshakes), but no handler was ever given one.
  expect(seen.connected).toBeGreaterThan(0);
  expect(seen.served).toBe(0);
  expect(fs.existsSync(`${handler}.opened`)).toBe(false);
});

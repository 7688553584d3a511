// Runtime#metrics with networking: each driver's figures come back from its thread.
import { connect, example, freePort, readUntil, sleep, spawnServer, startServer } from './net-helpers';

test('metrics() carries per-driver networking figures', async () => {
  const { rt, port } = await startServer({ drivers: 2 });
  try {
    const sockets = await Promise.all(Array.from({ length: 8 }, () => connect(port)));
    await Promise.all(
      sockets.map((s) => {
        const done = readUntil(s, (b) => b.length >= 5, 5000);
        s.write('hello');
        return done;
      }),
    );
    const text = await rt.metrics();
    const sum = (name: string) => [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
    expect(sum('gatio_net_accepted_total')).toBe(8);
    expect(sum('gatio_net_connections')).toBe(8);
    expect(sum('gatio_net_bytes_in_total')).toBeGreaterThanOrEqual(40);
    expect(sum('gatio_net_bytes_out_total')).toBeGreaterThanOrEqual(40);
    expect(sum('gatio_net_cqes_total')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE gatio_net_accepted_total counter');
    expect(text).toContain('# TYPE gatio_net_connections gauge');
    for (const s of sockets) s.destroy();
  } finally {
    await rt.close();
  }
});

test('examples/metrics serves rt.metrics() over HTTP on 127.0.0.1', async () => {
  const metricsPort = await freePort();
  const srv = await spawnServer(example('metrics'), { args: ['--metrics-port', String(metricsPort)] });
  try {
    const s = await connect(srv.port);
    const done = readUntil(s, (b) => b.length >= 5, 5000);
    s.write('hello');
    expect((await done).data.toString()).toBe('hello');
    s.destroy();
    let body = '';
    for (let i = 0; i < 50 && !body.includes('gatio_net_accepted_total{'); i++) {
      body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      if (!body.includes('gatio_net_accepted_total{')) await sleep(50);
    }
    expect(body).toMatch(/^gatio_net_accepted_total\{[^}]*\} 1$/m);
    expect(body).toContain('# TYPE gatio_driver_restarts_total counter');
  } finally {
    expect(await srv.stop()).toBe(0);
  }
});

test("diagnostics_channel 'gatio:net:accept' fires on the driver thread for each connection", async () => {
  const { rt, port } = await startServer({ drivers: 1, handler: require('node:path').join(__dirname, 'fixtures', 'net-diag-handler.js') });
  try {
    const sockets = await Promise.all(Array.from({ length: 5 }, () => connect(port)));
    const reply = readUntil(sockets[4], (b) => b.includes(10), 5000);
    sockets[4].write('count\n');
    expect((await reply).data.toString().trim()).toBe('5');
    for (const s of sockets) s.destroy();
  } finally {
    await rt.close();
  }
});

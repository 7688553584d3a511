// Runtime#metrics with networking: each driver's figures come back from its thread.
import { connect, readUntil, startServer } from './net-helpers';

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

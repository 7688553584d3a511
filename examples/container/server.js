// A Gatio app for a container image: a tcp service that answers each line with its length,
// counted by a task, on every allowed CPU. HOST and PORT from the environment (0.0.0.0:8080 in the
// image); SIGTERM (docker stop, a Kubernetes rollout) closes it gracefully.
import { Runtime } from '@gatio/core';
import { tcp } from '@gatio/net';

const web = tcp({
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 8080),
  handler: new URL('./handler.js', import.meta.url),
});
await Runtime.start({
  filename: new URL('./tasks.js', import.meta.url),
  services: [web],
  shutdown: { signals: true },
});
const { address, port } = web.address();
console.log(`listening on ${address}:${port}`);

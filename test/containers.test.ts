// docs/containers.md and examples/container, checked without a container engine (none runs here):
// the Dockerfile's base image and commands, the docs' copy of it, the jq filter that adds io_uring
// to an engine's default seccomp profile (applied with the real jq to a small profile written
// here), the Kubernetes Localhost profile, and the example app itself, served from this checkout.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';

const root = join(__dirname, '..');
const app = join(root, 'examples', 'container');
const docs = readFileSync(join(root, 'docs', 'containers.md'), 'utf8');
const dockerfile = readFileSync(join(app, 'Dockerfile'), 'utf8');
const URING = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'];

/** The Dockerfile's instructions: [KEYWORD, arguments], continuation lines joined, comments dropped. */
function instructions(text: string): Array<[string, string]> {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim());
  return lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const [keyword, ...rest] = l.split(/\s+/);
    return [keyword.toUpperCase(), rest.join(' ')];
  });
}

/** The fenced blocks of a markdown text in one language. */
function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

describe('the Dockerfile of examples/container', () => {
  const steps = instructions(dockerfile);
  const all = (keyword: string) => steps.filter(([k]) => k === keyword).map(([, a]) => a);

  test("one stage on Debian's glibc Node image (the prebuild's libc), a Node Gatio supports", () => {
    expect(all('FROM')).toHaveLength(1);
    const m = /^node:(\d+)-(bookworm|bullseye|trixie)(-slim)?$/.exec(all('FROM')[0]);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(20);
  });

  test('installs production dependencies from the lockfile and nothing to compile with', () => {
    const runs = all('RUN').join('\n');
    expect(runs).toMatch(/\bnpm ci --omit=dev\b/);
    expect(runs).not.toMatch(/apt-get|apk |python3|\bmake\b|g\+\+|gcc|build-essential/);
  });

  test('copies files that exist, runs as a user, and starts the app in exec form', () => {
    for (const copy of all('COPY')) {
      const sources = copy.split(/\s+/).slice(0, -1);
      for (const file of sources) if (file !== 'package-lock.json') expect(existsSync(join(app, file))).toBe(true);
    }
    expect(all('USER')).toEqual(['node']);
    expect(JSON.parse(all('CMD')[0])).toEqual(['node', 'server.js']);
    expect(JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).main).toBe('server.js');
    expect(all('ENV').join(' ')).toMatch(/PORT=8080/);
    expect(all('EXPOSE')).toEqual(['8080']);
  });

  test('docs/containers.md shows this very Dockerfile', () => {
    expect(blocks(docs, 'Dockerfile')).toEqual([dockerfile]);
  });
});

describe('the jq filter of docs/containers.md', () => {
  const commands = blocks(docs, 'sh').flatMap((b) => b.split('\n')).filter((l) => l.startsWith('jq '));
  const sample = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }],
    syscalls: [
      { names: ['accept4', 'read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['clone3', 'io_uring_setup'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      { names: ['io_uring_enter'], action: 'SCMP_ACT_ERRNO' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
    ],
  };
  type Profile = typeof sample;

  function jq(filter: string, input: unknown): Profile {
    const r = spawnSync('jq', [filter], { input: JSON.stringify(input), encoding: 'utf8', timeout: 10_000 });
    if (r.error) throw new Error(`jq is needed for this test (apt-get install jq): ${r.error.message}`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  }

  test('one command: the engine default in, gatio-seccomp.json out', () => {
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatch(/^jq '[^']+' default\.json > gatio-seccomp\.json$/);
  });

  test('allows the three io_uring syscalls and changes nothing else', () => {
    const filter = /^jq '([^']+)'/.exec(commands[0])![1];
    const out = jq(filter, sample);
    const { syscalls, ...rest } = out;
    const { syscalls: before, ...restBefore } = sample;
    expect(rest).toEqual(restBefore);
    expect(syscalls).toEqual([
      before[0],
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      before[3],
      { names: URING, action: 'SCMP_ACT_ALLOW' },
    ]);
    // Each io_uring syscall is named by exactly one rule, and it allows it.
    for (const name of URING) {
      const rules = syscalls.filter((r) => r.names.includes(name));
      expect(rules).toEqual([{ names: URING, action: 'SCMP_ACT_ALLOW' }]);
    }
    // Applying it to its own output changes nothing.
    expect(jq(filter, out)).toEqual(out);
  });
});

describe('the Kubernetes Localhost profile of docs/containers.md', () => {
  test('points at the file the text says to put on each node', () => {
    const yaml = blocks(docs, 'yaml');
    expect(yaml).toHaveLength(1);
    expect(yaml[0]).toMatch(/securityContext:\n\s+seccompProfile:\n\s+type: Localhost\n\s+localhostProfile: profiles\/gatio-seccomp\.json/);
    expect(docs).toContain('/var/lib/kubelet/seccomp/profiles/gatio-seccomp.json');
  });
});

test('the example app serves from this checkout and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [join(app, 'server.js')], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b) => {
        out += b;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
    });
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('héllo\n'));
      socket.setEncoding('utf8');
      socket.on('data', (s: string) => {
        socket.end();
        resolve(s);
      });
      socket.on('error', reject);
    });
    expect(reply).toBe('5\n');
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
});

// Which addon file @gatio/native loads (node-gyp-build: a build from source, else the prebuild of
// the tarball) and what it says when none matches this platform. Each case runs in a child process,
// since the choice is made once, when the module is first required.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');

function load(env: Record<string, string>): { source: string; path: string; error?: string } {
  const script =
    "const n = require('@gatio/native'); let error; try { n.topology(); } catch (e) { error = e.code + ' ' + e.message; }" +
    'console.log(JSON.stringify({ source: n.addonSource, path: n.addonPath, error }));';
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

describe('addon loading', () => {
  test('a checkout loads its build from source', () => {
    const r = load({ GATIO_NATIVE_DEBUG: '0' });
    expect(r.source).toBe('compiled');
    expect(r.path).toBe(join(root, 'native', 'build', 'Release', 'gatio.node'));
    expect(r.error).toBeUndefined();
  });

  test('no build and no prebuild for this platform: one line that says how to compile', () => {
    // node-gyp-build looks in <NAME>_PREBUILD instead of the package folder when it is set.
    const empty = mkdtempSync(join(tmpdir(), 'gatio-noaddon-'));
    try {
      const r = load({ '@GATIO/NATIVE_PREBUILD': empty });
      expect(r.source).toBe('missing');
      expect(r.error).toMatch(/^GATIO_ERR_NATIVE_LOAD GATIO_ERR_NATIVE_LOAD: No native build was found for platform=linux/);
      expect(r.error).toContain('`npm rebuild @gatio/native`');
      expect(r.error).toContain('python3, make and a C++17 compiler');
      expect(r.error).not.toContain('\n');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('GATIO_NATIVE_DEBUG=1 takes build/Debug by path', () => {
    const r = load({ GATIO_NATIVE_DEBUG: '1' });
    expect(r.source).toBe('debug');
    expect(r.path).toBe(join(root, 'native', 'build', 'Debug', 'gatio.node'));
  });
});

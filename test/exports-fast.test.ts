// The package entry points must keep V8's fast (non-dictionary) properties: drivers read ring
// constants from @gatio/native in their per-completion loops, and user code compiled from
// `import { current } from '@gatio/core'` reads `core.current` on every use. One data property
// redefined as a getter (what TypeScript emits for `export { x } from`) turns an exports object
// into a hash table. This checks the built packages (dist/) in a fresh process, as workers and
// users load them: under jest (which builds every module's exports object itself) the same
// modules came out as dictionaries once other test files had run in the same process.
import { execFileSync } from 'node:child_process';

/** %HasFastProperties of each module's exports object (or of `expr`'s value), in a fresh node. */
function fastness(source: string): Record<string, boolean> {
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '-e', source], { cwd: __dirname, encoding: 'utf8' });
  return JSON.parse(out) as Record<string, boolean>;
}

describe('package entry points', () => {
  it('@gatio/native, @gatio/core and @gatio/net keep fast properties', () => {
    const names = ['@gatio/native', '@gatio/core', '@gatio/net'];
    const source = `const r = {}; for (const n of ${JSON.stringify(names)}) r[n] = %HasFastProperties(require(n)); console.log(JSON.stringify(r));`;
    expect(fastness(source)).toEqual({ '@gatio/native': true, '@gatio/core': true, '@gatio/net': true });
  });

  it('the check itself can fail: an exports-like object with a redefined getter is slow', () => {
    const source = `const o = { a: undefined }; Object.defineProperty(o, 'a', { enumerable: true, get: () => 1 });
      console.log(JSON.stringify({ o: %HasFastProperties(o) }));`;
    expect(fastness(source)).toEqual({ o: false });
  });
});

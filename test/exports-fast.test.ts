// The package entry points must keep V8's fast (non-dictionary) properties: drivers read ring
// constants from @gatio/native in their per-completion loops, and user code compiled from
// `import { current } from '@gatio/core'` reads `core.current` on every use. One data property
// redefined as a getter (what TypeScript emits for `export { x } from`) turns an exports object
// into a hash table. This checks the built packages (dist/), as workers and users load them.
import * as v8 from 'node:v8';

v8.setFlagsFromString('--allow-natives-syntax');
// Compiled after the flag is set; V8 intrinsics are not otherwise reachable from JavaScript.
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

describe('package entry points', () => {
  it.each(['@gatio/native', '@gatio/core', '@gatio/net'])('%s keeps fast properties', (name) => {
    const exports = require(name) as object;
    expect(Object.keys(exports).length).toBeGreaterThan(3);
    expect(hasFastProperties(exports)).toBe(true);
  });

  it('the check itself can fail: an exports-like object with a redefined getter is slow', () => {
    const o: Record<string, unknown> = { a: undefined };
    Object.defineProperty(o, 'a', { enumerable: true, get: () => 1 });
    expect(hasFastProperties(o)).toBe(false);
  });
});

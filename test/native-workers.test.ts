// The addon loaded in 8 workers at once, every export called, then all terminated: no crash.
// Runs in a child process so that a crash shows up as a signal instead of killing jest.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('8 workers load the addon, call every export and are terminated cleanly', () => {
  const script = path.join(__dirname, 'fixtures', 'native-load-workers.js');
  for (let run = 0; run < 3; run++) {
    const child = spawnSync(process.execPath, [script, '8'], { encoding: 'utf8', timeout: 60000 });
    expect({ signal: child.signal, status: child.status, stderr: child.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    expect(child.stdout).toContain('native-load-workers OK (8 workers)');
  }
});

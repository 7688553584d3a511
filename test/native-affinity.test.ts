// pinThread / threadAffinity / threadId, checked against what the kernel reports in /proc.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { threadAffinity, threadId, topology } from '@gatio/native';

interface PinReport {
  tid: number;
  kernelTid: number;
  taskExists: boolean;
  cpusAllowedList: string | null;
  threadAffinity: number[];
  processAllowed: number[];
}

function runPinWorker(cpu: number | number[]): Promise<PinReport> {
  const worker = new Worker(path.join(__dirname, 'fixtures', 'native-pin-worker.js'), {
    workerData: { cpu },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: PinReport) => {
      void worker.terminate().then(() => resolve(m));
    });
    worker.once('error', reject);
  });
}

describe('thread pinning', () => {
  const { allowed } = topology();

  test.each(allowed)('a worker pinned to CPU %i runs only there', async (cpu) => {
    const report = await runPinWorker(cpu);
    expect(report.tid).toBe(report.kernelTid);
    expect(report.taskExists).toBe(true);
    expect(report.cpusAllowedList).toBe(String(cpu));
    expect(report.threadAffinity).toEqual([cpu]);
    // Pinning a worker leaves the process's set (the main thread's mask) alone.
    expect(report.processAllowed).toEqual(allowed);
  });

  test('the main thread is untouched by pinned workers', async () => {
    await runPinWorker(allowed[0]);
    expect(threadAffinity()).toEqual(allowed);
  });

  test('threadId() is the kernel tid of the calling thread', () => {
    const tid = threadId();
    expect(Number.isInteger(tid)).toBe(true);
    // jest may run the test file in the main thread of the process (tid == pid) or not; either way
    // the tid is a task of this process.
    expect(require('node:fs').existsSync(`/proc/${process.pid}/task/${tid}`)).toBe(true);
  });

  test('a worker pinned to a list of CPUs gets exactly that list', async () => {
    const report = await runPinWorker(allowed);
    expect(report.threadAffinity).toEqual(allowed);
    expect(report.tid).toBe(report.kernelTid);
  });

  test('pinning a worker and reading back uses that worker\'s own thread', async () => {
    // Pinning the main jest thread would narrow topology().allowed for later tests; workers do it.
    const reports = await Promise.all(allowed.map((cpu) => runPinWorker(cpu)));
    expect(new Set(reports.map((r) => r.tid)).size).toBe(allowed.length);
    expect(reports.map((r) => r.threadAffinity)).toEqual(allowed.map((cpu) => [cpu]));
    expect(reports.map((r) => r.tid)).not.toContain(threadId());
  });
});

import { Bench } from 'tinybench';

/** One measured task: mean and min latency in ms, relative margin of error in %. */
export interface Measured {
  name: string;
  meanMs: number;
  minMs: number;
  rme: number;
  samples: number;
}

/** Runs tasks with tinybench, sequentially, a fixed number of iterations, no time budget. */
export async function measure(tasks: Record<string, () => unknown>, iterations: number): Promise<Measured[]> {
  const bench = new Bench({ iterations, time: 0, warmup: true, warmupIterations: 1, warmupTime: 0 });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  return bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`bench task ${t.name} did not complete: ${r.state}`);
    return { name: t.name, meanMs: r.latency.mean, minMs: r.latency.min, rme: r.latency.rme, samples: r.latency.samplesCount };
  });
}

/** Heap plus typed-array memory, after a full GC (run node with --expose-gc). */
export function retainedBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the benchmarks with node --expose-gc (npm run bench does)');
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

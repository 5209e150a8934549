import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CutList, type Chunker } from './types.js';

// tsconfig's lib (ES2022, no DOM) has no WebAssembly types: the little used here, declared.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

/** The exports of assembly/chunk-kernels.ts. */
interface Kernels {
  memory: { buffer: ArrayBuffer };
  inputAddress(): number;
  gearAddress(): number;
  cutCapacity(): number;
  cutPosAddress(): number;
  cutHashAddress(): number;
  configure(min: number, avg: number, max: number, maskS: bigint, maskL: bigint, window: number, polShift: number): void;
  getHash(): bigint;
  setHash(h: bigint): void;
  getChunkStart(): number;
  getNext(): number;
  fastcdc2016: KernelFn;
  fastcdc2020: KernelFn;
  gearCdc: KernelFn;
  rabin: KernelFn;
}
type KernelFn = (start: number, end: number, pos: number) => number;

/** What a kernel chunker runs with; `tables` is gear, shifted gear, Rabin out, Rabin mod (256 u64 each). */
export interface KernelSettings {
  kernel: 'fastcdc2016' | 'fastcdc2020' | 'gearCdc' | 'rabin';
  min: number;
  avg: number;
  max: number;
  maskS: bigint;
  maskL: bigint;
  window: number;
  polShift: number;
  tables: BigUint64Array;
  /** The fingerprint a chunk starts with (restic's Rabin starts at 1). */
  initialHash: bigint;
  /** The final chunk's fingerprint, from its length and the running hash. */
  lastHash(length: number, running: bigint): bigint;
}

const HISTORY = 64; // bytes kept before a block: the longest Rabin window
const BLOCK = (1 << 20) - HISTORY;
const WASM_NAME = 'chunk-kernels.wasm';

let kernels: Kernels | undefined;
let active: WasmChunker | undefined;

function wasmPath(): string {
  // Next to this module in dist/; from src/ (tsx, tests) the build's copy in dist/.
  for (const rel of [`./${WASM_NAME}`, `../../dist/chunk/${WASM_NAME}`]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`${WASM_NAME} is missing: run npm run build (or npm run build:wasm) to compile assembly/chunk-kernels.ts`);
}

function loadKernels(): Kernels {
  if (!kernels) {
    const module = new WebAssembly.Module(readFileSync(wasmPath()));
    kernels = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error('chunk kernel aborted'); } } }).exports as unknown as Kernels;
  }
  return kernels;
}

/** A chunker whose per-byte loop runs in WebAssembly; the state between pushes lives here. */
export class WasmChunker implements Chunker {
  readonly cuts = new CutList();
  readonly fingerprints = true;
  private readonly k: Kernels;
  private readonly run: KernelFn;
  private hash: bigint;
  /** Index, inside the current chunk, of the first carried byte (or of the next byte to come). */
  private pos = 0;
  /** Bytes pushed but not yet scanned (FastCDC 2020 keeps half a byte pair). */
  private carry = new Uint8Array(0);
  private history = new Uint8Array(HISTORY);
  /** Stream offset of the next byte to be pushed. */
  private total = 0;

  constructor(
    readonly spec: string,
    private readonly settings: KernelSettings,
  ) {
    this.k = loadKernels();
    this.run = this.k[settings.kernel];
    this.hash = settings.initialHash;
  }

  reset(): void {
    this.hash = this.settings.initialHash;
    this.pos = 0;
    this.carry = new Uint8Array(0);
    this.history.fill(0);
    this.total = 0;
    this.cuts.clear();
  }

  push(bytes: Uint8Array): number {
    this.cuts.clear();
    this.activate();
    const mem = new Uint8Array(this.k.memory.buffer);
    const start = this.k.inputAddress() + HISTORY;
    for (let off = 0; off < bytes.length; ) {
      const take = Math.min(BLOCK - this.carry.length, bytes.length - off);
      if (this.settings.window) mem.set(this.history, start - HISTORY);
      mem.set(this.carry, start);
      mem.set(bytes.subarray(off, off + take), start + this.carry.length);
      const base = this.total - this.carry.length;
      this.total += take;
      off += take;
      this.scan(mem, start, start + this.carry.length + take, base);
    }
    return this.cuts.length;
  }

  finish(): number {
    const length = this.pos + this.carry.length;
    const hash = length > 0 ? this.settings.lastHash(length, this.hash) : 0n;
    const end = this.total;
    this.reset();
    if (length > 0) this.cuts.add(end, hash);
    return this.cuts.length;
  }

  private activate(): void {
    if (active === this) return;
    const s = this.settings;
    new BigUint64Array(this.k.memory.buffer, this.k.gearAddress(), s.tables.length).set(s.tables);
    this.k.configure(s.min, s.avg, s.max, s.maskS, s.maskL, s.window, s.polShift);
    active = this;
  }

  /** Runs the kernel over [start, end) until it has no cut left to report; keeps what it left unscanned. */
  private scan(mem: Uint8Array, start: number, end: number, base: number): void {
    const k = this.k;
    const cap = k.cutCapacity();
    let from = start;
    let pos = this.pos;
    let chunkStart = 0;
    let next = 0;
    for (;;) {
      k.setHash(this.hash);
      const n = this.run(from, end, pos);
      this.hash = k.getHash();
      chunkStart = k.getChunkStart();
      next = k.getNext();
      if (n > 0) this.collect(n, base + (from - start));
      if (n < cap) break;
      // The cut list filled up: go on from the last cut, which starts a chunk.
      from += next;
      pos = next - chunkStart;
    }
    const scannedTo = Math.min(from + next, end);
    this.carry = mem.slice(scannedTo, end);
    this.pos = scannedTo - (from + chunkStart);
    if (this.settings.window) this.history = mem.slice(scannedTo - HISTORY, scannedTo);
  }

  private collect(n: number, base: number): void {
    const k = this.k;
    const positions = new Int32Array(k.memory.buffer, k.cutPosAddress(), n);
    const hashes = new BigUint64Array(k.memory.buffer, k.cutHashAddress(), n);
    const cuts = this.cuts;
    cuts.reserve(n);
    for (let i = 0; i < n; i++) cuts.ends[cuts.length + i] = base + positions[i];
    cuts.hashes.set(hashes, cuts.length);
    cuts.length += n;
  }
}

import { LayerlabError } from '../errors.js';

/** A parsed spec string: `name:key=value,key=value`. */
export interface ParsedSpec {
  name: string;
  params: Map<string, string>;
}

function specError(spec: string, message: string): LayerlabError {
  return new LayerlabError('EUSAGE', `chunker spec ${JSON.stringify(spec)}: ${message}`);
}

/** Splits a spec string; values are checked later by the chunker's factory through `ChunkerParams`. */
export function parseSpec(spec: string): ParsedSpec {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw specError(spec, `expected an algorithm name of lower-case letters, digits, - or _ before ':' (got ${JSON.stringify(name)})`);
  const params = new Map<string, string>();
  if (colon >= 0) {
    for (const part of spec.slice(colon + 1).split(',')) {
      const eq = part.indexOf('=');
      const key = eq < 0 ? part : part.slice(0, eq);
      if (eq < 0 || !/^[a-z][a-z0-9_]*$/.test(key)) throw specError(spec, `expected key=value parameters separated by ',' (got ${JSON.stringify(part)})`);
      if (params.has(key)) throw specError(spec, `parameter ${key} given twice`);
      params.set(key, part.slice(eq + 1));
    }
  }
  return { name, params };
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, ki: 1024, kib: 1024, m: 1 << 20, mi: 1 << 20, mib: 1 << 20 };

/**
 * The parameters of one spec, read by a factory: each read checks the value, and `done()`
 * rejects any parameter no read asked for. The values read make the canonical spec.
 */
export class ChunkerParams {
  private readonly used = new Set<string>();
  private readonly canonical: string[] = [];
  constructor(
    readonly spec: string,
    readonly parsed: ParsedSpec,
  ) {}

  /** A byte size: a whole number with an optional binary unit (`64k` = 65536, `1m`, `4KiB`). */
  size(key: string, fallback: number, min: number, max: number): number {
    const raw = this.take(key);
    if (raw === undefined) return this.keep(key, fallback);
    const m = /^(\d{1,15})([a-z]*)$/i.exec(raw);
    const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
    if (!m || unit === undefined) throw specError(this.spec, `${key} expects a byte size such as 4096, 64k or 1m (got ${JSON.stringify(raw)})`);
    return this.keep(key, this.inRange(key, Number(m[1]) * unit, min, max));
  }

  /** A whole number (decimal, or hexadecimal with 0x) within [min, max]; max may exceed 2^53 only as a bigint. */
  int(key: string, fallback: number, min: number, max: number): number {
    return Number(this.bigint(key, BigInt(fallback), BigInt(min), BigInt(max)));
  }

  bigint(key: string, fallback: bigint, min: bigint, max: bigint): bigint {
    const raw = this.take(key);
    if (raw === undefined) return this.keep(key, fallback);
    if (!/^(\d{1,20}|0x[0-9a-f]{1,16})$/i.test(raw)) throw specError(this.spec, `${key} expects a whole number (decimal or 0x hex) from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    const value = BigInt(raw);
    if (value < min || value > max) throw specError(this.spec, `${key} must be from ${min} to ${max} (got ${raw})`);
    return this.keep(key, value);
  }

  /** A failed cross-parameter check, e.g. min > avg. */
  fail(message: string): never {
    throw specError(this.spec, message);
  }

  /** Rejects parameters nobody read; returns the canonical spec. */
  done(): string {
    for (const key of this.parsed.params.keys()) {
      if (!this.used.has(key)) {
        const known = [...this.used];
        throw specError(this.spec, `unknown parameter ${JSON.stringify(key)} for ${this.parsed.name} (${known.length ? `expected ${known.join(', ')}` : 'it takes none'})`);
      }
    }
    return this.canonical.length ? `${this.parsed.name}:${this.canonical.join(',')}` : this.parsed.name;
  }

  private take(key: string): string | undefined {
    this.used.add(key);
    return this.parsed.params.get(key);
  }

  private keep<T extends number | bigint>(key: string, value: T): T {
    this.canonical.push(`${key}=${value}`);
    return value;
  }

  private inRange(key: string, value: number, min: number, max: number): number {
    if (value < min || value > max) throw specError(this.spec, `${key} must be from ${min} to ${max} bytes (got ${value})`);
    return value;
  }
}

/** Where a user-caused error was found: a file, a JSON path, a line, an argument. */
export interface ErrorPlace {
  /** File or source the problem is in. */
  file?: string;
  /** JSON path of the bad field, e.g. `$.images[3].layers[0]`. */
  path?: string;
  /** 1-based line number in a text input. */
  line?: number;
}

/** Stable error codes; the CLI maps `EUSAGE` to exit 2 and every other code to exit 1. */
export type ErrorCode =
  | 'EUSAGE' // bad command line
  | 'EINPUT' // malformed input document
  | 'EDIGEST' // malformed or mismatching digest
  | 'EREF' // invalid image reference
  | 'EVERSION' // unsupported snapshot version
  | 'EIO' // a file could not be read or written
  | 'EANALYSIS'; // an analysis could not be carried out on this input

/** The one error class for everything a user can cause. */
export class LayerlabError extends Error {
  readonly code: ErrorCode;
  readonly place: ErrorPlace;
  constructor(code: ErrorCode, message: string, place: ErrorPlace = {}) {
    super(message);
    this.name = 'LayerlabError';
    this.code = code;
    this.place = place;
  }

  /** `file: $.path: message` — the form the CLI prints. */
  describe(): string {
    const where: string[] = [];
    if (this.place.file) where.push(this.place.file + (this.place.line ? `:${this.place.line}` : ''));
    if (this.place.path) where.push(this.place.path);
    return where.length ? `${where.join(': ')}: ${this.message}` : this.message;
  }
}

/** True for errors a user caused (bad input, bad usage), which the CLI prints without a stack. */
export function isLayerlabError(e: unknown): e is LayerlabError {
  return e instanceof LayerlabError;
}

/**
 * A value as an error message may echo it: JSON-quoted, cut to about `max` characters with the
 * full byte length said, so a 50 MB key never lands whole in a message.
 */
export function quote(value: unknown, max = 80): string {
  const s = typeof value === 'string' ? value : value === undefined ? 'undefined' : safeJson(value);
  const full = typeof value === 'string' ? JSON.stringify(s) : s;
  if (full.length <= max + 2) return full;
  const head = typeof value === 'string' ? JSON.stringify(s.slice(0, max)) : s.slice(0, max);
  return `${head}…(${utf8Length(typeof value === 'string' ? s : full)} bytes)`;
}

// errors.ts is imported by model/, which runs in a browser too: no Buffer.
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function safeJson(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

// JSON.parse keeps the last of duplicate keys silently. Strict documents (snapshots) must refuse
// them: count the keys in the text with a small linear scanner and compare with the parsed value;
// only when the counts differ, find the first duplicate (with its JSON path) in a second scan.
import { LayerlabError } from '../errors.js';
import { quote } from '../errors.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;

/** Index just past the string that opens at `i` (text is valid JSON). */
function skipString(text: string, i: number): number {
  for (let j = i + 1; ; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
}

/** Number of object keys written in valid JSON text. */
export function countJsonKeys(text: string): number {
  let keys = 0;
  // Depth-indexed: 1 for an object, 0 for an array.
  const isObject: number[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (expectKey) {
        keys++;
        expectKey = false;
      }
      i = skipString(text, i);
      continue;
    }
    if (c === LBRACE) {
      isObject.push(1);
      expectKey = true;
    } else if (c === LBRACKET) {
      isObject.push(0);
      expectKey = false;
    } else if (c === RBRACE || c === RBRACKET) {
      isObject.pop();
      expectKey = false;
    } else if (c === COMMA) expectKey = isObject[isObject.length - 1] === 1;
    i++;
  }
  return keys;
}

/** Number of own keys of every object in a parsed JSON value. */
export function countParsedKeys(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += countParsedKeys(x);
    return n;
  }
  for (const k in v as Record<string, unknown>) n += 1 + countParsedKeys((v as Record<string, unknown>)[k]);
  return n;
}

function member(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${quote(key, 40)}]`;
}

/** The JSON path and key of the first duplicate key in valid JSON text, if any. */
export function findDuplicateKey(text: string): { path: string; key: string } | undefined {
  type Frame = { keys: Set<string> | undefined; path: string; index: number; key: string | undefined };
  const stack: Frame[] = [];
  let expectKey = false;
  const childPath = (f: Frame) => (f.keys ? member(f.path, f.key ?? '') : `${f.path}[${f.index}]`);
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, end)) as string;
        if (top.keys.has(key)) return { path: member(top.path, key), key };
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = end;
      continue;
    }
    if (c === LBRACE || c === LBRACKET) {
      const path = top ? childPath(top) : '$';
      stack.push({ keys: c === LBRACE ? new Set() : undefined, path, index: 0, key: undefined });
      expectKey = c === LBRACE;
    } else if (c === RBRACE || c === RBRACKET) {
      stack.pop();
      expectKey = false;
    } else if (c === COMMA && top) {
      if (top.keys) expectKey = true;
      else top.index++;
    }
    i++;
  }
  return undefined;
}

/** JSON.parse that refuses duplicate keys, naming the JSON path of the second one. */
export function parseJsonStrict(text: string, file?: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined;
    throw new LayerlabError('EINPUT', `not valid JSON: ${message.length > 200 ? message.slice(0, 200) + '…' : message}`, { file, line, path: '$' });
  }
  if (countJsonKeys(text) !== countParsedKeys(doc)) {
    const dup = findDuplicateKey(text);
    if (dup) throw new LayerlabError('EINPUT', `duplicate key ${quote(dup.key)}: a snapshot is read strictly, and JSON with a key twice means one value would be dropped silently`, { file, path: dup.path });
  }
  return doc;
}

// docker pull / push print a line per layer event; what is compared is each layer's last state.

/**
 * Splits docker's output into each layer's final state (`<12 hex>: <state>` for the states
 * `isFinal` accepts, sorted: completion order varies) and the other lines, in order. The layer
 * lines go after the first `head` other lines.
 */
export function finalLayerLines(lines: string[], isFinal: (state: string) => boolean, head = 0): string[] {
  const final = new Map<string, string>();
  const rest: string[] = [];
  for (const l of lines) {
    const m = /^([0-9a-f]{12}): (.+)$/.exec(l);
    if (!m) rest.push(l);
    else if (isFinal(m[2])) final.set(m[1], m[2]);
  }
  return [...rest.slice(0, head), ...[...final].map(([id, s]) => `${id}: ${s}`).sort(), ...rest.slice(head)];
}

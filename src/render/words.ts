// Small wording helpers shared by every renderer.

/** `1 image`, `2 images`, `0 layer references`: the noun agrees with the count (English -s plural). */
export function count(n: number, noun: string, plural = noun + 's'): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

// Where lessons get their bytes: the bundled fixtures, each loaded once per run through the same
// readers every command uses.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayerlabError } from '../errors.js';
import { loadRegistrySource, loadSource } from '../sources/load.js';
import type { LoadedSource, RegistryImage } from '../sources/source.js';

/** What a lesson's `facts` may use. */
export interface LearnContext {
  /** The fixtures folder (a clone's `fixtures/`). */
  fixtures: string;
  /** Unix seconds, for "5 days ago" as docker prints it. */
  now: number;
  /** A fixture path (relative to `fixtures`) loaded as a SOURCE, once. */
  source(path: string): Promise<LoadedSource>;
  /** A fixture path loaded as a registry (its images as a registry serves them), once. */
  registry(path: string): Promise<LoadedSource & { registryImages: RegistryImage[] }>;
  /** A fixture file's text. */
  text(path: string): string;
  /** The path of a fixture, as a person would type it from the clone's root. */
  shown(path: string): string;
}

/** The fixtures the lessons read; a missing one is named in the error. */
export const LESSON_FIXTURES = [
  'archives/scenario.oci',
  'archives/scenario.docker-save.tar',
  'docker-20.10-root/root',
  'docker-20.10-root/version.json',
  'official-images/manifests',
] as const;

/** A context over a fixtures folder; loads are cached so lessons that share a source read it once. */
export function learnContext(fixtures: string, now: number): LearnContext {
  for (const f of LESSON_FIXTURES) {
    if (!existsSync(join(fixtures, f))) throw new LayerlabError('EIO', `the lessons read the bundled fixtures; ${f} is missing (run layerlab learn from a clone of layerlab, or give --fixtures DIR)`, { file: fixtures });
  }
  const sources = new Map<string, Promise<LoadedSource>>();
  const registries = new Map<string, Promise<LoadedSource & { registryImages: RegistryImage[] }>>();
  return {
    fixtures,
    now,
    source(path) {
      let p = sources.get(path);
      if (!p) sources.set(path, (p = loadSource(join(fixtures, path))));
      return p;
    },
    registry(path) {
      let p = registries.get(path);
      if (!p) registries.set(path, (p = loadRegistrySource(join(fixtures, path))));
      return p;
    },
    text: (path) => readFileSync(join(fixtures, path), 'utf8'),
    shown: (path) => `fixtures/${path}`,
  };
}

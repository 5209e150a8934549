import type { ContainerState } from './types.js';

const ACTIVE_STATES: ReadonlySet<ContainerState> = new Set(['running', 'paused', 'restarting']);

/**
 * A container whose process exists: running, paused or restarting. It is what docker/cli counts
 * as ACTIVE in `docker system df`, and what the daemon's delete logic treats as running (moby
 * State.IsRunning is true while paused or restarting): a hard conflict for `docker rmi`.
 */
export function isActiveContainer(state: ContainerState): boolean {
  return ACTIVE_STATES.has(state);
}

// layerlab's supported API, by name: read images from a SOURCE into an ImageGraph, ask it what
// Docker would answer (df, dedup, rmi, prune, plans, pulls, pushes), print answers as Docker does.
// Everything else is in 'layerlab/internals' (src/internals.ts), with no stability promise.

// Errors: one class, a stable code, the place (file, JSON path, line).
export { LayerlabError, isLayerlabError, type ErrorCode, type ErrorPlace } from './errors.js';

// Reading images
export { loadSource, loadSources, loadRegistrySource, type LoadedSources } from './sources/load.js';
export type { LoadedSource, LoadOptions, SourceNote, SourceKind, RegistryImage, RemoteLayer, BlobProvider } from './sources/source.js';
export { parseSnapshot, serializeSnapshot, type Snapshot, type LayerRefStyle } from './sources/snapshot.js';
export { syntheticGraph, type SyntheticOptions } from './sources/synthetic.js';
export type { Platform } from './sources/oci-descriptors.js';

// The model
export { ImageGraph, GraphBuilder } from './model/graph.js';
export type { LayerRecord, ImageMeta, ContainerRecord, ContainerState } from './model/types.js';
export type { Digest } from './model/digest.js';
export { chainIds, imageIdFromConfig } from './model/identity.js';
export { explainReference, parseNormalizedNamed, type ImageReference, type ReferenceExplanation } from './model/reference.js';
export type { Caveat } from './model/caveat.js';

// Analyses (pure: graph in, answer out)
export { systemDf, type SystemDf, type DfImage, type DfContainer, type DfTotals, type ReclaimableRule } from './analyze/df.js';
export { dfCaveats } from './analyze/df-caveats.js';
export { compareDedupModels, type DedupComparison, type DedupModelResult, type DedupModelName } from './analyze/dedup.js';
export { mostSharedLayers, pairwiseShared, type SharedLayer, type ImagePair } from './analyze/sharing.js';
export { imageBindings, type ImageBindings } from './analyze/bindings.js';
export { HostState } from './analyze/host-state.js';
export { Universe } from './model/universe.js';
export { removalHost, type RemovalRecord, type RemovalResult } from './analyze/removal.js';
export { removalPlan, type Plan, type PlanGoal, type PlanOptions, type PlanStep } from './analyze/plan.js';
export { planPull, pullHostFromGraph, type PullPlan, type RemoteImage } from './analyze/pull.js';
export { planPulls, simulatePulls, DEFAULT_NETWORK, type NetworkModel, type PullSchedule } from './analyze/pull-schedule.js';
export { planPush, type PushPlan } from './analyze/push.js';
export { registryView, type RegistryView, type ViewImage } from './analyze/registry-view.js';

// Printing as Docker does
export { humanSize, parseHumanSize } from './render/units.js';
export { renderDfSummary, renderDfVerbose } from './render/df.js';
export { describeCaveat } from './render/caveats.js';

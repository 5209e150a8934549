// layerlab's internals: every module's exports, by name, for tools and tests built on layerlab
// (`import { ChainTrie } from 'layerlab/internals'`). No stability promise: names here move
// when the code does. The supported API is src/index.ts.
export { LayerlabError, isLayerlabError, quote, type ErrorCode, type ErrorPlace } from './errors.js';

export { digestProblem, isDigest, parseDigest, digestHex, shortId, sha256Digest, type Digest } from './model/digest.js';
export { EMPTY_LAYER_DIFF_ID, EMPTY_LAYER_GZIP_DIGEST, extendChainId, chainIds, chainId, imageIdFromConfig } from './model/identity.js';
export {
  parseReference,
  parseNormalizedNamed,
  parseAnyReference,
  referenceName,
  referenceString,
  familiarName,
  familiarString,
  withDefaultTag,
  isValidTag,
  explainReference,
  normalizeRepoTag,
  normalizeRepoDigest,
  REPOSITORY_NAME_MAX,
  type ImageReference,
  type ReferenceExplanation,
} from './model/reference.js';
export { CONTAINER_STATES, type ContainerState, type LayerRecord, type ImageMeta, type ContainerRecord } from './model/types.js';
export { GraphBuilder, ImageGraph, findParentCycle, type GraphColumns } from './model/graph.js';
export { mergeGraphs } from './model/merge.js';
export { ChainTrie } from './model/chain-trie.js';

export {
  parseSnapshot,
  snapshotFromJson,
  snapshotToJson,
  serializeSnapshot,
  SNAPSHOT_KIND,
  SNAPSHOT_VERSION,
  type Snapshot,
  type LayerRefStyle,
} from './sources/snapshot.js';
export { syntheticGraph, syntheticColumns, type SyntheticOptions } from './sources/synthetic.js';
export { graphFromEngine, layerSizesFromHistory, type EngineImageInspect, type EngineContainer, type EngineHistoryItem } from './sources/engine.js';
export { EngineClient, loadEngine, parseEngineHost, engineEndpointFromSource, type EngineEndpoint, type EngineVersion } from './sources/engine-api.js';
export { loadSource, loadSources, loadRegistrySource, probe, SOURCE_READERS, engineReader, dataRootReader, ociLayoutReader, archiveReader, snapshotReader, type LoadedSources } from './sources/load.js';
export type { LoadOptions, LoadedSource, SourceReader, SourceProbe, SourceNote, SourceKind, RegistryImage, RemoteLayer, BlobProvider, DistributionMetadata } from './sources/source.js';
export { readDockerRoot, isDockerRoot, containerStateAndStatus, containerCommand, type DockerRoot } from './sources/docker-root.js';
export { readOciLayout, readImageArchive, parsePlatform } from './sources/image-archive.js';
export { isAttestation, platformMatches, type Platform, type Descriptor } from './sources/oci-descriptors.js';
export { measureLayer, entryEscapes, forEachTarEntry, type LayerMeasure } from './sources/tar.js';
export { readRegistryFolder, readRegistry, registryReader, registryFolderReader, graphFromRegistryImages } from './sources/registry.js';
export { RegistryClient, parseRegistrySource, type RegistryTarget } from './sources/registry-client.js';

export { effectiveSizes, memoPerGraph, type EffectiveSizes, type SizeBasis } from './analyze/sizes.js';
export {
  systemDf,
  imageUsage,
  listedImages,
  imagesReclaimable,
  isActiveContainer,
  type SystemDf,
  type DfImage,
  type DfContainer,
  type DfTotals,
  type ImageUsage,
  type ReclaimableRule,
} from './analyze/df.js';
export { compareDedupModels, type DedupComparison, type DedupModelResult, type DedupModelName } from './analyze/dedup.js';
export { mostSharedLayers, pairwiseShared, imageLabel, type SharedLayer, type ImagePair } from './analyze/sharing.js';
export { RemovalHost, reclaimablePerImage, type RemovalRecord, type RemovalResult } from './analyze/removal.js';
export { removalPlan, type Plan, type PlanGoal, type PlanOptions, type PlanStep } from './analyze/plan.js';

export { humanSize, humanSizeWithPrecision, humanDuration, formatG, parseHumanSize } from './render/units.js';
export { tabwrite } from './render/tabwriter.js';
export { renderDfSummary, renderDfVerbose, dockerCliProfile, ellipsis, type DfTableStyle } from './render/df.js';
export { renderDedup, renderSharedLayers, renderPairs } from './render/dedup.js';
export { renderRmiDocker, renderRmiTable, renderPruneDocker } from './render/removal.js';

export { runCommand, COMMANDS, VERSION } from './cli/run.js';
export type { Command, CommandIo } from './cli/io.js';
export { planPush, narratePush, registryStateOf, inferPushHost, localImageFor, dockerManifestJson, type PushHost, type PushPlan, type PushLayerPlan, type RegistryState, type LocalImage, type V2Metadata } from './analyze/push.js';
export { planPulls, simulatePulls, DEFAULT_NETWORK, type NetworkModel, type PullSchedule, type PullTiming, type OrderedPulls, type PullOrder, type PullMode } from './analyze/pull-schedule.js';
export { planPull, narratePull, pullHostFromGraph, inferBlobMetadata, cloneHost, remoteImageFor, repositoriesOf, type PullHost, type PullPlan, type PullLayer, type RemoteImage, type LayerPullStatus } from './analyze/pull.js';
export { imageBindings, isDangling, type ImageBindings } from './analyze/bindings.js';

export type { Caveat } from './model/caveat.js';
export { dfCaveats } from './analyze/df-caveats.js';
export { describeCaveat } from './render/caveats.js';
export { count } from './render/words.js';
export { renderPlan, renderPlanSh } from './render/plan.js';
export { renderBindings } from './render/bindings.js';
export { renderReferences } from './render/ref.js';
export { registryView, viewRef, type RegistryView, type ViewImage, type ViewRow } from './analyze/registry-view.js';
export { defineCommand, parseOptions, commandHelp, optionsHelp, HELP_OPTION, type CommandSpec, type OptionSpec, type OptionSpecs, type OptionValues, type PositionalSpec, type FlagOption, type StringOption, type NumberOption } from './cli/options.js';
export { formatOption, writeFormatted, PLATFORM_OPTION, platformOf, sourceHelp } from './cli/common.js';
export { writeColumnar, readColumnar, columnarReader, type ColumnarFormat } from './sources/columnar.js';
export { tablesFromGraph, TABLE_NAMES, type ColumnarTables, type ColumnarMarker, type TableName } from './sources/columnar-tables.js';
export { graphFromTables } from './sources/columnar-graph.js';
export { runSql, duckWithGraph, duckOverParquet, shippedQuery, SHIPPED_QUERIES } from './sources/sql-queries.js';
export { renderSqlTable, renderSqlCsv, type SqlResult, type SqlCell } from './render/sql.js';

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
export { ImageColumnsBuilder, ImageIdIndex, imageColumnsOf, imageIdOf, imageMetaList, imageMetaOf, type ImageColumns, type ImageFields } from './model/image-columns.js';
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
export { syntheticGraph, syntheticColumns, SyntheticStream, hexDigest, type SyntheticOptions, type SyntheticSink } from './sources/synthetic.js';
export { syntheticSnapshotChunks, type SyntheticProgress } from './sources/synthetic-snapshot.js';
export { readSnapshotPipelined, type PipelineHooks } from './sources/snapshot-pipeline.js';
export { readSnapshotOneThread, PIPELINE_MIN_BYTES } from './sources/snapshot-stream.js';
export { graphFromEngine, layerSizesFromHistory, layerSizesFromEngine, type EngineImageSizes, type EngineImageInspect, type EngineContainer, type EngineHistoryItem } from './sources/engine.js';
export { EngineClient, loadEngine, parseEngineHost, engineEndpointFromSource, type EngineEndpoint, type EngineVersion } from './sources/engine-api.js';
export { loadSource, loadSources, loadRegistrySource, probe, SOURCE_READERS, engineReader, dataRootReader, ociLayoutReader, archiveReader, snapshotReader, type LoadedSources } from './sources/load.js';
export type { LoadOptions, LoadedSource, SourceReader, SourceProbe, SourceNote, SourceKind, RegistryImage, RemoteLayer, BlobProvider, DistributionMetadata } from './sources/source.js';
export { readDockerRoot, isDockerRoot, containerStateAndStatus, containerCommand, type DockerRoot } from './sources/docker-root.js';
export { readImageArchive } from './sources/image-archive.js';
export { readOciLayout, parsePlatform } from './sources/oci-layout.js';
export { isAttestation, platformMatches, type Platform, type Descriptor } from './sources/oci-descriptors.js';
export { measureLayer, scanLayer, entryEscapes, forEachTarEntry, type LayerMeasure, type LayerEntry, type LayerVisitor, type LayerStreamFacts } from './sources/tar.js';
export { scanSourceLayers, indexSourceLayers, sourceLayer, type IndexedLayer, type SourceLayer, type LayerScanProgress, type ScanSourceLayersOptions } from './sources/layer-contents.js';
export { readConfigHistory, type ConfigHistoryEntry } from './sources/image-config.js';
export { diveLayerHistory, diveExport, diveEfficiency, wasteAnalysis, fileDedup, type DiveExport, type WasteAnalysis, type Inefficiency, type FileDedup } from './analyze/waste.js';
export { evaluateDiveCi, DIVE_CI_DEFAULTS, type DiveCiConfig, type DiveCiResult, type DiveRuleResult } from './analyze/dive-ci.js';
export { findImage, stackOf } from './analyze/image-lookup.js';
export { applyLayer, unionOf, ChainViews, indexedChainViews, lookup, listUnion, unionTotals, pathHistory, layerChanges, layerChangesUnder, type UnionView, type UnionNode, type UnionRow, type LayerChange, type LayerChangeSummary } from './analyze/union.js';
export { layerFilesOf, normalisePath, type LayerFiles, type FileEntry, type FileType, type RawEntry } from './model/files.js';
export { registerChunker, listChunkers, createChunker, chunkBytes, type ChunkerFactory } from './chunk/registry.js';
export { ChunkerParams } from './chunk/params.js';
export { CutList, type Chunker, type ChunkRecord } from './chunk/types.js';
export { readRegistryFolder, readRegistry, registryReader, registryFolderReader, graphFromRegistryImages } from './sources/registry.js';
export { RegistryClient, parseRegistrySource, type RegistryTarget } from './sources/registry-client.js';

export { effectiveSizes, memoPerGraph, type EffectiveSizes, type SizeBasis } from './analyze/sizes.js';
export {
  systemDf,
  systemDfSummary,
  type DfSummary,
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
export { distinctDigests, type DistinctDigests } from './analyze/distinct-digests.js';
export { topK } from './analyze/top-k.js';
export { ABSENT, NOT_SHA256, compareDigests, digestBytesOfRows, digestBytesOfStrings, sha256String, type DigestBytes } from './model/digest-bytes.js';
export { dedupRow, UnitTally, DEFAULT_CHUNK_ALGOS, HISTOGRAM_BUCKETS, type ContentDedup, type DedupRow, type DedupLevel, type ChunkMode, type StoredTally, type HistogramBucket } from './analyze/dedup-content.js';
export { contentDedup, type ContentDedupOptions } from './sources/dedup-scan.js';
export { ChunkFeeder, ChunkRow, FileRow, FileDigests, DedupRows, tarSizeVisitor, loadZstd } from './sources/dedup-visitors.js';
export { DigestSequencer } from './sources/hashing.js';
export { ChunkIndex } from './chunk/index-table.js';
export { mostSharedLayers, pairwiseShared, imageLabel, type SharedLayer, type ImagePair } from './analyze/sharing.js';
export { HostState, type HostContainer, type MetadataSource, type V2Metadata } from './analyze/host-state.js';
export { Universe, type UniverseInputs, type UniverseImage, type UniverseLayer } from './model/universe.js';
export { removalHost, rmiImage, pruneImages, resolveImage, removeContainersOf, reclaimablePerImage, type RemovalRecord, type RemovalResult, type RmiOptions } from './analyze/removal.js';
export { removalPlan, type Plan, type PlanGoal, type PlanOptions, type PlanStep } from './analyze/plan.js';
export { treeColumns, TreeColumns, type TreeAccess, type LayerFacts, type ChainHasher } from './analyze/tree-columns.js';

export { humanSize, humanSizeWithPrecision, humanDuration, formatG, parseHumanSize } from './render/units.js';
export { tabwrite } from './render/tabwriter.js';
export { renderDfSummary, renderDfVerbose, dockerCliProfile, ellipsis, type DfTableStyle } from './render/df.js';
export { renderDedup, renderSharedLayers, renderPairs, renderContentDedup, withoutBlobRow, type ShownContentDedup, type UnavailableDedupRow } from './render/dedup.js';
export { renderRmiDocker, renderRmiTable, renderPruneDocker, renderPruneDockerPieces, rmiMessageStyle, rmiErrorLine, type RmiMessageStyle } from './render/removal.js';

export { runCommand, COMMANDS, loadAllCommands, VERSION, type CommandEntry } from './cli/run.js';
export type { Command, CommandIo } from './cli/io.js';
export { planPush, narratePush, registryStateOf, pushHostFromGraph, localImageFor, dockerManifestJson, type PushPlan, type PushLayerPlan, type RegistryState, type LocalImage } from './analyze/push.js';
export { planPulls, simulatePulls, DEFAULT_NETWORK, type NetworkModel, type PullSchedule, type PullTiming, type OrderedPulls, type PullOrder, type PullMode } from './analyze/pull-schedule.js';
export { planPull, recordPull, narratePull, pullHostFromGraph, inferBlobMetadata, remoteImageFor, repositoriesOf, universeImageOf, addV2Metadata, type PullPlan, type PullLayer, type RemoteImage, type LayerPullStatus } from './analyze/pull.js';
export { imageBindings, isDangling, type ImageBindings } from './analyze/bindings.js';

export type { Caveat } from './model/caveat.js';
export { dfCaveats } from './analyze/df-caveats.js';
export { describeCaveat } from './render/caveats.js';
export { count } from './render/words.js';
export { renderPlan, renderPlanSh, renderPlanPieces, renderPlanShPieces } from './render/plan.js';
export { renderBindings } from './render/bindings.js';
export { renderReferences } from './render/ref.js';
export { registryView, viewRef, type RegistryView, type ViewImage, type ViewRow } from './analyze/registry-view.js';
export { defineCommand, parseOptions, commandHelp, optionsHelp, HELP_OPTION, type CommandSpec, type OptionSpec, type OptionSpecs, type OptionValues, type PositionalSpec, type FlagOption, type StringOption, type NumberOption } from './cli/options.js';
export { formatOption, writeFormatted, PLATFORM_OPTION, platformOf, sourceHelp } from './cli/common.js';
export { simulate, defaultPullPolicy } from './simulate/engine.js';
export type { NodeImageStore, SimUniverse, PullEffect, Runtime } from './simulate/store.js';
export { ReferenceStore, kubeletImageSize, type StoreOptions } from './simulate/reference-store.js';
export { HostNodeStore, type NodeRuntime, type NodePullEffect } from './analyze/node-store.js';
export { UniverseBuilder, addGraph } from './simulate/universe.js';
export { KUBELET_DEFAULTS, garbageCollect, gcAmountToFree, type KubeletConfig } from './simulate/kubelet.js';
export { imageLocalityScore, imageLocalityPriority, leastAllocatedScore, nodesToScore, type SchedulerSpec } from './simulate/scheduler.js';
export { parseScenario, type Scenario } from './simulate/scenario.js';
export { generate, parseTrace, traceWorkload, type GeneratorSpec, type WaveSpec, type TraceEvent } from './simulate/workload.js';
export { parseIbmTrace, convertIbmTrace } from './simulate/ibm.js';
export type { SimConfig, SimResult, SimTotals, NodeSpec, NodeResult, Workload } from './simulate/types.js';
export { LESSONS, findLesson, boundLesson } from './learn/lessons.js';
export { bindLesson, checkAnswer, placeholdersOf, templatesOf, showValue, PLACEHOLDER } from './learn/engine.js';
export { learnContext, LESSON_FIXTURES, type LearnContext } from './learn/context.js';
export type { Lesson, LessonText, LessonFacts, LessonFigure, LessonValue, BoundLesson, AnswerCheck, AnswerKind } from './learn/types.js';
export { renderLesson, renderLessonList, renderAnswerCheck, renderImageList } from './render/learn.js';
export { lessonsHtml } from './render/html/lesson-page.js';
export { writeColumnar, readColumnar, columnarReader, type ColumnarFormat } from './sources/columnar.js';
export { tablesFromGraph, TABLE_NAMES, CONTENT_TABLES, type ColumnarTables, type ColumnarMarker, type ContentsNote, type TableName } from './sources/columnar-tables.js';
export { contentTables, type ContentTablesResult } from './sources/content-tables.js';
export { type ContentTables } from './sources/columnar-schema.js';
export { graphFromTables } from './sources/columnar-graph.js';
export { runSql, duckWithGraph, duckOverParquet, duckForSources, shippedQuery, SHIPPED_QUERIES } from './sources/sql-queries.js';
export { renderSqlTable, renderSqlCsv, type SqlResult, type SqlCell } from './render/sql.js';
export { recordSimulation, dfOf, defaultStore, type ReplayEvent, type ReplayState } from './simulate/replay.js';

/**
 * A structured remark an analysis attaches to its answer (sizes that are estimates, identities
 * that are missing, which rule a total follows): a stable `code` and its parameters. Analyses
 * return caveats; render/caveats.ts words them; JSON output carries them as they are.
 * sources' SourceNote is the same shape plus the sentence a reader already wrote.
 */
export interface Caveat {
  code: string;
  params: Record<string, string | number | boolean>;
}

-- Chunk-level dedup as `layerlab dedup --level chunk` counts it, per chunker (chunks.algo) and mode
-- (per-file: the chunks of each non-empty regular file; stream: of the uncompressed layer tar):
-- every chunk of each listed image's layers (logical: once per image stacking the layer) against
-- each distinct chunk (chunks.chunk_digest) stored once. Empty while the chunks table is
-- (`layerlab export --contents --algo SPEC` fills it).
WITH listed AS (
  SELECT i.image_key
  FROM images i
  WHERE NOT (
    EXISTS (SELECT 1 FROM images c WHERE c.parent_key = i.image_key)
    AND NOT EXISTS (SELECT 1 FROM image_refs r WHERE r.image_key = i.image_key)
  )
),
layer_refs AS (
  SELECT l.diff_id AS layer_digest, COUNT(*) AS refs
  FROM image_layers il
  JOIN listed li ON li.image_key = il.image_key
  JOIN layers l ON l.layer_key = il.layer_key
  WHERE l.diff_id IS NOT NULL
  GROUP BY l.diff_id
),
used AS (
  SELECT c.algo, c.mode, c.chunk_digest, c.chunk_length, r.refs
  FROM chunks c JOIN layer_refs r ON r.layer_digest = c.layer_digest
),
totals AS (
  SELECT algo, mode, SUM(refs) AS chunks, SUM(chunk_length * refs) AS logical_bytes
  FROM used GROUP BY algo, mode
),
distinct_chunks AS (
  SELECT algo, mode, chunk_digest, MAX(chunk_length) AS bytes
  FROM used GROUP BY algo, mode, chunk_digest
),
stored AS (
  SELECT algo, mode, COUNT(*) AS units, SUM(bytes) AS bytes
  FROM distinct_chunks GROUP BY algo, mode
)
SELECT t.algo,
       t.mode,
       t.chunks,
       s.units AS distinct_chunks,
       t.logical_bytes,
       s.bytes AS stored_bytes,
       t.logical_bytes - s.bytes AS saved_bytes
FROM totals t JOIN stored s ON s.algo = t.algo AND s.mode = t.mode
ORDER BY t.algo, t.mode

-- Chunk-level dedup over the layer store: every chunk of every distinct layer (logical) against
-- each distinct chunk stored once (chunks.chunk_digest). Zero rows until the chunks table holds
-- a chunk index.
WITH per_chunk AS (
  SELECT chunk_digest, MAX(chunk_length) AS bytes, COUNT(*) AS copies
  FROM chunks GROUP BY chunk_digest
)
SELECT COUNT(*) AS distinct_chunks,
       SUM(bytes * copies) AS logical_bytes,
       SUM(bytes) AS stored_bytes
FROM per_chunk
HAVING COUNT(*) > 0

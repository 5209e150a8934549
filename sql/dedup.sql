-- Storage of the listed images under each dedup model: none (a naive sum), chain (chainID, what
-- Docker stores), diff (diffID at any position, an ideal layer store), blob (compressed blob
-- digest, what a registry stores; available only when every used layer has a digest and size).
WITH listed AS (
  SELECT i.image_key
  FROM images i
  WHERE NOT (
    EXISTS (SELECT 1 FROM images c WHERE c.parent_key = i.image_key)
    AND NOT EXISTS (SELECT 1 FROM image_refs r WHERE r.image_key = i.image_key)
  )
),
refs AS (
  SELECT il.chain_key, il.layer_key, COALESCE(l.size, l.compressed_size, 0) AS bytes, l.compressed_size
  FROM image_layers il
  JOIN listed li ON li.image_key = il.image_key
  JOIN layers l ON l.layer_key = il.layer_key
),
used_chains AS (SELECT DISTINCT chain_key, bytes FROM refs),
used_layers AS (
  SELECT DISTINCT r.layer_key, r.bytes, l.digest, l.compressed_size
  FROM refs r JOIN layers l ON l.layer_key = r.layer_key
),
blobs AS (
  SELECT digest, MAX(compressed_size) AS bytes
  FROM used_layers WHERE digest IS NOT NULL AND compressed_size IS NOT NULL GROUP BY digest
),
totals AS (
  SELECT COALESCE(SUM(bytes), 0) AS logical,
         COALESCE(SUM(compressed_size), 0) AS logical_compressed
  FROM refs
),
blob_missing AS (
  SELECT COUNT(*) AS layers FROM used_layers WHERE digest IS NULL OR compressed_size IS NULL
),
models AS (
  SELECT 1 AS ord, 'none' AS model, t.logical AS logical_bytes, t.logical AS stored_bytes FROM totals t
  UNION ALL
  SELECT 2, 'chain', MAX(t.logical), COALESCE(SUM(c.bytes), 0) FROM totals t LEFT JOIN used_chains c ON 1 = 1
  UNION ALL
  SELECT 3, 'diff', MAX(t.logical), COALESCE(SUM(u.bytes), 0) FROM totals t LEFT JOIN used_layers u ON 1 = 1
  UNION ALL
  SELECT 4, 'blob',
         CASE WHEN MAX(m.layers) = 0 THEN MAX(t.logical_compressed) ELSE 0 END,
         CASE WHEN MAX(m.layers) = 0 THEN COALESCE(SUM(b.bytes), 0) ELSE 0 END
  FROM totals t CROSS JOIN blob_missing m LEFT JOIN blobs b ON 1 = 1
)
SELECT model,
       logical_bytes,
       stored_bytes,
       logical_bytes - stored_bytes AS saved_bytes,
       CASE WHEN stored_bytes > 0 THEN CAST(logical_bytes AS DOUBLE) / stored_bytes ELSE 1.0 END AS ratio
FROM models
ORDER BY ord

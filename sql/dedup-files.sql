-- File-level dedup as `layerlab dedup --level file` counts it: each non-empty regular file of each
-- listed image's layers (logical: a layer's files once per image that stacks it) against each
-- distinct content (files.content_digest) stored once; a file without a content digest is stored
-- once per layer row. Rows of files join layers by diffID. No row while the files table is empty
-- (`layerlab export --contents` fills it).
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
  SELECT f.content_digest, f.size, r.refs
  FROM files f JOIN layer_refs r ON r.layer_digest = f.layer_digest
  WHERE f.size > 0
),
totals AS (
  SELECT COALESCE(SUM(refs), 0) AS files, COALESCE(SUM(size * refs), 0) AS logical_bytes FROM used
),
contents AS (
  SELECT content_digest, MAX(size) AS bytes FROM used WHERE content_digest IS NOT NULL GROUP BY content_digest
),
stored AS (
  SELECT COUNT(*) AS units, COALESCE(SUM(bytes), 0) AS bytes FROM contents
  UNION ALL
  SELECT COUNT(*), COALESCE(SUM(size), 0) FROM used WHERE content_digest IS NULL
),
indexed AS (SELECT COUNT(*) AS rows_ FROM files)
SELECT MAX(t.files) AS files,
       SUM(s.units) AS distinct_files,
       MAX(t.logical_bytes) AS logical_bytes,
       SUM(s.bytes) AS stored_bytes,
       MAX(t.logical_bytes) - SUM(s.bytes) AS saved_bytes
FROM totals t CROSS JOIN stored s CROSS JOIN indexed x
HAVING MAX(x.rows_) > 0

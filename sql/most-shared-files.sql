-- The file contents stored most often over the listed images' layers (copies: once per image
-- stacking a layer that holds the content, as dedup --level file counts), with the bytes a
-- file-level dedup store saves on each (size x (copies - 1)). Top 20; empty until files are indexed.
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
)
SELECT f.content_digest,
       MAX(f.size) AS size,
       SUM(r.refs) AS copies,
       COUNT(DISTINCT f.layer_digest) AS layers,
       MAX(f.size) * (SUM(r.refs) - 1) AS saved_bytes
FROM files f JOIN layer_refs r ON r.layer_digest = f.layer_digest
WHERE f.content_digest IS NOT NULL AND f.size > 0
GROUP BY f.content_digest
HAVING SUM(r.refs) > 1
ORDER BY saved_bytes DESC, copies DESC, f.content_digest
LIMIT 20

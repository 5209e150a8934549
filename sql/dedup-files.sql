-- File-level dedup over the layer store: every file of every distinct layer (logical) against
-- each distinct file content stored once (files.content_digest; files without one count as
-- distinct). Zero rows until the files table holds a file index.
WITH per_content AS (
  SELECT content_digest, MAX(size) AS bytes, COUNT(*) AS copies
  FROM files WHERE content_digest IS NOT NULL GROUP BY content_digest
),
unkeyed AS (
  SELECT COALESCE(SUM(size), 0) AS bytes, COUNT(*) AS files FROM files WHERE content_digest IS NULL
)
SELECT COUNT(p.content_digest) + MAX(u.files) AS distinct_contents,
       COALESCE(SUM(p.bytes * p.copies), 0) + MAX(u.bytes) AS logical_bytes,
       COALESCE(SUM(p.bytes), 0) + MAX(u.bytes) AS stored_bytes
FROM unkeyed u LEFT JOIN per_content p ON 1 = 1
HAVING COUNT(p.content_digest) + MAX(u.files) > 0

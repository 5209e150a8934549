-- The file contents stored most often across distinct layers, with the bytes a file-level dedup
-- store saves on each (size x (copies - 1)). Top 20; empty until files are indexed.
SELECT content_digest,
       MAX(size) AS size,
       COUNT(*) AS copies,
       COUNT(DISTINCT layer_digest) AS layers,
       MAX(size) * (COUNT(*) - 1) AS saved_bytes
FROM files
WHERE content_digest IS NOT NULL
GROUP BY content_digest
HAVING COUNT(*) > 1
ORDER BY saved_bytes DESC, copies DESC
LIMIT 20

-- docker system df -v, images: Size, SharedSize, UniqueSize and Containers per image Docker lists.
-- Sharing is by chain (stack prefix, chains.chain_id), as Docker stores layers: a layer counts as
-- shared when another listed image's stack has the same prefix up to it. Docker hides untagged
-- images that have children. Sizes: uncompressed, else compressed, else 0.
WITH listed AS (
  SELECT i.image_key, i.id, i.created
  FROM images i
  WHERE NOT (
    EXISTS (SELECT 1 FROM images c WHERE c.parent_key = i.image_key)
    AND NOT EXISTS (SELECT 1 FROM image_refs r WHERE r.image_key = i.image_key)
  )
),
refs AS (
  SELECT il.image_key, il.chain_key, COALESCE(l.size, l.compressed_size, 0) AS bytes
  FROM image_layers il
  JOIN listed li ON li.image_key = il.image_key
  JOIN layers l ON l.layer_key = il.layer_key
),
chain_users AS (
  SELECT chain_key, COUNT(*) AS users FROM refs GROUP BY chain_key
),
usage AS (
  SELECT r.image_key,
         SUM(r.bytes) AS size,
         SUM(CASE WHEN cu.users > 1 THEN r.bytes ELSE 0 END) AS shared_size
  FROM refs r JOIN chain_users cu ON cu.chain_key = r.chain_key
  GROUP BY r.image_key
),
used_by AS (
  SELECT image_key, COUNT(*) AS containers FROM containers GROUP BY image_key
)
SELECT li.image_key,
       li.id,
       (SELECT MIN(r.ref) FROM image_refs r WHERE r.image_key = li.image_key AND r.kind = 'tag') AS tag,
       li.created,
       COALESCE(u.size, 0) AS size,
       COALESCE(u.shared_size, 0) AS shared_size,
       COALESCE(u.size, 0) - COALESCE(u.shared_size, 0) AS unique_size,
       COALESCE(ub.containers, 0) AS containers
FROM listed li
LEFT JOIN usage u ON u.image_key = li.image_key
LEFT JOIN used_by ub ON ub.image_key = li.image_key
ORDER BY li.created DESC, li.image_key

-- The layers whose sharing saves the most: listed images holding each layer, the distinct stack
-- positions (chains) it sits at, bytes an ideal layer store saves (size x (images - 1)) and bytes
-- a Docker host saves (size x (images - chains)). Top 10, most saved first.
WITH listed AS (
  SELECT i.image_key
  FROM images i
  WHERE NOT (
    EXISTS (SELECT 1 FROM images c WHERE c.parent_key = i.image_key)
    AND NOT EXISTS (SELECT 1 FROM image_refs r WHERE r.image_key = i.image_key)
  )
),
users AS (
  SELECT il.layer_key,
         COUNT(DISTINCT il.image_key) AS images,
         COUNT(DISTINCT il.chain_key) AS chain_positions
  FROM image_layers il JOIN listed li ON li.image_key = il.image_key
  GROUP BY il.layer_key
)
SELECT l.layer_key,
       l.diff_id,
       l.digest,
       COALESCE(l.size, l.compressed_size, 0) AS size,
       u.images,
       u.chain_positions,
       COALESCE(l.size, l.compressed_size, 0) * (u.images - 1) AS saved_bytes,
       COALESCE(l.size, l.compressed_size, 0) * (u.images - u.chain_positions) AS docker_saved_bytes
FROM users u JOIN layers l ON l.layer_key = u.layer_key
WHERE u.images > 1
ORDER BY saved_bytes DESC, u.images DESC, COALESCE(l.diff_id, l.digest)
LIMIT 10

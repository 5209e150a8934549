-- docker system df summary: TOTAL, ACTIVE, SIZE and RECLAIMABLE for images and containers.
-- Images SIZE is Docker's LayersSize (every distinct chain prefix once); RECLAIMABLE follows
-- Docker >= 29.4: Size - SharedSize summed over listed images without containers.
WITH listed AS (
  SELECT i.image_key
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
used_by AS (
  SELECT image_key, COUNT(*) AS containers FROM containers GROUP BY image_key
),
per_image AS (
  SELECT li.image_key,
         COALESCE(SUM(CASE WHEN cu.users > 1 THEN 0 ELSE r.bytes END), 0) AS unique_size,
         MAX(COALESCE(ub.containers, 0)) AS containers
  FROM listed li
  LEFT JOIN refs r ON r.image_key = li.image_key
  LEFT JOIN chain_users cu ON cu.chain_key = r.chain_key
  LEFT JOIN used_by ub ON ub.image_key = li.image_key
  GROUP BY li.image_key
),
layers_size AS (
  SELECT COALESCE(SUM(COALESCE(l.size, l.compressed_size, 0)), 0) AS bytes
  FROM chains ch JOIN layers l ON l.layer_key = ch.layer_key
)
SELECT 'Images' AS type,
       COUNT(*) AS total,
       COALESCE(SUM(CASE WHEN p.containers > 0 THEN 1 ELSE 0 END), 0) AS active,
       MAX(ls.bytes) AS size,
       COALESCE(SUM(CASE WHEN p.containers > 0 THEN 0 ELSE p.unique_size END), 0) AS reclaimable
FROM layers_size ls LEFT JOIN per_image p ON 1 = 1
UNION ALL
SELECT 'Containers' AS type,
       COUNT(*) AS total,
       COALESCE(SUM(CASE WHEN state IN ('running', 'paused', 'restarting') THEN 1 ELSE 0 END), 0) AS active,
       COALESCE(SUM(COALESCE(size_rw, 0)), 0) AS size,
       COALESCE(SUM(CASE WHEN state IN ('running', 'paused', 'restarting') THEN 0 ELSE COALESCE(size_rw, 0) END), 0) AS reclaimable
FROM containers

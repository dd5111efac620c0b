-- Browsers (cookie_id slots) by how many cookie ids they went through (cookie churn).
SELECT CAST(ids AS STRING) AS value, count(*) AS n
FROM (
  SELECT mapping_id div 16 AS slot, count(*) AS ids
  FROM identity_mappings
  WHERE is_correct AND identifier_type = 'cookie_id'
  GROUP BY mapping_id div 16
)
GROUP BY ids

-- Individuals by the type of their primary identifier: by design always email_hash,
-- exactly one per person ('none' or 'several' would be a defect).
SELECT
  CASE WHEN p.primaries IS NULL OR p.primaries = 0 THEN 'none'
       WHEN p.primaries > 1 THEN 'several'
       ELSE p.primary_type END AS value,
  count(*) AS n
FROM individuals i
LEFT JOIN (
  SELECT individual_id, count(*) AS primaries, min(identifier_type) AS primary_type
  FROM identity_mappings
  WHERE is_primary
  GROUP BY individual_id
) p ON p.individual_id = i.individual_id
GROUP BY 1

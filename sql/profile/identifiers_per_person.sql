-- Individuals by their number of identifiers (the identifiers count distribution), counted
-- as slots (mapping_id div 16): a browser's successive cookie ids are one identifier, and
-- wrong-person links are not the person's own.
SELECT CAST(coalesce(m.identifiers, 0) AS STRING) AS value, count(*) AS n
FROM individuals i
LEFT JOIN (
  SELECT individual_id, count(DISTINCT mapping_id div 16) AS identifiers
  FROM identity_mappings
  WHERE is_correct
  GROUP BY individual_id
) m ON m.individual_id = i.individual_id
GROUP BY coalesce(m.identifiers, 0)

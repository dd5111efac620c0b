-- Every individual has between identifiers.minimum and identifiers.maximum identifiers,
-- counted as slots (mapping_id div 16): a browser's successive cookie ids are one
-- identifier, and wrong-person links are not the person's own.
SELECT count(*) AS violations
FROM individuals i
LEFT JOIN (
  SELECT individual_id, count(DISTINCT mapping_id div 16) AS identifiers
  FROM identity_mappings
  WHERE is_correct
  GROUP BY individual_id
) m ON m.individual_id = i.individual_id
WHERE coalesce(m.identifiers, 0) NOT BETWEEN {{ identifier_minimum }} AND {{ identifier_maximum }}

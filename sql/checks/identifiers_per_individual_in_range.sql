-- Every individual has between identifiers.minimum and identifiers.maximum identifiers.
SELECT count(*) AS violations
FROM individuals i
LEFT JOIN (
  SELECT individual_id, count(*) AS identifiers
  FROM identity_mappings
  GROUP BY individual_id
) m ON m.individual_id = i.individual_id
WHERE coalesce(m.identifiers, 0) NOT BETWEEN {{ identifier_minimum }} AND {{ identifier_maximum }}

-- Individuals by their number of identifiers (the identifiers count distribution).
SELECT CAST(coalesce(m.identifiers, 0) AS STRING) AS value, count(*) AS n
FROM individuals i
LEFT JOIN (
  SELECT individual_id, count(*) AS identifiers
  FROM identity_mappings
  GROUP BY individual_id
) m ON m.individual_id = i.individual_id
GROUP BY coalesce(m.identifiers, 0)

-- Exactly one is_primary identifier per individual (individuals with none count too), and
-- that primary is the person's email_hash.
SELECT count(*) AS violations
FROM individuals i
LEFT JOIN (
  SELECT individual_id, count_if(is_primary) AS primaries,
         count_if(is_primary AND identifier_type = 'email_hash') AS email_primaries
  FROM identity_mappings
  GROUP BY individual_id
) p ON p.individual_id = i.individual_id
WHERE coalesce(p.primaries, 0) <> 1 OR coalesce(p.email_primaries, 0) <> 1

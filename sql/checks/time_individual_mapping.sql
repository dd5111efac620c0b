-- Time flows forward: individual.created_at <= mapping.observed_at.
SELECT count(*) AS violations
FROM identity_mappings m
JOIN individuals i ON i.individual_id = m.individual_id
WHERE m.observed_at < i.created_at

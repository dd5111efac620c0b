-- Time flows forward: individual.created_at <= mapping.observed_at for the person's own
-- identifiers (a wrong-person link keeps its identifier's dates: see docs/limitations.md).
SELECT count(*) AS violations
FROM identity_mappings m
JOIN individuals i ON i.individual_id = m.individual_id
WHERE m.is_correct AND m.observed_at < i.created_at

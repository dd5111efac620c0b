-- Time flows forward: individual.created_at <= mapping.observed_at for the person's own
-- identifiers (a wrong-person link keeps its identifier's dates: see docs/limitations.md).
-- A left join: a mapping whose person is missing counts as a violation.
SELECT count(*) AS violations
FROM identity_mappings m
LEFT JOIN individuals i ON i.individual_id = m.individual_id
WHERE m.is_correct AND (i.individual_id IS NULL OR m.observed_at < i.created_at)

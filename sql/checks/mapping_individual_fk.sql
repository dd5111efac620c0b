-- Every identity mapping belongs to an existing individual (0 orphans).
SELECT count(*) AS violations
FROM identity_mappings m
LEFT ANTI JOIN individuals i ON i.individual_id = m.individual_id

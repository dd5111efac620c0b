-- Time flows forward: household.created_at <= individual.created_at. A left join: an
-- individual whose household is missing counts as a violation.
SELECT count(*) AS violations
FROM individuals i
LEFT JOIN households h ON h.household_id = i.household_id
WHERE h.household_id IS NULL OR i.created_at < h.created_at

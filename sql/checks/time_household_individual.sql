-- Time flows forward: household.created_at <= individual.created_at.
SELECT count(*) AS violations
FROM individuals i
JOIN households h ON h.household_id = i.household_id
WHERE i.created_at < h.created_at

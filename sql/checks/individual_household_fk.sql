-- Every individual's household exists (0 orphans).
SELECT count(*) AS violations
FROM individuals i
LEFT ANTI JOIN households h ON h.household_id = i.household_id

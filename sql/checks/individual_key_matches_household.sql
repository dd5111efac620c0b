-- The key layout holds on the data, checked through the households table (not assumed):
-- every individual's household is the row household_id = individual_id div 8, that row
-- exists, and the member's slot (individual_id mod 8) is below the household's size.
SELECT count(*) AS violations
FROM individuals i
LEFT JOIN households h ON h.household_id = i.individual_id div 8
WHERE h.household_id IS NULL
   OR i.household_id <> h.household_id
   OR i.individual_id % 8 >= h.household_size

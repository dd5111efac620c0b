-- household_size equals the number of individuals of that household.
SELECT count(*) AS violations
FROM households h
LEFT JOIN (
  SELECT household_id, count(*) AS members
  FROM individuals
  GROUP BY household_id
) i ON i.household_id = h.household_id
WHERE coalesce(i.members, 0) <> h.household_size

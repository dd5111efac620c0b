-- CTV ids belong to the household: they appear only in households with a connected TV,
-- every member seen on the household's TV carries the same one value, and nobody has it twice.
-- Households are found through the individuals table, not the key layout; a CTV id whose
-- person or household is missing counts as a violation.
SELECT sum(violations) AS violations FROM (
  SELECT count(*) AS violations
  FROM identity_mappings m
  LEFT JOIN individuals i ON i.individual_id = m.individual_id
  LEFT JOIN households h ON h.household_id = i.household_id
  WHERE m.identifier_type = 'ctv_id' AND (h.household_id IS NULL OR NOT h.has_connected_tv)
  UNION ALL
  SELECT count(*) FROM (
    SELECT i.household_id
    FROM identity_mappings m
    JOIN individuals i ON i.individual_id = m.individual_id
    WHERE m.identifier_type = 'ctv_id'
    GROUP BY i.household_id
    HAVING count(DISTINCT m.identifier_value) > 1
  )
  UNION ALL
  SELECT count(*) FROM (
    SELECT individual_id
    FROM identity_mappings
    WHERE identifier_type = 'ctv_id'
    GROUP BY individual_id
    HAVING count(*) > 1
  )
)

-- CTV ids belong to the household: they appear only in households with a connected TV,
-- every member seen on the household's TV carries the same one value, and nobody has it twice.
SELECT sum(violations) AS violations FROM (
  SELECT count(*) AS violations
  FROM identity_mappings m
  JOIN households h ON h.household_id = m.individual_id div 8
  WHERE m.identifier_type = 'ctv_id' AND NOT h.has_connected_tv
  UNION ALL
  SELECT count(*) FROM (
    SELECT individual_id div 8 AS household_id
    FROM identity_mappings
    WHERE identifier_type = 'ctv_id'
    GROUP BY individual_id div 8
    HAVING count(DISTINCT identifier_value) > 1
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

-- Every identifier value has one owner. Among correct mappings, a personal identifier
-- (email_hash, cookie, mobile ad id, device) appears once in the whole graph; the
-- household-shared ctv_id appears at most once per individual and only within one
-- household; values of different types never collide. Wrong-person links repeat a value
-- on purpose (is_correct = false) and are checked by wrong_links_are_flagged.
SELECT sum(violations) AS violations FROM (
  SELECT count(*) - count(DISTINCT identifier_value) AS violations
  FROM identity_mappings
  WHERE is_correct AND identifier_type <> 'ctv_id'
  UNION ALL
  SELECT count(*) - count(DISTINCT identifier_value, individual_id)
  FROM identity_mappings
  WHERE is_correct AND identifier_type = 'ctv_id'
  UNION ALL
  SELECT count(*) FROM (
    SELECT m.identifier_value
    FROM identity_mappings m
    LEFT JOIN individuals i ON i.individual_id = m.individual_id
    WHERE m.identifier_type = 'ctv_id'
    GROUP BY m.identifier_value
    HAVING count(DISTINCT coalesce(i.household_id, -1 - m.individual_id)) > 1
  )
  UNION ALL
  SELECT count(*) FROM (
    SELECT identifier_value
    FROM identity_mappings
    GROUP BY identifier_value
    HAVING count(DISTINCT identifier_type) > 1
  )
)

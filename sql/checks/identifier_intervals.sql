-- Every identifier's validity interval lies in the window with observed_at <= last_seen_at.
-- A browser's cookie ids follow one another with neither gap nor overlap, read from the data
-- (not the key layout): every correct row that ends before the window's last second is a
-- cookie id with exactly one successor, a cookie row of the same person first seen one second
-- later; every other row stays valid to the window's last second.
SELECT count(*) AS violations
FROM (
  SELECT m.identifier_type, m.observed_at, m.last_seen_at, count(s.mapping_id) AS successors
  FROM identity_mappings m
  LEFT JOIN identity_mappings s
    ON s.individual_id = m.individual_id
   AND s.is_correct
   AND s.identifier_type = 'cookie_id'
   AND m.identifier_type = 'cookie_id'
   AND s.observed_at = m.last_seen_at + INTERVAL 1 SECOND
  WHERE m.is_correct
  GROUP BY m.mapping_id, m.identifier_type, m.observed_at, m.last_seen_at
)
WHERE observed_at IS NULL OR last_seen_at IS NULL
   OR observed_at > last_seen_at
   OR observed_at < TIMESTAMP '{{ start_date }} 00:00:00'
   OR last_seen_at > timestamp_seconds({{ end_epoch }})
   OR (last_seen_at < timestamp_seconds({{ end_epoch }}) AND (identifier_type <> 'cookie_id' OR successors <> 1))
   OR (last_seen_at = timestamp_seconds({{ end_epoch }}) AND successors <> 0)

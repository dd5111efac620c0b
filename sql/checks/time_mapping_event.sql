-- Time flows forward: an event falls inside the validity interval of the identifier it was
-- seen through (observed_at <= event.timestamp <= last_seen_at of that person's mapping; for
-- a cookie, the cookie id live at that time), and content is released before it is watched.
-- Left joins: an event whose identifier or content item is missing counts as a violation.
SELECT count(*) AS violations
FROM content_engagement e
LEFT JOIN identity_mappings m
  ON m.identifier_type = e.identifier_type
 AND m.identifier_value = e.identifier_value
 AND m.individual_id = e.individual_id
 AND m.is_correct
LEFT JOIN content_catalog c ON c.content_id = e.content_id
WHERE m.mapping_id IS NULL OR c.content_id IS NULL
   OR e.timestamp IS NULL
   OR e.timestamp < m.observed_at OR e.timestamp > m.last_seen_at OR e.timestamp < c.released_at

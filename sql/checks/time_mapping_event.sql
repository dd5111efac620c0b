-- Time flows forward: an identifier is observed no later than any event seen through it
-- (mapping.observed_at <= event.timestamp), and content is released before it is watched.
SELECT count(*) AS violations
FROM content_engagement e
JOIN identity_mappings m
  ON m.identifier_type = e.identifier_type
 AND m.identifier_value = e.identifier_value
JOIN content_catalog c ON c.content_id = e.content_id
WHERE e.timestamp < m.observed_at OR e.timestamp < c.released_at

-- Every engagement event's (identifier_type, identifier_value) is a mapping of the
-- same individual the event belongs to (the ground truth of who was seen).
SELECT count(*) AS violations
FROM content_engagement e
LEFT ANTI JOIN identity_mappings m
  ON m.identifier_type = e.identifier_type
 AND m.identifier_value = e.identifier_value
 AND m.individual_id = e.individual_id

-- Every engagement event's (identifier_type, identifier_value) is a correct mapping of the
-- same individual the event belongs to (the ground truth of who was seen). For a
-- household-shared CTV id this is the row linking it to the member who was watching.
SELECT count(*) AS violations
FROM content_engagement e
LEFT ANTI JOIN identity_mappings m
  ON m.identifier_type = e.identifier_type
 AND m.identifier_value = e.identifier_value
 AND m.individual_id = e.individual_id
 AND m.is_correct

-- Time flows forward for ads: an exposure, and a response to it, happen no earlier than
-- the person's created_at and no earlier than the first sighting of any of their own
-- identifiers (nobody can be shown an ad before they are in the graph). Left joins: an
-- exposure or response whose person or identifiers are missing counts as a violation.
SELECT count(*) AS violations
FROM (
  SELECT individual_id, timestamp FROM campaign_exposures
  UNION ALL
  SELECT individual_id, timestamp FROM response_events
) x
LEFT JOIN individuals i ON i.individual_id = x.individual_id
LEFT JOIN (
  SELECT individual_id, min(observed_at) AS first_seen
  FROM identity_mappings WHERE is_correct GROUP BY individual_id
) f ON f.individual_id = x.individual_id
WHERE i.individual_id IS NULL OR f.first_seen IS NULL
   OR x.timestamp < i.created_at OR x.timestamp < f.first_seen

-- Every table's primary key is unique (and never null): duplicates and nulls, summed.
SELECT sum(violations) AS violations FROM (
  SELECT count(*) - count(DISTINCT household_id) AS violations FROM households
  UNION ALL SELECT count(*) - count(DISTINCT individual_id) FROM individuals
  UNION ALL SELECT count(*) - count(DISTINCT mapping_id) FROM identity_mappings
  UNION ALL SELECT count(*) - count(DISTINCT content_id) FROM content_catalog
  UNION ALL SELECT count(*) - count(DISTINCT event_id) FROM content_engagement
  UNION ALL SELECT count(*) - count(DISTINCT campaign_id) FROM campaigns
  UNION ALL SELECT count(*) - count(DISTINCT exposure_id) FROM campaign_exposures
  UNION ALL SELECT count(*) - count(DISTINCT response_id) FROM response_events
)

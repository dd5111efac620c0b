-- Every identifier's validity interval lies in the window with observed_at <= last_seen_at;
-- a browser's cookie ids follow one another with neither gap nor overlap (generation g + 1
-- is first seen one second after generation g was last seen); the last one, and every other
-- identifier, stays valid to the end of the window; only cookies have several generations.
SELECT count(*) AS violations
FROM (
  SELECT
    identifier_type,
    mapping_id,
    observed_at,
    last_seen_at,
    lag(last_seen_at) OVER (PARTITION BY mapping_id div 16 ORDER BY mapping_id) AS previous_last_seen,
    lead(mapping_id) OVER (PARTITION BY mapping_id div 16 ORDER BY mapping_id) AS next_mapping_id
  FROM identity_mappings
  WHERE is_correct
)
WHERE observed_at > last_seen_at
   OR observed_at < TIMESTAMP '{{ start_date }} 00:00:00'
   OR (previous_last_seen IS NOT NULL AND observed_at <> previous_last_seen + INTERVAL 1 SECOND)
   OR (next_mapping_id IS NULL AND last_seen_at <> timestamp_seconds({{ end_epoch }}))
   OR (identifier_type <> 'cookie_id' AND (mapping_id & 15) <> 0)

-- Non-primary identifier slots by type (first cookie id of a browser only, correct links
-- only): personal types by the probabilistic type weights, the household CTV id in the last
-- slot of people in connected-TV households, device ids for people without a mobile ad id.
SELECT identifier_type AS value, count(*) AS n
FROM identity_mappings
WHERE is_correct AND NOT is_primary AND (mapping_id & 15) = 0
GROUP BY identifier_type

-- All identifier slots by type, primaries included: email_hash is one per person.
SELECT identifier_type AS value, count(*) AS n
FROM identity_mappings
WHERE is_correct AND (mapping_id & 15) = 0
GROUP BY identifier_type

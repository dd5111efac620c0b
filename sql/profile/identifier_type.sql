-- Non-primary identifiers by type: these follow the probabilistic type weights
-- (identifier_type_weights without email_hash, renormalised).
SELECT identifier_type AS value, count(*) AS n
FROM identity_mappings
WHERE NOT is_primary
GROUP BY identifier_type

-- All identifiers by type, primaries included: email_hash is one per person.
SELECT identifier_type AS value, count(*) AS n
FROM identity_mappings
GROUP BY identifier_type

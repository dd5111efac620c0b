-- Identifier values are unique across the whole graph (one owner per identifier).
SELECT count(*) - count(DISTINCT identifier_value) AS violations
FROM identity_mappings

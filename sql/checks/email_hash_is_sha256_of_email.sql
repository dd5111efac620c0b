-- Each person's email_hash is the SHA-256 of their normalised email, with confidence 1.0.
SELECT count(*) AS violations
FROM identity_mappings m
JOIN individuals i ON i.individual_id = m.individual_id
WHERE m.identifier_type = 'email_hash'
  AND (m.identifier_value <> sha2(lower(trim(i.email)), 256) OR m.confidence_score <> 1.0)

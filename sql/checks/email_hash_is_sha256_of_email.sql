-- Each person's email_hash is the SHA-256 of their normalised email, with confidence 1.0.
-- A left join: an email_hash whose person is missing counts as a violation.
SELECT count(*) AS violations
FROM identity_mappings m
LEFT JOIN individuals i ON i.individual_id = m.individual_id
WHERE m.identifier_type = 'email_hash'
  AND (i.individual_id IS NULL
    OR m.identifier_value <> sha2(lower(trim(i.email)), 256) OR m.confidence_score <> 1.0)

-- Probabilistic identifiers (not email_hash) have confidence in [confidence_min, confidence_max].
SELECT count(*) AS violations
FROM identity_mappings
WHERE identifier_type <> 'email_hash'
  AND (confidence_score < {{ confidence_min }} OR confidence_score > {{ confidence_max }} OR confidence_score IS NULL)

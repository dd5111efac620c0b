-- Correct probabilistic identifiers (not email_hash) have confidence in
-- [confidence_min, confidence_max]; wrong links are checked by wrong_links_are_flagged.
SELECT count(*) AS violations
FROM identity_mappings
WHERE is_correct AND identifier_type <> 'email_hash'
  AND (confidence_score < {{ confidence_min }} OR confidence_score > {{ confidence_max }} OR confidence_score IS NULL)

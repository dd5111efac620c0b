-- Correct probabilistic identifiers by confidence score, in thousandths (uniform on
-- [confidence_min, confidence_max], rounded to 3 decimals).
SELECT CAST(round(confidence_score * 1000) AS INT) AS value, count(*) AS n
FROM identity_mappings
WHERE is_correct AND identifier_type <> 'email_hash'
GROUP BY 1

-- Wrong-person links by confidence score, in thousandths (uniform on
-- [noise_confidence_min, noise_confidence_max], rounded to 3 decimals).
SELECT CAST(round(confidence_score * 1000) AS INT) AS value, count(*) AS n
FROM identity_mappings
WHERE NOT is_correct
GROUP BY 1

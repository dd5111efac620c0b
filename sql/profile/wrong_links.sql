-- Correct personal identifiers (cookie, mobile ad id, device) by whether the noisy layer
-- also linked them to a wrong person (noise_rate).
SELECT value, n FROM (
  SELECT 'wrong_link' AS value, count_if(NOT is_correct) AS n
  FROM identity_mappings
  UNION ALL
  SELECT 'none', count_if(is_correct AND identifier_type IN ('cookie_id', 'mobile_ad_id', 'device_id')) - count_if(NOT is_correct)
  FROM identity_mappings
)

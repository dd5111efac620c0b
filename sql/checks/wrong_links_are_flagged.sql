-- Ground truth of the noisy layer: a wrong-person link (is_correct = false, mapping_id with
-- bit 8 set) copies a correct personal identifier (mapping_id - 8, same type and value,
-- same interval) to another existing person; it is never primary, never an email_hash or a
-- CTV id, and has confidence in [noise_confidence_min, noise_confidence_max]. Correct rows
-- are exactly those without bit 8.
SELECT count(*) AS violations
FROM identity_mappings w
LEFT JOIN identity_mappings t
  ON t.mapping_id = w.mapping_id - 8
 AND t.is_correct
 AND t.identifier_type = w.identifier_type
 AND t.identifier_value = w.identifier_value
 AND t.observed_at = w.observed_at
 AND t.last_seen_at = w.last_seen_at
WHERE ((w.mapping_id & 8) <> 0) = w.is_correct
   OR (NOT w.is_correct AND (
        t.mapping_id IS NULL
     OR t.individual_id = w.individual_id
     OR w.is_primary
     OR w.identifier_type NOT IN ('cookie_id', 'mobile_ad_id', 'device_id')
     OR w.confidence_score < {{ noise_confidence_min }}
     OR w.confidence_score > {{ noise_confidence_max }}))

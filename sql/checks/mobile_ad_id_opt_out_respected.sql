-- People who opted out of mobile ad ids have none of their own.
SELECT count(*) AS violations
FROM individuals i
JOIN identity_mappings m ON m.individual_id = i.individual_id
WHERE i.mobile_ad_id_opt_out AND m.is_correct AND m.identifier_type = 'mobile_ad_id'

-- People who opted out of mobile ad ids have none of their own, and are seen through a
-- device id instead: the opt-out moves identifiers from mobile ad ids to device ids without
-- losing any. Per person that cannot be read from the data, so the second part compares the
-- groups: the mean number of mobile ad ids + device ids per person must not differ between
-- people who opted out and people who did not by more than 6 standard errors (one violation
-- if it does; without the replacement opted-out people would have about 40% fewer).
SELECT sum(violations) AS violations FROM (
  SELECT count(*) AS violations
  FROM individuals i
  JOIN identity_mappings m ON m.individual_id = i.individual_id
  WHERE i.mobile_ad_id_opt_out AND m.is_correct AND m.identifier_type = 'mobile_ad_id'
  UNION ALL
  SELECT IF(abs(mean_out - mean_in) > 6 * sqrt(var_out / n_out + var_in / n_in), 1, 0)
  FROM (
    SELECT
      avg(IF(opt_out, per_person, NULL)) AS mean_out, var_samp(IF(opt_out, per_person, NULL)) AS var_out,
      count_if(opt_out) AS n_out,
      avg(IF(opt_out, NULL, per_person)) AS mean_in, var_samp(IF(opt_out, NULL, per_person)) AS var_in,
      count_if(NOT opt_out) AS n_in
    FROM (
      SELECT i.individual_id, i.mobile_ad_id_opt_out AS opt_out, count(m.mapping_id) AS per_person
      FROM individuals i
      LEFT JOIN identity_mappings m
        ON m.individual_id = i.individual_id AND m.is_correct
       AND m.identifier_type IN ('mobile_ad_id', 'device_id')
       AND m.observed_at IS NOT NULL
      GROUP BY i.individual_id, i.mobile_ad_id_opt_out
    )
  )
  WHERE n_out > 1 AND n_in > 1
)

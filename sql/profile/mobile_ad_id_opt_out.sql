-- Individuals by whether they have opted out of mobile ad ids (mobile_ad_id_opt_out_rate).
SELECT IF(mobile_ad_id_opt_out, 'opted_out', 'not_opted_out') AS value, count(*) AS n
FROM individuals
GROUP BY 1

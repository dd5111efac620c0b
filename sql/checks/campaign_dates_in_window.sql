-- Every campaign runs inside the window: start_date <= end_date, both within
-- [start_date, end_date] of the config, and its length in days within
-- [campaign_min_days, campaign_max_days].
SELECT count(*) AS violations
FROM campaigns
WHERE start_date IS NULL OR end_date IS NULL
   OR start_date < DATE '{{ start_date }}'
   OR end_date > DATE '{{ end_date }}'
   OR end_date < start_date
   OR datediff(end_date, start_date) + 1 NOT BETWEEN {{ campaign_min_days }} AND {{ campaign_max_days }}

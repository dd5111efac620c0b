-- Emails are safe to share: unique, on the configured domains (config email_domains: by
-- default only the reserved example.com, example.net and example.org of RFC 2606), and no
-- internal key is readable in them: the digits of an email never spell the person's
-- individual_id (nor, so, their household_id = individual_id div 8).
SELECT sum(violations) AS violations FROM (
  SELECT count(*) AS violations
  FROM individuals
  WHERE email IS NULL
     OR NOT ({{ email_domain_condition(substring_index(email, '@', -1)) }})
     OR regexp_replace(substring_index(email, '@', 1), '[^0-9]', '') = CAST(individual_id AS STRING)
  UNION ALL
  SELECT count(*) - count(DISTINCT email) FROM individuals
)

-- individuals: one row per household member (every member is an adult: household_size
-- counts adults, see docs/realism.md).
-- Key layout: individual_id = household_id * 8 + slot, slot in [0, household_size),
-- so household_id = individual_id div 8 (no join: the household row is recomputed).
-- Every random decision has its own salt: first name 202, name list for other genders 212,
-- email separator 211, email number 213 (a keyed permutation), email domain 205.
SELECT
  individual_id,
  household_id,
  CASE name_list
    WHEN 'female' THEN idgraph_first_names_female(h_first)
    ELSE idgraph_first_names_male(h_first)
  END AS first_name,
  idgraph_surnames(h_last) AS last_name,
  -- first.last + a number that is a keyed permutation of individual_id (unique, but not the
  -- key: the id cannot be read back from the email) on the configured domains (reserved by default)
  concat(
    CASE name_list
      WHEN 'female' THEN idgraph_first_names_female_slug(h_first)
      ELSE idgraph_first_names_male_slug(h_first)
    END,
    -- separator: '.', '_' or none, a third each
    element_at(array('.', '_', ''), CAST(floor(u_separator * 3.0D) AS INT) + 1),
    idgraph_surnames_slug(h_last),
    idgraph_permute({{ seed }}, 213, individual_id, 22),
    '@',
    {{ email_domain(idgraph_hash({{ seed }}, 205, individual_id)) }}
  ) AS email,
  -- age ~ Normal(age_mean, age_sd) truncated to [age_min - 0.5, age_max + 0.5) by inverse CDF,
  -- rounded to whole years (least/greatest only guard the quantile's floating error)
  CAST(least({{ age_max }}, greatest({{ age_min }}, floor({{ age_mean }} + {{ age_sd }} * z_age + 0.5D))) AS INT) AS age,
  gender,
  {{ choice(education_weights, u_education) }} AS education,
  -- no mobile ad id (not opted in to tracking): seen through the phone's device id instead
  {{ mobile_ad_id_opt_out(individual_id) }} AS mobile_ad_id_opt_out,
  -- joins the graph up to 10% of the window after the household was created
  timestamp_seconds(unix_seconds(household_created_at)
    + CAST(floor(u_created * {{ window_seconds }} * 0.1D) AS BIGINT)) AS created_at
FROM (
  SELECT
    individual_id,
    household_id,
    household_created_at,
    gender,
    -- the first-name list: the gender's own; any other configured gender draws one of the two
    CASE gender
      WHEN 'female' THEN 'female'
      WHEN 'male' THEN 'male'
      ELSE IF(idgraph_uniform({{ seed }}, 212, individual_id) < 0.5D, 'female', 'male')
    END AS name_list,
    h_first,
    h_last,
    u_separator,
    idgraph_normal_quantile({{ age_cdf_low }} + u_age * ({{ age_cdf_high }} - {{ age_cdf_low }})) AS z_age,
    u_education,
    u_created
  FROM (
    SELECT
      individual_id,
      household_id,
      household_created_at,
      {{ choice(gender_weights, u_gender) }} AS gender,
      idgraph_hash({{ seed }}, 202, individual_id) AS h_first,
      idgraph_uniform({{ seed }}, 211, individual_id) AS u_separator,
      -- most members share the household's surname (shared_surname_rate), others have their own
      IF(u_surname < {{ shared_surname_rate }},
         idgraph_hash({{ seed }}, 204, household_id),
         idgraph_hash({{ seed }}, 207, individual_id)) AS h_last,
      u_age,
      u_education,
      u_created
    FROM (
      SELECT
        h.household_id * 8 + s.slot AS individual_id,
        h.household_id,
        h.created_at AS household_created_at,
        idgraph_uniform({{ seed }}, 201, h.household_id * 8 + s.slot) AS u_gender,
        idgraph_uniform({{ seed }}, 203, h.household_id * 8 + s.slot) AS u_surname,
        idgraph_uniform_open({{ seed }}, 206, h.household_id * 8 + s.slot) AS u_age,
        idgraph_uniform({{ seed }}, 208, h.household_id * 8 + s.slot) AS u_education,
        idgraph_uniform({{ seed }}, 209, h.household_id * 8 + s.slot) AS u_created
      FROM ({{ table(households) }}) h
      LATERAL VIEW explode(sequence(0, h.household_size - 1)) s AS slot
    )
  )
)

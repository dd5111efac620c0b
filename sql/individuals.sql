-- individuals: one row per household member.
-- Key layout: individual_id = household_id * 8 + slot, slot in [0, household_size),
-- so household_id = individual_id div 8 (no join: the household row is recomputed).
SELECT
  individual_id,
  household_id,
  CASE gender
    WHEN 'female' THEN idgraph_first_names_female(h_first)
    WHEN 'male' THEN idgraph_first_names_male(h_first)
    -- any other configured gender draws from both lists
    ELSE IF(h_first & 1 = 0, idgraph_first_names_female(h_first), idgraph_first_names_male(h_first))
  END AS first_name,
  idgraph_surnames(h_last) AS last_name,
  -- unique by construction: the decimal individual_id is the only digit run in it
  concat(
    CASE gender
      WHEN 'female' THEN idgraph_first_names_female_slug(h_first)
      WHEN 'male' THEN idgraph_first_names_male_slug(h_first)
      ELSE IF(h_first & 1 = 0, idgraph_first_names_female_slug(h_first), idgraph_first_names_male_slug(h_first))
    END,
    -- separator: '.', '_' or none, a third each
    element_at(array('.', '_', ''), CAST(pmod(h_first, 3) AS INT) + 1),
    idgraph_surnames_slug(h_last),
    individual_id,
    '@',
    idgraph_email_domains(idgraph_hash({{ seed }}, 205, individual_id))
  ) AS email,
  -- age ~ Normal(age_mean, age_sd) rounded and clipped to [age_min, age_max]
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
    {{ choice(gender_weights, u_gender) }} AS gender,
    idgraph_hash({{ seed }}, 202, individual_id) AS h_first,
    -- most members share the household's surname (shared_surname_rate), others have their own
    IF(u_surname < {{ shared_surname_rate }},
       idgraph_hash({{ seed }}, 204, household_id),
       idgraph_hash({{ seed }}, 207, individual_id)) AS h_last,
    z_age,
    u_education,
    u_created
  FROM (
    SELECT
      h.household_id * 8 + s.slot AS individual_id,
      h.household_id,
      h.created_at AS household_created_at,
      idgraph_uniform({{ seed }}, 201, h.household_id * 8 + s.slot) AS u_gender,
      idgraph_uniform({{ seed }}, 203, h.household_id * 8 + s.slot) AS u_surname,
      idgraph_normal({{ seed }}, 206, h.household_id * 8 + s.slot) AS z_age,
      idgraph_uniform({{ seed }}, 208, h.household_id * 8 + s.slot) AS u_education,
      idgraph_uniform({{ seed }}, 209, h.household_id * 8 + s.slot) AS u_created
    FROM ({{ table(households) }}) h
    LATERAL VIEW explode(sequence(0, h.household_size - 1)) s AS slot
  )
)

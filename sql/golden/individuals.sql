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
    idgraph_permute(42, 213, individual_id, 22),
    '@',
    idgraph_reserved_email_domains(idgraph_hash(42, 205, individual_id))
  ) AS email,
  -- age ~ Normal(age_mean, age_sd) truncated to [age_min - 0.5, age_max + 0.5) by inverse CDF,
  -- rounded to whole years (least/greatest only guard the quantile's floating error)
  CAST(least(85 /* age_max */, greatest(18 /* age_min */, floor(45.0D /* age_mean */ + 15.0D /* age_sd */ * z_age + 0.5D))) AS INT) AS age,
  gender,
  /* choice(education_weights): thresholds are the cumulative weights */ CASE
      WHEN u_education < 0.09D THEN 'less_than_high_school'
      WHEN u_education < 0.37D THEN 'high_school'
      WHEN u_education < 0.62D THEN 'some_college'
      WHEN u_education < 0.85D THEN 'bachelors'
      ELSE 'graduate'
    END AS education,
  -- no mobile ad id (not opted in to tracking): seen through the phone's device id instead
  /* mobile_ad_id_opt_out(individual_id) */ (idgraph_uniform(42, 210, individual_id) < 0.35D /* mobile_ad_id_opt_out_rate */) AS mobile_ad_id_opt_out,
  -- joins the graph up to 10% of the window after the household was created
  timestamp_seconds(unix_seconds(household_created_at)
    + CAST(floor(u_created * 94694399 /* window_seconds = end_epoch - start_epoch */ * 0.1D) AS BIGINT)) AS created_at
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
      ELSE IF(idgraph_uniform(42, 212, individual_id) < 0.5D, 'female', 'male')
    END AS name_list,
    h_first,
    h_last,
    u_separator,
    idgraph_normal_quantile(0.03337650758481724D /* age_cdf_low = Phi((age_min - 0.5 - age_mean) / age_sd): the normal CDF at the lowest age's rounding edge */ + u_age * (0.9965330261969594D /* age_cdf_high = Phi((age_max + 0.5 - age_mean) / age_sd): the normal CDF at the highest age's rounding edge */ - 0.03337650758481724D /* age_cdf_low = Phi((age_min - 0.5 - age_mean) / age_sd): the normal CDF at the lowest age's rounding edge */)) AS z_age,
    u_education,
    u_created
  FROM (
    SELECT
      individual_id,
      household_id,
      household_created_at,
      /* choice(gender_weights): thresholds are the cumulative weights */ CASE
      WHEN u_gender < 0.51D THEN 'female'
      WHEN u_gender < 0.99D THEN 'male'
      ELSE 'nonbinary'
    END AS gender,
      idgraph_hash(42, 202, individual_id) AS h_first,
      idgraph_uniform(42, 211, individual_id) AS u_separator,
      -- most members share the household's surname (shared_surname_rate), others have their own
      IF(u_surname < 0.8D /* shared_surname_rate */,
         idgraph_hash(42, 204, household_id),
         idgraph_hash(42, 207, individual_id)) AS h_last,
      u_age,
      u_education,
      u_created
    FROM (
      SELECT
        h.household_id * 8 + s.slot AS individual_id,
        h.household_id,
        h.created_at AS household_created_at,
        idgraph_uniform(42, 201, h.household_id * 8 + s.slot) AS u_gender,
        idgraph_uniform(42, 203, h.household_id * 8 + s.slot) AS u_surname,
        idgraph_uniform_open(42, 206, h.household_id * 8 + s.slot) AS u_age,
        idgraph_uniform(42, 208, h.household_id * 8 + s.slot) AS u_education,
        idgraph_uniform(42, 209, h.household_id * 8 + s.slot) AS u_created
      FROM (
    /* table(households): the query of sql/households.sql, recomputed (no join) */
    SELECT
      household_id,
      -- adults by the configured shares (docs/realism.md); exactly this many individuals exist
      /* choice(household_size_weights): thresholds are the cumulative weights */ CASE
          WHEN u_size < 0.33D THEN 1
          WHEN u_size < 0.8D THEN 2
          WHEN u_size < 0.93D THEN 3
          WHEN u_size < 0.98D THEN 4
          WHEN u_size < 0.995D THEN 5
          WHEN u_size < 0.999D THEN 6
          WHEN u_size < 0.9997D THEN 7
          ELSE 8
        END AS household_size,
      -- income bracket by the configured weights
      /* choice(income_weights): thresholds are the cumulative weights */ CASE
          WHEN u_income < 0.25D THEN '<30K'
          WHEN u_income < 0.6D THEN '30-60K'
          WHEN u_income < 0.85D THEN '60-100K'
          ELSE '100K+'
        END AS income_bracket,
      -- mimesis city and state, each picked by its own hash (independent of each other)
      idgraph_cities(idgraph_hash(42, 103, household_id)) AS city,
      idgraph_states(idgraph_hash(42, 104, household_id)) AS state,
      -- whether the household has a connected TV (connected_tv_household_rate): its members may
      -- be seen through its one shared CTV id
      /* has_connected_tv(household_id) */ (idgraph_uniform(42, 107, household_id) < 0.8D /* connected_tv_household_rate */) AS has_connected_tv,
      -- five-digit ZIP code, uniform over 00501..99950
      format_string('%05d', 501 + pmod(idgraph_hash(42, 105, household_id), 99450)) AS zip,
      -- created in the first half of the window, so members, identifiers and events follow it
      timestamp_seconds(1672531200 /* start_epoch = Unix seconds of start_date 00:00:00 UTC */ + CAST(floor(u_created * 94694399 /* window_seconds = end_epoch - start_epoch */ * 0.5D) AS BIGINT)) AS created_at
    FROM (
      SELECT
        id AS household_id,
        idgraph_uniform(42, 101, id) AS u_size,
        idgraph_uniform(42, 102, id) AS u_income,
        idgraph_uniform(42, 106, id) AS u_created
      FROM range(0, 100)
    )
  ) h
      LATERAL VIEW explode(sequence(0, h.household_size - 1)) s AS slot
    )
  )
)

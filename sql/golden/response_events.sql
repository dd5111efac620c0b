SELECT
  response_id,
  exposure_id,
  individual_id,
  /* choice(response_type_weights): thresholds are the cumulative weights */ CASE
      WHEN u_response < 0.05D THEN 'conversion'
      WHEN u_response < 0.25D THEN 'click'
      ELSE 'view'
    END AS response_type,
  -- delay after the exposure: exponential with scale a quarter of the attribution
  -- window, truncated to the window (inverse CDF), so never later than the window allows
  timestamp_seconds(unix_seconds(exposure_timestamp) + CAST(floor(
    -ln(1.0D - u_delay * (1.0D - exp(-4.0D))) * 7 /* attribution_window_days */ * 86400 / 4.0D) AS BIGINT)) AS timestamp,
  -- conversions carry an order value ~ log-normal around $60; clicks and views 0
  IF(/* choice(response_type_weights): thresholds are the cumulative weights */ CASE
      WHEN u_response < 0.05D THEN 'conversion'
      WHEN u_response < 0.25D THEN 'click'
      ELSE 'view'
    END = 'conversion',
     floor(exp(ln(60) + 0.7D * z_value) * 100.0D + 0.5D) / 100.0D,
     0.0D) AS value
FROM (
  SELECT
    exposure_id AS response_id,
    exposure_id,
    individual_id,
    timestamp AS exposure_timestamp,
    idgraph_uniform(42, 602, exposure_id) AS u_response,
    idgraph_uniform(42, 603, exposure_id) AS u_delay,
    idgraph_normal(42, 604, exposure_id) AS z_value
  FROM (
    /* table(campaign_exposures): the query of sql/campaign_exposures.sql, recomputed (no join) */
    SELECT
      exposure_id,
      individual_id,
      campaign_id,
      -- uniform over the campaign's days, start_date 00:00:00 to end_date 23:59:59
      timestamp_seconds(1672531200 /* start_epoch = Unix seconds of start_date 00:00:00 UTC */
        + CAST(/* campaign_start_day(campaign_id) */ (CAST(floor(idgraph_uniform(42, 802, campaign_id) * (1096 /* window_days = (end_epoch + 1 - start_epoch) div 86400 */ - 90 /* campaign_max_days */)) AS INT)) AS BIGINT) * 86400
        + CAST(floor(u_time * /* campaign_days(campaign_id) */ (CAST(7 /* campaign_min_days */ + floor(idgraph_uniform(42, 803, campaign_id) * (90 /* campaign_max_days */ - 7 /* campaign_min_days */ + 1)) AS INT)) * 86400) AS BIGINT)) AS timestamp,
      /* campaign_channel(u_channel) */ (/* choice(campaign_channel_weights): thresholds are the cumulative weights */ CASE
          WHEN u_channel < 0.35D THEN 'display'
          WHEN u_channel < 0.6D THEN 'video'
          WHEN u_channel < 0.75D THEN 'ctv'
          WHEN u_channel < 0.9D THEN 'social'
          ELSE 'search'
        END) AS channel
    FROM (
      SELECT
        exposure_id,
        individual_id,
        -- campaign uniform over all campaigns
        pmod(idgraph_hash(42, 502, exposure_id), 100 /* campaigns */) AS campaign_id,
        /* campaign_channel_uniform(campaign_id) */ (idgraph_uniform(42, 801, pmod(idgraph_hash(42, 502, exposure_id), 100 /* campaigns */))) AS u_channel,
        idgraph_uniform(42, 503, exposure_id) AS u_time
      FROM (
        SELECT
          i.individual_id * 64 + x.j AS exposure_id,
          i.individual_id
        FROM (
          SELECT
            individual_id,
            /* exposure_count(individual_id) */ (/* power_law(exposures): n in [0, 63], P(n) ~ (n - -1)^-2.2; x = pow(1 - u * a, b), a = 1 - (K + 1)^(1 - exponent), b = 1 / (1 - exponent), K = 64 */ -1 + least(64, CAST(floor(pow(1.0D - idgraph_uniform(42, 501, individual_id) * 0.9933241899341193D, -0.8333333333333333D)) AS INT))) AS exposure_count
          FROM (
        /* table(individuals): the query of sql/individuals.sql, recomputed (no join) */
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
            idgraph_email_domains(idgraph_hash(42, 205, individual_id))
          ) AS email,
          -- age ~ Normal(age_mean, age_sd) rounded and clipped to [age_min, age_max]
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
            /* choice(gender_weights): thresholds are the cumulative weights */ CASE
              WHEN u_gender < 0.51D THEN 'female'
              WHEN u_gender < 0.99D THEN 'male'
              ELSE 'nonbinary'
            END AS gender,
            idgraph_hash(42, 202, individual_id) AS h_first,
            -- most members share the household's surname (shared_surname_rate), others have their own
            IF(u_surname < 0.8D /* shared_surname_rate */,
               idgraph_hash(42, 204, household_id),
               idgraph_hash(42, 207, individual_id)) AS h_last,
            z_age,
            u_education,
            u_created
          FROM (
            SELECT
              h.household_id * 8 + s.slot AS individual_id,
              h.household_id,
              h.created_at AS household_created_at,
              idgraph_uniform(42, 201, h.household_id * 8 + s.slot) AS u_gender,
              idgraph_uniform(42, 203, h.household_id * 8 + s.slot) AS u_surname,
              idgraph_normal(42, 206, h.household_id * 8 + s.slot) AS z_age,
              idgraph_uniform(42, 208, h.household_id * 8 + s.slot) AS u_education,
              idgraph_uniform(42, 209, h.household_id * 8 + s.slot) AS u_created
            FROM (
            /* table(households): the query of sql/households.sql, recomputed (no join) */
            SELECT
              household_id,
              -- size by the configured shares (US Census CPS); exactly this many individuals exist
              /* choice(household_size_weights): thresholds are the cumulative weights */ CASE
                  WHEN u_size < 0.289D THEN 1
                  WHEN u_size < 0.638D THEN 2
                  WHEN u_size < 0.789D THEN 3
                  WHEN u_size < 0.913D THEN 4
                  WHEN u_size < 0.97D THEN 5
                  WHEN u_size < 0.99D THEN 6
                  WHEN u_size < 0.997D THEN 7
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
        ) i
        -- heavy-tailed exposures per person; sequence(0, -1) is [0, -1], so also keep j < count
        LATERAL VIEW explode(sequence(0, greatest(i.exposure_count - 1, 0))) x AS j
        WHERE x.j < i.exposure_count
      )
    )
  )
  -- a response_rate share of exposures get a response
  WHERE idgraph_uniform(42, 601, exposure_id) < 0.15D /* response_rate */
)

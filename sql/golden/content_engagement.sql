SELECT
  event_id,
  individual_id,
  identifier_type,
  /* identifier_value(mapping_id, identifier_type, email_hash) */ (CASE identifier_type
  WHEN 'email_hash' THEN email_hash
  ELSE idgraph_identifier_text(
    identifier_type,
    idgraph_permute64(42, IF(identifier_type = 'ctv_id', 316, 303), IF(identifier_type = 'ctv_id', (mapping_id) div 2048, mapping_id)),
    idgraph_hash(42, 305, mapping_id))
END) AS identifier_value,
  content_id,
  timestamp_seconds(event_s) AS timestamp,
  -- watched time: a 'complete' event watched the item to (nearly) its end, uniform on
  -- [complete_watch_share, 1) of its length (rounded up); the others uniform on [0, share)
  CAST(IF(engagement_type = 'complete',
          ceil((0.95D /* complete_watch_share */ + u_watched * (1.0D - 0.95D /* complete_watch_share */)) * item_seconds),
          floor(u_watched * 0.95D /* complete_watch_share */ * item_seconds)) AS INT) AS duration_seconds,
  engagement_type
FROM (
  SELECT
    event_id,
    individual_id,
    identifier_type,
    email_hash,
    content_id,
    event_s,
    u_watched,
    /* choice(engagement_type_weights): thresholds are the cumulative weights */ CASE
      WHEN u_engagement < 0.6D THEN 'view'
      WHEN u_engagement < 0.75D THEN 'like'
      WHEN u_engagement < 0.8D THEN 'share'
      ELSE 'complete'
    END AS engagement_type,
    /* content_duration(content_id) */ (CAST(least(10800, greatest(30, floor(exp(ln(1200) + 0.8D * idgraph_normal(42, 702, content_id))))) AS INT)) AS item_seconds,
    -- the generation (cookie id) of the slot that was live at the event's time
    slot_id * 16 + IF(identifier_type = 'cookie_id',
      /* generation_of(first_seen_s, t_s, generations) */ (((event_s) - (first_seen_s)) * (/* cookie_id_count(slot_id) */ (/* power_law(cookie_ids): n in [1, 8], P(n) ~ (n - 0)^-2.6; x = pow(1 - u * a, b), a = 1 - (K + 1)^(1 - exponent), b = 1 / (1 - exponent), K = 8 */ least(8, CAST(floor(pow(1.0D - idgraph_uniform(42, 309, slot_id) * 0.9702688310459174D, -0.625D)) AS INT)))) div (1767225599 /* end_epoch = Unix seconds of end_date 23:59:59 UTC */ + 1 - (first_seen_s))), 0) AS mapping_id
  FROM (
    SELECT
      event_id,
      individual_id,
      slot_id,
      email_hash,
      /* identifier_type(slot_id, identifier_count, u_ctv, personal_type) */ (CASE
  WHEN ((slot_id) & 15) = 0 THEN 'email_hash'
  WHEN ((slot_id) & 15) = (identifier_count) - 1 AND u_ctv < 0.14893933694156727D /* ctv_slot_rate = min(1, w * (E[n] - 1) / P(n >= 2)), w = ctv_id share of identifier_type_weights without email_hash, n ~ identifiers */
       AND /* has_connected_tv(household_id) */ (idgraph_uniform(42, 107, (slot_id) div 128) < 0.8D /* connected_tv_household_rate */) THEN 'ctv_id'
  WHEN personal_type = 'mobile_ad_id' AND /* mobile_ad_id_opt_out(individual_id) */ (idgraph_uniform(42, 210, (slot_id) div 16) < 0.35D /* mobile_ad_id_opt_out_rate */) THEN 'device_id'
  ELSE personal_type
END) AS identifier_type,
      first_seen_s,
      -- after the identifier was first seen, up to the end of the window
      first_seen_s + CAST(floor(u_time * (1767225599 /* end_epoch = Unix seconds of end_date 23:59:59 UTC */ - first_seen_s)) AS BIGINT) AS event_s,
      content_id,
      u_watched,
      u_engagement
    FROM (
      SELECT
        event_id,
        individual_id,
        slot_id,
        email_hash,
        identifier_count,
        first_seen_s,
        u_ctv,
        /* personal_type(u_personal) */ (/* choice(personal_type_weights): thresholds are the cumulative weights of identifier_type_weights without email_hash and ctv_id, renormalised */ CASE
      WHEN u_personal < 0.384615384615D THEN 'cookie_id'
      WHEN u_personal < 0.769230769231D THEN 'mobile_ad_id'
      ELSE 'device_id'
    END) AS personal_type,
        -- popularity rank by a floored power law over the catalog (content_zipf_exponent)
        /* popularity_rank: rank in [1, content_items = 10000], floored power law, P(r) = r^(1-s) - (r+1)^(1-s) normalised, s = content_zipf_exponent (1.0); x = exp(u * ln(K + 1)), K = 10000 */ least(10000, CAST(floor(exp(u_content * 9.210440366976517D)) AS INT)) - 1 AS content_id,
        idgraph_uniform(42, 404, event_id) AS u_time,
        idgraph_uniform(42, 405, event_id) AS u_watched,
        idgraph_uniform(42, 406, event_id) AS u_engagement
      FROM (
        SELECT
          event_id,
          individual_id,
          slot_id,
          email_hash,
          identifier_count,
          unix_seconds(/* observed_at(slot_id, individual_created_at) */ (timestamp_seconds(unix_seconds(individual_created_at) + IF(((slot_id) & 15) = 0, 0L, CAST(floor(idgraph_uniform(42, 306, slot_id) * 94694399 /* window_seconds = end_epoch - start_epoch */ * 0.1D) AS BIGINT))))) AS first_seen_s,
          /* identifier_type_uniform(slot_id) */ (idgraph_uniform(42, 302, slot_id)) AS u_ctv,
          /* personal_type_uniform(slot_id) */ (idgraph_uniform(42, 308, slot_id)) AS u_personal,
          idgraph_uniform(42, 403, event_id) AS u_content
        FROM (
          SELECT
            i.individual_id * 256 + e.j AS event_id,
            i.individual_id,
            -- which of the person's identifiers saw it: k uniform in [0, identifier_count)
            i.individual_id * 16 + pmod(idgraph_hash(42, 402, i.individual_id * 256 + e.j), i.identifier_count) AS slot_id,
            i.email_hash,
            i.identifier_count,
            i.created_at AS individual_created_at
          FROM (
            SELECT
              individual_id,
              created_at,
              identifier_count,
              event_count,
              -- the person's hashed email (the email_hash identifier's value), computed once per
              -- person rather than once per event, and only for people with events
              IF(event_count > 0, sha2(email, 256), NULL) AS email_hash
            FROM (
              SELECT
                individual_id,
                email,
                created_at,
                /* identifier_count(individual_id) */ (/* power_law(identifiers): n in [2, 15], P(n) ~ (n - 1)^-2.3; x = pow(1 - u * a, b), a = 1 - (K + 1)^(1 - exponent), b = 1 / (1 - exponent), K = 14 */ 1 + least(14, CAST(floor(pow(1.0D - idgraph_uniform(42, 301, individual_id) * 0.9704143331045549D, -0.7692307692307694D)) AS INT))) AS identifier_count,
                /* event_count(individual_id) */ (/* power_law(events): n in [0, 255], P(n) ~ (n - -1)^-2.0; x = pow(1 - u * a, b), a = 1 - (K + 1)^(1 - exponent), b = 1 / (1 - exponent), K = 256 */ -1 + least(256, CAST(floor(pow(1.0D - idgraph_uniform(42, 401, individual_id) * 0.9961089494163424D, -1.0D)) AS INT))) AS event_count
              FROM (
    /* table(individuals): the query of sql/individuals.sql, recomputed (no join) */
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
  )
            )
          ) i
          -- heavy-tailed events per person; sequence(0, -1) is [0, -1], so also keep j < count
          LATERAL VIEW explode(sequence(0, greatest(i.event_count - 1, 0))) e AS j
          WHERE e.j < i.event_count
        )
      )
    )
  )
)

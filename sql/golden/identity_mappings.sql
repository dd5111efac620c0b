WITH
-- Step 1, people: every individual of individuals.sql (recomputed from its key, not joined)
-- with its number of identifier slots. Key: individual_id.
people AS (
  SELECT
    individual_id,
    household_id,
    email,
    created_at,
    /* identifier_count(individual_id) */ (/* power_law(identifiers): n in [2, 15], P(n) ~ (n - 1)^-2.3; x = pow(1 - u * a, b), a = 1 - (K + 1)^(1 - exponent), b = 1 / (1 - exponent), K = 14 */ 1 + least(14, CAST(floor(pow(1.0D - idgraph_uniform(42, 301, individual_id) * 0.9704143331045549D, -0.7692307692307694D)) AS INT))) AS identifier_count
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
),
-- Step 2, slot_draws: one row per identifier slot k of a person, with the uniforms its type
-- is drawn from and its first sighting. Key: slot_id = individual_id * 16 + k (k < 16).
slot_draws AS (
  SELECT
    i.individual_id * 16 + s.k AS slot_id,
    i.household_id,
    /* household_size_uniform(household_id) */ (idgraph_uniform(42, 101, i.household_id)) AS u_household_size,
    s.k,
    i.identifier_count,
    -- first sighting of the slot; its generations split the time from here to the end
    unix_seconds(/* observed_at(slot_id, individual_created_at) */ (timestamp_seconds(unix_seconds(i.created_at) + IF(((i.individual_id * 16 + s.k) & 15) = 0, 0L, CAST(floor(idgraph_uniform(42, 306, i.individual_id * 16 + s.k) * 94694399 /* window_seconds = end_epoch - start_epoch */ * 0.1D) AS BIGINT))))) AS first_seen_s,
    i.email,
    /* identifier_type_uniform(slot_id) */ (idgraph_uniform(42, 302, i.individual_id * 16 + s.k)) AS u_ctv,
    /* personal_type_uniform(slot_id) */ (idgraph_uniform(42, 308, i.individual_id * 16 + s.k)) AS u_personal
  FROM people i
  LATERAL VIEW explode(sequence(0, i.identifier_count - 1)) s AS k
),
-- Step 3, slot_choices: the choices made from those uniforms, still per slot. Key: slot_id.
slot_choices AS (
  SELECT
    slot_id,
    household_id,
    -- the household's size, recomputed from its id as households.sql draws it
    /* choice(household_size_weights): thresholds are the cumulative weights */ CASE
      WHEN u_household_size < 0.33D THEN 1
      WHEN u_household_size < 0.8D THEN 2
      WHEN u_household_size < 0.93D THEN 3
      WHEN u_household_size < 0.98D THEN 4
      WHEN u_household_size < 0.995D THEN 5
      WHEN u_household_size < 0.999D THEN 6
      WHEN u_household_size < 0.9997D THEN 7
      ELSE 8
    END AS household_size,
    k,
    identifier_count,
    first_seen_s,
    email,
    u_ctv,
    /* personal_type(u_personal) */ (/* choice(personal_type_weights): thresholds are the cumulative weights of identifier_type_weights without email_hash and ctv_id, renormalised */ CASE
      WHEN u_personal < 0.384615384615D THEN 'cookie_id'
      WHEN u_personal < 0.769230769231D THEN 'mobile_ad_id'
      ELSE 'device_id'
    END) AS personal_type
  FROM slot_draws
),
-- Step 4, slots: the slot's identifier type and, for a cookie, how many cookie ids it goes
-- through. Key: slot_id; its owner is slot_id div 16, its household slot_id div 128.
slots AS (
  SELECT
    slot_id,
    household_id,
    household_size,
    k,
    first_seen_s,
    email,
    /* identifier_type(slot_id, identifier_count, u_ctv, personal_type) */ (CASE
  WHEN ((slot_id) & 15) = 0 THEN 'email_hash'
  WHEN ((slot_id) & 15) = (identifier_count) - 1 AND u_ctv < 0.14893933694156727D /* ctv_slot_rate = min(1, w * (E[n] - 1) / P(n >= 2)), w = ctv_id share of identifier_type_weights without email_hash, n ~ identifiers */
       AND /* has_connected_tv(household_id) */ (idgraph_uniform(42, 107, (slot_id) div 128) < 0.8D /* connected_tv_household_rate */) THEN 'ctv_id'
  WHEN personal_type = 'mobile_ad_id' AND /* mobile_ad_id_opt_out(individual_id) */ (idgraph_uniform(42, 210, (slot_id) div 16) < 0.35D /* mobile_ad_id_opt_out_rate */) THEN 'device_id'
  ELSE personal_type
END) AS identifier_type,
    -- cookie churn: a browser goes through several cookie ids over time (used by cookies only)
    /* cookie_id_count(slot_id) */ (/* power_law(cookie_ids): n in [1, 8], P(n) ~ (n - 0)^-2.6; x = pow(1 - u * a, b), a = 1 - (K + 1)^(1 - exponent), b = 1 / (1 - exponent), K = 8 */ least(8, CAST(floor(pow(1.0D - idgraph_uniform(42, 309, slot_id) * 0.9702688310459174D, -0.625D)) AS INT))) AS cookie_ids
  FROM slot_choices
),
-- Step 5, generations: one row per generation g of a slot (several cookie ids for a cookie
-- slot, one id otherwise), with the noisy layer's draws for it.
-- Key: true_mapping_id = slot_id * 16 + g (g < 8), the mapping_id of the correct link.
generations AS (
  SELECT
    slot_id * 16 + x.g AS true_mapping_id,
    x.g,
    slot_id div 16 AS owner_id,
    household_id,
    household_size,
    k,
    IF(identifier_type = 'cookie_id', cookie_ids, 1) AS generations,
    first_seen_s,
    identifier_type,
    email,
    -- noisy layer: a noise_rate share of personal probabilistic identifiers is also linked
    -- to a wrong person (never an email_hash, never the household-shared CTV id)
    identifier_type IN ('cookie_id', 'mobile_ad_id', 'device_id')
      AND idgraph_uniform(42, 310, slot_id * 16 + x.g) < 0.0D /* noise_rate */
      AND (household_size > 1 OR 100 /* households */ > 1) AS noise_hit,
    -- most wrong links stay in the household (noise_same_household_rate) when it has others
    household_size > 1
      AND (idgraph_uniform(42, 311, slot_id * 16 + x.g) < 0.8D /* noise_same_household_rate */ OR 100 /* households */ = 1) AS same_household,
    -- otherwise a uniformly chosen other household
    pmod(household_id + 1 + pmod(idgraph_hash(42, 313, slot_id * 16 + x.g), greatest(100 /* households */ - 1, 1)), 100 /* households */) AS target_household
  FROM slots
  LATERAL VIEW explode(sequence(0, IF(identifier_type = 'cookie_id', cookie_ids, 1) - 1)) x AS g
),
-- Step 6, links: each generation's correct link (copy 0) plus, when the noise draw hits, its
-- wrong-person copy (copy 1). Key: mapping_id = true_mapping_id + copy * 8. The copy keeps
-- true_mapping_id so its draws below are those of the identifier, not of the copy.
links AS (
  SELECT
    true_mapping_id + n.copy * 8 AS mapping_id,
    true_mapping_id,
    n.copy = 0 AS is_correct,
    owner_id,
    household_id,
    household_size,
    same_household,
    target_household,
    /* household_size_uniform(household_id) */ (idgraph_uniform(42, 101, target_household)) AS u_target_size,
    k,
    g,
    generations,
    first_seen_s,
    identifier_type,
    email
  FROM generations
  LATERAL VIEW explode(sequence(0, IF(noise_hit, 1, 0))) n AS copy
)
-- Output: the linked person, the identifier's text, its confidence and validity interval.
-- Key: mapping_id.
SELECT
  mapping_id,
  CASE
    WHEN is_correct THEN owner_id
    -- a wrong link to another member of the owner's household (a slot other than the owner's)
    WHEN same_household THEN household_id * 8
      + pmod(owner_id % 8 + 1 + pmod(idgraph_hash(42, 312, true_mapping_id), greatest(household_size - 1, 1)), household_size)
    -- or to a member of another household, whose size is recomputed from its id
    ELSE target_household * 8 + pmod(idgraph_hash(42, 314, true_mapping_id), /* choice(household_size_weights): thresholds are the cumulative weights */ CASE
      WHEN u_target_size < 0.33D THEN 1
      WHEN u_target_size < 0.8D THEN 2
      WHEN u_target_size < 0.93D THEN 3
      WHEN u_target_size < 0.98D THEN 4
      WHEN u_target_size < 0.995D THEN 5
      WHEN u_target_size < 0.999D THEN 6
      WHEN u_target_size < 0.9997D THEN 7
      ELSE 8
    END)
  END AS individual_id,
  identifier_type,
  /* identifier_value(mapping_id, identifier_type, email_hash) */ (CASE identifier_type
  WHEN 'email_hash' THEN sha2(email, 256)
  ELSE idgraph_identifier_text(
    identifier_type,
    idgraph_permute64(42, IF(identifier_type = 'ctv_id', 316, 303), IF(identifier_type = 'ctv_id', (true_mapping_id) div 2048, true_mapping_id)),
    idgraph_hash(42, 305, true_mapping_id))
END) AS identifier_value,
  -- email_hash is certain; correct probabilistic links uniform in [confidence_min,
  -- confidence_max], wrong links in [noise_confidence_min, noise_confidence_max]; 3 decimals
  CASE
    WHEN identifier_type = 'email_hash' THEN 1.0D
    WHEN is_correct THEN least(0.95D /* confidence_max */, greatest(0.7D /* confidence_min */,
      floor((0.7D /* confidence_min */ + idgraph_uniform(42, 307, true_mapping_id)
             * (0.95D /* confidence_max */ - 0.7D /* confidence_min */)) * 1000.0D + 0.5D) / 1000.0D))
    ELSE least(0.8D /* noise_confidence_max */, greatest(0.5D /* noise_confidence_min */,
      floor((0.5D /* noise_confidence_min */ + idgraph_uniform(42, 315, true_mapping_id)
             * (0.8D /* noise_confidence_max */ - 0.5D /* noise_confidence_min */)) * 1000.0D + 0.5D) / 1000.0D))
  END AS confidence_score,
  -- validity interval of this generation: [observed_at, last_seen_at], whole seconds
  timestamp_seconds(/* generation_start(first_seen_s, g, generations) */ ((first_seen_s) + ((g) * (1767225599 /* end_epoch = Unix seconds of end_date 23:59:59 UTC */ + 1 - (first_seen_s)) + (generations) - 1) div (generations))) AS observed_at,
  timestamp_seconds(/* generation_start(first_seen_s, g, generations) */ ((first_seen_s) + ((g + 1) * (1767225599 /* end_epoch = Unix seconds of end_date 23:59:59 UTC */ + 1 - (first_seen_s)) + (generations) - 1) div (generations)) - 1) AS last_seen_at,
  is_correct AND k = 0 AS is_primary,
  -- ground truth: false on the injected wrong-person links
  is_correct
FROM links

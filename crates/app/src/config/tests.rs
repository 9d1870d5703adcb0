use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn defaults_match_the_design() {
    let config = Config::load(None, env(&[]), &Overrides::default()).expect("defaults load");

    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.tokens.welcome, 3);
    assert_eq!(config.retention.upload_ttl, Duration::from_secs(86_400));
    assert_eq!(config.accounts.argon2_memory_kib, 19_456);
    assert!(
        config
            .database_url()
            .expose()
            .starts_with("sqlite://atelier-data")
    );
}

#[test]
fn env_overrides_file_and_flags_override_env() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("atelier.toml");
    std::fs::write(&file, "[server]\nlisten = \"0.0.0.0:1\"\n[tokens]\nwelcome = 7\n[retention]\nresult_ttl = \"1h\"\n")
        .expect("write config");
    let vars = env(&[
        ("ATELIER__TOKENS__WELCOME", "5"),
        ("ATELIER__RETENTION__UPLOAD_TTL", "30s"),
        ("ATELIER__DATA_DIR", "/srv/atelier"),
        ("ATELIER__SERVER__LISTEN", "0.0.0.0:2"),
        ("OTHER", "ignored"),
    ]);
    let flags = Overrides {
        listen: Some(SocketAddr::from(([127, 0, 0, 1], 3))),
        data_dir: None,
    };

    let config = Config::load(Some(&file), vars, &flags).expect("layers load");

    assert_eq!(config.tokens.welcome, 5);
    assert_eq!(config.retention.upload_ttl, Duration::from_secs(30));
    assert_eq!(config.retention.result_ttl, Duration::from_secs(3600));
    assert_eq!(config.data_dir, PathBuf::from("/srv/atelier"));
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:3");
}

#[test]
fn unknown_keys_and_bad_durations_are_rejected() {
    let typo = Config::load(
        None,
        env(&[("ATELIER__TOKENS__WELCOM", "5")]),
        &Overrides::default(),
    );
    let bad = Config::load(
        None,
        env(&[("ATELIER__RETENTION__UPLOAD_TTL", "soon")]),
        &Overrides::default(),
    );

    assert!(matches!(typo, Err(ConfigError::Invalid(_))));
    assert!(matches!(bad, Err(ConfigError::Invalid(_))));
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let vars = env(&[
        ("ATELIER__STRIPE__SECRET_KEY", "sk_test_123"),
        ("ATELIER__SMTP__URL", "smtp://u:pw@host"),
    ]);

    let config = Config::load(None, vars, &Overrides::default()).expect("loads");
    let printed = format!("{config:?}");

    assert!(!printed.contains("sk_test_123"));
    assert!(!printed.contains("pw@host"));
    assert!(printed.contains("[redacted]"));
}

#[test]
fn trusted_proxies_come_as_a_list_or_a_comma_separated_variable() {
    let from_env = Config::load(
        None,
        env(&[(
            "ATELIER__SERVER__TRUSTED_PROXIES",
            "10.0.0.0/8, 127.0.0.1,::1",
        )]),
        &Overrides::default(),
    )
    .expect("loads");
    let bad = Config::load(
        None,
        env(&[("ATELIER__SERVER__TRUSTED_PROXIES", "10.0.0.0/8,proxy.local")]),
        &Overrides::default(),
    );

    let shown: Vec<String> = from_env
        .server
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
    assert!(Config::default().server.trusted_proxies.is_empty());
    assert!(matches!(bad, Err(ConfigError::Invalid(_))));
}

#[test]
fn stripe_is_off_by_default_with_three_packs_of_half_a_year() {
    let config = Config::load(None, env(&[]), &Overrides::default()).expect("defaults load");

    assert!(config.stripe.secret_key.is_none());
    assert_eq!(config.stripe.api_base, "https://api.stripe.com");
    let sizes: Vec<u32> = config.stripe.packs.iter().map(|p| p.tokens).collect();
    assert_eq!(sizes, [5, 15, 45]);
    assert!(config.stripe.packs.iter().all(|p| p.valid_days == 182));
}

#[test]
fn stripe_keys_come_from_env_and_packs_from_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("atelier.toml");
    std::fs::write(
        &file,
        "[[stripe.packs]]\nid = \"ten\"\ntokens = 10\namount = 1000\ncurrency = \"jpy\"\n",
    )
    .expect("write config");
    let vars = env(&[
        ("ATELIER__STRIPE__SECRET_KEY", "sk_test_1"),
        ("ATELIER__STRIPE__WEBHOOK_SECRET", "whsec_1"),
        ("ATELIER__STRIPE__API_BASE", "http://127.0.0.1:9"),
    ]);

    let config = Config::load(Some(&file), vars, &Overrides::default()).expect("loads");

    assert_eq!(
        config.stripe.secret_key.as_ref().map(Secret::expose),
        Some("sk_test_1")
    );
    assert_eq!(config.stripe.api_base, "http://127.0.0.1:9");
    assert_eq!(config.stripe.packs.len(), 1);
    assert_eq!(config.stripe.packs[0].valid_days, 182);
}

#[test]
fn bad_packs_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    for pack in [
        "id = \"a\"\ntokens = 0\namount = 100\ncurrency = \"eur\"",
        "id = \"a\"\ntokens = 1\namount = -5\ncurrency = \"eur\"",
        "id = \"a\"\ntokens = 1\namount = 100\ncurrency = \"EURO\"",
        "id = \"a b\"\ntokens = 1\namount = 100\ncurrency = \"eur\"",
    ] {
        let file = dir.path().join("atelier.toml");
        std::fs::write(&file, format!("[[stripe.packs]]\n{pack}\n")).expect("write config");

        let loaded = Config::load(Some(&file), env(&[]), &Overrides::default());

        assert!(matches!(loaded, Err(ConfigError::Invalid(_))), "{pack}");
    }
    let twice = dir.path().join("twice.toml");
    let one = "[[stripe.packs]]\nid = \"a\"\ntokens = 1\namount = 100\ncurrency = \"eur\"\n";
    std::fs::write(&twice, format!("{one}{one}")).expect("write config");
    let loaded = Config::load(Some(&twice), env(&[]), &Overrides::default());
    assert!(matches!(loaded, Err(ConfigError::Invalid(_))));
}

#[test]
fn postgres_role_settings_come_from_env_as_strings() {
    let vars = env(&[
        ("ATELIER__DATABASE__URL", "postgres://owner@db/atelier"),
        ("ATELIER__DATABASE__APP_ROLE", "web"),
        ("ATELIER__DATABASE__APP_PASSWORD", "12345"),
        ("ATELIER__DATABASE__SYSTEM_ROLE", "2024"),
    ]);

    let config = Config::load(None, vars, &Overrides::default()).expect("loads");

    let database = &config.database;
    assert_eq!(database.app_role.as_deref(), Some("web"));
    assert_eq!(
        database.app_password.as_ref().map(Secret::expose),
        Some("12345")
    );
    assert_eq!(database.system_role.as_deref(), Some("2024"));
    assert_eq!(database.system_password, None);
    assert!(!format!("{config:?}").contains("12345"));
}

#[test]
fn lot_details_and_analytics_retention_default_and_come_from_env() {
    let defaults = Config::load(None, env(&[]), &Overrides::default()).expect("defaults load");
    let vars = env(&[
        ("ATELIER__RETENTION__EXPIRED_LOT_TTL", "30days"),
        ("ATELIER__RETENTION__ANALYTICS_TTL", "365days"),
    ]);

    let config = Config::load(None, vars, &Overrides::default()).expect("env loads");

    assert_eq!(defaults.retention.expired_lot_ttl, Duration::ZERO);
    assert_eq!(
        defaults.retention.analytics_ttl,
        Duration::from_secs(730 * 86_400)
    );
    assert_eq!(
        config.retention.expired_lot_ttl,
        Duration::from_secs(30 * 86_400)
    );
    assert_eq!(
        config.retention.analytics_ttl,
        Duration::from_secs(365 * 86_400)
    );
}

#[test]
fn the_public_url_defaults_to_the_listen_address_and_must_be_http() {
    let defaults = Config::load(None, env(&[]), &Overrides::default()).expect("defaults");
    let set = Config::load(
        None,
        env(&[
            ("ATELIER__SERVER__PUBLIC_URL", "https://atelier.example/"),
            ("ATELIER__RETENTION__UNCONFIRMED_TTL", "2days"),
        ]),
        &Overrides::default(),
    )
    .expect("set");
    let bad = |url: &str| {
        Config::load(
            None,
            env(&[("ATELIER__SERVER__PUBLIC_URL", url)]),
            &Overrides::default(),
        )
        .is_err()
    };

    assert_eq!(defaults.public_url(), "http://127.0.0.1:8080");
    assert_eq!(
        defaults.retention.unconfirmed_ttl,
        Duration::from_secs(30 * 86_400)
    );
    assert_eq!(set.public_url(), "https://atelier.example");
    assert_eq!(
        set.retention.unconfirmed_ttl,
        Duration::from_secs(2 * 86_400)
    );
    assert!(bad("ftp://atelier.example"));
    assert!(bad("atelier.example"));
    assert!(bad("https://atelier.example/?next=1"));
}

#[test]
fn saving_is_off_by_default_and_env_turns_it_on_with_a_ttl_or_none() {
    let defaults = Config::load(None, env(&[]), &Overrides::default()).expect("defaults load");
    let on = env(&[
        ("ATELIER__RETENTION__ALLOW_SAVE", "true"),
        ("ATELIER__RETENTION__SAVED_TTL", "7days"),
    ]);
    let forever = env(&[
        ("ATELIER__RETENTION__ALLOW_SAVE", "true"),
        ("ATELIER__RETENTION__SAVED_TTL", "none"),
    ]);

    let on = Config::load(None, on, &Overrides::default()).expect("env loads");
    let forever = Config::load(None, forever, &Overrides::default()).expect("env loads");

    assert!(!defaults.retention.allow_save);
    assert_eq!(
        defaults.retention.saved_ttl,
        Some(Duration::from_secs(30 * 86_400))
    );
    assert!(on.retention.allow_save);
    assert_eq!(
        on.retention.saved_ttl,
        Some(Duration::from_secs(7 * 86_400))
    );
    assert_eq!(forever.retention.saved_ttl, None);
    let bad = env(&[("ATELIER__RETENTION__SAVED_TTL", "forever")]);
    assert!(Config::load(None, bad, &Overrides::default()).is_err());
}

#[test]
fn plans_come_from_the_file_and_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("atelier.toml");
    let plan = "[[stripe.plans]]\nid = \"monthly-20\"\nname = \"Monthly 20\"\ntokens = 20\n\
                amount = 900\ncurrency = \"eur\"\ninterval = \"month\"\n";
    std::fs::write(&file, plan).expect("write config");

    let config = Config::load(Some(&file), env(&[]), &Overrides::default()).expect("loads");

    assert!(
        Config::load(None, env(&[]), &Overrides::default())
            .expect("defaults")
            .stripe
            .plans
            .is_empty()
    );
    let plans = &config.stripe.plans;
    assert_eq!(plans.len(), 1);
    assert_eq!(
        (plans[0].id.as_str(), plans[0].tokens, plans[0].amount),
        ("monthly-20", 20, 900)
    );
    assert_eq!(plans[0].interval, crate::config::PlanInterval::Month);
    for bad in [
        plan.replace("interval = \"month\"", "interval = \"week\""),
        plan.replace("tokens = 20", "tokens = 0"),
        plan.replace("\"eur\"", "\"EUR\""),
        plan.replace("name = \"Monthly 20\"", "name = \"\""),
        format!("{plan}{plan}"),
    ] {
        std::fs::write(&file, &bad).expect("write config");
        assert!(
            Config::load(Some(&file), env(&[]), &Overrides::default()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn support_answer_times_default_to_two_days_and_eight_hours_and_follow_env() {
    let defaults = Config::load(None, env(&[]), &Overrides::default()).expect("defaults");
    let vars = env(&[
        ("ATELIER__SUPPORT__RESPONSE_HOURS", "24"),
        ("ATELIER__SUPPORT__URGENT_RESPONSE_HOURS", "2"),
    ]);

    let config = Config::load(None, vars, &Overrides::default()).expect("env loads");

    assert_eq!(
        (
            defaults.support.response_hours_for(false),
            defaults.support.response_hours_for(true)
        ),
        (48, 8)
    );
    assert_eq!(
        (
            config.support.response_hours,
            config.support.urgent_response_hours
        ),
        (24, 2)
    );
}

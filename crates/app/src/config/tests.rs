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

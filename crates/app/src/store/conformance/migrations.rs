//! The two schemas stay in step: every migration number means the same change in
//! `migrations/sqlite` and `migrations/postgres`, and each back-end embeds all of its files.

use std::collections::BTreeMap;
use std::path::Path;

use crate::store::{postgres, sqlite};

/// File name by migration number, from `migrations/<backend>`.
fn migration_files(backend: &str) -> BTreeMap<i64, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(backend);
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("read migrations folder") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        let number: i64 = stem
            .split('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{backend}/{name} does not start with a number"));
        let clash = files.insert(number, name.clone());
        assert!(
            clash.is_none(),
            "two {backend} migrations numbered {number}"
        );
    }
    files
}

#[test]
fn every_sqlite_migration_has_a_postgres_twin_and_back() {
    let sqlite_files = migration_files("sqlite");
    let postgres_files = migration_files("postgres");

    for (number, name) in &sqlite_files {
        assert_eq!(
            postgres_files.get(number),
            Some(name),
            "migrations/sqlite/{name} has no twin migrations/postgres/{name}"
        );
    }
    assert_eq!(sqlite_files, postgres_files);
}

#[test]
fn each_back_end_embeds_every_migration_under_the_same_number_and_name() {
    let embedded = |list: &[(i64, &str, &str)]| {
        list.iter()
            .map(|(n, description, _)| (*n, description.to_string()))
            .collect::<Vec<_>>()
    };
    let files: Vec<i64> = migration_files("sqlite").into_keys().collect();

    assert_eq!(embedded(sqlite::MIGRATIONS), embedded(postgres::MIGRATIONS));
    let numbers: Vec<i64> = sqlite::MIGRATIONS.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(
        numbers, files,
        "an SQL file is not embedded (or the other way round)"
    );
}

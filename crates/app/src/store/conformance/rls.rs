//! The second wall on PostgreSQL (docs/architecture.md, "Where each rule lives"): connected as the
//! app role with user A's id set, raw `SELECT`, `UPDATE` and `DELETE` on each user-owned table see
//! and touch none of user B's rows; with no user set they see nothing. Runs when
//! `ATELIER_TEST_POSTGRES_URL` is set.

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::{Backend, DAY, TestStore, lot, postgres, test_user};
use crate::domain::{JobId, ResultId, Timestamp, UploadId, UserScope};
use crate::store::postgres::GRANTS;
use crate::store::{
    AccessEntry, Claim, ConsentSource, NewAccountToken, NewJob, NewSession, PrivacyChange,
    ResultRecord, TokenPurpose, Upload,
};

/// Every user-owned table and its owner column.
pub(super) const USER_TABLES: &[(&str, &str)] = &[
    ("users", "id"),
    ("sessions", "user_id"),
    ("account_tokens", "user_id"),
    ("token_lots", "user_id"),
    ("token_ledger", "user_id"),
    ("uploads", "user_id"),
    ("jobs", "user_id"),
    ("results", "user_id"),
    ("access_log", "user_id"),
    ("consents", "user_id"),
    ("export_requests", "user_id"),
    ("usage_events", "user_id"),
    ("api_keys", "user_id"),
    ("idempotency_keys", "user_id"),
    ("support_tickets", "user_id"),
    ("support_messages", "user_id"),
    ("abuse_reports", "user_id"),
];

const HOUR: Duration = Duration::from_secs(3600);

/// Gives `user` a row in every user-owned table, through the store.
pub(super) async fn seed(db: &TestStore, user: UserScope) {
    let (store, id, now) = (db.store.as_ref(), user.user_id(), Timestamp::now());
    let hash = format!("{id}-token");
    let session = NewSession {
        token_hash: hash.clone(),
        user_id: id,
        created_at: now,
        expires_at: now.plus(HOUR),
    };
    store.create_session(session).await.expect("session");
    let token = NewAccountToken {
        token_hash: hash,
        user_id: id,
        purpose: TokenPurpose::PasswordReset,
        new_email: None,
        created_at: now,
        expires_at: now.plus(HOUR),
    };
    store
        .create_account_token(&token)
        .await
        .expect("account token");
    store
        .grant_tokens(id, lot(5, now, DAY))
        .await
        .expect("grant");
    let upload_id = UploadId::new();
    let upload = Upload {
        id: upload_id,
        user_id: id,
        blob_key: format!("uploads/{upload_id}"),
        width: 8,
        height: 8,
        faces: 0,
        created_at: now,
        expires_at: now.plus(HOUR),
    };
    store.insert_upload(user, &upload).await.expect("upload");
    let report = crate::store::NewReport {
        id: crate::domain::ReportId::new(),
        kind: crate::store::ReportedKind::Upload,
        item_id: upload_id.as_uuid(),
        reason: crate::store::ReportReason::Consent,
        details: "seed".into(),
        created_at: now,
    };
    store.create_report(user, &report).await.expect("report");
    let new_job = |id| NewJob {
        id,
        upload_id: Some(upload_id),
        style: "anime".into(),
        intensity: 1.0,
        seed: 3,
        cost: 1,
        prompt: None,
    };
    let done = store
        .enqueue_job(user, new_job(JobId::new()), now)
        .await
        .expect("enqueue");
    let claim = Claim {
        worker: "w".into(),
        lease: HOUR,
        per_user_concurrency: 1,
        max_attempts: 1,
    };
    let claimed = store
        .claim_next_job(&claim, now)
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(claimed.id, done.id);
    let record = ResultRecord {
        id: ResultId::new(),
        job_id: done.id,
        user_id: id,
        blob_key: format!("results/{}", done.id),
        width: 8,
        height: 8,
        created_at: now,
        expires_at: now.plus(HOUR),
        saved_at: None,
        saved_until: None,
        deletes_at: None,
    };
    store
        .complete_job(done.id, "w", &record, now)
        .await
        .expect("complete");
    let entry = AccessEntry {
        at: now,
        ip: None,
        user_agent: None,
        method: "GET".into(),
        route: "/".into(),
        status: 200,
        user_id: Some(id),
    };
    store.record_access(&entry).await.expect("access log");
    let change = PrivacyChange {
        marketing_opt_in: Some(true),
        ..PrivacyChange::default()
    };
    store
        .set_privacy(user, &change, ConsentSource::Api, now)
        .await
        .expect("consent");
    store
        .create_export(user, crate::domain::ExportId::new(), now, now.plus(HOUR))
        .await
        .expect("export request");
    store
        .record_usage(id, crate::store::UsageKind::Upload, None, now)
        .await
        .expect("usage event");
    let key = crate::store::NewApiKey {
        id: crate::domain::ApiKeyId::new(),
        name: "seed".into(),
        token_hash: format!("{id}-key"),
        prefix: "atl_000000".into(),
        created_at: now,
    };
    store.create_api_key(user, &key, 10).await.expect("api key");
    store
        .claim_idempotency_key(user, "seed", "f", now, now, now)
        .await
        .expect("idempotency key");
    let ticket = store
        .create_ticket(Some(user), &super::support::new_ticket("seed", false))
        .await
        .expect("ticket");
    store
        .reply_to_ticket(ticket.id, "staff reply", now)
        .await
        .expect("ticket reply");
}

/// Rows of `table` owned by `owner`, counted by the server's admin (who bypasses RLS).
pub(super) async fn rows_of(
    admin: &mut PgConnection,
    table: &str,
    column: &str,
    owner: UserScope,
) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(owner.user_id().as_uuid())
        .fetch_one(admin)
        .await
        .expect("count as admin")
}

/// Runs `sql` (binding `owner`) as the app role in one transaction with `app.user_id` set to
/// `acting` (or unset): the rows it returned or changed, or `None` when the role lacks the
/// privilege altogether (which touches nothing either).
async fn as_app(
    conn: &mut PgConnection,
    acting: Option<UserScope>,
    sql: &str,
    owner: UserScope,
) -> Option<u64> {
    let mut tx = conn.begin().await.expect("begin");
    if let Some(user) = acting {
        sqlx::query("SELECT set_config('app.user_id', $1, true)")
            .bind(user.user_id().to_string())
            .execute(&mut *tx)
            .await
            .expect("set user");
    }
    let outcome = if sql.starts_with("SELECT") {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        sqlx::query_scalar::<_, i64>(sql)
            .bind(owner.user_id().as_uuid())
            .fetch_one(&mut *tx)
            .await
            .map(|n| u64::try_from(n).expect("a count"))
    } else {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        sqlx::query(sql)
            .bind(owner.user_id().as_uuid())
            .execute(&mut *tx)
            .await
            .map(|d| d.rows_affected())
    };
    match outcome {
        Ok(n) => {
            tx.commit().await.expect("commit");
            Some(n)
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => None,
        Err(other) => panic!("{sql}: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_role_sees_and_touches_none_of_another_users_rows() {
    let Some(db) = postgres().await else { return };
    let Backend::Postgres(pg) = &db.backend else {
        panic!("a PostgreSQL store")
    };
    let (alice, bob) = (
        test_user(db.store.as_ref(), "alice").await,
        test_user(db.store.as_ref(), "bob").await,
    );
    seed(&db, alice).await;
    seed(&db, bob).await;
    let mut admin = PgConnection::connect(&pg.url).await.expect("admin");
    let mut app = pg.connect_as(&pg.app_role()).await;

    for (table, column) in USER_TABLES {
        let bobs_before = rows_of(&mut admin, table, column, bob).await;
        let count = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
        let update = format!("UPDATE {table} SET {column} = {column} WHERE {column} = $1");
        let delete = format!("DELETE FROM {table} WHERE {column} = $1");
        let everything = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1 OR true");

        let own = as_app(&mut app, Some(alice), &count, alice).await;
        let seen = as_app(&mut app, Some(alice), &count, bob).await;
        let all = as_app(&mut app, Some(alice), &everything, bob).await;
        let updated = as_app(&mut app, Some(alice), &update, bob).await;
        let deleted = as_app(&mut app, Some(alice), &delete, bob).await;
        let anonymous = as_app(&mut app, None, &everything, bob).await;

        assert!(bobs_before > 0, "{table}: bob has rows to protect");
        assert_eq!(seen.unwrap_or(0), 0, "{table}: alice sees bob's rows");
        assert_eq!(updated.unwrap_or(0), 0, "{table}: alice updates bob's rows");
        assert_eq!(deleted.unwrap_or(0), 0, "{table}: alice deletes bob's rows");
        assert_eq!(
            anonymous.unwrap_or(0),
            0,
            "{table}: rows seen with no user set"
        );
        assert_eq!(all, own, "{table}: alice sees exactly her own rows");
        assert_eq!(
            rows_of(&mut admin, table, column, bob).await,
            bobs_before,
            "{table}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_role_cannot_write_rows_for_another_user() {
    let Some(db) = postgres().await else { return };
    let Backend::Postgres(pg) = &db.backend else {
        panic!("a PostgreSQL store")
    };
    let (alice, bob) = (
        test_user(db.store.as_ref(), "alice").await,
        test_user(db.store.as_ref(), "bob").await,
    );
    let mut app = pg.connect_as(&pg.app_role()).await;
    let insert =
        "INSERT INTO uploads (id, user_id, blob_key, width, height, faces, created_at, expires_at)
                  VALUES (gen_random_uuid(), $1, 'k', 1, 1, 0, 0, 0)";

    let for_bob = as_app(&mut app, Some(alice), insert, bob).await;
    let for_herself = as_app(&mut app, Some(alice), insert, alice).await;

    assert_eq!(
        for_bob, None,
        "the policy's WITH CHECK refuses another owner"
    );
    assert_eq!(for_herself, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_has_row_security_and_grants_and_no_role_may_rewrite_the_ledger() {
    let Some(db) = postgres().await else { return };
    let Backend::Postgres(pg) = &db.backend else {
        panic!("a PostgreSQL store")
    };
    let mut admin = PgConnection::connect(&pg.url).await.expect("admin");
    let tables: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT relname::text, relrowsecurity, relforcerowsecurity FROM pg_class
         WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
           AND relname <> '_sqlx_migrations' ORDER BY relname",
    )
    .fetch_all(&mut admin)
    .await
    .expect("tables");
    let mut listed: Vec<&str> = GRANTS.iter().map(|(t, _, _)| *t).collect();
    listed.sort_unstable();

    let names: Vec<&str> = tables.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(names, listed, "a table is missing from access::GRANTS");
    for (table, enabled, forced) in &tables {
        assert!(
            enabled & forced,
            "{table} lacks ENABLE/FORCE ROW LEVEL SECURITY"
        );
    }
    let unsafe_roles: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_roles WHERE rolname IN ($1, $2) AND (rolsuper OR rolbypassrls)",
    )
    .bind(pg.app_role())
    .bind(pg.system_role())
    .fetch_one(&mut admin)
    .await
    .expect("roles");
    assert_eq!(unsafe_roles, 0);
    for role in [pg.app_role(), pg.system_role()] {
        let mut conn = pg.connect_as(&role).await;
        for sql in [
            "UPDATE token_ledger SET amount = amount",
            "DELETE FROM token_ledger",
        ] {
            let refused = sqlx::query(sql).execute(&mut conn).await;
            assert!(refused.is_err(), "{role} may run {sql}");
        }
    }
}

//! The admin console through the real router: each action does what it says and leaves
//! exactly its audit entry (actor, action, subject, detail) written before it took effect;
//! each view is audited; the dashboard draws its charts. Jobs and refunds are in
//! `admin_jobs_tests.rs`, on the fixture here.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};

use super::{Page, get, post_form, send};
use crate::domain::{Role, Timestamp, UserId, UserScope};
use crate::http::{AppState, app};
use crate::store::{AccountStatus, AdminAction};
use crate::testing::{TestApp, test_app};

pub(super) struct Console {
    pub test: TestApp,
    pub router: Router,
    pub admin: UserId,
    pub cookie: String,
}

pub(super) async fn console_on(test: TestApp) -> Console {
    let router = app(AppState::new(test.services.clone()));
    let (admin, token) = test.session("root").await;
    test.services
        .store
        .set_role_and_status(admin, Role::Admin, AccountStatus::Active)
        .await
        .expect("promote");
    let cookie = format!("{}={token}", crate::http::session::COOKIE_PLAIN);
    Console {
        test,
        router,
        admin,
        cookie,
    }
}

pub(super) async fn console() -> Console {
    console_on(test_app().await).await
}

impl Console {
    pub(super) async fn get(&self, path: &str) -> Page {
        send(&self.router, get(path, Some(&self.cookie))).await
    }

    pub(super) async fn post(&self, path: &str, form: &str) -> Page {
        let mut request: Request<Body> = post_form(path, form, "same-origin");
        let cookie = HeaderValue::from_str(&self.cookie).expect("cookie header");
        request.headers_mut().insert(header::COOKIE, cookie);
        send(&self.router, request).await
    }

    pub(super) async fn audit_log(&self) -> Vec<AdminAction> {
        self.test
            .services
            .store
            .admin_actions(100)
            .await
            .expect("audit log")
    }

    /// Runs `act` and returns the audit entries it added, oldest first.
    pub(super) async fn audited<F: Future<Output = Page>>(
        &self,
        act: F,
    ) -> (Page, Vec<AdminAction>) {
        let before = self.audit_log().await.len();
        let page = act.await;
        let mut added = self.audit_log().await;
        added.truncate(added.len() - before);
        added.reverse();
        (page, added)
    }

    pub(super) async fn balance(&self, user: UserId) -> i64 {
        let scope = UserScope::trusted(user, Role::User);
        let store = &self.test.services.store;
        store
            .balance(scope, Timestamp::now())
            .await
            .expect("balance")
    }

    pub(super) fn entry(
        &self,
        action: &str,
        subject: UserId,
        detail: &str,
    ) -> (String, String, Option<UserId>, String) {
        (
            self.admin.to_string(),
            action.into(),
            Some(subject),
            detail.into(),
        )
    }
}

pub(super) fn summary(entries: &[AdminAction]) -> Vec<(String, String, Option<UserId>, String)> {
    entries
        .iter()
        .map(|e| {
            (
                e.actor.clone(),
                e.action.clone(),
                e.subject,
                e.detail.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn granting_and_revoking_change_the_balance_and_each_leave_their_audit_entry() {
    let c = console().await;
    let (ada, _) = c.test.session("ada").await;
    let page = format!("/admin/users/{ada}");

    let (granted, grant_log) = c
        .audited(c.post(
            &format!("{page}/grant"),
            "tokens=5&note=sorry+for+the+outage",
        ))
        .await;
    let after_grant = c.balance(ada).await;
    let (revoked, revoke_log) = c
        .audited(c.post(&format!("{page}/revoke"), "tokens=6"))
        .await;
    let after_revoke = c.balance(ada).await;
    let (too_many, too_many_log) = c
        .audited(c.post(&format!("{page}/revoke"), "tokens=50"))
        .await;
    let (nonsense, _) = c
        .audited(c.post(&format!("{page}/grant"), "tokens=lots"))
        .await;
    let shown = c.get(&format!("{page}?done=grant")).await;

    assert_eq!(granted.status, StatusCode::SEE_OTHER);
    assert_eq!(granted.location, Some(format!("{page}?done=grant")));
    assert_eq!((after_grant, after_revoke), (3 + 5, 8 - 6));
    assert_eq!(
        summary(&grant_log),
        [c.entry("grant", ada, "5 tokens; note: sorry for the outage")]
    );
    assert_eq!(revoked.location, Some(format!("{page}?done=revoke")));
    assert_eq!(summary(&revoke_log), [c.entry("revoke", ada, "6 tokens")]);
    assert_eq!(
        too_many.location,
        Some(format!("{page}?error=fewer-tokens"))
    );
    assert!(too_many_log.is_empty(), "a refused action is not logged");
    assert_eq!(c.balance(ada).await, 2);
    assert_eq!(nonsense.location, Some(format!("{page}?error=amount")));
    assert!(
        shown.html.contains("The tokens were granted."),
        "{}",
        shown.html
    );
    assert!(shown.html.contains("ada@example.org") && shown.html.contains("<dd>2</dd>"));
    assert!(shown.html.contains("class=\"admin-nav\""));
}

#[tokio::test]
async fn suspending_signs_the_user_out_and_stops_sign_in_until_restored() {
    let c = console().await;
    let (ada, token) = c.test.session("ada").await;
    let ada_cookie = format!("{}={token}", crate::http::session::COOKIE_PLAIN);
    let page = format!("/admin/users/{ada}");
    let accounts = &c.test.services.accounts;
    let sign_in = || accounts.sign_in("ada@example.org", "a sturdy passphrase");

    let (suspended, suspend_log) = c.audited(c.post(&format!("{page}/suspend"), "")).await;
    let signed_out = send(&c.router, get("/account", Some(&ada_cookie))).await;
    let while_suspended = sign_in().await;
    let (restored, restore_log) = c.audited(c.post(&format!("{page}/restore"), "")).await;
    let after_restore = sign_in().await;
    let (banned, ban_log) = c.audited(c.post(&format!("{page}/ban"), "")).await;
    let while_banned = sign_in().await;

    assert_eq!(suspended.location, Some(format!("{page}?done=suspend")));
    assert_eq!(
        summary(&suspend_log),
        [c.entry("suspend", ada, "status suspended")]
    );
    assert_eq!(signed_out.location.as_deref(), Some("/signin"));
    assert!(while_suspended.is_err());
    assert_eq!(restored.location, Some(format!("{page}?done=restore")));
    assert_eq!(
        summary(&restore_log),
        [c.entry("restore", ada, "status active")]
    );
    assert!(after_restore.is_ok());
    assert_eq!(banned.location, Some(format!("{page}?done=ban")));
    assert_eq!(summary(&ban_log), [c.entry("ban", ada, "status banned")]);
    assert!(while_banned.is_err());
}

#[tokio::test]
async fn an_admin_cannot_suspend_or_ban_themselves() {
    let c = console().await;
    let page = format!("/admin/users/{}", c.admin);

    let (suspend, suspend_log) = c.audited(c.post(&format!("{page}/suspend"), "")).await;
    let (ban, ban_log) = c.audited(c.post(&format!("{page}/ban"), "")).await;
    let still = c.get("/admin").await;

    assert_eq!(suspend.location, Some(format!("{page}?error=yourself")));
    assert_eq!(ban.location, Some(format!("{page}?error=yourself")));
    assert!(suspend_log.is_empty() && ban_log.is_empty());
    assert_eq!(still.status, StatusCode::OK);
}

#[tokio::test]
async fn each_view_is_audited_and_the_dashboard_draws_accessible_charts() {
    let c = console().await;
    let (ada, _) = c.test.session("ada").await;
    c.test
        .services
        .sweeper()
        .sweep_and_record()
        .await
        .expect("sweep");
    let earlier = crate::store::SweepRun {
        started_at: Timestamp::from_millis(1_000),
        finished_at: Timestamp::from_millis(2_500),
        removed: vec![("upload".into(), 3), ("mystery".into(), 1)],
        error: Some("storage unreachable".into()),
    };
    let store = &c.test.services.store;
    store.record_sweep_run(&earlier, 100).await.expect("record");

    let (dashboard, dashboard_log) = c.audited(c.get("/admin")).await;
    let (users, users_log) = c.audited(c.get("/admin/users?q=ADA")).await;
    let (user, user_log) = c.audited(c.get(&format!("/admin/users/{ada}"))).await;
    let (jobs, jobs_log) = c.audited(c.get("/admin/jobs")).await;
    let (purchases, purchases_log) = c.audited(c.get("/admin/purchases")).await;

    let actions = |log: &[AdminAction]| {
        summary(log)
            .into_iter()
            .map(|e| (e.1, e.2))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        actions(&dashboard_log),
        [("view-dashboard".to_owned(), None)]
    );
    assert_eq!(actions(&users_log), [("view-users".to_owned(), None)]);
    assert_eq!(
        users_log[0].detail, "search, page 0",
        "the search text is not logged"
    );
    assert_eq!(actions(&user_log), [("view-user".to_owned(), Some(ada))]);
    assert_eq!(actions(&jobs_log), [("view-jobs".to_owned(), None)]);
    assert_eq!(
        actions(&purchases_log),
        [("view-purchases".to_owned(), None)]
    );
    for page in [&dashboard, &users, &user, &jobs, &purchases] {
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("class=\"admin-nav\""));
        assert!(!page.html.contains("style="), "no inline style (CSP)");
    }
    assert_eq!(dashboard.html.matches("<svg").count(), 4);
    assert!(
        dashboard
            .html
            .contains("role=\"img\" aria-label=\"Sign-ups per day\"")
    );
    assert!(
        dashboard.html.contains("<th scope=\"row\">"),
        "each chart has its table"
    );
    assert!(dashboard.html.contains("Retention sweeper: latest runs"));
    assert!(!dashboard.html.contains("The sweeper has not run yet."));
    assert!(
        dashboard.html.contains("<td>nothing</td>"),
        "the sweep just run"
    );
    assert!(
        dashboard
            .html
            .contains("<td>1.5</td><td>uploads: 3, mystery 1</td><td>storage unreachable</td>"),
        "{}",
        dashboard.html
    );
    assert!(users.html.contains("ada@example.org") && !users.html.contains("root@example.org"));
}

#[tokio::test]
async fn the_user_search_pages_fifty_accounts_at_a_time() {
    let c = console().await;
    let store = &c.test.services.store;
    for n in 0..51 {
        let user = crate::store::NewUser {
            id: UserId::new(),
            email: crate::domain::Email::parse(&format!("p{n}@example.net")).expect("e-mail"),
            password_hash: "not-a-hash".into(),
            guardian_consent: false,
            wrapped_key: vec![0; 60],
            locale: None,
            created_at: Timestamp::from_millis(1_000 + n),
        };
        store.create_user(user, None).await.expect("create");
    }

    let first = c.get("/admin/users?q=example.net").await;
    let second = c.get("/admin/users?q=example.net&page=1").await;

    assert_eq!(first.html.matches("@example.net</a>").count(), 50);
    let next = first.html.split("rel=\"next\"").next().unwrap_or_default();
    assert!(next.ends_with("page=1\" "), "{}", first.html);
    assert!(!first.html.contains("rel=\"prev\""));
    assert_eq!(second.html.matches("@example.net</a>").count(), 1);
    assert!(
        second.html.contains("p0@example.net"),
        "the oldest comes last"
    );
    assert!(second.html.contains("rel=\"prev\"") && !second.html.contains("rel=\"next\""));
}

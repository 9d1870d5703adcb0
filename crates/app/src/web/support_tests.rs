//! The support center through the real router: the questions page with this server's
//! settings, the contact form for users and visitors (ticket stored, confirmation mailed in
//! the submitter's language with the number and the answer time), its errors, job
//! references, each user's own tickets, and tickets in the data export and erasure.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};

use super::{Page, get, post_form, send};
use crate::domain::{JobId, Timestamp, UserScope};
use crate::http::{AppState, app};
use crate::store::{NewJob, TicketFilter};
use crate::testing::{TestApp, photo_png, test_app, test_app_with, test_config};

pub(super) fn cookie(token: &str) -> String {
    format!("{}={token}", crate::http::session::COOKIE_PLAIN)
}

pub(super) fn with(mut request: Request<Body>, cookie: Option<&str>, lang: &str) -> Request<Body> {
    let headers = request.headers_mut();
    if let Some(cookie) = cookie {
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(cookie).expect("cookie"),
        );
    }
    headers.insert(
        header::ACCEPT_LANGUAGE,
        HeaderValue::from_str(lang).expect("language"),
    );
    request
}

/// Submits the contact form as `cookie` (or a visitor) reading `lang`.
pub(super) async fn submit(router: &Router, cookie: Option<&str>, lang: &str, form: &str) -> Page {
    send(
        router,
        with(
            post_form("/support/contact", form, "same-origin"),
            cookie,
            lang,
        ),
    )
    .await
}

/// The ticket number in a thank-you redirect.
pub(super) fn number_in(page: &Page) -> i64 {
    let location = page.location.as_deref().expect("a redirect");
    let query = location
        .strip_prefix("/support/contact/sent?ticket=")
        .expect("the thank-you page");
    query
        .split('&')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a ticket number")
}

async fn mails_to(test: &TestApp, recipient: &str) -> Vec<crate::store::Mail> {
    test.services
        .store
        .pending_mail(Timestamp::now(), 50)
        .await
        .expect("outbox")
        .into_iter()
        .map(|pending| pending.mail)
        .filter(|mail| mail.recipient == recipient)
        .collect()
}

async fn job_of(test: &TestApp, scope: UserScope) -> JobId {
    let upload = test
        .services
        .media
        .ingest_upload(scope, photo_png(32, 24))
        .await
        .expect("upload");
    let job = NewJob {
        id: JobId::new(),
        upload_id: Some(upload.id),
        style: "anime".into(),
        intensity: 1.0,
        seed: 1,
        cost: 1,
        prompt: None,
    };
    let store = &test.services.store;
    store
        .enqueue_job(scope, job, Timestamp::now())
        .await
        .expect("job")
        .id
}

#[tokio::test]
async fn the_questions_page_answers_with_this_servers_settings() {
    let mut config = test_config();
    config.tokens.welcome = 7;
    config.uploads.max_bytes = 12_000_000;
    config.retention.upload_ttl = std::time::Duration::from_secs(36 * 3600);
    let test = test_app_with(config).await;
    let router = app(AppState::new(test.services.clone()));

    let page = send(&router, get("/support", None)).await;

    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "7 free tokens",
        "12 MB",
        "36 hours",
        "PNG, JPEG, WebP",
        "512 pixels",
        "Anime",
        "Clay 3D",
        "href=\"/policies/privacy\"",
        "href=\"/privacy\"",
        "href=\"/support/contact\"",
        "<summary>",
    ] {
        assert!(page.html.contains(expected), "missing {expected}");
    }
    let home = send(&router, get("/", None)).await;
    assert!(
        home.html.contains("href=\"/support\""),
        "the footer links help"
    );
}

#[tokio::test]
async fn a_user_gets_a_ticket_and_a_confirmation_in_their_language() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (ada, token) = test.session("ada").await;
    let form = "email=someone%40else.org&subject=Lost+portrait&message=Where+is+it%3F";

    let sent = submit(&router, Some(&cookie(&token)), "ja", form).await;
    let number = number_in(&sent);
    let thanks = send(
        &router,
        with(
            get(sent.location.as_deref().unwrap_or("/"), None),
            None,
            "ja",
        ),
    )
    .await;

    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let thread = test
        .services
        .store
        .ticket_by_id(number)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(thread.ticket.user_id, Some(ada));
    assert_eq!(
        thread.ticket.email, "ada@example.org",
        "the account's address"
    );
    assert_eq!(thread.ticket.locale, "ja-JP");
    assert_eq!(thread.messages[0].body, "Where is it?");
    let mails = mails_to(&test, "ada@example.org").await;
    let mail = mails
        .iter()
        .find(|m| m.subject.contains(&format!("#{number}")))
        .expect("a confirmation");
    assert!(mail.subject.contains("受け付けました"), "{}", mail.subject);
    assert!(mail.body.contains("48 時間以内"), "{}", mail.body);
    assert!(mail.body.contains(&format!("/support/tickets/{number}")));
    assert!(
        mail.html
            .as_deref()
            .unwrap_or_default()
            .contains("48 時間以内")
    );
    assert!(thanks.html.contains(&format!("#{number}")));
    assert!(thanks.html.contains("48 時間以内"), "{}", thanks.html);
    assert!(mails_to(&test, "someone@else.org").await.is_empty());
}

#[tokio::test]
async fn a_visitor_can_write_and_is_promised_the_urgent_answer_time() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let form = format!(
        "email=guest%40example.org&subject=Cannot+sign+in&message=Help&urgent=on&job={}",
        JobId::new()
    );

    let sent = submit(&router, None, "en", &form).await;
    let number = number_in(&sent);
    let thanks = send(&router, get(sent.location.as_deref().unwrap_or("/"), None)).await;

    let ticket = test
        .services
        .store
        .ticket_by_id(number)
        .await
        .expect("read")
        .expect("stored")
        .ticket;
    assert_eq!((ticket.user_id, ticket.job_id), (None, None));
    assert!(ticket.urgent);
    let mails = mails_to(&test, "guest@example.org").await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains(&format!("#{number}")));
    assert!(
        mails[0].body.contains("within 8 hours"),
        "{}",
        mails[0].body
    );
    assert!(thanks.html.contains("within 8 hours"), "{}", thanks.html);
}

#[tokio::test]
async fn an_invalid_form_shows_each_problem_in_place_and_keeps_what_was_typed() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let long = "x".repeat(5001);
    let form = format!("email=not-an-address&subject=&message={long}");

    let page = submit(&router, None, "en", &form).await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("Please enter a valid e-mail address."));
    assert!(page.html.contains("Please enter a subject."));
    assert!(page.html.contains("at most 5000 characters"));
    assert!(page.html.contains("value=\"not-an-address\""));
    assert!(page.html.contains(&long), "the message is kept");
    let all = test.services.store.all_tickets(TicketFilter::All, 10).await;
    assert!(all.expect("list").is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_job_reference_must_be_one_of_the_users_own_jobs() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (_, ada_token) = test.session("ada").await;
    let ada = test
        .services
        .accounts
        .authenticate(&ada_token)
        .await
        .expect("ada");
    let bob = test.user("bob").await;
    let (adas_job, bobs_job) = (job_of(&test, ada).await, job_of(&test, bob).await);
    let form = |job: JobId| format!("subject=Odd+result&message=Look&job={job}");

    let job_page = send(
        &router,
        get(&format!("/jobs/{adas_job}"), Some(&cookie(&ada_token))),
    )
    .await;
    let prefilled = send(
        &router,
        get(
            &format!("/support/contact?job={adas_job}"),
            Some(&cookie(&ada_token)),
        ),
    )
    .await;
    let refused = submit(&router, Some(&cookie(&ada_token)), "en", &form(bobs_job)).await;
    let accepted = submit(&router, Some(&cookie(&ada_token)), "en", &form(adas_job)).await;

    assert!(
        job_page
            .html
            .contains(&format!("/support/contact?job={adas_job}"))
    );
    // The picker offers ada's own job by style (never bob's), the linked one chosen.
    assert!(
        prefilled
            .html
            .contains(&format!("<option value=\"{adas_job}\" selected>Anime, ")),
        "{}",
        prefilled.html
    );
    assert!(!prefilled.html.contains(&bobs_job.to_string()));
    assert!(
        prefilled
            .html
            .contains("value=\"ada@example.org\" readonly")
    );
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("This is not one of your jobs."));
    assert!(
        refused
            .html
            .contains(&format!("<option value=\"{bobs_job}\" selected>")),
        "input kept"
    );
    let ticket = test
        .services
        .store
        .ticket_by_id(number_in(&accepted))
        .await
        .expect("read")
        .expect("stored")
        .ticket;
    assert_eq!(ticket.job_id, Some(adas_job));
}

#[tokio::test]
async fn users_see_and_answer_their_own_tickets_only() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (_, ada) = test.session("ada").await;
    let (_, bob) = test.session("bob").await;
    let (ada, bob) = (cookie(&ada), cookie(&bob));
    let adas = number_in(&submit(&router, Some(&ada), "en", "subject=Ada+asks&message=1").await);
    let bobs = number_in(&submit(&router, Some(&bob), "en", "subject=Bob+asks&message=2").await);
    let visitors = number_in(
        &submit(
            &router,
            None,
            "en",
            "email=v%40example.org&subject=Guest&message=3",
        )
        .await,
    );

    let list = send(&router, get("/support/tickets", Some(&ada))).await;
    let own = send(
        &router,
        get(&format!("/support/tickets/{adas}"), Some(&ada)),
    )
    .await;
    let others = send(
        &router,
        get(&format!("/support/tickets/{bobs}"), Some(&ada)),
    )
    .await;
    let guests = send(
        &router,
        get(&format!("/support/tickets/{visitors}"), Some(&ada)),
    )
    .await;
    let mut sneak = post_form(
        &format!("/support/tickets/{bobs}"),
        "message=hi",
        "same-origin",
    );
    sneak = with(sneak, Some(&ada), "en");
    let sneaked = send(&router, sneak).await;
    let mut follow = post_form(
        &format!("/support/tickets/{adas}"),
        "message=More+details",
        "same-origin",
    );
    follow = with(follow, Some(&ada), "en");
    let followed = send(&router, follow).await;
    let thread = send(
        &router,
        get(&format!("/support/tickets/{adas}"), Some(&ada)),
    )
    .await;
    let signed_out = send(&router, get("/support/tickets", None)).await;

    assert!(list.html.contains("Ada asks") && !list.html.contains("Bob asks"));
    assert!(list.html.contains("Open"));
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(others.status, StatusCode::NOT_FOUND);
    assert_eq!(guests.status, StatusCode::NOT_FOUND);
    assert_eq!(sneaked.status, StatusCode::NOT_FOUND);
    assert_eq!(followed.status, StatusCode::SEE_OTHER);
    assert!(thread.html.contains("More details"));
    assert_eq!(signed_out.location.as_deref(), Some("/signin"));
    let bobs_thread = test.services.store.ticket_by_id(bobs).await.expect("read");
    assert_eq!(
        bobs_thread.expect("kept").messages.len(),
        1,
        "nothing added"
    );
}

#[tokio::test]
async fn tickets_are_in_the_data_export_and_go_with_the_account() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (_, token) = test.session("ada").await;
    let ada = test
        .services
        .accounts
        .authenticate(&token)
        .await
        .expect("ada");
    submit(
        &router,
        Some(&cookie(&token)),
        "en",
        "subject=Mine&message=Private+words",
    )
    .await;
    let visitor = "email=v%40example.org&subject=Guest&message=Hello";
    submit(&router, None, "en", visitor).await;

    let zip = test.services.privacy.export(ada).await.expect("export");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip");
    let mut tickets = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("tickets.json").expect("tickets.json"),
        &mut tickets,
    )
    .expect("read");
    test.services
        .privacy
        .erase(ada, "a sturdy passphrase")
        .await
        .expect("erase");
    let left = test
        .services
        .store
        .all_tickets(TicketFilter::All, 10)
        .await
        .expect("list");

    assert!(tickets.contains("\"subject\": \"Mine\""), "{tickets}");
    assert!(tickets.contains("Private words"));
    assert_eq!(
        left.iter().map(|t| t.subject.as_str()).collect::<Vec<_>>(),
        vec!["Guest"],
        "only the visitor's ticket stays"
    );
    assert!(test.rows_mentioning("Private words").await.is_empty());
}

//! The admin side of support through the real router: the queue, a reply that reaches the
//! user on their thread and by mail in their language, closing and reopening, and an audit
//! entry for every view and action.

use axum::Router;
use axum::http::StatusCode;

use super::support::{cookie, number_in, submit, with};
use super::{Page, get, post_form, send};
use crate::domain::{Role, Timestamp, UserId};
use crate::http::{AppState, app};
use crate::store::AccountStatus;
use crate::testing::{TestApp, test_app};

async fn admin(test: &TestApp) -> (UserId, String) {
    let (id, token) = test.session("root").await;
    test.services
        .store
        .set_role_and_status(id, Role::Admin, AccountStatus::Active)
        .await
        .expect("promote");
    (id, cookie(&token))
}

async fn post(router: &Router, path: &str, form: &str, cookie: &str) -> Page {
    send(
        router,
        with(post_form(path, form, "same-origin"), Some(cookie), "en"),
    )
    .await
}

#[tokio::test]
async fn an_admin_reply_reaches_the_user_on_the_thread_and_by_mail_in_their_language() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (_, root) = admin(&test).await;
    let (_, ada) = test.session("ada").await;
    let ada = cookie(&ada);
    let form = "subject=Refund+please&message=My+job+failed&urgent=on";
    let number = number_in(&submit(&router, Some(&ada), "ko", form).await);

    let queue = send(&router, get("/admin/tickets", Some(&root))).await;
    let ticket = send(
        &router,
        get(&format!("/admin/tickets/{number}"), Some(&root)),
    )
    .await;
    let path = format!("/admin/tickets/{number}/reply");
    let empty = post(&router, &path, "message=+", &root).await;
    let replied = post(&router, &path, "message=Your+tokens+are+back.", &root).await;
    let thread = send(
        &router,
        with(
            get(&format!("/support/tickets/{number}"), None),
            Some(&ada),
            "ko",
        ),
    )
    .await;

    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.html.contains("Refund please") && queue.html.contains("ada@example.org"));
    assert!(ticket.html.contains("My job failed"));
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.html.contains("Please write a message."));
    assert_eq!(replied.status, StatusCode::SEE_OTHER);
    assert!(thread.html.contains("Your tokens are back."));
    assert!(thread.html.contains("답변 완료"), "answered, in Korean");
    let mail = test
        .services
        .store
        .pending_mail(Timestamp::now(), 50)
        .await
        .expect("outbox")
        .into_iter()
        .map(|pending| pending.mail)
        .find(|mail| mail.subject.starts_with("Re:"))
        .expect("the reply mail");
    assert_eq!(mail.recipient, "ada@example.org");
    assert!(mail.subject.contains(&format!("#{number}")));
    assert!(mail.body.contains("Your tokens are back."));
    assert!(mail.body.contains("답변드립니다"), "{}", mail.body);
}

#[tokio::test]
async fn a_closed_ticket_takes_no_follow_up_until_an_admin_reopens_it() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (_, root) = admin(&test).await;
    let (_, ada) = test.session("ada").await;
    let ada = cookie(&ada);
    let number = number_in(&submit(&router, Some(&ada), "en", "subject=Hi&message=Hello").await);
    let follow_up = format!("/support/tickets/{number}");

    let closed = post(
        &router,
        &format!("/admin/tickets/{number}/close"),
        "",
        &root,
    )
    .await;
    let refused = post(&router, &follow_up, "message=Still+there%3F", &ada).await;
    post(
        &router,
        &format!("/admin/tickets/{number}/reopen"),
        "",
        &root,
    )
    .await;
    let accepted = post(&router, &follow_up, "message=Still+there%3F", &ada).await;

    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("This request is closed."));
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_admin_view_and_action_on_tickets_is_in_the_audit_log() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (root_id, root) = admin(&test).await;
    let (ada_id, ada) = test.session("ada").await;
    let number =
        number_in(&submit(&router, Some(&cookie(&ada)), "en", "subject=Hi&message=Yo").await);
    let path = |action: &str| format!("/admin/tickets/{number}{action}");

    send(&router, get("/admin/tickets?status=closed", Some(&root))).await;
    send(&router, get(&path(""), Some(&root))).await;
    post(&router, &path("/reply"), "message=Hello", &root).await;
    post(&router, &path("/close"), "", &root).await;
    post(&router, &path("/reopen"), "", &root).await;

    let mut log = test
        .services
        .store
        .admin_actions(50)
        .await
        .expect("audit log");
    log.reverse();
    let entries: Vec<_> = log
        .iter()
        .map(|e| {
            (
                e.actor.clone(),
                e.action.as_str(),
                e.subject,
                e.detail.clone(),
            )
        })
        .collect();
    let on_ticket = |action| {
        (
            root_id.to_string(),
            action,
            Some(ada_id),
            format!("ticket {number}"),
        )
    };
    assert_eq!(
        entries,
        vec![
            (
                root_id.to_string(),
                "view-tickets",
                None,
                "closed".to_owned()
            ),
            on_ticket("view-ticket"),
            on_ticket("ticket-reply"),
            on_ticket("ticket-close"),
            on_ticket("ticket-reopen"),
        ]
    );
}

//! Support tickets on every back-end: creating with the first message, each user's own list
//! and thread, follow-ups and staff replies, closing and reopening, the wall between users,
//! visitors' tickets, and the admin's queue order.

use super::{DAY, TestStore, stories, test_user};
use crate::domain::{JobId, Timestamp};
use crate::store::{NewTicket, StoreError, TicketFilter, TicketStatus};

stories!(
    a_ticket_is_stored_with_its_first_message_and_listed_for_its_owner,
    a_follow_up_and_a_staff_reply_extend_the_thread_and_move_the_status,
    a_closed_ticket_takes_no_message_until_reopened,
    one_user_cannot_see_or_write_to_another_users_ticket,
    a_visitors_ticket_is_reachable_by_the_admin_only,
    the_admin_queue_lists_open_then_answered_then_closed_urgent_first,
    only_visitors_tickets_closed_long_enough_ago_are_purged,
);

pub(super) fn new_ticket(subject: &str, urgent: bool) -> NewTicket {
    NewTicket {
        email: "someone@example.org".into(),
        locale: "ja-JP".into(),
        subject: subject.into(),
        message: format!("About {subject}"),
        job_id: None,
        urgent,
        created_at: Timestamp::now(),
    }
}

async fn a_ticket_is_stored_with_its_first_message_and_listed_for_its_owner(db: &TestStore) {
    let store = db.store.as_ref();
    let ada = test_user(store, "ada").await;
    let job = JobId::new();
    let ticket = NewTicket {
        job_id: Some(job),
        ..new_ticket("Missing portrait", true)
    };

    let stored = store
        .create_ticket(Some(ada), &ticket)
        .await
        .expect("create");
    let mine = store.tickets_of(ada, 10).await.expect("list");
    let thread = store
        .ticket_thread(ada, stored.id)
        .await
        .expect("thread")
        .expect("her ticket");

    assert_eq!(stored.user_id, Some(ada.user_id()));
    assert_eq!(stored.status, TicketStatus::Open);
    assert_eq!(
        (stored.job_id, stored.urgent, stored.locale.as_str()),
        (Some(job), true, "ja-JP")
    );
    assert_eq!(mine, vec![stored.clone()]);
    assert_eq!(thread.ticket, stored);
    assert_eq!(thread.messages.len(), 1);
    assert_eq!(thread.messages[0].body, "About Missing portrait");
    assert!(!thread.messages[0].from_staff);
}

async fn a_follow_up_and_a_staff_reply_extend_the_thread_and_move_the_status(db: &TestStore) {
    let store = db.store.as_ref();
    let ada = test_user(store, "ada").await;
    let ticket = store
        .create_ticket(Some(ada), &new_ticket("Refund", false))
        .await
        .expect("create");
    let now = Timestamp::now();

    let answered = store
        .reply_to_ticket(ticket.id, "We refunded it.", now)
        .await
        .expect("reply");
    let reopened = store
        .add_ticket_message(ada, ticket.id, "Thank you!", now)
        .await
        .expect("follow up");
    let thread = store
        .ticket_thread(ada, ticket.id)
        .await
        .expect("thread")
        .expect("her ticket");

    assert_eq!(answered.status, TicketStatus::Answered);
    assert_eq!(reopened.status, TicketStatus::Open);
    let said: Vec<_> = thread
        .messages
        .iter()
        .map(|m| (m.from_staff, m.body.as_str()))
        .collect();
    assert_eq!(
        said,
        vec![
            (false, "About Refund"),
            (true, "We refunded it."),
            (false, "Thank you!")
        ]
    );
}

async fn a_closed_ticket_takes_no_message_until_reopened(db: &TestStore) {
    let store = db.store.as_ref();
    let ada = test_user(store, "ada").await;
    let ticket = store
        .create_ticket(Some(ada), &new_ticket("Login", false))
        .await
        .expect("create");
    let now = Timestamp::now();

    let closed = store
        .set_ticket_closed(ticket.id, true, now)
        .await
        .expect("close");
    let follow_up = store
        .add_ticket_message(ada, ticket.id, "Hello?", now)
        .await;
    let reply = store.reply_to_ticket(ticket.id, "Hi", now).await;
    let reopened = store
        .set_ticket_closed(ticket.id, false, now)
        .await
        .expect("reopen");
    let unknown = store.set_ticket_closed(ticket.id + 1000, true, now).await;

    assert_eq!(closed.status, TicketStatus::Closed);
    assert!(closed.closed_at.is_some());
    assert!(matches!(follow_up, Err(StoreError::WrongState)));
    assert!(matches!(reply, Err(StoreError::WrongState)));
    assert_eq!(
        (reopened.status, reopened.closed_at),
        (TicketStatus::Open, None)
    );
    assert!(matches!(unknown, Err(StoreError::NotFound)));
}

async fn one_user_cannot_see_or_write_to_another_users_ticket(db: &TestStore) {
    let store = db.store.as_ref();
    let ada = test_user(store, "ada").await;
    let bob = test_user(store, "bob").await;
    let adas = store
        .create_ticket(Some(ada), &new_ticket("Mine", false))
        .await
        .expect("create");

    let listed = store.tickets_of(bob, 10).await.expect("bob's list");
    let seen = store.ticket_thread(bob, adas.id).await.expect("read");
    let written = store
        .add_ticket_message(bob, adas.id, "sneaky", Timestamp::now())
        .await;

    assert!(listed.is_empty());
    assert_eq!(seen, None);
    assert!(matches!(written, Err(StoreError::NotFound)));
    let thread = store
        .ticket_by_id(adas.id)
        .await
        .expect("admin")
        .expect("kept");
    assert_eq!(thread.messages.len(), 1, "bob wrote nothing");
}

async fn a_visitors_ticket_is_reachable_by_the_admin_only(db: &TestStore) {
    let store = db.store.as_ref();
    let ada = test_user(store, "ada").await;
    let visitor = store
        .create_ticket(None, &new_ticket("Cannot sign in", false))
        .await
        .expect("create");

    let ada_sees = store.ticket_thread(ada, visitor.id).await.expect("read");
    let admin_sees = store.ticket_by_id(visitor.id).await.expect("admin");
    let replied = store
        .reply_to_ticket(visitor.id, "Try resetting your password.", Timestamp::now())
        .await
        .expect("reply");

    assert_eq!(visitor.user_id, None);
    assert_eq!(ada_sees, None);
    assert_eq!(
        admin_sees.expect("a thread").ticket.email,
        "someone@example.org"
    );
    assert_eq!(replied.status, TicketStatus::Answered);
}

async fn the_admin_queue_lists_open_then_answered_then_closed_urgent_first(db: &TestStore) {
    let store = db.store.as_ref();
    let ada = test_user(store, "ada").await;
    let now = Timestamp::now();
    let mut ids = Vec::new();
    for (subject, urgent) in [
        ("plain", false),
        ("urgent", true),
        ("answered", true),
        ("closed", false),
    ] {
        let ticket = store
            .create_ticket(Some(ada), &new_ticket(subject, urgent))
            .await
            .expect("create");
        ids.push(ticket.id);
    }
    store
        .reply_to_ticket(ids[2], "done", now)
        .await
        .expect("reply");
    store
        .set_ticket_closed(ids[3], true, now)
        .await
        .expect("close");

    let subjects = |tickets: Vec<crate::store::Ticket>| {
        tickets.into_iter().map(|t| t.subject).collect::<Vec<_>>()
    };
    let all = subjects(store.all_tickets(TicketFilter::All, 10).await.expect("all"));
    let open = subjects(
        store
            .all_tickets(TicketFilter::Open, 10)
            .await
            .expect("open"),
    );
    let closed = subjects(
        store
            .all_tickets(TicketFilter::Closed, 10)
            .await
            .expect("closed"),
    );

    assert_eq!(all, vec!["urgent", "plain", "answered", "closed"]);
    assert_eq!(open, vec!["urgent", "plain", "answered"]);
    assert_eq!(closed, vec!["closed"]);
}

async fn only_visitors_tickets_closed_long_enough_ago_are_purged(db: &TestStore) {
    let store = db.store.as_ref();
    let ada = test_user(store, "ada").await;
    let now = Timestamp::now();
    let long_ago = Timestamp::from_millis(now.millis() - 100 * DAY);
    let mut ids = Vec::new();
    for owner in [None, None, None, Some(ada)] {
        let ticket = store
            .create_ticket(owner, &new_ticket("t", false))
            .await
            .expect("create");
        ids.push(ticket.id);
    }
    store
        .reply_to_ticket(ids[0], "bye", long_ago)
        .await
        .expect("reply");
    for (id, at) in [(ids[0], long_ago), (ids[1], now), (ids[3], long_ago)] {
        store.set_ticket_closed(id, true, at).await.expect("close");
    }

    let purged = store
        .purge_closed_visitor_tickets(Timestamp::from_millis(now.millis() - 90 * DAY))
        .await
        .expect("purge");

    assert_eq!(purged, 1);
    assert_eq!(store.ticket_by_id(ids[0]).await.expect("read"), None);
    for kept in &ids[1..] {
        assert!(
            store.ticket_by_id(*kept).await.expect("read").is_some(),
            "{kept}"
        );
    }
}

use super::*;

const HOUR: Duration = Duration::from_secs(3600);

fn composer() -> Composer {
    Composer::new(
        "https://atelier.example/",
        Duration::from_secs(30 * 24 * 3600),
    )
}

/// One of each kind, with the link each must carry.
fn every_kind() -> Vec<(Message<'static>, &'static str)> {
    let at = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01T00:00:00Z
    vec![
        (
            Message::VerifyEmail {
                token: "feedc0de",
                valid_for: 7 * 24 * HOUR,
            },
            "https://atelier.example/verify-email?token=feedc0de",
        ),
        (
            Message::PasswordReset {
                token: "feedc0de",
                valid_for: HOUR,
            },
            "https://atelier.example/reset-password?token=feedc0de",
        ),
        (
            Message::EmailChange {
                token: "feedc0de",
                valid_for: HOUR,
            },
            "https://atelier.example/confirm-email?token=feedc0de",
        ),
        (
            Message::EmailChangeNotice {
                new_email: "new@example.org",
            },
            "https://atelier.example/forgot",
        ),
        (
            Message::ExportReady { expires_at: at },
            "https://atelier.example/privacy",
        ),
        (
            Message::AccountDeleted { deleted_at: at },
            "https://atelier.example/",
        ),
        (
            Message::PolicyChange {
                title: "Privacy Policy",
                version: "2",
                summary: "Shorter access log.",
                effective: at,
                link: "/policies/privacy/2",
            },
            "https://atelier.example/policies/privacy/2",
        ),
        (
            Message::SupportReceived {
                number: 12,
                subject: "Lost portrait",
                response_hours: 48,
                account: true,
            },
            "https://atelier.example/support/tickets/12",
        ),
        (
            Message::SupportReceived {
                number: 13,
                subject: "Cannot sign in",
                response_hours: 8,
                account: false,
            },
            "https://atelier.example/support",
        ),
        (
            Message::SupportReply {
                number: 12,
                subject: "Lost portrait",
                reply: "It is back.",
                account: true,
            },
            "https://atelier.example/support/tickets/12",
        ),
        (
            Message::SupportReply {
                number: 13,
                subject: "Cannot sign in",
                reply: "Reset your password.",
                account: false,
            },
            "https://atelier.example/support/contact",
        ),
    ]
}

#[test]
fn every_kind_renders_text_and_html_with_no_unresolved_fluent_key() {
    for (message, link) in every_kind() {
        let mail = composer().compose("ada@example.org", Some("en-US"), &message);

        assert_eq!(mail.recipient, "ada@example.org");
        assert!(!mail.subject.trim().is_empty(), "{message:?}: subject");
        let html = mail.html.as_deref().unwrap_or_default();
        for (part, text) in [("subject", &mail.subject), ("text", &mail.body)] {
            assert!(
                !text.contains('{') && !text.contains('}') && !text.contains("mail-"),
                "{message:?}: unresolved Fluent text in the {part}: {text}"
            );
        }
        assert!(
            !html.contains("{ $") && !html.contains("{$") && !html.contains("mail-"),
            "{message:?}: unresolved Fluent text in the HTML: {html}"
        );
        assert!(mail.body.lines().count() > 5, "{message:?}: text part");
        assert!(mail.body.contains(link), "{message:?}: link in the text");
        assert!(
            html.contains(&format!("href=\"{link}\"")),
            "{message:?}: link in the HTML"
        );
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("</html>"));
    }
}

#[test]
fn arguments_reach_the_text() {
    let c = composer();
    let verify = c.compose(
        "a@example.org",
        None,
        &Message::VerifyEmail {
            token: "t",
            valid_for: 7 * 24 * HOUR,
        },
    );
    assert!(verify.body.contains("for 7 days"), "{}", verify.body);
    assert!(
        verify.body.contains("deleted 30 days after"),
        "{}",
        verify.body
    );
    let reset = c.compose(
        "a@example.org",
        None,
        &Message::PasswordReset {
            token: "t",
            valid_for: HOUR,
        },
    );
    assert!(reset.body.contains("for one hour"), "{}", reset.body);
    let policy = c.compose(
        "a@example.org",
        None,
        &every_kind()
            .into_iter()
            .map(|(m, _)| m)
            .find(|m| matches!(m, Message::PolicyChange { .. }))
            .expect("policy"),
    );
    assert_eq!(policy.subject, "Changes to the Atelier Privacy Policy");
    assert!(policy.body.contains("Version 2 takes effect on 2026-01-01"));
}

#[test]
fn user_text_is_escaped_in_the_html_part() {
    let mail = composer().compose(
        "a@example.org",
        None,
        &Message::PolicyChange {
            title: "<script>alert(\"x\")</script> & Terms",
            version: "3'",
            summary: "<b>bold</b>",
            effective: Timestamp::from_millis(0),
            link: "https://elsewhere.example/p?a=1&b=\"2\"",
        },
    );
    let html = mail.html.unwrap_or_default();

    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Terms"));
    assert!(html.contains("href=\"https://elsewhere.example/p?a=1&amp;b=&quot;2&quot;\""));
    assert!(html.contains("Version 3&#39;"));
    assert!(
        mail.body.contains("<script>"),
        "the text part stays as written"
    );
}

#[test]
fn an_unknown_or_missing_locale_writes_english() {
    let message = Message::ExportReady {
        expires_at: Timestamp::from_millis(0),
    };
    let english = composer().compose("a@example.org", Some("en-US"), &message);
    for locale in [None, Some("xx-YY"), Some("??")] {
        assert_eq!(
            composer().compose("a@example.org", locale, &message),
            english
        );
    }
}

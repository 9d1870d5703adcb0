//! The built-in privacy policy and terms (`crates/app/policies/*.md`), written for this
//! product and filled with the installation's own settings: retention periods, token rules
//! and the outside services actually configured. An operator may publish their own text.

use std::time::Duration;

use super::Draft;
use crate::config::Config;
use crate::store::PolicyKind;

const PRIVACY: &str = include_str!("../../policies/privacy.md");
const TERMS: &str = include_str!("../../policies/terms.md");

/// Until the sweeper learns it (unconfirmed accounts), the period the product promises for them.
const UNCONFIRMED_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

pub(super) fn draft(kind: PolicyKind, values: &[(&'static str, String)]) -> Draft {
    let (title, template) = match kind {
        PolicyKind::Privacy => ("Privacy policy", PRIVACY),
        PolicyKind::Terms => ("Terms of use", TERMS),
    };
    Draft {
        title: title.into(),
        summary: "The first version.".into(),
        body: fill(template, values),
    }
}

/// Replaces each `{{name}}` with its value.
fn fill(template: &str, values: &[(&'static str, String)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{{{name}}}}}"), value)
        })
}

/// The facts the built-in documents quote, from `config`.
pub fn builtin_values(config: &Config) -> Vec<(&'static str, String)> {
    let retention = &config.retention;
    let validity = config
        .stripe
        .packs
        .iter()
        .map(|p| p.valid_days)
        .max()
        .map_or_else(
            || human(config.tokens.lot_validity),
            |days| human(Duration::from_secs(u64::from(days) * 24 * 3600)),
        );
    vec![
        ("operator", config.policies.operator.clone()),
        ("contact", contact(config)),
        ("upload_ttl", human(retention.upload_ttl)),
        ("result_ttl", human(retention.result_ttl)),
        ("saving", saving(config)),
        ("access_log_ttl", human(retention.access_log_ttl)),
        ("mail_ttl", human(retention.mail_ttl)),
        ("analytics_ttl", human(retention.analytics_ttl)),
        ("unconfirmed_ttl", human(UNCONFIRMED_TTL)),
        ("export_ttl", human(crate::privacy::EXPORT_TTL)),
        (
            "request_deadline_days",
            crate::privacy::REQUEST_DEADLINE_DAYS.to_string(),
        ),
        ("notice_days", config.policies.notice_days.to_string()),
        ("welcome_tokens", config.tokens.welcome.to_string()),
        ("token_validity", validity),
        ("processors", processors(config)),
    ]
}

/// What saving a portrait means here, or that it is not offered.
fn saving(config: &Config) -> String {
    let retention = &config.retention;
    if !retention.allow_save {
        return "This installation does not offer to save portraits, so none is kept longer."
            .into();
    }
    let kept = match retention.saved_ttl {
        Some(ttl) => format!(
            "for {} from the moment you save it (never less than the usual period)",
            human(ttl)
        ),
        None => "until you delete it".into(),
    };
    format!(
        "If you save a portrait, it is kept {kept}; stop saving it and it follows the usual          rule again, counted from when it was made. Your uploaded photo is never kept longer,          saved portrait or not."
    )
}

fn contact(config: &Config) -> String {
    if let Some(contact) = &config.policies.contact {
        return contact.clone();
    }
    let from = config.smtp.from.as_str();
    let address = from
        .rsplit_once('<')
        .map_or(from, |(_, rest)| rest.trim_end_matches('>'))
        .trim();
    if address.ends_with("@localhost") || !address.contains('@') {
        "us through this site (no contact address is configured yet)".into()
    } else {
        address.to_owned()
    }
}

/// The outside services this installation hands personal data to, as a Markdown list.
fn processors(config: &Config) -> String {
    let mut lines = Vec::new();
    if config.stripe.secret_key.is_some() {
        lines.push(
            "- **Payments: Stripe.** When you buy tokens or subscribe to a plan you pay on \
             Stripe's own checkout page. We send Stripe the pack or plan, its price and a \
             reference to your account; Stripe tells us whether you paid (and, for a plan, each \
             renewal). We never see your card details."
                .to_owned(),
        );
    }
    if let Some(url) = &config.smtp.url {
        let host = url::Url::parse(url.expose())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "our mail provider".into());
        lines.push(format!(
            "- **E-mail delivery: the mail server at `{host}`.** It receives your address and \
             the messages we send you, to deliver them."
        ));
    }
    if config.storage_url().starts_with("s3://") {
        let place = config
            .storage
            .endpoint
            .as_deref()
            .and_then(|e| url::Url::parse(e).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .map_or_else(|| "Amazon S3".to_owned(), |host| format!("`{host}`"));
        lines.push(format!(
            "- **File storage: the S3-compatible storage at {place}.** It keeps your photos, \
             portraits and exports, encrypted; it holds no key to read them."
        ));
    }
    if lines.is_empty() {
        return "No one else: this installation sends your data to no outside service. \
                Payments are off, e-mail is not sent, and files stay on this server."
            .into();
    }
    lines.join("\n")
}

/// "24 hours", "30 days", "2 years", "6 months".
fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    const DAY: u64 = 24 * 3600;
    if secs == 0 {
        return "no time".into();
    }
    if !secs.is_multiple_of(DAY) || secs < 2 * DAY {
        return match secs {
            s if s.is_multiple_of(3600) => plural(s / 3600, "hour"),
            s if s.is_multiple_of(60) => plural(s / 60, "minute"),
            s => plural(s, "second"),
        };
    }
    let days = secs / DAY;
    if days.is_multiple_of(365) {
        return plural(days / 365, "year");
    }
    let months = (days as f64 / 30.44).round() as u64;
    if months >= 1 && (months as f64 * 30.44 - days as f64).abs() <= 3.0 && days > 45 {
        return plural(months, "month");
    }
    plural(days, "day")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        let day = 24 * 3600;
        assert_eq!(human(Duration::from_secs(24 * 3600)), "24 hours");
        assert_eq!(human(Duration::from_secs(90)), "90 seconds");
        assert_eq!(human(Duration::from_secs(30 * day)), "30 days");
        assert_eq!(human(Duration::from_secs(7 * day)), "7 days");
        assert_eq!(human(Duration::from_secs(182 * day)), "6 months");
        assert_eq!(human(Duration::from_secs(730 * day)), "2 years");
    }

    #[test]
    fn the_builtin_documents_leave_no_placeholder_unfilled() {
        let values = builtin_values(&Config::default());
        for kind in PolicyKind::ALL {
            let draft = draft(kind, &values);
            assert!(!draft.body.contains("{{"), "{kind:?}: {}", draft.body);
            assert!(draft.body.contains("24 hours"));
        }
    }

    #[test]
    fn the_privacy_policy_names_exactly_the_services_configured() {
        let mut config = Config::default();
        let alone = fill(PRIVACY, &builtin_values(&config));
        assert!(alone.contains("sends your data to no outside service"));
        assert!(!alone.contains("Stripe"));

        config.stripe.secret_key = Some(crate::config::Secret::new("sk_test_1"));
        config.smtp.url = Some(crate::config::Secret::new(
            "smtp://u:p@mail.example.org:587",
        ));
        config.storage.url = Some("s3://bucket/prefix".into());
        config.storage.endpoint = Some("http://minio.example.net:9000".into());
        let text = fill(PRIVACY, &builtin_values(&config));
        assert!(text.contains("Payments: Stripe"));
        assert!(text.contains("`mail.example.org`"));
        assert!(!text.contains("u:p@"), "no credentials in the policy");
        assert!(text.contains("`minio.example.net`"));
        assert!(!text.contains("no outside service"));
    }
}

//! Dates, countdowns and prices in the reader's language. Word order and month names come
//! from Fluent (`datetime`, `countdown`), so a new locale needs only its `.ftl` files;
//! money follows CLDR's patterns for en, ja and ko, which all put the symbol first.

use fluent_templates::fluent_bundle::FluentValue;

use crate::billing::minor_digits;
use crate::domain::Timestamp;
use crate::i18n::Tr;

impl Tr {
    /// A UTC instant to the minute: `25 Nov 2026, 17:04 UTC`, `2026年11月25日 17:04 UTC`,
    /// `2026년 11월 25일 17:04 UTC`. The exact instant is in the API.
    pub fn datetime(&self, at: Timestamp) -> String {
        let Some(t) = utc(at) else {
            return at.rfc3339();
        };
        self.tn(
            "datetime",
            vec![
                ("year", FluentValue::from(t.year().to_string())),
                ("month", FluentValue::from(u8::from(t.month()))),
                ("day", FluentValue::from(t.day())),
                (
                    "time",
                    FluentValue::from(format!("{:02}:{:02}", t.hour(), t.minute())),
                ),
            ],
        )
    }

    /// A UTC day, for what takes effect on a day rather than at a minute (policy versions):
    /// `25 Nov 2026`, `2026年11月25日`, `2026년 11월 25일`.
    pub fn date(&self, at: Timestamp) -> String {
        let Some(t) = utc(at) else {
            return iso_day(at);
        };
        self.tn(
            "date",
            vec![
                ("year", FluentValue::from(t.year().to_string())),
                ("month", FluentValue::from(u8::from(t.month()))),
                ("day", FluentValue::from(t.day())),
            ],
        )
    }

    /// What is left until `deadline`, to the minute: `23 h 59 min`, `23 時間 59 分`.
    pub fn countdown(&self, now: Timestamp, deadline: Timestamp) -> String {
        let left_secs = deadline.millis().saturating_sub(now.millis()) / 1000;
        if left_secs <= 0 {
            return self.t("countdown-over");
        }
        self.tn(
            "countdown",
            vec![
                ("hours", FluentValue::from(left_secs / 3600)),
                ("minutes", FluentValue::from((left_secs % 3600) / 60)),
            ],
        )
    }

    /// The countdown's pattern for `static/app.js`, which fills `%H` and `%M` each second.
    pub fn countdown_pattern(&self) -> String {
        self.tn(
            "countdown",
            vec![("hours", "%H".into()), ("minutes", "%M".into())],
        )
    }

    /// `amount` minor units of `currency` (ISO 4217, any case) as the reader writes money:
    /// `€12.00`, `￥500` in Japanese, `₩5,000`; zero-decimal currencies show no decimals.
    pub fn money(&self, amount: i64, currency: &str) -> String {
        let code = currency.to_ascii_uppercase();
        let digits = minor_digits(currency);
        let unit = 10_u64.pow(digits);
        let abs = amount.unsigned_abs();
        let mut number = group_thousands(abs / unit);
        if digits > 0 {
            number = format!("{number}.{:0width$}", abs % unit, width = digits as usize);
        }
        let sign = if amount < 0 { "-" } else { "" };
        match currency_symbol(self.language(), &code) {
            Some(symbol) => format!("{sign}{symbol}{number}"),
            // CLDR puts a no-break space between an ISO code and the number.
            None => format!("{sign}{code}\u{a0}{number}"),
        }
    }
}

fn utc(at: Timestamp) -> Option<time::OffsetDateTime> {
    let nanos = i128::from(at.millis()) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// `2026-11-25`: the UTC day of `at` in ISO 8601, for `<time datetime>`.
pub fn iso_day(at: Timestamp) -> String {
    at.rfc3339().chars().take(10).collect()
}

/// CLDR's narrow-enough symbols for the currencies a studio is likely to sell in; others
/// are written with their code.
fn currency_symbol(language: &str, code: &str) -> Option<&'static str> {
    let symbol = match (code, language) {
        ("EUR", _) => "€",
        ("GBP", _) => "£",
        ("KRW", _) => "₩",
        ("USD", "ko") => "US$",
        ("USD", _) => "$",
        ("JPY", "ja") => "￥",
        ("JPY", "ko") => "JP¥",
        ("JPY", _) => "¥",
        _ => return None,
    };
    Some(symbol)
}

/// `1234567` → `1,234,567` (en, ja and ko all group by three with a comma).
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(tag: &str) -> Tr {
        Tr::for_tag(tag).expect("a language of ours")
    }

    /// 2026-11-25T17:04:31Z
    const AT: Timestamp = Timestamp::from_millis(1_795_626_271_000);

    #[test]
    fn dates_are_written_the_way_each_language_writes_them() {
        assert_eq!(tr("en").datetime(AT), "25 Nov 2026, 17:04 UTC");
        assert_eq!(tr("ja").datetime(AT), "2026年11月25日 17:04 UTC");
        assert_eq!(tr("ko").datetime(AT), "2026년 11월 25일 17:04 UTC");
    }

    #[test]
    fn days_are_written_the_way_each_language_writes_them() {
        assert_eq!(tr("en").date(AT), "25 Nov 2026");
        assert_eq!(tr("ja").date(AT), "2026年11月25日");
        assert_eq!(tr("ko").date(AT), "2026년 11월 25일");
        assert_eq!(iso_day(AT), "2026-11-25");
    }

    #[test]
    fn every_english_month_has_its_name() {
        let names: Vec<String> = (0..12)
            .map(|m| {
                // The 1st of each month of 2026, at noon.
                let day = time::Date::from_calendar_date(2026, time::Month::January, 1)
                    .expect("date")
                    .replace_month(time::Month::January.nth_next(m))
                    .expect("month");
                let millis = day.midnight().assume_utc().unix_timestamp() * 1000 + 43_200_000;
                tr("en").datetime(Timestamp::from_millis(millis))
            })
            .collect();

        assert_eq!(names[0], "1 Jan 2026, 12:00 UTC");
        assert_eq!(names[4], "1 May 2026, 12:00 UTC");
        assert_eq!(names[8], "1 Sep 2026, 12:00 UTC");
        assert_eq!(names[11], "1 Dec 2026, 12:00 UTC");
    }

    #[test]
    fn countdowns_say_hours_and_minutes_in_the_readers_language() {
        let deadline = AT.plus(std::time::Duration::from_secs(23 * 3600 + 59 * 60 + 30));

        assert_eq!(tr("en").countdown(AT, deadline), "23 h 59 min");
        assert_eq!(tr("ja").countdown(AT, deadline), "23時間59分");
        assert_eq!(tr("ko").countdown(AT, deadline), "23시간 59분");
        assert_eq!(tr("ja").countdown_pattern(), "%H時間%M分");
        assert_eq!(
            tr("en").countdown(deadline, AT),
            tr("en").t("countdown-over")
        );
    }

    #[test]
    fn prices_follow_the_currency_and_the_language() {
        assert_eq!(tr("en").money(1200, "eur"), "€12.00");
        assert_eq!(tr("ja").money(1200, "EUR"), "€12.00");
        assert_eq!(tr("ko").money(1200, "eur"), "€12.00");
        assert_eq!(tr("en").money(123_456_789, "usd"), "$1,234,567.89");
        assert_eq!(tr("ko").money(500, "usd"), "US$5.00");
        assert_eq!(tr("en").money(5, "usd"), "$0.05");
        assert_eq!(tr("en").money(-250, "gbp"), "-£2.50");
    }

    #[test]
    fn zero_decimal_currencies_show_no_decimals() {
        assert_eq!(tr("ja").money(500, "jpy"), "￥500");
        assert_eq!(tr("en").money(1500, "jpy"), "¥1,500");
        assert_eq!(tr("ko").money(5000, "krw"), "₩5,000");
        assert_eq!(tr("en").money(5000, "krw"), "₩5,000");
    }

    #[test]
    fn other_currencies_are_written_with_their_code() {
        assert_eq!(tr("en").money(1999, "chf"), "CHF\u{a0}19.99");
        assert_eq!(tr("ja").money(5124, "kwd"), "KWD\u{a0}5.124");
    }
}

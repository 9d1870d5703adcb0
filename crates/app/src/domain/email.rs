//! E-mail addresses, parsed once at the edge and normalised so one person has one account.
//!
//! `Email::parse` is the one gate for every address the service takes on (sign-up, e-mail
//! change, the contact form, the operator's CLI): a dot-atom local part (RFC 5322 `atext`,
//! plus the non-ASCII letters and digits RFC 6531 allows and our mailer, lettre, can address)
//! and a domain of valid DNS labels, internationalised
//! names included, checked by UTS 46 (the `idna` crate, the one `url` uses). Quoted local
//! parts, comments, domain literals and single-label hosts are refused: they are legal in
//! RFC 5322 but no one signs up with them, and they are how odd strings slip through.
//! Deliverability is proven by the e-mails we send, not here.

use std::fmt;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// A valid e-mail address: local part lower-cased (NFC), domain as its UTS 46 Unicode form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct EmailError;

/// RFC 5321's limits: 64 octets of local part, 254 for the whole path.
const MAX_LOCAL: usize = 64;
const MAX_ADDRESS: usize = 254;

impl Email {
    /// Accepts `local@domain.tld` (surrounding spaces trimmed) as described in the module
    /// docs; the same mailbox written in another case or Unicode form gives the same `Email`.
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let trimmed = input.trim();
        let (local, domain) = trimmed.split_once('@').ok_or(EmailError)?;
        // Composed first, so an accent typed as a combining mark counts as the letter it is.
        let local: String = local.nfc().collect();
        if !valid_local(&local) {
            return Err(EmailError);
        }
        let ascii = ascii_domain(domain).ok_or(EmailError)?;
        if local.len() + 1 + ascii.len() > MAX_ADDRESS {
            return Err(EmailError);
        }
        // Shown and stored in Unicode, as people write it; `ascii` was checked, so this is
        // the same name (errors are impossible here, and would only mean "keep ASCII").
        let (unicode, converted) =
            Uts46::new().to_unicode(ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::Check);
        let domain = if converted.is_ok() {
            unicode.into_owned()
        } else {
            ascii
        };
        Ok(Email(format!("{}@{domain}", local.to_lowercase())))
    }

    /// The addresses to find an existing account by, best first: the parsed form when
    /// `input` is valid, then `input` as the looser parser before strict parsing normalised
    /// it (trimmed, lower-cased) when that differs, so that accounts created then (an odd
    /// address, a domain typed in Punycode) can still sign in, reset their password and be
    /// found by the operator. It never creates or changes an account's address.
    pub fn lookup(input: &str) -> Vec<Email> {
        let trimmed = input.trim();
        let mut found: Vec<Email> = Email::parse(trimmed).into_iter().collect();
        let plausible = trimmed.contains('@')
            && trimmed.len() <= MAX_ADDRESS
            && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
        let legacy = Email(trimmed.to_lowercase());
        if plausible && !found.contains(&legacy) {
            found.push(legacy);
        }
        found
    }

    /// An address read back from the store, where it was saved already parsed (or, for
    /// accounts older than strict parsing, as the looser parser of the time left it).
    pub fn stored(address: &str) -> Email {
        Email(address.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A dot-atom: atoms of `atext` or non-ASCII letters and digits, joined by single dots, at
/// most 64 octets.
fn valid_local(local: &str) -> bool {
    let atext = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~".contains(c)
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    !local.is_empty()
        && local.len() <= MAX_LOCAL
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

/// The domain's ASCII (Punycode) form when it is a valid host name of two labels or more:
/// letters, digits and inner hyphens only (STD3), each label 1–63 octets, 253 in all, and a
/// top-level label that is not a number (so no IPv4 address passes as a domain).
fn ascii_domain(domain: &str) -> Option<String> {
    let ascii = Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Verify,
        )
        .ok()?
        .into_owned();
    let mut labels = ascii.split('.');
    let top = labels.next_back()?;
    let enough = labels.next().is_some();
    (enough && !top.bytes().all(|b| b.is_ascii_digit())).then_some(ascii)
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.ORG ").map(|e| e.0),
            Ok("ada@example.org".to_owned())
        );
    }

    #[test]
    fn everyday_addresses_are_accepted_as_written() {
        for good in [
            "ada@example.org",
            "ada.lovelace@example.org",
            "ada+atelier@example.org",
            "ada+tag+more@mail.example.co.uk",
            "o'brien@example.ie",
            "first_last-1@sub-domain.example.com",
            "x@example.com",
            "123@456.example",
            "!#$%&'*+-/=?^_`{|}~@example.org",
            "用户@例子.广告",
            "θσερ@εχαμπλε.ψομ",
            "ada@bücher.de",
            "ada@例え.jp",
        ] {
            assert_eq!(
                Email::parse(good).map(|e| e.0),
                Ok(good.to_lowercase()),
                "{good:?} should be accepted"
            );
        }
    }

    #[test]
    fn the_same_mailbox_in_another_form_is_the_same_address() {
        // Punycode and Unicode, upper and lower case, decomposed and composed accents.
        let one = Email::parse("Ada@Bücher.DE").expect("valid");
        assert_eq!(Email::parse("ada@xn--bcher-kva.de"), Ok(one.clone()));
        assert_eq!(Email::parse("ada@bu\u{308}cher.de"), Ok(one.clone()));
        assert_eq!(one.as_str(), "ada@bücher.de");
        assert_eq!(
            Email::parse("ada@XN--P1AI.example").map(|e| e.0),
            Ok("ada@рф.example".to_owned())
        );
        assert_eq!(
            Email::parse("Zoe\u{301}@example.org"),
            Email::parse("zo\u{e9}@example.org")
        );
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        let long_label = format!("ada@{}.org", "a".repeat(64));
        let long_local = format!("{}@example.org", "a".repeat(65));
        let long_domain = format!("ada@{}org", "abcdefghi.".repeat(25));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a da@example.org",
            "ada@.org",
            "a@b@c.org",
            // The address the issue reported accepted at sign-up.
            "x@example.com.'())))(\",",
            "ada@example.org.",
            "€@example.org",
            "ada@example..org",
            "ada@-example.org",
            "ada@example-.org",
            "ada@exa_mple.org",
            "ada@exa mple.org",
            "ada@example.org>",
            "<ada@example.org>",
            "Ada <ada@example.org>",
            "ada@[127.0.0.1]",
            "ada@127.0.0.1",
            "ada@example.123",
            "\"ada\"@example.org",
            "\"a b\"@example.org",
            "ada(comment)@example.org",
            ".ada@example.org",
            "ada.@example.org",
            "a..da@example.org",
            "ada,@example.org",
            "ada;@example.org",
            "ada\\@example.org",
            "ada@exa\u{0}mple.org",
            "ad\na@example.org",
            "ada@ex%61mple.org",
            "ada@xn--.org",
            "ada@ab--cd.org",
            &long_label,
            &long_local,
            &long_domain,
        ] {
            assert_eq!(
                Email::parse(bad),
                Err(EmailError),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn accounts_made_under_the_looser_parser_can_still_be_found() {
        let texts = |input: &str| {
            Email::lookup(input)
                .into_iter()
                .map(|e| e.0)
                .collect::<Vec<_>>()
        };
        let legacy = "x@example.com.'())))(\",";
        assert_eq!(texts(legacy), [legacy]);
        assert_eq!(texts(" Ada@Example.ORG "), ["ada@example.org"]);
        assert_eq!(
            texts("Ada@XN--BCHER-KVA.de"),
            ["ada@bücher.de", "ada@xn--bcher-kva.de"]
        );
        assert!(texts("no at sign").is_empty());
        assert!(texts("a b@example.org").is_empty());
    }

    /// A label of letters, digits and inner hyphens, never `xx--` (reserved for ACE).
    fn label() -> impl Strategy<Value = String> {
        "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"
            .prop_filter("no ACE prefix", |l| l.len() < 4 || &l[2..4] != "--")
    }

    fn domain() -> impl Strategy<Value = String> {
        (proptest::collection::vec(label(), 1..4), "[a-z]{2,10}")
            .prop_map(|(labels, top)| format!("{}.{top}", labels.join(".")))
    }

    fn local() -> impl Strategy<Value = String> {
        proptest::collection::vec("[a-z0-9éüç用户θ!#$%&'*+/=?^_`{|}~-]{1,12}", 1..4)
            .prop_map(|atoms| atoms.join("."))
            .prop_filter("64 octets at most", |local| local.len() <= 64)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every well-formed address is accepted, normalised to lower case, and parses to
        /// itself again; lettre, which sends our mail, accepts it too.
        #[test]
        fn well_formed_addresses_round_trip(local in local(), domain in domain(), upper in any::<bool>()) {
            let written = format!("{local}@{domain}");
            let input = if upper { written.to_uppercase() } else { written.clone() };
            let parsed = Email::parse(&input).expect("well formed");
            prop_assert_eq!(parsed.as_str(), written.as_str());
            prop_assert_eq!(Email::parse(parsed.as_str()), Ok(parsed.clone()));
            prop_assert!(parsed.as_str().parse::<lettre::Address>().is_ok());
        }

        /// Any string at all: never a panic, and whatever is accepted is one `@` between a
        /// dot-atom and a host name of valid labels, that parses to itself and that lettre
        /// takes.
        #[test]
        fn whatever_is_accepted_is_a_clean_address(input in "\\PC{0,40}|[a-z.@()<>\",;:\\[\\] -]{0,30}") {
            if let Ok(email) = Email::parse(&input) {
                let text = email.as_str();
                prop_assert_eq!(text.matches('@').count(), 1);
                prop_assert!(!text.chars().any(|c| c.is_whitespace() || c.is_control()));
                prop_assert!(!text.chars().any(|c| "()<>[]\",;:\\".contains(c)));
                prop_assert_eq!(Email::parse(text), Ok(email.clone()));
                prop_assert!(text.parse::<lettre::Address>().is_ok(), "{}", text);
            }
        }

        /// A character that no address may hold, anywhere in a valid one, makes it invalid.
        #[test]
        fn a_forbidden_character_anywhere_is_refused(
            local in local(),
            domain in domain(),
            bad in prop::sample::select(vec!['(', ')', '<', '>', '[', ']', '"', ',', ';', ':', '\\', ' ', '\t', '@', '\u{0}', '\u{7f}']),
            at in any::<prop::sample::Index>(),
        ) {
            let mut written: Vec<char> = format!("{local}@{domain}").chars().collect();
            let i = at.index(written.len() + 1);
            written.insert(i, bad);
            let input: String = written.into_iter().collect();
            // A space at either end is trimmed, which is fine.
            prop_assume!(!(bad == ' ' || bad == '\t') || (i != 0 && i != input.chars().count() - 1));
            prop_assert_eq!(Email::parse(&input), Err(EmailError), "{:?}", input);
        }
    }
}

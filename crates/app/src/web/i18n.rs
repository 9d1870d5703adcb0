//! Translations (Project Fluent): every user-facing string of the pages comes from
//! `locales/<lang>/main.ftl`, compiled into the binary. English now; Japanese and Korean
//! are added as folders beside it.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::http::{HeaderMap, header};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en-US",
        // Unicode isolation marks around placeables confuse copy-paste and tests; our
        // placeables are numbers and e-mail addresses.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A translator for one request's language.
#[derive(Clone, Debug)]
pub struct Tr {
    lang: LanguageIdentifier,
}

impl Tr {
    /// Picks the first language of `Accept-Language` we have, else English.
    pub fn from_headers(headers: &HeaderMap) -> Tr {
        let wanted = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let available: Vec<LanguageIdentifier> = LOCALES.locales().cloned().collect();
        let lang = wanted
            .split(',')
            .filter_map(|part| part.split(';').next())
            .filter_map(|tag| tag.trim().parse::<LanguageIdentifier>().ok())
            .find_map(|tag| {
                available
                    .iter()
                    .find(|have| have.language == tag.language)
                    .cloned()
            })
            .unwrap_or_else(english);
        Tr { lang }
    }

    /// The translator for a stored language tag (a user's `locale`): the language we have
    /// that matches it, else English.
    pub fn for_locale(tag: Option<&str>) -> Tr {
        let lang = tag
            .and_then(|tag| tag.parse::<LanguageIdentifier>().ok())
            .and_then(|tag| {
                LOCALES
                    .locales()
                    .find(|have| have.language == tag.language)
                    .cloned()
            })
            .unwrap_or_else(english);
        Tr { lang }
    }

    pub fn lang(&self) -> String {
        self.lang.to_string()
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.lang, key)
    }

    /// The message `key` with one argument.
    pub fn t1(
        &self,
        key: &str,
        name: &'static str,
        value: impl Into<FluentValue<'static>>,
    ) -> String {
        self.tn(key, vec![(name, value.into())])
    }

    /// The message `key` with several arguments.
    pub fn tn(&self, key: &str, args: Vec<(&'static str, FluentValue<'static>)>) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .into_iter()
            .map(|(name, value)| (Cow::Borrowed(name), value))
            .collect();
        LOCALES.lookup_with_args(&self.lang, key, &args)
    }
}

impl Tr {
    /// The message `key` with `args`, or `None` when no language (not even the fallback) has
    /// it: mail must never go out with a placeholder for a subject.
    pub fn try_tn(
        &self,
        key: &str,
        args: Vec<(&'static str, FluentValue<'static>)>,
    ) -> Option<String> {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .into_iter()
            .map(|(name, value)| (Cow::Borrowed(name), value))
            .collect();
        LOCALES.try_lookup_with_args(&self.lang, key, &args)
    }
}

fn english() -> LanguageIdentifier {
    LanguageIdentifier::from_bytes(b"en-US").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_plurals_come_from_the_english_file() {
        let tr = Tr::from_headers(&HeaderMap::new());

        assert_eq!(tr.t("nav-sign-in"), "Sign in");
        assert_eq!(tr.t1("nav-tokens", "balance", 1), "1 token");
        assert_eq!(tr.t1("nav-tokens", "balance", 3), "3 tokens");
    }

    #[test]
    fn unknown_languages_fall_back_to_english() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            "xx-YY, fr;q=0.8".parse().expect("header"),
        );

        assert_eq!(Tr::from_headers(&headers).lang(), "en-US");
    }

    #[test]
    fn a_stored_locale_picks_its_language_or_english() {
        assert_eq!(Tr::for_locale(Some("en-GB")).lang(), "en-US");
        assert_eq!(Tr::for_locale(Some("xx")).lang(), "en-US");
        assert_eq!(Tr::for_locale(Some("not a tag!")).lang(), "en-US");
        assert_eq!(Tr::for_locale(None).lang(), "en-US");
    }
}

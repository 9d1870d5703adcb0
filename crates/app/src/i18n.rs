//! Translations (Project Fluent), shared by the pages, the API's error messages and the mail:
//! every user-facing string comes from `locales/<lang>/*.ftl`, compiled into the binary, in
//! English, Japanese and Korean.
//!
//! The reader's language is the `atelier_lang` cookie set by the footer's switcher
//! (`web/lang.rs`), else the first language of `Accept-Language` we have, else English.
//! Dates, prices and countdowns in that language are in `web/format.rs`. This module
//! only picks and looks up; it never reads the database.

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

/// The cookie that remembers the language chosen with the switcher.
pub const LANG_COOKIE: &str = "atelier_lang";

/// The languages the switcher offers, each named in itself.
pub const LANGUAGES: [(&str, &str); 3] = [
    ("en-US", "English"),
    ("ja-JP", "日本語"),
    ("ko-KR", "한국어"),
];

/// A translator for one request's language.
#[derive(Clone, Debug)]
pub struct Tr {
    lang: LanguageIdentifier,
}

impl Tr {
    /// The switcher's cookie if it names a language we have, else the first language of
    /// `Accept-Language` we have, else English.
    pub fn from_headers(headers: &HeaderMap) -> Tr {
        let lang = chosen_language(headers)
            .or_else(|| accepted_language(headers))
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

    /// A translator for one of our languages, matched by its language subtag (`ja`, `ko-KR`).
    pub fn for_tag(tag: &str) -> Option<Tr> {
        supported(tag).map(|lang| Tr { lang })
    }

    pub fn lang(&self) -> String {
        self.lang.to_string()
    }

    /// The language subtag alone (`en`, `ja`, `ko`), for formatting choices.
    pub fn language(&self) -> &str {
        self.lang.language.as_str()
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

    /// The switcher's entries: code, name in its own language, whether it is this one.
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        let current = self.lang();
        LANGUAGES
            .iter()
            .map(|(code, name)| (*code, *name, *code == current))
            .collect()
    }
}

/// One of our languages matching `tag` by its language subtag.
fn supported(tag: &str) -> Option<LanguageIdentifier> {
    let tag = tag.trim().parse::<LanguageIdentifier>().ok()?;
    LOCALES
        .locales()
        .find(|have| have.language == tag.language)
        .cloned()
}

/// The language remembered by the switcher's cookie, if we have it.
fn chosen_language(headers: &HeaderMap) -> Option<LanguageIdentifier> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| supported(value))
}

/// The first language of `Accept-Language` we have. Quality values are not sorted: browsers
/// list languages in the reader's order.
fn accepted_language(headers: &HeaderMap) -> Option<LanguageIdentifier> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| part.split(';').next())
        .find_map(supported)
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
#[path = "i18n_tests.rs"]
mod tests;

//! Language choice, and the walk over every Fluent file of every locale: same files, same
//! keys, valid syntax, and no placeable English does not pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use fluent_syntax::ast;

use super::*;

fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(name.clone(), value.parse().expect("header value"));
    }
    map
}

#[test]
fn messages_and_plurals_come_from_the_english_file() {
    let tr = Tr::from_headers(&HeaderMap::new());

    assert_eq!(tr.t("nav-sign-in"), "Sign in");
    assert_eq!(tr.t1("nav-tokens", "balance", 1), "1 token");
    assert_eq!(tr.t1("nav-tokens", "balance", 3), "3 tokens");
}

#[test]
fn unknown_languages_fall_back_to_english() {
    let map = headers(&[(header::ACCEPT_LANGUAGE, "xx-YY, fr;q=0.8")]);

    assert_eq!(Tr::from_headers(&map).lang(), "en-US");
}

#[test]
fn accept_language_picks_japanese_and_korean_by_language_subtag() {
    let ja = headers(&[(header::ACCEPT_LANGUAGE, "fr-CH, ja;q=0.9, en;q=0.5")]);
    let ko = headers(&[(header::ACCEPT_LANGUAGE, "ko-KR,ko;q=0.9")]);

    assert_eq!(Tr::from_headers(&ja).lang(), "ja-JP");
    assert_eq!(Tr::from_headers(&ja).t("nav-sign-in"), "ログイン");
    assert_eq!(Tr::from_headers(&ko).lang(), "ko-KR");
    assert_eq!(
        Tr::from_headers(&ko).t1("nav-tokens", "balance", 3),
        "토큰 3개"
    );
}

#[test]
fn the_switchers_cookie_beats_accept_language() {
    let map = headers(&[
        (header::ACCEPT_LANGUAGE, "ja"),
        (header::COOKIE, "atelier_session=x; atelier_lang=ko-KR"),
    ]);

    assert_eq!(Tr::from_headers(&map).lang(), "ko-KR");
}

#[test]
fn a_cookie_naming_no_language_of_ours_is_ignored() {
    let map = headers(&[
        (header::ACCEPT_LANGUAGE, "ja"),
        (header::COOKIE, "atelier_lang=de-DE"),
    ]);

    assert_eq!(Tr::from_headers(&map).lang(), "ja-JP");
}

#[test]
fn the_switcher_offers_exactly_the_locale_folders() {
    let folders: BTreeSet<String> = locale_folders().into_keys().collect();
    let offered: BTreeSet<String> = LANGUAGES.iter().map(|(c, _)| (*c).to_owned()).collect();

    assert_eq!(folders, offered);
}

/// Every file of every locale, and problems found in it, named `lang/file.ftl`.
#[test]
fn every_locale_has_every_english_message_with_the_same_placeables() {
    let folders = locale_folders();
    let mut problems = Vec::new();
    let catalogues: BTreeMap<String, Catalogue> = folders
        .iter()
        .map(|(lang, dir)| (lang.clone(), Catalogue::read(lang, dir, &mut problems)))
        .collect();
    let Some(english) = catalogues.get("en-US") else {
        panic!("no locales/en-US folder");
    };

    for (lang, catalogue) in &catalogues {
        if lang == "en-US" {
            continue;
        }
        compare(english, lang, catalogue, &mut problems);
    }

    assert!(
        problems.is_empty(),
        "{} translation problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

fn locale_folders() -> BTreeMap<String, std::path::PathBuf> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/locales"));
    let entries = std::fs::read_dir(root).expect("locales folder");
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect()
}

/// What a message needs to be checked against its English original.
struct MessageInfo {
    file: String,
    variables: BTreeSet<String>,
    attributes: BTreeSet<String>,
    references: BTreeSet<String>,
}

/// One locale: its file names and its messages (terms count as `-name`).
struct Catalogue {
    files: BTreeSet<String>,
    messages: BTreeMap<String, MessageInfo>,
}

impl Catalogue {
    fn read(lang: &str, dir: &Path, problems: &mut Vec<String>) -> Catalogue {
        let mut catalogue = Catalogue {
            files: BTreeSet::new(),
            messages: BTreeMap::new(),
        };
        let entries = std::fs::read_dir(dir).expect("locale folder");
        let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
        {
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let source = match std::fs::read_to_string(path) {
                Ok(source) => source,
                Err(e) => {
                    problems.push(format!("{lang}/{file}: cannot be read: {e}"));
                    continue;
                }
            };
            catalogue.add_file(lang, &file, &source, problems);
            catalogue.files.insert(file);
        }
        catalogue
    }

    fn add_file(&mut self, lang: &str, file: &str, source: &str, problems: &mut Vec<String>) {
        let resource = match fluent_syntax::parser::parse(source) {
            Ok(resource) => resource,
            Err((resource, errors)) => {
                for error in errors {
                    // The line where the broken entry starts, which is where a translator looks.
                    let at = error.slice.as_ref().map_or(error.pos.start, |s| s.start);
                    let line = source.get(..at).unwrap_or(source).matches('\n').count() + 1;
                    problems.push(format!(
                        "{lang}/{file}: syntax error on line {line}: {:?}",
                        error.kind
                    ));
                }
                resource
            }
        };
        for entry in &resource.body {
            let (id, value, attributes) = match entry {
                ast::Entry::Message(m) => (m.id.name.to_owned(), m.value.as_ref(), &m.attributes),
                ast::Entry::Term(t) => (format!("-{}", t.id.name), Some(&t.value), &t.attributes),
                _ => continue,
            };
            let mut info = MessageInfo {
                file: file.to_owned(),
                variables: BTreeSet::new(),
                attributes: attributes.iter().map(|a| a.id.name.to_owned()).collect(),
                references: BTreeSet::new(),
            };
            for pattern in value.into_iter().chain(attributes.iter().map(|a| &a.value)) {
                walk_pattern(pattern, &mut info);
            }
            if let Some(first) = self.messages.get(&id) {
                problems.push(format!(
                    "{lang}/{file}: `{id}` is defined again (first in {lang}/{})",
                    first.file
                ));
                continue;
            }
            self.messages.insert(id, info);
        }
    }
}

fn walk_pattern(pattern: &ast::Pattern<&str>, info: &mut MessageInfo) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            walk_expression(expression, info);
        }
    }
}

fn walk_expression(expression: &ast::Expression<&str>, info: &mut MessageInfo) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            walk_inline(selector, info);
            for variant in variants {
                walk_pattern(&variant.value, info);
            }
        }
        ast::Expression::Inline(inline) => walk_inline(inline, info),
    }
}

fn walk_inline(inline: &ast::InlineExpression<&str>, info: &mut MessageInfo) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            info.variables.insert(id.name.to_owned());
        }
        ast::InlineExpression::MessageReference { id, .. } => {
            info.references.insert(id.name.to_owned());
        }
        ast::InlineExpression::TermReference { id, arguments, .. } => {
            info.references.insert(format!("-{}", id.name));
            for argument in arguments.iter().flat_map(|a| &a.positional) {
                walk_inline(argument, info);
            }
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                walk_inline(argument, info);
            }
            for named in &arguments.named {
                walk_inline(&named.value, info);
            }
        }
        ast::InlineExpression::Placeable { expression } => walk_expression(expression, info),
        ast::InlineExpression::StringLiteral { .. }
        | ast::InlineExpression::NumberLiteral { .. } => {}
    }
}

fn compare(english: &Catalogue, lang: &str, other: &Catalogue, problems: &mut Vec<String>) {
    for file in english.files.difference(&other.files) {
        problems.push(format!("{lang}/{file} is missing (en-US/{file} exists)"));
    }
    for file in other.files.difference(&english.files) {
        problems.push(format!(
            "{lang}/{file} has no English original en-US/{file}"
        ));
    }
    for (key, original) in &english.messages {
        let Some(translation) = other.messages.get(key) else {
            problems.push(format!(
                "{lang}/{}: `{key}` is missing (en-US/{} has it)",
                original.file, original.file
            ));
            continue;
        };
        let place = format!("{lang}/{}: `{key}`", translation.file);
        if translation.file != original.file {
            problems.push(format!("{place} belongs in {lang}/{}", original.file));
        }
        for variable in translation.variables.difference(&original.variables) {
            problems.push(format!(
                "{place} uses {{ ${variable} }}, which English does not"
            ));
        }
        for variable in original.variables.difference(&translation.variables) {
            problems.push(format!(
                "{place} drops {{ ${variable} }}, which English shows"
            ));
        }
        if translation.attributes != original.attributes {
            problems.push(format!(
                "{place} has attributes {:?}, English {:?}",
                translation.attributes, original.attributes
            ));
        }
    }
    for (key, translation) in &other.messages {
        if !english.messages.contains_key(key) {
            problems.push(format!(
                "{lang}/{}: `{key}` is not in en-US",
                translation.file
            ));
        }
        for reference in &translation.references {
            if !other.messages.contains_key(reference) {
                problems.push(format!(
                    "{lang}/{}: `{key}` refers to `{reference}`, which {lang} lacks",
                    translation.file
                ));
            }
        }
    }
}

fn catalogue_of(lang: &str, files: &[(&str, &str)], problems: &mut Vec<String>) -> Catalogue {
    let mut catalogue = Catalogue {
        files: BTreeSet::new(),
        messages: BTreeMap::new(),
    };
    for (file, source) in files {
        catalogue.add_file(lang, file, source, problems);
        catalogue.files.insert((*file).to_owned());
    }
    catalogue
}

#[test]
fn the_walk_names_every_kind_of_translation_problem() {
    let mut problems = Vec::new();
    let english = catalogue_of(
        "en-US",
        &[
            (
                "main.ftl",
                "hi = Hello { $name }\ncount = { $n ->\n    [one] one\n   *[other] { $n } items\n}\ngone = Gone\n",
            ),
            ("mail.ftl", "subject = Welcome\n"),
        ],
        &mut problems,
    );
    let japanese = catalogue_of(
        "ja-JP",
        &[(
            "main.ftl",
            "hi = こんにちは { $user }\ncount = { $n ->\n  [one] 一つ\n}\nextra = 余分\nhi = again\nlink = { missing }\n",
        )],
        &mut problems,
    );

    compare(&english, "ja-JP", &japanese, &mut problems);

    let all = problems.join("\n");
    for expected in [
        "ja-JP/main.ftl: syntax error on line 2: MissingDefaultVariant",
        "ja-JP/main.ftl: `hi` is defined again",
        "ja-JP/mail.ftl is missing",
        "ja-JP/mail.ftl: `subject` is missing",
        "ja-JP/main.ftl: `gone` is missing",
        "ja-JP/main.ftl: `hi` uses { $user }, which English does not",
        "ja-JP/main.ftl: `hi` drops { $name }, which English shows",
        "ja-JP/main.ftl: `extra` is not in en-US",
        "ja-JP/main.ftl: `link` refers to `missing`, which ja-JP lacks",
    ] {
        assert!(all.contains(expected), "{expected:?} not in:\n{all}");
    }
}

#[test]
fn a_stored_locale_picks_its_language_or_english() {
    assert_eq!(Tr::for_locale(Some("en-GB")).lang(), "en-US");
    assert_eq!(Tr::for_locale(Some("ja-JP")).lang(), "ja-JP");
    assert_eq!(Tr::for_locale(Some("xx")).lang(), "en-US");
    assert_eq!(Tr::for_locale(Some("not a tag!")).lang(), "en-US");
    assert_eq!(Tr::for_locale(None).lang(), "en-US");
}

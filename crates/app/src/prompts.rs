//! Text prompts (C9): the length limit and the filter every prompt passes before anything is
//! queued, spent or sent to a back-end.
//!
//! The filter is a list of forbidden terms (the shipped multilingual list
//! `data/forbidden-prompt-terms.txt`, plus the operator's) matched after the same
//! normalisation on both sides: NFKC (full/half width, compatibility forms), accents dropped,
//! lower case, hiragana folded to katakana, digit/symbol look-alikes read as letters
//! (`s3x`, `p0rn`, `$ex`), punctuation between letters removed (`n.u.d.e`), runs of single
//! letters joined (`n u d e`), stretched letters squeezed (`nuuude`). Latin-script terms
//! match whole words (or prefixes, `nud*`) so "classic" or "Sussex" never match "ass" or
//! "sex"; Japanese and Korean terms match anywhere, since those scripts do not separate words.
//!
//! Logging: a refusal is logged with the user, the style and the prompt's length, never the
//! prompt or the matched term (which would quote it): prompts are personal data kept only
//! as long as their result, and logs are kept longer and seen by more people.

use unicode_normalization::UnicodeNormalization;

use crate::config::PromptsConfig;

const BUILTIN_TERMS: &str = include_str!("../data/forbidden-prompt-terms.txt");

/// Why a prompt is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    #[error("the prompt is empty")]
    Empty,
    #[error("the prompt is longer than {max} characters")]
    TooLong { max: usize },
    #[error("this prompt contains words this studio does not accept")]
    Refused,
}

impl PromptError {
    pub fn code(&self) -> &'static str {
        match self {
            PromptError::Empty => "prompt-empty",
            PromptError::TooLong { .. } => "prompt-too-long",
            PromptError::Refused => "prompt-refused",
        }
    }
}

#[derive(Debug, Clone)]
enum Term {
    /// Whole words in a row (`["child", "porn"]`), or one word.
    Words(Vec<String>),
    /// Words starting with this.
    Prefix(String),
    /// Anywhere in the text's letters (Japanese, Korean, Chinese characters).
    Anywhere(String),
}

#[derive(Debug, Clone)]
pub struct PromptFilter {
    terms: Vec<Term>,
    max_chars: usize,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x31F0..=0x31FF    // katakana extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0x1100..=0x11FF    // hangul jamo
        | 0x3130..=0x318F    // hangul compatibility jamo
        | 0xAC00..=0xD7AF    // hangul syllables
    )
}

/// NFKC, accents off, lower case, hiragana as katakana.
fn fold(text: &str) -> String {
    let stripped: String = text
        .nfkd()
        .filter(|c| !matches!(*c as u32, 0x0300..=0x036F))
        .collect();
    stripped
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| match c as u32 {
            // Hiragana ぁ..ゖ sit 0x60 below their katakana.
            0x3041..=0x3096 => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !matches!(*c as u32, 0x200B..=0x200F | 0x2060 | 0xFEFF | 0xAD))
        .collect()
}

fn unleet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' | '+' => 't',
        '8' => 'b',
        c => c,
    }
}

/// The Latin-script words of `folded` text, and the extra spellings to check: each chunk
/// with its punctuation removed, and runs of single letters joined.
fn words(folded: &str) -> (Vec<String>, Vec<String>) {
    let mut words = Vec::new();
    let mut joined = Vec::new();
    let mut single_run = String::new();
    let flush_run = |run: &mut String, joined: &mut Vec<String>| {
        if run.chars().count() >= 2 {
            joined.push(run.clone());
        }
        run.clear();
    };
    for chunk in folded.split(|c: char| c.is_whitespace() || is_cjk(c)) {
        if chunk.is_empty() {
            continue;
        }
        let has_letter = chunk.chars().any(char::is_alphabetic);
        let chunk: String = if has_letter {
            chunk.chars().map(unleet).collect()
        } else {
            chunk.to_owned()
        };
        let parts: Vec<String> = chunk
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if parts.len() > 1 {
            joined.push(parts.concat());
        }
        for part in parts {
            if part.chars().count() == 1 && part.chars().all(char::is_alphabetic) {
                single_run.push_str(&part);
            } else {
                flush_run(&mut single_run, &mut joined);
            }
            words.push(part);
        }
    }
    flush_run(&mut single_run, &mut joined);
    (words, joined)
}

fn squeeze(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last = None;
    for c in word.chars() {
        if last != Some(c) {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

/// `word` is `term`, or `term` with letters stretched (`nuuude`).
fn same_word(word: &str, term: &str) -> bool {
    word == term || (word.len() > term.len() && squeeze(word) == squeeze(term))
}

impl PromptFilter {
    /// The filter the config asks for: the shipped list (unless `builtin_terms = false`),
    /// `forbidden_terms` and the lines of `terms_file`.
    pub fn from_config(config: &PromptsConfig) -> Result<PromptFilter, String> {
        let mut lines: Vec<String> = Vec::new();
        if config.builtin_terms {
            lines.extend(BUILTIN_TERMS.lines().map(str::to_owned));
        }
        lines.extend(config.forbidden_terms.iter().cloned());
        if let Some(path) = &config.terms_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read prompts.terms_file {}: {e}", path.display()))?;
            lines.extend(text.lines().map(str::to_owned));
        }
        Ok(PromptFilter::new(
            lines.iter().map(String::as_str),
            config.max_chars,
        ))
    }

    /// A filter of `terms` (list syntax; blank lines and `#` comments skipped).
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>, max_chars: usize) -> PromptFilter {
        let terms = terms
            .into_iter()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|line| !line.is_empty())
            .filter_map(|line| {
                let folded = fold(line);
                if folded.chars().any(is_cjk) {
                    let letters: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
                    return (!letters.is_empty()).then_some(Term::Anywhere(letters));
                }
                let prefix = folded.ends_with('*');
                let (words, _) = words(folded.trim_end_matches('*'));
                match (prefix, words.as_slice()) {
                    (_, []) => None,
                    (true, [one]) => Some(Term::Prefix(one.clone())),
                    _ => Some(Term::Words(words)),
                }
            })
            .collect();
        PromptFilter { terms, max_chars }
    }

    pub fn max_chars(&self) -> usize {
        self.max_chars
    }

    /// Checks `prompt`; returns it trimmed when it may be used.
    pub fn check<'p>(&self, prompt: &'p str) -> Result<&'p str, PromptError> {
        let prompt = prompt.trim();
        if prompt.is_empty() {
            return Err(PromptError::Empty);
        }
        if prompt.chars().count() > self.max_chars {
            return Err(PromptError::TooLong {
                max: self.max_chars,
            });
        }
        if self.matches(prompt) {
            return Err(PromptError::Refused);
        }
        Ok(prompt)
    }

    fn matches(&self, prompt: &str) -> bool {
        let folded = fold(prompt);
        let letters: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
        let (words, joined) = words(&folded);
        let candidates = || words.iter().chain(joined.iter());
        self.terms.iter().any(|term| match term {
            Term::Anywhere(text) => letters.contains(text.as_str()),
            Term::Prefix(prefix) => candidates().any(|w| w.starts_with(prefix.as_str())),
            Term::Words(sequence) => {
                let together = sequence.concat();
                candidates().any(|w| same_word(w, &together))
                    || (sequence.len() > 1
                        && words.windows(sequence.len()).any(|window| {
                            window.iter().zip(sequence).all(|(w, t)| same_word(w, t))
                        }))
                    || (sequence.len() > 1
                        && (2..=sequence.len() + 2).any(|n| {
                            words
                                .windows(n)
                                .any(|window| same_word(&window.concat(), &together))
                        }))
            }
        })
    }
}

#[cfg(test)]
#[path = "prompts_tests.rs"]
mod tests;

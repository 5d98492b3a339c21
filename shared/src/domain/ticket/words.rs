//! Finding words from a list in what customers wrote.
//!
//! - A word with any non-ASCII character (Chinese) matches as a substring: Chinese has no
//!   spaces, so `退款` is found in `我要退款`.
//! - An ASCII word (English, or a number such as `12315`) matches whole words only, ignoring
//!   case, so `sue` is not found in `issue`; a trailing `*` matches any ending (`refund*` finds
//!   `refunds` and `refunded`). Runs of white space count as one space, so `never again`
//!   matches across a line break.
//!
//! This is keyword spotting, not understanding: `没有投诉` ("no complaint") still contains
//! `投诉`. The rules err towards opening a ticket that a person then reads.

use crate::error::Error;

/// Longest word or phrase in a list, in characters.
pub const MAX_WORD_CHARS: usize = 64;
/// Most words in one list.
pub const MAX_WORDS: usize = 500;

/// Text prepared for matching: lower case, white space runs as one space.
pub(crate) struct Haystack {
    text: String,
}

impl Haystack {
    pub(crate) fn new<'a>(texts: impl IntoIterator<Item = &'a String>) -> Haystack {
        let mut text = String::new();
        for part in texts {
            // A separator that is not a word character keeps the texts from running together.
            text.push('\n');
            text.push_str(&part.to_lowercase());
        }
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Haystack { text }
    }

    /// Whether `word` (as written in the settings) occurs.
    pub(crate) fn contains(&self, word: &str) -> bool {
        let word = normalise(word);
        let (word, prefix) = match word.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (word.as_str(), false),
        };
        if word.is_empty() {
            return false;
        }
        if !word.is_ascii() {
            return self.text.contains(word);
        }
        let bytes = self.text.as_bytes();
        self.text.match_indices(word).any(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + word.len()).copied();
            !before.is_some_and(is_word_byte) && (prefix || !after.is_some_and(is_word_byte))
        })
    }

    /// The words of `list` that occur, in list order, each once.
    pub(crate) fn found<'w>(&self, list: &'w [String]) -> Vec<&'w str> {
        let mut found: Vec<&str> = Vec::new();
        for word in list {
            let word = word.trim();
            if !found.contains(&word) && self.contains(word) {
                found.push(word);
            }
        }
        found
    }
}

/// A word of a settings list as it is matched: trimmed, lower case, inner spaces single.
fn normalise(word: &str) -> String {
    word.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// ASCII letters and digits make up English words; anything else (space, punctuation, a
/// Chinese character) is a boundary.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Checks a word list from the settings: bounded, no empty or repeated words.
pub(crate) fn check_list(field: &str, list: &[String]) -> Result<(), Error> {
    if list.len() > MAX_WORDS {
        return Err(Error::invalid(field, format!("at most {MAX_WORDS} words")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, word) in list.iter().enumerate() {
        let field = format!("{field}[{i}]");
        let normal = normalise(word);
        if normal.trim_end_matches('*').is_empty() {
            return Err(Error::invalid(field, "a word cannot be empty"));
        }
        if normal.chars().count() > MAX_WORD_CHARS {
            return Err(Error::invalid(
                field,
                format!("at most {MAX_WORD_CHARS} characters"),
            ));
        }
        if normal.chars().any(char::is_control) {
            return Err(Error::invalid(field, "no control characters"));
        }
        if normal.trim_end_matches('*').contains('*') {
            return Err(Error::invalid(
                field,
                "`*` may only end a word (refund* matches refunds and refunded)",
            ));
        }
        if !seen.insert(normal) {
            return Err(Error::invalid(field, format!("{word:?} is listed twice")));
        }
    }
    Ok(())
}

/// Owned list of words, for the defaults.
pub(crate) fn list(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

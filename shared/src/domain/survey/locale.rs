//! The languages a survey speaks, and texts written in each of them.

use std::fmt;
use std::str::FromStr;

use serde::de;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::shorten;

/// The languages every label is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Locale {
    /// Simplified Chinese, `zh-CN`.
    ZhCn,
    /// English, `en`.
    En,
}

/// A language tag that matches none of our locales.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported locale \"{0}\"; use \"zh-CN\" or \"en\"")]
pub struct UnknownLocale(pub String);

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The canonical tag: `zh-CN` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }
}

impl FromStr for Locale {
    type Err = UnknownLocale;

    /// Best match on the primary language subtag, case-insensitively: `zh`, `zh-CN`, `zh_cn`,
    /// `zh-Hans`, `zh-TW` → `ZhCn`; `en`, `en-US`, `EN-gb` → `En`.
    fn from_str(tag: &str) -> Result<Locale, UnknownLocale> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("zh") {
            Ok(Locale::ZhCn)
        } else if primary.eq_ignore_ascii_case("en") {
            Ok(Locale::En)
        } else {
            Err(UnknownLocale(shorten(tag, 40)))
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Locale {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Locale, D::Error> {
        let tag = String::deserialize(deserializer)?;
        tag.parse().map_err(de::Error::custom)
    }
}

/// A text in every locale: `{"zh-CN": "整体满意度", "en": "Overall satisfaction"}`.
///
/// Deserializing insists on both locales; [`SurveyDefinition::validate`] insists that neither
/// is blank nor longer than [`MAX_LABEL_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawLocalized")]
pub struct Localized {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
}

impl Localized {
    pub fn new(zh_cn: impl Into<String>, en: impl Into<String>) -> Localized {
        Localized {
            zh_cn: zh_cn.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.zh_cn,
            Locale::En => &self.en,
        }
    }
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a text object with both locales, like {\"zh-CN\": \"…\", \"en\": \"…\"}"
)]
struct RawLocalized {
    #[serde(rename = "zh-CN")]
    zh_cn: Option<String>,
    en: Option<String>,
}

impl TryFrom<RawLocalized> for Localized {
    type Error = String;

    fn try_from(raw: RawLocalized) -> Result<Localized, String> {
        let missing = |which: &str| {
            format!(
                "a text is missing its {which}; every label needs both \"zh-CN\" (Simplified Chinese) and \"en\" (English)"
            )
        };
        match (raw.zh_cn, raw.en) {
            (Some(zh_cn), Some(en)) => Ok(Localized { zh_cn, en }),
            (None, Some(_)) => Err(missing("\"zh-CN\" (Simplified Chinese) version")),
            (Some(_), None) => Err(missing("\"en\" (English) version")),
            (None, None) => Err(missing("\"zh-CN\" and \"en\" versions")),
        }
    }
}

//! The `reports` settings: the KPI targets the report compares against, who receives the
//! scheduled reports, and in which language.

use serde::{Deserialize, Serialize};

use crate::domain::survey::Locale;
use crate::error::Error;

/// Most recipients of the scheduled report email.
pub const MAX_RECIPIENTS: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub targets: Targets,
    /// Emailed the weekly and monthly reports (HTML).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// The language of the scheduled reports.
    #[serde(default = "default_locale")]
    pub locale: Locale,
    /// The surveys the schedules report on; empty: every survey.
    #[serde(default)]
    pub surveys: Vec<String>,
}

fn default_locale() -> Locale {
    Locale::ZhCn
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            version: 0,
            targets: Targets::default(),
            recipients: Vec::new(),
            locale: default_locale(),
            surveys: Vec::new(),
        }
    }
}

/// The targets of the source documents, as defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Answered ÷ sent invitations, percent (≥).
    #[serde(default = "default_collection")]
    pub collection_rate_percent: f64,
    /// The first-response time level 1 is held to, hours (shown beside the KPI; the deadline
    /// itself is the SLA policy's).
    #[serde(default = "default_level_1_hours")]
    pub level_1_respond_hours: f64,
    /// Tickets responded to within their deadline, percent (≥).
    #[serde(default = "default_in_time")]
    pub responded_in_time_percent: f64,
    /// Resolved ÷ opened tickets, percent (≥).
    #[serde(default = "default_fix")]
    pub fix_rate_percent: f64,
}

fn default_collection() -> f64 {
    95.0
}
fn default_level_1_hours() -> f64 {
    2.0
}
fn default_in_time() -> f64 {
    95.0
}
fn default_fix() -> f64 {
    90.0
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            collection_rate_percent: default_collection(),
            level_1_respond_hours: default_level_1_hours(),
            responded_in_time_percent: default_in_time(),
            fix_rate_percent: default_fix(),
        }
    }
}

impl ReportSettings {
    pub fn from_json(text: &str) -> Result<ReportSettings, Error> {
        let settings: ReportSettings = serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                "settings",
                format!("not valid reports settings: {e} (fields: targets, recipients, locale, surveys)"),
            )
        })?;
        settings.check()?;
        Ok(settings)
    }

    pub fn check(&self) -> Result<(), Error> {
        let percent = |field: &str, value: f64| {
            if (0.0..=100.0).contains(&value) {
                Ok(())
            } else {
                Err(Error::invalid(
                    format!("targets.{field}"),
                    "a percentage from 0 to 100",
                ))
            }
        };
        percent(
            "collection_rate_percent",
            self.targets.collection_rate_percent,
        )?;
        percent(
            "responded_in_time_percent",
            self.targets.responded_in_time_percent,
        )?;
        percent("fix_rate_percent", self.targets.fix_rate_percent)?;
        let hours = self.targets.level_1_respond_hours;
        if !(hours > 0.0 && hours <= 720.0) {
            return Err(Error::invalid(
                "targets.level_1_respond_hours",
                "hours above 0, at most 720",
            ));
        }
        if self.recipients.len() > MAX_RECIPIENTS {
            return Err(Error::invalid(
                "recipients",
                format!("at most {MAX_RECIPIENTS} addresses"),
            ));
        }
        for (i, address) in self.recipients.iter().enumerate() {
            let ok = address.len() <= 254
                && address.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && domain.contains('.')
                        && !address.chars().any(|c| c.is_whitespace() || c.is_control())
                });
            if !ok {
                return Err(Error::invalid(
                    format!("recipients[{i}]"),
                    format!("{address:?} is not an email address"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_source_documents_targets() {
        let settings = ReportSettings::from_json("{}").unwrap();
        assert_eq!(settings.targets.collection_rate_percent, 95.0);
        assert_eq!(settings.targets.fix_rate_percent, 90.0);
        assert_eq!(settings.targets.level_1_respond_hours, 2.0);
        assert_eq!(settings.locale, Locale::ZhCn);
    }

    #[test]
    fn bad_settings_name_their_field() {
        let err = ReportSettings::from_json(r#"{"targets": {"fix_rate_percent": 120}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("targets.fix_rate_percent"), "{err}");
        let err = ReportSettings::from_json(r#"{"recipients": ["boss@example.com", "nope"]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("recipients[1]"), "{err}");
        let err = ReportSettings::from_json(r#"{"target": {}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field"), "{err}");
    }
}

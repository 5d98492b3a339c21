//! Typed configuration, read from the environment once at start-up.

use std::fmt;

use chrono_tz::Tz;

use crate::domain::delivery::{DeliveryRules, QuietHours, SmsSignature};
use crate::domain::survey::SurveyId;

/// The JWT claim that carries a user's groups when `GROUPS_CLAIM` is not set: Cognito's.
pub const DEFAULT_GROUPS_CLAIM: &str = "cognito:groups";

/// What every function needs to know about its deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub table_name: String,
    pub alerts_topic_arn: String,
    pub sender_email: String,
    /// Base URL customers' links point to, without a trailing slash.
    pub public_base_url: String,
    pub company_contact_email: String,
    pub company_contact_phone: String,
    pub retention_days: u32,
    /// `BUSINESS_TIME_ZONE` (IANA, default `Asia/Shanghai`): the company's own zone. Reports'
    /// days, weeks and months begin at its midnight, and the working calendar's hours are in
    /// it. Customers' quiet hours use their own zone (`DEFAULT_TIME_ZONE` when they have none).
    pub business_time_zone: Tz,
    /// `GROUPS_CLAIM` (default `cognito:groups`): the JWT claim holding the staff member's
    /// groups, from which roles (`closeloop-<role>`) and departments (`dept-<id>`) are read.
    pub groups_claim: String,
    /// `SMS_SIGNATURE` (default `Closeloop`): the registered signature every zh-CN SMS
    /// starts with, as 【Closeloop】.
    pub sms_signature: SmsSignature,
    /// Survey delivery: timing rules, send rates, the sweep's budget.
    pub delivery: DeliveryConfig,
    /// `QR_NONCE_SECRET_ID`: the Secrets Manager secret (ARN or name) whose string signs the
    /// anonymous (QR) form's nonces. Only response-capture needs it, and it refuses to start
    /// without it ([`Config::qr_nonce_secret`]).
    pub qr_nonce_secret_id: Option<String>,
}

/// How survey-delivery sends. Every field has a default, so only what differs need be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    pub rules: DeliveryRules,
    /// `DEFAULT_SURVEY_ID`: the survey events invite to when they name none.
    pub default_survey_id: String,
    /// `DEFAULT_TIME_ZONE`: for customers without one (IANA name).
    pub default_time_zone: Tz,
    /// `SMS_PER_SECOND`, `EMAIL_PER_SECOND`: send rates (SNS / SES quotas); 0 = unlimited.
    pub sms_per_second: u32,
    pub email_per_second: u32,
    /// `SWEEP_BUDGET_SECONDS`: a sweep (delivery, the ticket clock) stops starting new work after
    /// this and leaves the rest for the next run.
    pub sweep_budget_secs: u32,
    /// Invitations one sweep works on at once.
    pub sweep_concurrency: usize,
    /// `SURVEY_TIME_BUDGET_SECONDS`: the longest estimated answering time a survey version may
    /// have without `"allow_long": true` (see `domain::survey::check_time_budget`).
    pub survey_time_budget_secs: u32,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            rules: DeliveryRules::default(),
            default_survey_id: "csat-default".into(),
            default_time_zone: Tz::Asia__Shanghai,
            sms_per_second: 20,
            email_per_second: 14,
            sweep_budget_secs: 20,
            sweep_concurrency: 16,
            survey_time_budget_secs: crate::domain::survey::DEFAULT_TIME_BUDGET_SECS,
        }
    }
}

impl DeliveryConfig {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = DeliveryConfig::default();
        let number = |variable: &'static str, max: u32| -> Result<Option<u32>, ConfigError> {
            match lookup(variable) {
                None => Ok(None),
                Some(text) if text.trim().is_empty() => Ok(None),
                Some(text) => match text.trim().parse::<u32>() {
                    Ok(value) if value <= max => Ok(Some(value)),
                    _ => Err(ConfigError {
                        variable,
                        problem: format!("must be a whole number from 0 to {max}, got {text:?}"),
                    }),
                },
            }
        };
        if let Some(id) = lookup("DEFAULT_SURVEY_ID").filter(|v| !v.trim().is_empty()) {
            // An id no survey can have would fail every event that names none, so refuse it
            // at start-up instead.
            let id = SurveyId::parse(id.trim()).map_err(|e| ConfigError {
                variable: "DEFAULT_SURVEY_ID",
                problem: e.to_string(),
            })?;
            config.default_survey_id = id.into_string();
        }
        if let Some(zone) = time_zone(lookup, "DEFAULT_TIME_ZONE")? {
            config.default_time_zone = zone;
        }
        if let Some(hours) = number("INVITE_DELAY_HOURS", 48)? {
            config.rules.invite_delay = chrono::Duration::hours(i64::from(hours));
        }
        if let Some(text) = lookup("QUIET_HOURS").filter(|v| !v.trim().is_empty()) {
            config.rules.quiet_hours = QuietHours::parse(&text).map_err(|problem| ConfigError {
                variable: "QUIET_HOURS",
                problem,
            })?;
        }
        if let Some(days) = number("FATIGUE_DAYS", 365)? {
            config.rules.fatigue_days = days;
        }
        if let Some(rate) = number("SMS_PER_SECOND", 100_000)? {
            config.sms_per_second = rate;
        }
        if let Some(rate) = number("EMAIL_PER_SECOND", 100_000)? {
            config.email_per_second = rate;
        }
        if let Some(secs) = number("SURVEY_TIME_BUDGET_SECONDS", 3600)? {
            config.survey_time_budget_secs = secs;
        }
        if let Some(secs) = number("SWEEP_BUDGET_SECONDS", 900)? {
            config.sweep_budget_secs = secs.max(1);
        }
        Ok(config)
    }
}

/// An optional IANA time zone variable.
fn time_zone(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<Option<Tz>, ConfigError> {
    match lookup(variable).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(zone) => zone.trim().parse().map(Some).map_err(|_| ConfigError {
            variable,
            problem: format!("must be an IANA time zone like Asia/Shanghai, got {zone:?}"),
        }),
    }
}

/// A variable is missing or malformed; the message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration {}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |variable: &'static str| -> Result<String, ConfigError> {
            match lookup(variable) {
                Some(value) if !value.trim().is_empty() => Ok(value.trim().to_string()),
                _ => Err(ConfigError {
                    variable,
                    problem: "is not set".into(),
                }),
            }
        };
        let public_base_url = required("PUBLIC_BASE_URL")?
            .trim_end_matches('/')
            .to_string();
        if !(public_base_url.starts_with("https://") || public_base_url.starts_with("http://")) {
            return Err(ConfigError {
                variable: "PUBLIC_BASE_URL",
                problem: format!("must be an http(s) URL, got {public_base_url:?}"),
            });
        }
        let sender_email = required("SENDER_EMAIL")?;
        if !sender_email.contains('@') {
            return Err(ConfigError {
                variable: "SENDER_EMAIL",
                problem: format!("must be an email address, got {sender_email:?}"),
            });
        }
        let retention_days = match lookup("RETENTION_DAYS") {
            None => 730,
            Some(text) => match text.trim().parse::<u32>() {
                Ok(days) if days >= 30 => days,
                _ => {
                    return Err(ConfigError {
                        variable: "RETENTION_DAYS",
                        problem: format!("must be a whole number of days >= 30, got {text:?}"),
                    })
                }
            },
        };
        let business_time_zone =
            time_zone(&lookup, "BUSINESS_TIME_ZONE")?.unwrap_or(Tz::Asia__Shanghai);
        let groups_claim = lookup("GROUPS_CLAIM")
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| DEFAULT_GROUPS_CLAIM.to_string());
        let sms_signature = match lookup("SMS_SIGNATURE").filter(|v| !v.trim().is_empty()) {
            None => SmsSignature::default(),
            Some(text) => SmsSignature::parse(&text).map_err(|problem| ConfigError {
                variable: "SMS_SIGNATURE",
                problem,
            })?,
        };
        Ok(Config {
            groups_claim,
            sms_signature,
            business_time_zone,
            table_name: required("TABLE_NAME")?,
            alerts_topic_arn: required("ALERTS_TOPIC_ARN")?,
            sender_email,
            public_base_url,
            company_contact_email: required("COMPANY_CONTACT_EMAIL")?,
            company_contact_phone: required("COMPANY_CONTACT_PHONE")?,
            retention_days,
            delivery: DeliveryConfig::from_lookup(&lookup)?,
            qr_nonce_secret_id: lookup("QR_NONCE_SECRET_ID")
                .map(|id| id.trim().to_string())
                .filter(|id| !id.is_empty()),
        })
    }

    /// The QR nonce key's secret, for the function that signs and checks nonces.
    pub fn qr_nonce_secret(&self) -> Result<&str, ConfigError> {
        self.qr_nonce_secret_id
            .as_deref()
            .ok_or_else(|| ConfigError {
                variable: "QR_NONCE_SECRET_ID",
                problem: "is not set (the Secrets Manager secret holding the QR nonce key)".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("TABLE_NAME", "closeloop"),
            (
                "ALERTS_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:alerts",
            ),
            ("SENDER_EMAIL", "survey@example.com"),
            ("PUBLIC_BASE_URL", "https://feedback.example.com/"),
            ("COMPANY_CONTACT_EMAIL", "care@example.com"),
            ("COMPANY_CONTACT_PHONE", "+8640012345678"),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| vars.get(name).map(|v| v.to_string()))
    }

    #[test]
    fn reads_all_and_trims_trailing_slash() {
        let config = load(&vars()).unwrap();
        assert_eq!(config.public_base_url, "https://feedback.example.com");
        assert_eq!(config.retention_days, 730);
        assert_eq!(config.groups_claim, "cognito:groups");
        let mut vars = vars();
        vars.insert("GROUPS_CLAIM", " groups ");
        assert_eq!(load(&vars).unwrap().groups_claim, "groups");
    }

    #[test]
    fn names_the_missing_variable() {
        let mut vars = vars();
        vars.remove("TABLE_NAME");
        let err = load(&vars).unwrap_err();
        assert_eq!(err.variable, "TABLE_NAME");
        assert_eq!(err.to_string(), "configuration TABLE_NAME: is not set");
    }

    #[test]
    fn delivery_settings_default_and_are_checked() {
        let config = load(&vars()).unwrap();
        assert_eq!(config.delivery, DeliveryConfig::default());
        let mut vars = vars();
        vars.insert("QUIET_HOURS", "22:00-08:00");
        vars.insert("SMS_PER_SECOND", "5");
        let config = load(&vars).unwrap();
        assert_eq!(config.delivery.sms_per_second, 5);
        assert_eq!(
            config.delivery.rules.quiet_hours,
            QuietHours::parse("22:00-08:00").unwrap()
        );
        vars.insert("INVITE_DELAY_HOURS", "72");
        assert_eq!(load(&vars).unwrap_err().variable, "INVITE_DELAY_HOURS");
        vars.remove("INVITE_DELAY_HOURS");
        vars.insert("DEFAULT_TIME_ZONE", "Moon/Base");
        assert_eq!(load(&vars).unwrap_err().variable, "DEFAULT_TIME_ZONE");
        vars.insert("DEFAULT_TIME_ZONE", "Europe/Berlin");
        vars.insert("BUSINESS_TIME_ZONE", "Mars/Olympus");
        assert_eq!(load(&vars).unwrap_err().variable, "BUSINESS_TIME_ZONE");
        vars.insert("BUSINESS_TIME_ZONE", "America/New_York");
        let config = load(&vars).unwrap();
        assert_eq!(config.business_time_zone, Tz::America__New_York);
        assert_eq!(config.delivery.default_time_zone, Tz::Europe__Berlin);
    }

    #[test]
    fn rejects_short_retention() {
        let mut vars = vars();
        vars.insert("RETENTION_DAYS", "7");
        assert_eq!(load(&vars).unwrap_err().variable, "RETENTION_DAYS");
    }

    #[test]
    fn checks_the_default_survey_id_and_the_sms_signature() {
        let config = load(&vars()).unwrap();
        assert_eq!(config.sms_signature.as_str(), "Closeloop");
        let mut vars = vars();
        vars.insert("DEFAULT_SURVEY_ID", "CSAT default");
        assert_eq!(load(&vars).unwrap_err().variable, "DEFAULT_SURVEY_ID");
        vars.insert("DEFAULT_SURVEY_ID", "nps-2026");
        vars.insert("SMS_SIGNATURE", "【某某商城】");
        assert_eq!(load(&vars).unwrap_err().variable, "SMS_SIGNATURE");
        vars.insert("SMS_SIGNATURE", " 某某商城 ");
        let config = load(&vars).unwrap();
        assert_eq!(config.delivery.default_survey_id, "nps-2026");
        assert_eq!(config.sms_signature.bracketed(), "【某某商城】");
    }
}

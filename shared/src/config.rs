//! Typed configuration, read from the environment once at start-up.

use std::fmt;

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
        Ok(Config {
            table_name: required("TABLE_NAME")?,
            alerts_topic_arn: required("ALERTS_TOPIC_ARN")?,
            sender_email,
            public_base_url,
            company_contact_email: required("COMPANY_CONTACT_EMAIL")?,
            company_contact_phone: required("COMPANY_CONTACT_PHONE")?,
            retention_days,
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
    fn rejects_short_retention() {
        let mut vars = vars();
        vars.insert("RETENTION_DAYS", "7");
        assert_eq!(load(&vars).unwrap_err().variable, "RETENTION_DAYS");
    }
}

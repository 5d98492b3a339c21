//! Versioned settings: the ticket rules, routing, SLA policy, working calendars, follow-up
//! rules and escalation (notices) settings an admin can read and change. Access patterns:
//! - current settings of one name: GetItem `SETTINGS#<name>` / `HEAD` (absent: the defaults,
//!   version 1);
//! - every name at once (ticket creation, once per stream batch): BatchGetItem of the heads;
//! - save a new version: GetItem of the head, then TransactWriteItems put the head (condition:
//!   absent, or `version` still the one read) + put `SETTINGS#<name>` / `V#<10-digit version>`
//!   (`attribute_not_exists`); for the SLA policy and the calendars also the job that re-times
//!   the open tickets (`SETTINGS#<name>` / `RETIME#<version>`, see `store::retime`). Older
//!   versions are never changed.
//!
//! The built-in defaults are version 1, so the first saved version is 2 and a ticket's
//! recorded versions always say which settings it was made under.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::write::{n, Guard, NewItem};
use super::{from_item, to_item, Store};
use crate::domain::calendar::Calendars;
use crate::domain::ticket::{
    EscalationSettings, FollowUpRules, RoutingSettings, SlaPolicy, TicketRules,
};
use crate::error::{Error, Result};
use crate::keys::{self, settings as settings_keys};

/// The version of the built-in defaults.
pub const DEFAULT_VERSION: u32 = 1;
/// How many times a save is retried when another admin saved in between.
const SAVE_RACE_RETRIES: usize = 3;

/// The names settings are saved under (`GET /settings/{name}`).
pub const SETTINGS_NAMES: [&str; 7] = [
    TicketRules::NAME,
    RoutingSettings::NAME,
    SlaPolicy::NAME,
    Calendars::NAME,
    FollowUpRules::NAME,
    EscalationSettings::NAME,
    crate::domain::report::settings::ReportSettings::NAME,
];

/// One kind of versioned settings.
pub trait Settings: Serialize + DeserializeOwned + Default + Clone {
    /// The name in the key and the route.
    const NAME: &'static str;

    /// Parses and checks an admin's JSON; an error names the field.
    fn from_json(text: &str) -> Result<Self>;

    /// The settings stamped with the version they are saved as (those that carry one).
    fn with_version(self, version: u32) -> Self;

    /// Whether open tickets' deadlines follow these settings: saving a version then schedules
    /// the job that re-times them (see `store::retime`), in the save's transaction.
    const RETIMES_TICKETS: bool = false;
}

impl Settings for TicketRules {
    const NAME: &'static str = "ticket_rules";

    fn from_json(text: &str) -> Result<Self> {
        TicketRules::from_json(text)
    }

    fn with_version(self, version: u32) -> Self {
        TicketRules { version, ..self }
    }
}

impl Settings for RoutingSettings {
    const NAME: &'static str = "routing";

    fn from_json(text: &str) -> Result<Self> {
        RoutingSettings::from_json(text)
    }

    fn with_version(self, version: u32) -> Self {
        RoutingSettings { version, ..self }
    }
}

impl Settings for SlaPolicy {
    const NAME: &'static str = "sla_policy";
    const RETIMES_TICKETS: bool = true;

    fn from_json(text: &str) -> Result<Self> {
        SlaPolicy::from_json(text)
    }

    fn with_version(self, version: u32) -> Self {
        SlaPolicy { version, ..self }
    }
}

impl Settings for Calendars {
    const NAME: &'static str = "calendars";
    const RETIMES_TICKETS: bool = true;

    fn from_json(text: &str) -> Result<Self> {
        Calendars::from_json(text)
    }

    /// Calendars carry no version of their own; the stored item does.
    fn with_version(self, _version: u32) -> Self {
        self
    }
}

impl Settings for FollowUpRules {
    const NAME: &'static str = "follow_up";

    fn from_json(text: &str) -> Result<Self> {
        FollowUpRules::from_json(text)
    }

    fn with_version(self, version: u32) -> Self {
        FollowUpRules { version, ..self }
    }
}

impl Settings for EscalationSettings {
    const NAME: &'static str = "escalation";

    fn from_json(text: &str) -> Result<Self> {
        EscalationSettings::from_json(text)
    }

    fn with_version(self, version: u32) -> Self {
        EscalationSettings { version, ..self }
    }
}

impl Settings for crate::domain::report::settings::ReportSettings {
    const NAME: &'static str = "reports";

    fn from_json(text: &str) -> Result<Self> {
        crate::domain::report::settings::ReportSettings::from_json(text)
    }

    fn with_version(self, version: u32) -> Self {
        crate::domain::report::settings::ReportSettings { version, ..self }
    }
}

/// Settings with their version and who saved them (none for the defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Versioned<T> {
    pub name: &'static str,
    pub version: u32,
    /// True when nothing was saved: the built-in defaults apply.
    pub default: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    pub settings: T,
}

impl<T: Settings> Versioned<T> {
    fn defaults() -> Versioned<T> {
        Versioned {
            name: T::NAME,
            version: DEFAULT_VERSION,
            default: true,
            updated_at: None,
            updated_by: None,
            settings: T::default().with_version(DEFAULT_VERSION),
        }
    }
}

/// The versions of each kind of settings something was made under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsVersions {
    pub ticket_rules: u32,
    pub routing: u32,
    pub sla_policy: u32,
    pub calendars: u32,
}

impl Default for SettingsVersions {
    fn default() -> SettingsVersions {
        SettingsVersions {
            ticket_rules: DEFAULT_VERSION,
            routing: DEFAULT_VERSION,
            sla_policy: DEFAULT_VERSION,
            calendars: DEFAULT_VERSION,
        }
    }
}

/// Everything ticket creation decides with, read at once.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketSettings {
    pub rules: TicketRules,
    pub routing: RoutingSettings,
    pub sla: SlaPolicy,
    pub calendars: Calendars,
    pub follow_up: FollowUpRules,
    /// Who hears about tickets, in which language, and the escalation chains.
    pub escalation: EscalationSettings,
    pub versions: SettingsVersions,
}

impl TicketSettings {
    /// Every department the settings name: routing's, and those with their own calendar or
    /// notice settings, sorted.
    pub fn departments(&self) -> Vec<String> {
        let routed = &self.routing.departments;
        let mut all: std::collections::BTreeSet<String> = [
            &routed.product,
            &routed.service,
            &routed.operations,
            &routed.suggestion,
            &routed.unclassified,
        ]
        .into_iter()
        .cloned()
        .collect();
        all.extend(self.calendars.by_department.keys().cloned());
        all.extend(self.escalation.departments.keys().cloned());
        all.into_iter().collect()
    }
}

impl Default for TicketSettings {
    fn default() -> TicketSettings {
        TicketSettings {
            rules: Versioned::<TicketRules>::defaults().settings,
            routing: Versioned::<RoutingSettings>::defaults().settings,
            sla: Versioned::<SlaPolicy>::defaults().settings,
            calendars: Calendars::default(),
            follow_up: Versioned::<FollowUpRules>::defaults().settings,
            escalation: Versioned::<EscalationSettings>::defaults().settings,
            versions: SettingsVersions::default(),
        }
    }
}

/// A head or a version item. The settings are kept as the JSON the domain reads and writes,
/// so a stored document is exactly what `GET /settings/{name}` shows.
#[derive(Debug, Serialize, Deserialize)]
struct SettingsRecord {
    pk: String,
    sk: String,
    entity: String,
    name: String,
    version: u32,
    document: String,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

impl SettingsRecord {
    fn decode<T: Settings>(self) -> Result<Versioned<T>> {
        let settings: T = serde_json::from_str(&self.document).map_err(|e| {
            Error::Internal(format!(
                "stored settings {} version {} do not decode: {e}",
                T::NAME,
                self.version
            ))
        })?;
        Ok(Versioned {
            name: T::NAME,
            version: self.version,
            default: false,
            updated_at: Some(self.updated_at),
            updated_by: Some(self.updated_by),
            settings: settings.with_version(self.version),
        })
    }
}

/// The writes of a save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SettingsWrite {
    Head,
    Version,
    RetimeJob,
}

/// Settings the routes know by name only (`/settings/{name}`, the console's settings pages).
impl Store {
    /// The current settings of `name` as JSON (`name`, `version`, `default`, `updated_at`,
    /// `updated_by`, `settings`).
    pub async fn settings_json(&self, name: &str) -> Result<serde_json::Value> {
        use crate::domain::report::settings::ReportSettings;
        fn json<T: Serialize>(value: Versioned<T>) -> serde_json::Value {
            serde_json::to_value(value).expect("settings serialise")
        }
        Ok(match name {
            TicketRules::NAME => json(self.settings::<TicketRules>().await?),
            RoutingSettings::NAME => json(self.settings::<RoutingSettings>().await?),
            SlaPolicy::NAME => json(self.settings::<SlaPolicy>().await?),
            Calendars::NAME => json(self.settings::<Calendars>().await?),
            FollowUpRules::NAME => json(self.settings::<FollowUpRules>().await?),
            EscalationSettings::NAME => json(self.settings::<EscalationSettings>().await?),
            ReportSettings::NAME => json(self.settings::<ReportSettings>().await?),
            _ => return Err(unknown_settings(name)),
        })
    }

    /// Checks an admin's JSON for `name` as the domain reads it (an error names the field) and
    /// saves it as the next version; nothing is written when it is refused. The one write
    /// behind `PUT /settings/{name}` and the console's settings editor.
    pub async fn save_settings_json(
        &self,
        name: &str,
        text: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Value> {
        use crate::domain::report::settings::ReportSettings;
        async fn save<T: Settings>(
            store: &Store,
            text: &str,
            by: &str,
            now: DateTime<Utc>,
        ) -> Result<serde_json::Value> {
            let settings = T::from_json(text)?;
            let saved = store.save_settings(settings, by, now).await?;
            Ok(serde_json::to_value(saved).expect("settings serialise"))
        }
        match name {
            TicketRules::NAME => save::<TicketRules>(self, text, by, now).await,
            RoutingSettings::NAME => save::<RoutingSettings>(self, text, by, now).await,
            SlaPolicy::NAME => save::<SlaPolicy>(self, text, by, now).await,
            Calendars::NAME => save::<Calendars>(self, text, by, now).await,
            FollowUpRules::NAME => save::<FollowUpRules>(self, text, by, now).await,
            EscalationSettings::NAME => save::<EscalationSettings>(self, text, by, now).await,
            ReportSettings::NAME => save::<ReportSettings>(self, text, by, now).await,
            _ => Err(unknown_settings(name)),
        }
    }
}

/// No settings of that name.
pub fn unknown_settings(name: &str) -> Error {
    Error::not_found(format!(
        "settings {name:?} (there are {})",
        SETTINGS_NAMES.join(", ")
    ))
}

impl Store {
    /// The current settings of `T`'s name, or the defaults.
    pub async fn settings<T: Settings>(&self) -> Result<Versioned<T>> {
        match self
            .get::<SettingsRecord>(&settings_keys::head(T::NAME))
            .await?
        {
            Some(record) => record.decode(),
            None => Ok(Versioned::defaults()),
        }
    }

    /// Saves `settings` (already checked) as the next version of its name.
    pub async fn save_settings<T: Settings>(
        &self,
        settings: T,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Versioned<T>> {
        for _ in 0..SAVE_RACE_RETRIES {
            let head = self
                .get::<SettingsRecord>(&settings_keys::head(T::NAME))
                .await?;
            let read = head.as_ref().map(|h| h.version);
            let version = read.unwrap_or(DEFAULT_VERSION) + 1;
            let settings = settings.clone().with_version(version);
            let document = serde_json::to_string(&settings)
                .map_err(|e| Error::Internal(format!("cannot encode settings: {e}")))?;
            let record = |key: keys::Key, entity: &str| SettingsRecord {
                pk: key.pk,
                sk: key.sk,
                entity: entity.into(),
                name: T::NAME.into(),
                version,
                document: document.clone(),
                updated_at: now,
                updated_by: by.into(),
            };
            let head = NewItem::put(to_item(&record(settings_keys::head(T::NAME), "settings"))?);
            let head = match read {
                Some(read) => head.if_eq("version", n(read)),
                None => head.if_absent("pk"),
            };
            let stored = record(settings_keys::version(T::NAME, version), "settings_version");
            let mut writes = vec![
                (SettingsWrite::Head, head.write(self.table())),
                (SettingsWrite::Version, self.put_new(to_item(&stored)?)),
            ];
            if T::RETIMES_TICKETS {
                writes.push((
                    SettingsWrite::RetimeJob,
                    self.retime_job_write(T::NAME, version, now)?,
                ));
            }
            match self.transact(writes).await? {
                Ok(()) => return stored.decode(),
                // Another admin saved between our read and write: read again.
                Err(SettingsWrite::Head | SettingsWrite::Version | SettingsWrite::RetimeJob) => {
                    continue
                }
            }
        }
        Err(Error::Conflict(format!(
            "the {} settings are being changed by someone else; please retry",
            T::NAME
        )))
    }

    /// The ticket rules, routing, SLA policy, calendars and follow-up rules in force: one
    /// BatchGetItem of their heads; the defaults for what was never saved.
    pub async fn ticket_settings(&self) -> Result<TicketSettings> {
        // The reports settings are the report function's, not the tickets'.
        let heads: Vec<keys::Key> = SETTINGS_NAMES
            .iter()
            .filter(|name| **name != crate::domain::report::settings::ReportSettings::NAME)
            .map(|name| settings_keys::head(name))
            .collect();
        let mut found = self.batch_get(&heads).await?;
        let mut take = |name: &str| -> Result<Option<SettingsRecord>> {
            let key = settings_keys::head(name);
            found.remove(&(key.pk, key.sk)).map(from_item).transpose()
        };
        fn current<T: Settings>(record: Option<SettingsRecord>) -> Result<Versioned<T>> {
            record.map_or_else(|| Ok(Versioned::defaults()), SettingsRecord::decode)
        }
        let rules = current::<TicketRules>(take(TicketRules::NAME)?)?;
        let routing = current::<RoutingSettings>(take(RoutingSettings::NAME)?)?;
        let sla = current::<SlaPolicy>(take(SlaPolicy::NAME)?)?;
        let calendars = current::<Calendars>(take(Calendars::NAME)?)?;
        let follow_up = current::<FollowUpRules>(take(FollowUpRules::NAME)?)?;
        let escalation = current::<EscalationSettings>(take(EscalationSettings::NAME)?)?;
        Ok(TicketSettings {
            versions: SettingsVersions {
                ticket_rules: rules.version,
                routing: routing.version,
                sla_policy: sla.version,
                calendars: calendars.version,
            },
            rules: rules.settings,
            routing: routing.settings,
            sla: sla.settings,
            calendars: calendars.settings,
            follow_up: follow_up.settings,
            escalation: escalation.settings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_document() {
        fn round_trip<T: Settings + PartialEq + std::fmt::Debug>() {
            let value = T::default().with_version(7);
            let text = serde_json::to_string(&value).unwrap();
            assert_eq!(T::from_json(&text).unwrap(), value, "{}", T::NAME);
        }
        round_trip::<TicketRules>();
        round_trip::<RoutingSettings>();
        round_trip::<SlaPolicy>();
        round_trip::<Calendars>();
        round_trip::<FollowUpRules>();
        round_trip::<EscalationSettings>();
    }

    #[test]
    fn defaults_are_version_one() {
        let defaults = TicketSettings::default();
        assert_eq!(defaults.rules.version, DEFAULT_VERSION);
        assert_eq!(defaults.sla.version, DEFAULT_VERSION);
        assert_eq!(defaults.versions, SettingsVersions::default());
    }
}

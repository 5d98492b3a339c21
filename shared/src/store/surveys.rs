//! Survey access patterns:
//! - create a survey: TransactWriteItems put head + put version 1, both `attribute_not_exists`;
//! - add a version: GetItem head, then TransactWriteItems update head (condition: latest
//!   version unchanged) + put the new version (`attribute_not_exists`);
//! - latest version: Query `pk = SURVEY#id, begins_with(sk, "V#")`, descending, limit 1;
//! - one version: GetItem `SURVEY#id / V#0000000007`;
//! - list surveys: Query `gsi1` on `gsi1pk = SURVEY`.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::write::{n, t, Change, Guard};
use super::{from_item, to_item, Store};
use crate::domain::survey::{Localized, Survey, SurveyId, ValidSurvey};
use crate::error::{Error, Result};
use crate::keys::survey as keys;

/// How many times a new version is retried when another writer got there first.
const VERSION_RACE_RETRIES: usize = 3;

/// What `GET /surveys` lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveySummary {
    pub id: String,
    pub title: Localized,
    pub latest_version: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct HeadRecord {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    entity: String,
    #[serde(flatten)]
    summary: SurveySummary,
}

#[derive(Serialize, Deserialize)]
struct VersionRecord {
    pk: String,
    sk: String,
    entity: String,
    survey: Survey,
}

impl HeadRecord {
    fn new(summary: SurveySummary) -> Self {
        let key = keys::head(&summary.id);
        HeadRecord {
            pk: key.pk,
            sk: key.sk,
            gsi1pk: keys::LIST.into(),
            gsi1sk: summary.id.clone(),
            entity: "survey".into(),
            summary,
        }
    }
}

impl VersionRecord {
    fn new(survey: Survey) -> Self {
        let key = keys::version(survey.id.as_str(), survey.version);
        VersionRecord {
            pk: key.pk,
            sk: key.sk,
            entity: "survey_version".into(),
            survey,
        }
    }
}

/// The writes of a survey transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SurveyWrite {
    Head,
    Version,
}

impl Store {
    /// Stores version 1 of a new survey; 409 if the id is taken.
    pub async fn create_survey(
        &self,
        id: SurveyId,
        definition: ValidSurvey,
        now: DateTime<Utc>,
    ) -> Result<Survey> {
        let survey = Survey {
            id: id.clone(),
            version: 1,
            definition: definition.into_definition(),
            created_at: now,
        };
        let head = HeadRecord::new(SurveySummary {
            id: id.as_str().to_string(),
            title: survey.definition.title.clone(),
            latest_version: 1,
            created_at: now,
            updated_at: now,
        });
        let writes = vec![
            (SurveyWrite::Head, self.put_new(to_item(&head)?)),
            (
                SurveyWrite::Version,
                self.put_new(to_item(&VersionRecord::new(survey.clone()))?),
            ),
        ];
        if self.transact(writes).await?.is_err() {
            return Err(Error::Conflict(format!(
                "a survey with id \"{}\" already exists; add a version with POST /surveys/{}/versions",
                id.as_str(),
                id.as_str()
            )));
        }
        Ok(survey)
    }

    /// Stores the next version of an existing survey. Earlier versions are never touched.
    pub async fn add_survey_version(
        &self,
        id: &SurveyId,
        definition: ValidSurvey,
        now: DateTime<Utc>,
    ) -> Result<Survey> {
        let definition = definition.into_definition();
        for _ in 0..VERSION_RACE_RETRIES {
            let head: HeadRecord = self
                .get(&keys::head(id.as_str()))
                .await?
                .ok_or_else(|| Error::not_found(format!("survey \"{}\"", id.as_str())))?;
            let latest = head.summary.latest_version;
            let survey = Survey {
                id: id.clone(),
                version: latest + 1,
                definition: definition.clone(),
                created_at: now,
            };
            let title =
                serde_dynamo::to_attribute_value::<_, AttributeValue>(&survey.definition.title)
                    .map_err(|e| Error::Internal(format!("cannot encode a survey title: {e}")))?;
            let head = Change::on(keys::head(id.as_str()))
                .if_eq("latest_version", n(latest))
                .set("latest_version", n(survey.version))
                .set("updated_at", t(now))
                .set("title", title);
            let writes = vec![
                (SurveyWrite::Head, head.write(self.table())),
                (
                    SurveyWrite::Version,
                    self.put_new(to_item(&VersionRecord::new(survey.clone()))?),
                ),
            ];
            match self.transact(writes).await? {
                Ok(()) => return Ok(survey),
                // Another writer added a version between our read and write: read again.
                Err(SurveyWrite::Head | SurveyWrite::Version) => continue,
            }
        }
        Err(Error::Conflict(format!(
            "survey \"{}\" is being changed by someone else; please retry",
            id.as_str()
        )))
    }

    /// The given version, or the latest when `version` is `None`.
    pub async fn get_survey(&self, id: &SurveyId, version: Option<u32>) -> Result<Survey> {
        let record: Option<VersionRecord> = match version {
            Some(version) => self.get(&keys::version(id.as_str(), version)).await?,
            None => {
                let output = self
                    .client()
                    .query()
                    .table_name(self.table())
                    .key_condition_expression("pk = :pk AND begins_with(sk, :v)")
                    .expression_attribute_values(
                        ":pk",
                        AttributeValue::S(keys::partition(id.as_str())),
                    )
                    .expression_attribute_values(
                        ":v",
                        AttributeValue::S(keys::VERSION_PREFIX.into()),
                    )
                    .scan_index_forward(false)
                    .limit(1)
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(Error::upstream)?;
                output
                    .items
                    .unwrap_or_default()
                    .into_iter()
                    .next()
                    .map(from_item)
                    .transpose()?
            }
        };
        match (record, version) {
            (Some(record), _) => Ok(record.survey),
            (None, Some(version)) => Err(Error::not_found(format!(
                "version {version} of survey \"{}\"",
                id.as_str()
            ))),
            (None, None) => Err(Error::not_found(format!("survey \"{}\"", id.as_str()))),
        }
    }

    /// Every survey's head, ordered by id.
    pub async fn list_surveys(&self) -> Result<Vec<SurveySummary>> {
        let heads: Vec<HeadRecord> = self.gsi1_all(keys::LIST, None).await?;
        Ok(heads.into_iter().map(|h| h.summary).collect())
    }
}

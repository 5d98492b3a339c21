//! Customers as delivery needs them: validated contact details, language, segment, store,
//! time zone. Parse, don't validate: a `Customer` cannot hold a malformed phone number or email.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::reference::Reference;
use super::survey::Locale;

const MAX_NAME_CHARS: usize = 200;

/// One field of one customer is wrong; `field` names it, `reason` says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub reason: String,
}

impl FieldProblem {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// A customer number from the company's own systems, e.g. `C202405001`: a [`Reference`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerId(Reference);

impl CustomerId {
    pub fn parse(text: &str) -> Result<CustomerId, String> {
        Reference::parse(text)
            .map(CustomerId)
            .map_err(|e| format!("a customer id {e}"))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn as_reference(&self) -> &Reference {
        &self.0
    }
}

impl From<Reference> for CustomerId {
    fn from(reference: Reference) -> CustomerId {
        CustomerId(reference)
    }
}

impl TryFrom<String> for CustomerId {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        CustomerId::parse(&text)
    }
}

impl From<CustomerId> for String {
    fn from(id: CustomerId) -> String {
        id.0.into_string()
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A phone number in E.164 form: `+`, country code, number; 8 to 15 digits in all.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Spaces, dashes and brackets people type are dropped; the rest must be E.164.
    pub fn parse(text: &str) -> Result<Phone, String> {
        let compact: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        let Some(digits) = compact.strip_prefix('+') else {
            return Err(format!(
                "{text:?} is not in international E.164 form: start with + and the country code, e.g. +8613812345678"
            ));
        };
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("{text:?} may contain only digits after the +"));
        }
        if digits.starts_with('0') {
            return Err(format!("{text:?}: a country code never starts with 0"));
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(format!(
                "{text:?} has {} digits; E.164 numbers have 8 to 15",
                digits.len()
            ));
        }
        Ok(Phone(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Phone::parse(&text)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> String {
        phone.0
    }
}

/// An email address that is plausibly deliverable: one `@`, a dotted domain, no spaces.
/// Stored lower-cased in the domain part, as mail systems compare it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, String> {
        let text = text.trim();
        let bad = |why: &str| Err(format!("{text:?} is not an email address: {why}"));
        if text.len() > 254 {
            return bad("longer than 254 characters");
        }
        let Some((local, domain)) = text.rsplit_once('@') else {
            return bad("it has no @");
        };
        if local.is_empty() || local.len() > 64 {
            return bad("the part before @ must have 1 to 64 characters");
        }
        if local.contains('@') {
            return bad("it has more than one @");
        }
        if text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        {
            return bad("it contains spaces or characters not allowed in an address");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return bad("the domain after @ must look like example.com");
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return bad("dots in the part before @ cannot lead, trail or repeat");
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Email::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// Customer segments campaigns target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    New,
    Returning,
    Vip,
}

impl Segment {
    pub const ALL: [Segment; 3] = [Segment::New, Segment::Returning, Segment::Vip];

    pub fn as_str(self) -> &'static str {
        match self {
            Segment::New => "new",
            Segment::Returning => "returning",
            Segment::Vip => "vip",
        }
    }

    pub fn parse(text: &str) -> Result<Segment, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "new" => Ok(Segment::New),
            "returning" => Ok(Segment::Returning),
            "vip" => Ok(Segment::Vip),
            _ => Err(format!(
                "{text:?} is not a segment; use new, returning or vip"
            )),
        }
    }
}

/// A customer, valid in every field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    pub locale: Locale,
    pub segment: Segment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_purchase: Option<NaiveDate>,
    /// IANA time zone name, e.g. `Asia/Shanghai`; quiet hours are the customer's own.
    pub time_zone: TimeZone,
    /// The customer agreed to be surveyed by SMS (default yes when a phone is given).
    pub sms_consent: bool,
    pub email_consent: bool,
}

/// An IANA time zone, stored by its name. A stored name that does not parse is an error when
/// read, never silently another zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub Tz);

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse()
            .map(TimeZone)
            .map_err(|_| serde::de::Error::custom(format!("unknown time zone {name:?}")))
    }
}

impl Customer {
    /// The customer's zone: given when they were written, or the deployment's
    /// `DEFAULT_TIME_ZONE` then. Never guessed when read.
    pub fn tz(&self) -> Tz {
        self.time_zone.0
    }

    /// The customer's own calendar date at `time` (in their time zone).
    pub fn local_date(&self, time: DateTime<Utc>) -> NaiveDate {
        time.with_timezone(&self.tz()).date_naive()
    }

    /// A phone the customer agreed to be texted on.
    pub fn consented_phone(&self) -> Option<&Phone> {
        self.phone.as_ref().filter(|_| self.sms_consent)
    }

    pub fn consented_email(&self) -> Option<&Email> {
        self.email.as_ref().filter(|_| self.email_consent)
    }
}

/// A customer as it arrives (JSON body or CSV row): every field text, nothing checked yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
    #[serde(default)]
    pub store: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub last_purchase: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub sms_consent: Option<bool>,
    #[serde(default)]
    pub email_consent: Option<bool>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Defaults a customer record falls back on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerDefaults {
    pub time_zone: Tz,
    pub locale: Locale,
}

impl Default for CustomerDefaults {
    fn default() -> Self {
        CustomerDefaults {
            time_zone: Tz::Asia__Shanghai,
            locale: Locale::ZhCn,
        }
    }
}

impl CustomerInput {
    /// The whole record is valid or it is refused with the first field at fault.
    pub fn validate(&self, defaults: CustomerDefaults) -> Result<Customer, FieldProblem> {
        let id = present(&self.id).ok_or_else(|| FieldProblem::new("id", "is required"))?;
        let id = CustomerId::parse(id).map_err(|r| FieldProblem::new("id", r))?;
        let name = present(&self.name).unwrap_or_default().to_string();
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(FieldProblem::new(
                "name",
                format!("has at most {MAX_NAME_CHARS} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(FieldProblem::new("name", "contains control characters"));
        }
        let phone = present(&self.phone)
            .map(Phone::parse)
            .transpose()
            .map_err(|r| FieldProblem::new("phone", r))?;
        let email = present(&self.email)
            .map(Email::parse)
            .transpose()
            .map_err(|r| FieldProblem::new("email", r))?;
        if phone.is_none() && email.is_none() {
            return Err(FieldProblem::new(
                "phone",
                "a phone number or an email address is required to reach the customer",
            ));
        }
        let locale = match present(&self.locale) {
            None => defaults.locale,
            Some(text) => match text.to_ascii_lowercase().as_str() {
                "zh-cn" | "zh" | "zh_cn" => Locale::ZhCn,
                "en" | "en-us" | "en-gb" => Locale::En,
                _ => {
                    return Err(FieldProblem::new(
                        "locale",
                        format!("{text:?} is not supported; use zh-CN or en"),
                    ))
                }
            },
        };
        let segment = present(&self.segment)
            .map(Segment::parse)
            .transpose()
            .map_err(|r| FieldProblem::new("segment", r))?
            .unwrap_or(Segment::New);
        let name_like = |field: &str, value: &Option<String>| {
            present(value)
                .map(|v| {
                    Reference::parse(v)
                        .map(Reference::into_string)
                        .map_err(|e| FieldProblem::new(field, format!("a {field} {e}")))
                })
                .transpose()
        };
        let store = name_like("store", &self.store)?;
        let region = name_like("region", &self.region)?;
        let last_purchase = present(&self.last_purchase)
            .map(|text| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    FieldProblem::new(
                        "last_purchase",
                        format!("{text:?} is not a date like 2026-11-22"),
                    )
                })
            })
            .transpose()?;
        let time_zone = match present(&self.time_zone) {
            None => defaults.time_zone,
            Some(text) => text.parse::<Tz>().map_err(|_| {
                FieldProblem::new(
                    "time_zone",
                    format!("{text:?} is not an IANA time zone such as Asia/Shanghai"),
                )
            })?,
        };
        Ok(Customer {
            id,
            name,
            sms_consent: explicit_consent(self.sms_consent),
            email_consent: explicit_consent(self.email_consent),
            phone,
            email,
            locale,
            segment,
            store,
            region,
            last_purchase,
            time_zone: TimeZone(time_zone),
        })
    }
}

/// Consent is explicit: a customer may be messaged on a channel only when the record says
/// `true` for it (`sms_consent`, `email_consent`; in a CSV `yes`, `true`, `1`, `是`…). A missing
/// value, in a `PUT /customers/{id}` body or an import row alike, is no: having someone's
/// address is not their permission to survey them.
pub fn explicit_consent(given: Option<bool>) -> bool {
    given == Some(true)
}

/// What happened to one CSV row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    Valid(Box<Customer>),
    Rejected {
        field: String,
        reason: String,
        id: Option<String>,
    },
}

/// One CSV row with its 1-based line number (the header is line 1).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub line: usize,
    pub outcome: RowOutcome,
}

/// Columns an import understands. `last purchase` and `last_purchase` are the same column.
const COLUMNS: [&str; 12] = [
    "id",
    "name",
    "phone",
    "email",
    "locale",
    "segment",
    "store",
    "region",
    "last_purchase",
    "time_zone",
    "sms_consent",
    "email_consent",
];

fn normalise_header(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "是" => Some(true),
        "no" | "n" | "false" | "0" | "否" => Some(false),
        _ => None,
    }
}

/// Parses a customer CSV (header row first) into one outcome per data row. A broken file
/// (no header, unknown or missing required columns) is refused as a whole; a broken row is
/// reported and the others still count. Duplicate ids: the first row wins, later ones are
/// rejected naming it.
pub fn parse_customer_csv(
    text: &str,
    defaults: CustomerDefaults,
) -> Result<Vec<ImportRow>, FieldProblem> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| FieldProblem::new("body", format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(normalise_header)
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(FieldProblem::new(
            "body",
            format!(
                "the CSV needs a header row naming its columns, e.g. {}",
                COLUMNS.join(",")
            ),
        ));
    }
    for (index, header) in headers.iter().enumerate() {
        if !COLUMNS.contains(&header.as_str()) {
            return Err(FieldProblem::new(
                format!("header[{}]", index + 1).as_str(),
                format!(
                    "unknown column {header:?}; known columns are {}",
                    COLUMNS.join(", ")
                ),
            ));
        }
        if headers[..index].contains(header) {
            return Err(FieldProblem::new(
                format!("header[{}]", index + 1).as_str(),
                format!("column {header:?} appears twice"),
            ));
        }
    }
    if !headers.iter().any(|h| h == "id") {
        return Err(FieldProblem::new(
            "header",
            "the CSV has no id column".to_string(),
        ));
    }
    let mut rows = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for record in reader.records() {
        let (line, record) = match record {
            Ok(record) => (record.position().map_or(0, |p| p.line() as usize), record),
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line() as usize);
                rows.push(ImportRow {
                    line,
                    outcome: RowOutcome::Rejected {
                        field: "row".into(),
                        reason: format!("cannot be read as CSV: {err}"),
                        id: None,
                    },
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue; // blank line
        }
        let cell = |name: &str| -> Option<String> {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .map(str::to_string)
        };
        let id = cell("id").filter(|v| !v.is_empty());
        let reject = |field: &str, reason: String| ImportRow {
            line,
            outcome: RowOutcome::Rejected {
                field: field.into(),
                reason,
                id: id.clone(),
            },
        };
        if record.len() != headers.len() {
            rows.push(reject(
                "row",
                format!(
                    "has {} cells but the header has {} columns",
                    record.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let mut consent = [None, None];
        let mut bad_consent = None;
        for (slot, name) in ["sms_consent", "email_consent"].iter().enumerate() {
            if let Some(text) = cell(name).filter(|v| !v.is_empty()) {
                match parse_bool(&text) {
                    Some(value) => consent[slot] = Some(value),
                    None => bad_consent = Some((*name, text)),
                }
            }
        }
        if let Some((name, text)) = bad_consent {
            rows.push(reject(name, format!("{text:?} is not yes or no")));
            continue;
        }
        let input = CustomerInput {
            id: cell("id"),
            name: cell("name"),
            phone: cell("phone"),
            email: cell("email"),
            locale: cell("locale"),
            segment: cell("segment"),
            store: cell("store"),
            region: cell("region"),
            last_purchase: cell("last_purchase"),
            time_zone: cell("time_zone"),
            sms_consent: consent[0],
            email_consent: consent[1],
        };
        match input.validate(defaults) {
            Err(problem) => rows.push(reject(&problem.field, problem.reason)),
            Ok(customer) => {
                if let Some(first) = seen.get(customer.id.as_str()) {
                    rows.push(reject(
                        "id",
                        format!("duplicate of the customer on line {first}"),
                    ));
                    continue;
                }
                seen.insert(customer.id.as_str().to_string(), line);
                rows.push(ImportRow {
                    line,
                    outcome: RowOutcome::Valid(Box::new(customer)),
                });
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests;

//! Reading `template.yaml` (SAM): the table definition, the HTTP API routes, the stream
//! subscriptions and the schedules. One source of truth for the local stack and the tests.
//!
//! CloudFormation short tags (`!Ref`, `!GetAtt`, `!Sub`, `!If`, ...) are parsed by serde_yaml
//! as tagged values; wherever the runner needs a literal and finds a tag, the value is treated
//! as absent (or the whole template is rejected when the literal is essential, e.g. a key).

use crate::events::SchedulerContext;
use chrono::{DateTime, Utc};
use serde_yaml::{Mapping, Value};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What Lambda allows a function that sets no `Timeout`.
const LAMBDA_DEFAULT_TIMEOUT_SECONDS: i64 = 3;

/// Why a template could not be loaded.
#[derive(Debug)]
pub enum TemplateError {
    /// The file could not be read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not YAML.
    Yaml(serde_yaml::Error),
    /// YAML, but not the template shape we need.
    Invalid(String),
    /// No template.yaml could be located.
    NotFound(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Io { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            TemplateError::Yaml(e) => write!(f, "template is not valid YAML: {e}"),
            TemplateError::Invalid(m) => write!(f, "invalid template: {m}"),
            TemplateError::NotFound(m) => write!(f, "template not found: {m}"),
        }
    }
}

impl std::error::Error for TemplateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TemplateError::Io { source, .. } => Some(source),
            TemplateError::Yaml(e) => Some(e),
            _ => None,
        }
    }
}

fn invalid(msg: impl Into<String>) -> TemplateError {
    TemplateError::Invalid(msg.into())
}

/// One `HttpApi` event of a function: `METHOD /path` → function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Upper-case HTTP method, or `ANY`.
    pub method: String,
    /// The route path as in the template, e.g. `/s/{token}` or `/admin/{proxy+}`.
    pub path: String,
    /// The function's binary name (`Metadata.BuildProperties.Binary`).
    pub function: String,
    /// `Auth: {Authorizer: NONE}`; every other route is behind the JWT authorizer.
    pub public: bool,
    /// The event's logical name in the template.
    pub event_name: String,
}

impl Route {
    /// `"GET /s/{token}"`, as API Gateway puts it in `routeKey`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether the method is accepted by this route (`ANY` accepts all).
    pub fn accepts_method(&self, method: &str) -> bool {
        self.method == "ANY" || self.method.eq_ignore_ascii_case(method)
    }

    /// Path parameters if `path` (the raw request path, without query string) matches the
    /// route's path template, whatever the method. Values are percent-decoded.
    pub fn match_path(&self, path: &str) -> Option<HashMap<String, String>> {
        let pattern = split_path(&self.path);
        let actual = split_path(path);
        let mut params = HashMap::new();
        for (i, seg) in pattern.iter().enumerate() {
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
                // Greedy: the rest of the path, at least one segment.
                if i != pattern.len() - 1 || actual.len() <= i {
                    return None;
                }
                params.insert(name.to_string(), percent_decode(&actual[i..].join("/")));
                return Some(params);
            }
            let got = actual.get(i)?;
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if got.is_empty() {
                    return None;
                }
                params.insert(name.to_string(), percent_decode(got));
            } else if seg != got {
                return None;
            }
        }
        (actual.len() == pattern.len()).then_some(params)
    }

    /// Path parameters if both the method and the path match.
    pub fn matches(&self, method: &str, path: &str) -> Option<HashMap<String, String>> {
        if !self.accepts_method(method) {
            return None;
        }
        self.match_path(path)
    }

    /// Sort key for API Gateway's "most specific route wins": literal segments beat
    /// parameters, parameters beat greedy parameters, and a named method beats `ANY`.
    fn specificity(&self) -> (Vec<u8>, u8) {
        let segs = split_path(&self.path)
            .iter()
            .map(|s| {
                if s.ends_with("+}") {
                    2
                } else if s.starts_with('{') {
                    1
                } else {
                    0
                }
            })
            .collect();
        (segs, u8::from(self.method == "ANY"))
    }
}

fn split_path(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

/// Percent-decoding (`%2F` → `/`); invalid escapes and non-UTF-8 results are kept as given.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// The outcome of looking a request up in the route table.
#[derive(Debug)]
pub enum RouteMatch<'a> {
    Found(&'a Route, HashMap<String, String>),
    /// The path matches routes, but none for this method; the methods that would match.
    MethodNotAllowed(Vec<String>),
    NotFound,
}

/// One `Schedule` (EventBridge rule) or `ScheduleV2` (EventBridge Scheduler) event.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The function's binary name.
    pub function: String,
    /// The function's logical id in the template.
    pub function_logical_id: String,
    /// The event's logical name in the template.
    pub name: String,
    /// `rate(5 minutes)`, `cron(0 1 ? * MON *)`, `at(...)`.
    pub expression: String,
    /// The period of a `rate(...)` expression.
    pub every: Option<Duration>,
    /// `Input` (a JSON document sent instead of the scheduled event), if literal. A
    /// `ScheduleV2` input may hold EventBridge Scheduler's `<aws.scheduler.*>` keywords.
    pub input: Option<serde_json::Value>,
    /// `Enabled: false` / `State: DISABLED` in the template.
    pub enabled: bool,
    /// `Schedule` or `ScheduleV2`.
    pub kind: String,
    /// `ScheduleExpressionTimezone` (`ScheduleV2`), literal or a `Ref` to a parameter (its
    /// default); `None` when absent or not resolvable (the scheduler then uses UTC).
    pub time_zone: Option<String>,
}

impl Schedule {
    /// The rule name used in the event's `resources`.
    pub fn rule_name(&self) -> String {
        format!("closeloop-{}{}", self.function_logical_id, self.name)
    }

    /// The EventBridge Scheduler schedule's ARN (`ScheduleV2`), in the default group.
    pub fn schedule_arn(&self) -> String {
        crate::events::scheduler_schedule_arn(&self.rule_name())
    }

    /// The payload the function receives when the schedule fires at `time`: a `ScheduleV2`
    /// `Input` with EventBridge Scheduler's context attributes filled in (`attempt` is the
    /// scheduler's attempt number, from 1), a `Schedule` `Input` as it is, and without `Input`
    /// EventBridge's scheduled event.
    pub fn event(&self, time: DateTime<Utc>, attempt: u32) -> serde_json::Value {
        match &self.input {
            Some(input) if self.kind == "ScheduleV2" => crate::events::scheduler_input(
                input,
                &SchedulerContext {
                    scheduled_time: time,
                    schedule_arn: self.schedule_arn(),
                    execution_id: crate::events::uuid_v4(),
                    attempt_number: attempt,
                },
            ),
            Some(input) => input.clone(),
            None => crate::events::scheduled_event(&self.rule_name(), time),
        }
    }
}

/// Parse `rate(5 minutes)` / `rate(1 hour)` / `rate(1 day)`. `None` for anything else.
pub fn parse_rate(expression: &str) -> Option<Duration> {
    let inner = expression
        .trim()
        .strip_prefix("rate(")?
        .strip_suffix(')')?
        .trim();
    let mut parts = inner.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?;
    if parts.next().is_some() || n == 0 {
        return None;
    }
    let secs = match unit {
        "second" | "seconds" => 1,
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(n * secs))
}

/// One `DynamoDB` (stream) event of a function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSubscription {
    pub function: String,
    pub name: String,
    /// `BatchSize` (default 100).
    pub batch_size: usize,
    /// `MaximumBatchingWindowInSeconds` (default 0): how long records are gathered before a
    /// batch smaller than `batch_size` is delivered.
    pub batching_window: std::time::Duration,
    /// `StartingPosition` (`TRIM_HORIZON` / `LATEST`), if literal.
    pub starting_position: Option<String>,
    /// `FunctionResponseTypes` contains `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `MaximumRetryAttempts`, if given.
    pub maximum_retry_attempts: Option<i64>,
    /// `BisectBatchOnFunctionError`.
    pub bisect_batch_on_function_error: bool,
    /// `FilterCriteria.Filters[].Pattern`, parsed: a record is delivered when any matches (or
    /// when there are none).
    pub filters: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyElement {
    pub name: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    pub key_schema: Vec<KeyElement>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    pub non_key_attributes: Vec<String>,
}

impl IndexDef {
    pub fn hash_key(&self) -> Option<&str> {
        key_of(&self.key_schema, "HASH")
    }
    pub fn range_key(&self) -> Option<&str> {
        key_of(&self.key_schema, "RANGE")
    }
}

fn key_of<'a>(keys: &'a [KeyElement], kind: &str) -> Option<&'a str> {
    keys.iter()
        .find(|k| k.key_type == kind)
        .map(|k| k.name.as_str())
}

/// The `AWS::DynamoDB::Table` resource, literally.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TableDef {
    pub logical_id: String,
    pub attribute_definitions: Vec<AttributeDef>,
    pub key_schema: Vec<KeyElement>,
    pub global_secondary_indexes: Vec<IndexDef>,
    pub local_secondary_indexes: Vec<IndexDef>,
    /// `StreamSpecification.StreamViewType`, e.g. `NEW_AND_OLD_IMAGES`.
    pub stream_view_type: Option<String>,
    /// `TimeToLiveSpecification.AttributeName` when enabled.
    pub ttl_attribute: Option<String>,
    /// `BillingMode` (informational; the local table is always on-demand).
    pub billing_mode: Option<String>,
}

impl TableDef {
    pub fn hash_key(&self) -> Option<&str> {
        key_of(&self.key_schema, "HASH")
    }
    pub fn range_key(&self) -> Option<&str> {
        key_of(&self.key_schema, "RANGE")
    }
    pub fn gsi(&self, name: &str) -> Option<&IndexDef> {
        self.global_secondary_indexes
            .iter()
            .find(|g| g.name == name)
    }
}

/// A parsed SAM template (just what the local stack needs).
#[derive(Clone, Debug)]
pub struct Template {
    routes: Vec<Route>,
    streams: Vec<StreamSubscription>,
    schedules: Vec<Schedule>,
    table: TableDef,
    /// Function logical id → binary name.
    functions: Vec<(String, String)>,
    /// Binary name → the function's `Timeout` (its own, else `Globals`, else Lambda's 3 s).
    timeouts: HashMap<String, Duration>,
    path: Option<PathBuf>,
}

impl Template {
    pub fn load(path: impl AsRef<Path>) -> Result<Template, TemplateError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut t = Template::parse(&text)?;
        t.path = Some(path.to_path_buf());
        Ok(t)
    }

    /// The project's `template.yaml`: `$CLOSELOOP_TEMPLATE` if set, else the first
    /// `template.yaml` found walking up from `$CARGO_MANIFEST_DIR` (the crate under test),
    /// from this crate's own directory, and from the current directory.
    pub fn project() -> Result<Template, TemplateError> {
        Template::load(Template::project_path()?)
    }

    /// Where [`Template::project`] finds the template.
    pub fn project_path() -> Result<PathBuf, TemplateError> {
        if let Some(p) = std::env::var_os("CLOSELOOP_TEMPLATE").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        let mut starts: Vec<PathBuf> = Vec::new();
        if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
            starts.push(PathBuf::from(dir));
        }
        starts.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        if let Ok(cwd) = std::env::current_dir() {
            starts.push(cwd);
        }
        for start in &starts {
            for dir in start.ancestors() {
                let candidate = dir.join("template.yaml");
                if candidate.is_file() {
                    return Ok(candidate);
                }
            }
        }
        Err(TemplateError::NotFound(format!(
            "no template.yaml above {}; set CLOSELOOP_TEMPLATE",
            starts
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    pub fn parse(yaml: &str) -> Result<Template, TemplateError> {
        let doc: Value = serde_yaml::from_str(yaml).map_err(TemplateError::Yaml)?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| invalid("no Resources mapping"))?;

        let mut tables: Vec<(String, &Value)> = Vec::new();
        let mut routes = Vec::new();
        let mut streams = Vec::new();
        let mut schedules = Vec::new();
        let mut functions = Vec::new();
        let mut timeouts = HashMap::new();
        // Parameter defaults, for a `Ref` to a parameter where the runner needs a literal.
        let parameters: HashMap<String, String> = doc
            .get("Parameters")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(name, spec)| {
                Some((
                    name.as_str()?.to_string(),
                    lit_string_any(spec.get("Default"))?,
                ))
            })
            .collect();
        let global_timeout = lit_i64(
            doc.get("Globals")
                .and_then(|g| g.get("Function"))
                .and_then(|f| f.get("Timeout")),
        );

        for (id, res) in resources {
            let id = id
                .as_str()
                .ok_or_else(|| invalid("non-string resource id"))?
                .to_string();
            match lit_str(res.get("Type")) {
                Some("AWS::DynamoDB::Table") => tables.push((id, res)),
                Some("AWS::Serverless::Function") => {
                    let binary = lit_str(
                        res.get("Metadata")
                            .and_then(|m| m.get("BuildProperties"))
                            .and_then(|b| b.get("Binary")),
                    )
                    .map(str::to_string)
                    .unwrap_or_else(|| id.clone());
                    functions.push((id.clone(), binary.clone()));
                    let timeout = lit_i64(res.get("Properties").and_then(|p| p.get("Timeout")))
                        .or(global_timeout)
                        .filter(|s| *s > 0)
                        .unwrap_or(LAMBDA_DEFAULT_TIMEOUT_SECONDS);
                    timeouts.insert(binary.clone(), Duration::from_secs(timeout as u64));
                    let events = res
                        .get("Properties")
                        .and_then(|p| p.get("Events"))
                        .and_then(Value::as_mapping);
                    for (ev_name, ev) in events.into_iter().flatten() {
                        let ev_name = ev_name.as_str().unwrap_or_default().to_string();
                        parse_event(
                            &id,
                            &binary,
                            &ev_name,
                            ev,
                            &parameters,
                            &mut routes,
                            &mut streams,
                            &mut schedules,
                        )?;
                    }
                }
                _ => {}
            }
        }

        let (table_id, table_res) = match tables.len() {
            0 => return Err(invalid("no AWS::DynamoDB::Table resource")),
            1 => tables.remove(0),
            _ => {
                let i = tables
                    .iter()
                    .position(|(id, _)| id == "Table")
                    .ok_or_else(|| {
                        invalid("several AWS::DynamoDB::Table resources and none named Table")
                    })?;
                tables.remove(i)
            }
        };
        let table = parse_table(&table_id, table_res)?;

        routes.sort_by(|a: &Route, b: &Route| a.path.cmp(&b.path).then(a.method.cmp(&b.method)));
        Ok(Template {
            routes,
            streams,
            schedules,
            table,
            functions,
            timeouts,
            path: None,
        })
    }

    /// The file this template was loaded from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// API Gateway's route selection for a request.
    pub fn find_route(&self, method: &str, path: &str) -> RouteMatch<'_> {
        let mut best: Option<(&Route, HashMap<String, String>)> = None;
        let mut allowed = Vec::new();
        for r in &self.routes {
            let Some(params) = r.match_path(path) else {
                continue;
            };
            if !r.accepts_method(method) {
                allowed.push(r.method.clone());
                continue;
            }
            let better = match &best {
                None => true,
                Some((b, _)) => r.specificity() < b.specificity(),
            };
            if better {
                best = Some((r, params));
            }
        }
        match best {
            Some((r, p)) => RouteMatch::Found(r, p),
            None if !allowed.is_empty() => {
                allowed.sort();
                allowed.dedup();
                RouteMatch::MethodNotAllowed(allowed)
            }
            None => RouteMatch::NotFound,
        }
    }

    /// The route with this route key (`"GET /s/{token}"`).
    pub fn route(&self, route_key: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.route_key() == route_key)
    }

    /// Binaries with a DynamoDB stream event, in template order, without duplicates.
    pub fn stream_functions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.streams {
            if !out.contains(&s.function) {
                out.push(s.function.clone());
            }
        }
        out
    }

    pub fn stream_subscriptions(&self) -> &[StreamSubscription] {
        &self.streams
    }

    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }

    /// The schedule `name` of function (binary) `function`.
    pub fn schedule(&self, function: &str, name: &str) -> Option<&Schedule> {
        self.schedules
            .iter()
            .find(|s| s.function == function && s.name == name)
    }

    pub fn table(&self) -> &TableDef {
        &self.table
    }

    pub fn gsi_names(&self) -> Vec<String> {
        self.table
            .global_secondary_indexes
            .iter()
            .map(|g| g.name.clone())
            .collect()
    }

    /// `(logical id, binary name)` of every function.
    pub fn functions(&self) -> &[(String, String)] {
        &self.functions
    }

    /// How long Lambda lets the function (binary name) run before it is cut off.
    pub fn timeout(&self, binary: &str) -> Duration {
        self.timeouts
            .get(binary)
            .copied()
            .unwrap_or(Duration::from_secs(LAMBDA_DEFAULT_TIMEOUT_SECONDS as u64))
    }
}

/// A plain (untagged) scalar as a string.
fn lit_str(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

fn lit_string_any(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A literal string, or a `Ref` (`!Ref Name` / `{Ref: Name}`) to a parameter with a default.
fn lit_or_parameter(v: Option<&Value>, parameters: &HashMap<String, String>) -> Option<String> {
    let name = match v? {
        Value::String(s) => return Some(s.clone()),
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str()?,
        Value::Mapping(m) if m.len() == 1 => m.get("Ref")?.as_str()?,
        _ => return None,
    };
    parameters.get(name).cloned()
}

fn lit_bool(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn lit_i64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn parse_event(
    fn_id: &str,
    binary: &str,
    ev_name: &str,
    ev: &Value,
    parameters: &HashMap<String, String>,
    routes: &mut Vec<Route>,
    streams: &mut Vec<StreamSubscription>,
    schedules: &mut Vec<Schedule>,
) -> Result<(), TemplateError> {
    let empty = Value::Mapping(Mapping::new());
    let props = ev.get("Properties").unwrap_or(&empty);
    match lit_str(ev.get("Type")) {
        Some("HttpApi") => {
            let path = lit_str(props.get("Path")).unwrap_or("$default").to_string();
            let method = lit_str(props.get("Method"))
                .unwrap_or("ANY")
                .to_ascii_uppercase();
            let method = if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" || method == "*" {
                "ANY".to_string()
            } else {
                method
            };
            let public = props
                .get("Auth")
                .and_then(|a| lit_str(a.get("Authorizer")))
                .is_some_and(|a| a.eq_ignore_ascii_case("NONE"));
            routes.push(Route {
                method,
                path,
                function: binary.to_string(),
                public,
                event_name: ev_name.to_string(),
            });
        }
        Some("DynamoDB") => {
            let report = props
                .get("FunctionResponseTypes")
                .and_then(Value::as_sequence)
                .is_some_and(|s| {
                    s.iter()
                        .any(|v| v.as_str() == Some("ReportBatchItemFailures"))
                });
            streams.push(StreamSubscription {
                function: binary.to_string(),
                name: ev_name.to_string(),
                batch_size: lit_i64(props.get("BatchSize"))
                    .filter(|n| *n > 0)
                    .unwrap_or(100) as usize,
                batching_window: std::time::Duration::from_secs(
                    lit_i64(props.get("MaximumBatchingWindowInSeconds"))
                        .filter(|n| (0..=300).contains(n))
                        .unwrap_or(0) as u64,
                ),
                starting_position: lit_str(props.get("StartingPosition")).map(str::to_string),
                report_batch_item_failures: report,
                maximum_retry_attempts: lit_i64(props.get("MaximumRetryAttempts")),
                bisect_batch_on_function_error: lit_bool(props.get("BisectBatchOnFunctionError"))
                    .unwrap_or(false),
                filters: parse_filters(props.get("FilterCriteria"), &format!("{fn_id}.{ev_name}"))?,
            });
        }
        Some(kind @ ("Schedule" | "ScheduleV2")) => {
            let key = if kind == "Schedule" {
                "Schedule"
            } else {
                "ScheduleExpression"
            };
            let expression = lit_str(props.get(key))
                .ok_or_else(|| {
                    invalid(format!("{fn_id}.{ev_name}: {key} is not a literal string"))
                })?
                .to_string();
            let input = lit_str(props.get("Input")).and_then(|s| serde_json::from_str(s).ok());
            let enabled = lit_bool(props.get("Enabled")).unwrap_or(true)
                && lit_str(props.get("State")).is_none_or(|s| s != "DISABLED");
            schedules.push(Schedule {
                function: binary.to_string(),
                function_logical_id: fn_id.to_string(),
                name: ev_name.to_string(),
                every: parse_rate(&expression),
                expression,
                input,
                enabled,
                kind: kind.to_string(),
                time_zone: lit_or_parameter(props.get("ScheduleExpressionTimezone"), parameters),
            });
        }
        _ => {}
    }
    Ok(())
}

/// `FilterCriteria: {Filters: [{Pattern: '<json>'}]}`; a pattern that is not literal JSON is
/// refused, since the runner could not honour it.
fn parse_filters(v: Option<&Value>, ctx: &str) -> Result<Vec<serde_json::Value>, TemplateError> {
    let Some(filters) = v.and_then(|c| c.get("Filters")) else {
        return Ok(Vec::new());
    };
    let seq = filters.as_sequence().ok_or_else(|| {
        invalid(format!(
            "{ctx}: FilterCriteria.Filters must be a literal list"
        ))
    })?;
    seq.iter()
        .map(|f| {
            let text = lit_str(f.get("Pattern")).ok_or_else(|| {
                invalid(format!("{ctx}: each filter needs a literal Pattern string"))
            })?;
            let pattern: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| invalid(format!("{ctx}: filter Pattern is not JSON: {e}")))?;
            if !pattern.is_object() {
                return Err(invalid(format!(
                    "{ctx}: filter Pattern must be a JSON object"
                )));
            }
            Ok(pattern)
        })
        .collect()
}

fn parse_keys(v: Option<&Value>, ctx: &str) -> Result<Vec<KeyElement>, TemplateError> {
    let seq = v
        .and_then(Value::as_sequence)
        .ok_or_else(|| invalid(format!("{ctx}: KeySchema must be a literal list")))?;
    seq.iter()
        .map(|k| {
            Ok(KeyElement {
                name: lit_string_any(k.get("AttributeName")).ok_or_else(|| {
                    invalid(format!("{ctx}: KeySchema AttributeName must be literal"))
                })?,
                key_type: lit_str(k.get("KeyType"))
                    .ok_or_else(|| invalid(format!("{ctx}: KeySchema KeyType must be literal")))?
                    .to_string(),
            })
        })
        .collect()
}

fn parse_indexes(v: Option<&Value>, ctx: &str) -> Result<Vec<IndexDef>, TemplateError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let seq = v
        .as_sequence()
        .ok_or_else(|| invalid(format!("{ctx} must be a literal list")))?;
    seq.iter()
        .map(|g| {
            let name = lit_string_any(g.get("IndexName"))
                .ok_or_else(|| invalid(format!("{ctx}: IndexName must be literal")))?;
            let ctx = format!("{ctx} {name}");
            let projection = g.get("Projection");
            Ok(IndexDef {
                key_schema: parse_keys(g.get("KeySchema"), &ctx)?,
                projection_type: lit_str(projection.and_then(|p| p.get("ProjectionType")))
                    .unwrap_or("KEYS_ONLY")
                    .to_string(),
                non_key_attributes: projection
                    .and_then(|p| p.get("NonKeyAttributes"))
                    .and_then(Value::as_sequence)
                    .map(|s| s.iter().filter_map(|a| lit_string_any(Some(a))).collect())
                    .unwrap_or_default(),
                name,
            })
        })
        .collect()
}

fn parse_table(id: &str, res: &Value) -> Result<TableDef, TemplateError> {
    let props = res
        .get("Properties")
        .ok_or_else(|| invalid(format!("{id}: no Properties")))?;
    let attribute_definitions = props
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .ok_or_else(|| invalid(format!("{id}: AttributeDefinitions must be a literal list")))?
        .iter()
        .map(|a| {
            Ok(AttributeDef {
                name: lit_string_any(a.get("AttributeName"))
                    .ok_or_else(|| invalid(format!("{id}: AttributeName must be literal")))?,
                attribute_type: lit_str(a.get("AttributeType"))
                    .ok_or_else(|| invalid(format!("{id}: AttributeType must be literal")))?
                    .to_string(),
            })
        })
        .collect::<Result<Vec<_>, TemplateError>>()?;
    let ttl = props.get("TimeToLiveSpecification");
    let ttl_attribute = match ttl {
        Some(t) if lit_bool(t.get("Enabled")).unwrap_or(true) => {
            lit_string_any(t.get("AttributeName"))
        }
        _ => None,
    };
    Ok(TableDef {
        logical_id: id.to_string(),
        key_schema: parse_keys(props.get("KeySchema"), id)?,
        global_secondary_indexes: parse_indexes(
            props.get("GlobalSecondaryIndexes"),
            &format!("{id} GlobalSecondaryIndexes"),
        )?,
        local_secondary_indexes: parse_indexes(
            props.get("LocalSecondaryIndexes"),
            &format!("{id} LocalSecondaryIndexes"),
        )?,
        stream_view_type: props
            .get("StreamSpecification")
            .and_then(|s| lit_str(s.get("StreamViewType")))
            .map(str::to_string),
        ttl_attribute,
        billing_mode: lit_str(props.get("BillingMode")).map(str::to_string),
        attribute_definitions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) const SAMPLE: &str = r#"
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Runtime: provided.al2023
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        TOPIC_ARN: !Ref AlertsTopic
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-table"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: PK, AttributeType: S}
        - {AttributeName: SK, AttributeType: S}
        - {AttributeName: GSI1PK, AttributeType: S}
        - {AttributeName: GSI1SK, AttributeType: S}
      KeySchema:
        - {AttributeName: PK, KeyType: HASH}
        - {AttributeName: SK, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: GSI1
          KeySchema:
            - {AttributeName: GSI1PK, KeyType: HASH}
            - {AttributeName: GSI1SK, KeyType: RANGE}
          Projection:
            ProjectionType: INCLUDE
            NonKeyAttributes: [status, dueAt]
      StreamSpecification:
        StreamViewType: NEW_AND_OLD_IMAGES
      TimeToLiveSpecification:
        AttributeName: expiresAt
        Enabled: true
      PointInTimeRecoverySpecification:
        PointInTimeRecoveryEnabled: !If [IsProd, true, false]
  AlertsTopic:
    Type: AWS::SNS::Topic
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: !Sub "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
              audience: [!Ref UserPoolClient]
  ResponseCaptureFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: response-capture
    Properties:
      CodeUri: .
      Handler: bootstrap
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref Table}
      Events:
        Show:
          Type: HttpApi
          Properties: {Path: "/s/{token}", Method: get, ApiId: !Ref HttpApi, Auth: {Authorizer: NONE}}
        Submit:
          Type: HttpApi
          Properties:
            Path: /s/{token}
            Method: POST
            ApiId: !Ref HttpApi
            Auth:
              Authorizer: NONE
        AdminList:
          Type: HttpApi
          Properties: {Path: /admin/responses, Method: GET, ApiId: !Ref HttpApi}
        AdminOne:
          Type: HttpApi
          Properties: {Path: "/admin/responses/{id}", Method: GET, ApiId: !Ref HttpApi}
        AdminAny:
          Type: HttpApi
          Properties: {Path: "/admin/{proxy+}", Method: ANY, ApiId: !Ref HttpApi}
  TicketCreationFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties: {Binary: ticket-creation}
    Properties:
      Events:
        Stream:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 25
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            MaximumRetryAttempts: 3
            BisectBatchOnFunctionError: true
  SlaEscalationFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties: {Binary: sla-escalation}
    Properties:
      Events:
        Every5:
          Type: Schedule
          Properties: {Schedule: rate(5 minutes)}
        Weekly:
          Type: Schedule
          Properties:
            Schedule: cron(0 1 ? * MON *)
            Enabled: true
Outputs:
  ApiUrl:
    Value: !Sub "https://${HttpApi}.execute-api.${AWS::Region}.amazonaws.com"
"#;

    #[test]
    fn parses_sample_with_short_tags() {
        let t = Template::parse(SAMPLE).unwrap();
        let table = t.table();
        assert_eq!(table.logical_id, "Table");
        assert_eq!(table.hash_key(), Some("PK"));
        assert_eq!(table.range_key(), Some("SK"));
        assert_eq!(table.attribute_definitions.len(), 4);
        assert_eq!(t.gsi_names(), vec!["GSI1"]);
        let g = table.gsi("GSI1").unwrap();
        assert_eq!(g.hash_key(), Some("GSI1PK"));
        assert_eq!(g.range_key(), Some("GSI1SK"));
        assert_eq!(g.projection_type, "INCLUDE");
        assert_eq!(g.non_key_attributes, vec!["status", "dueAt"]);
        assert_eq!(
            table.stream_view_type.as_deref(),
            Some("NEW_AND_OLD_IMAGES")
        );
        assert_eq!(table.ttl_attribute.as_deref(), Some("expiresAt"));
        assert_eq!(table.billing_mode.as_deref(), Some("PAY_PER_REQUEST"));

        assert_eq!(t.routes().len(), 5);
        let show = t.route("GET /s/{token}").unwrap();
        assert!(show.public);
        assert_eq!(show.function, "response-capture");
        assert!(t.route("POST /s/{token}").unwrap().public);
        assert!(!t.route("GET /admin/responses").unwrap().public);
        assert!(!t.route("ANY /admin/{proxy+}").unwrap().public);

        assert_eq!(t.stream_functions(), vec!["ticket-creation"]);
        let sub = &t.stream_subscriptions()[0];
        assert_eq!(sub.batch_size, 25);
        assert_eq!(sub.batching_window, Duration::from_secs(2));
        assert!(sub.report_batch_item_failures);
        assert_eq!(sub.maximum_retry_attempts, Some(3));
        assert!(sub.bisect_batch_on_function_error);

        assert_eq!(t.schedules().len(), 2);
        let every5 = t.schedule("sla-escalation", "Every5").unwrap();
        assert_eq!(every5.every, Some(Duration::from_secs(300)));
        assert_eq!(every5.rule_name(), "closeloop-SlaEscalationFunctionEvery5");
        let weekly = t.schedule("sla-escalation", "Weekly").unwrap();
        assert_eq!(weekly.expression, "cron(0 1 ? * MON *)");
        assert_eq!(weekly.every, None);
    }

    #[test]
    fn the_report_schedules_fire_through_eventbridge_scheduler_in_the_business_time_zone() {
        let t = Template::project().unwrap();
        for (name, expression, report) in [
            ("WeeklyReport", "cron(0 8 ? * MON *)", "weekly"),
            ("MonthlyReport", "cron(0 8 1 * ? *)", "monthly"),
        ] {
            let s = t.schedule("report-generation", name).unwrap();
            assert_eq!(s.kind, "ScheduleV2", "{name}");
            assert_eq!(s.expression, expression);
            assert_eq!(s.every, None, "{name} fires on demand only");
            assert!(s.enabled);
            // `!Ref BusinessTimeZone`, resolved to the parameter's default.
            assert_eq!(s.time_zone.as_deref(), Some("Asia/Shanghai"), "{name}");
            let input = s.input.as_ref().expect("a literal JSON Input");
            assert_eq!(input["detail"]["report"], report);
            assert_eq!(input["detail-type"], "Scheduled Event");
            assert_eq!(input["time"], "<aws.scheduler.scheduled-time>");
            assert_eq!(input["resources"][0], "<aws.scheduler.schedule-arn>");
        }
    }

    #[test]
    fn the_staff_console_is_served_on_public_routes_it_guards_itself() {
        let t = Template::project().unwrap();
        let root = t.route("GET /console").expect("GET /console");
        let pages = t
            .route("ANY /console/{proxy+}")
            .expect("ANY /console/{proxy+}");
        for route in [root, pages] {
            assert_eq!(route.function, "staff-console");
            assert!(route.public, "the console signs in itself: no bearer token");
        }
        for (method, path, proxy) in [
            ("GET", "/console/queue", "queue"),
            ("POST", "/console/tickets/r-1/claim", "tickets/r-1/claim"),
        ] {
            match t.find_route(method, path) {
                RouteMatch::Found(r, params) => {
                    assert_eq!(r.route_key(), "ANY /console/{proxy+}");
                    assert_eq!(params["proxy"], proxy);
                }
                _ => panic!("{method} {path} finds no route"),
            }
        }
        assert!(matches!(
            t.find_route("GET", "/console"),
            RouteMatch::Found(r, _) if r.route_key() == "GET /console"
        ));
        assert!(t
            .functions()
            .iter()
            .any(|(id, binary)| id == "StaffConsoleFunction" && binary == "staff-console"));
    }

    #[test]
    fn a_scheduler_input_is_filled_in_when_it_fires() {
        let t = Template::project().unwrap();
        let weekly = t.schedule("report-generation", "WeeklyReport").unwrap();
        let time = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let event = weekly.event(time, 1);
        assert_eq!(event["time"], "2026-11-30T00:00:00Z");
        assert_eq!(
            event["resources"],
            serde_json::json!([
                "arn:aws:scheduler:us-east-1:123456789012:schedule/default/closeloop-ReportGenerationFunctionWeeklyReport"
            ])
        );
        assert_eq!(event["detail"], serde_json::json!({"report": "weekly"}));
        let id = event["id"].as_str().unwrap().to_string();
        assert!(!id.is_empty() && !id.contains('<'), "{id}");
        assert_ne!(
            weekly.event(time, 1)["id"],
            event["id"],
            "a fresh id each time"
        );
        // What the function deserializes, without `account` and `region`.
        let parsed: aws_lambda_events::eventbridge::EventBridgeEvent =
            serde_json::from_value(event).unwrap();
        assert_eq!(parsed.time, Some(time));
        assert_eq!(parsed.source, "aws.scheduler");
        assert_eq!(parsed.account, None);

        // An EventBridge rule's Input is sent as it is; no Input, the scheduled event.
        let mut rule = weekly.clone();
        rule.kind = "Schedule".into();
        assert_eq!(rule.event(time, 1), *weekly.input.as_ref().unwrap());
        let every5 = Template::parse(SAMPLE).unwrap();
        let every5 = every5.schedule("sla-escalation", "Every5").unwrap();
        assert_eq!(every5.event(time, 1)["source"], "aws.events");
    }

    #[test]
    fn a_schedule_time_zone_is_literal_or_a_parameter_default() {
        let yaml = r#"
Parameters:
  Zone: {Type: String, Default: Europe/Berlin}
  NoDefault: {Type: String}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Literal:
          Type: ScheduleV2
          Properties: {ScheduleExpression: cron(0 8 * * ? *), ScheduleExpressionTimezone: America/New_York}
        ShortRef:
          Type: ScheduleV2
          Properties: {ScheduleExpression: cron(0 8 * * ? *), ScheduleExpressionTimezone: !Ref Zone}
        LongRef:
          Type: ScheduleV2
          Properties: {ScheduleExpression: cron(0 8 * * ? *), ScheduleExpressionTimezone: {Ref: Zone}}
        Unresolved:
          Type: ScheduleV2
          Properties: {ScheduleExpression: cron(0 8 * * ? *), ScheduleExpressionTimezone: !Ref NoDefault}
        Utc:
          Type: ScheduleV2
          Properties: {ScheduleExpression: cron(0 8 * * ? *)}
"#;
        let t = Template::parse(yaml).unwrap();
        let zone = |name: &str| t.schedule("F", name).unwrap().time_zone.clone();
        assert_eq!(zone("Literal").as_deref(), Some("America/New_York"));
        assert_eq!(zone("ShortRef").as_deref(), Some("Europe/Berlin"));
        assert_eq!(zone("LongRef").as_deref(), Some("Europe/Berlin"));
        assert_eq!(zone("Unresolved"), None);
        assert_eq!(zone("Utc"), None);
    }

    #[test]
    fn rejects_non_templates() {
        assert!(matches!(
            Template::parse("a: [1"),
            Err(TemplateError::Yaml(_))
        ));
        assert!(matches!(
            Template::parse("Foo: 1"),
            Err(TemplateError::Invalid(_))
        ));
        assert!(matches!(
            Template::parse("Resources: {T: {Type: AWS::SNS::Topic}}"),
            Err(TemplateError::Invalid(_))
        ));
    }

    #[test]
    fn route_matching() {
        let t = Template::parse(SAMPLE).unwrap();
        let r = t.route("GET /s/{token}").unwrap();
        let p = r.matches("GET", "/s/abc%2Fdef").unwrap();
        assert_eq!(p["token"], "abc/def");
        assert!(r.matches("get", "/s/abc").is_some());
        assert!(r.matches("GET", "/s/").is_none());
        assert!(r.matches("GET", "/s").is_none());
        assert!(r.matches("GET", "/s/a/b").is_none());
        assert!(r.matches("POST", "/s/abc").is_none());

        let any = t.route("ANY /admin/{proxy+}").unwrap();
        assert_eq!(
            any.matches("DELETE", "/admin/a/b/c").unwrap()["proxy"],
            "a/b/c"
        );
        assert!(any.matches("GET", "/admin").is_none());

        match t.find_route("GET", "/admin/responses/42") {
            RouteMatch::Found(r, p) => {
                assert_eq!(r.route_key(), "GET /admin/responses/{id}");
                assert_eq!(p["id"], "42");
            }
            other => panic!("{other:?}"),
        }
        match t.find_route("GET", "/admin/responses") {
            RouteMatch::Found(r, p) => {
                assert_eq!(r.route_key(), "GET /admin/responses");
                assert!(p.is_empty());
            }
            other => panic!("{other:?}"),
        }
        match t.find_route("PUT", "/admin/responses/42") {
            RouteMatch::Found(r, p) => {
                assert_eq!(r.route_key(), "ANY /admin/{proxy+}");
                assert_eq!(p["proxy"], "responses/42");
            }
            other => panic!("{other:?}"),
        }
        match t.find_route("DELETE", "/s/tok") {
            RouteMatch::MethodNotAllowed(m) => assert_eq!(m, vec!["GET", "POST"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(t.find_route("GET", "/nope"), RouteMatch::NotFound));
    }

    #[test]
    fn rate_parsing() {
        assert_eq!(
            parse_rate("rate(5 minutes)"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(parse_rate("rate(1 minute)"), Some(Duration::from_secs(60)));
        assert_eq!(parse_rate("rate(1 hour)"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_rate("rate(2 hours)"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_rate("rate(1 day)"), Some(Duration::from_secs(86400)));
        assert_eq!(
            parse_rate(" rate( 10 seconds ) "),
            Some(Duration::from_secs(10))
        );
        assert_eq!(parse_rate("rate(0 minutes)"), None);
        assert_eq!(parse_rate("rate(5 weeks)"), None);
        assert_eq!(parse_rate("cron(0 1 ? * MON *)"), None);
        assert_eq!(parse_rate("rate(five minutes)"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2f"), "a b/");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%e2%82%ac"), "€");
    }
}

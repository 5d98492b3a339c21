//! `PUT /customers/{id}`, `GET /customers/{id}`, `POST /customers/import` (CSV),
//! `POST /suppressions` (an SMS STOP reply or another address never to message again).

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::customer::{
    parse_customer_csv, CustomerDefaults, CustomerId, CustomerInput, Email, Phone, RowOutcome,
};
use closeloop::lambda::{body_bytes, json_body, json_response, path_parameter};
use closeloop::store::Suppression;
use closeloop::{Deps, Error};
use http::{header, Response, StatusCode};
use lambda_http::Request;
use serde::Deserialize;
use serde_json::{json, Value};

/// A customer record is small.
const MAX_CUSTOMER_BYTES: usize = 16 * 1024;
/// An import fits in one Lambda payload with room to spare (about 20,000 rows).
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;
const MAX_IMPORT_ROWS: usize = 20_000;

pub fn defaults(deps: &Deps) -> CustomerDefaults {
    CustomerDefaults {
        time_zone: deps.config.delivery.default_time_zone,
        ..CustomerDefaults::default()
    }
}

fn customer_id(request: &Request) -> Result<CustomerId, Error> {
    let raw = path_parameter(request, "id").unwrap_or_default();
    CustomerId::parse(&raw).map_err(|reason| Error::invalid("id", reason))
}

pub async fn put(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    let id = customer_id(request)?;
    let mut input: CustomerInput = json_body(request, MAX_CUSTOMER_BYTES)?;
    match &input.id {
        Some(body_id) if body_id != id.as_str() => {
            return Err(Error::invalid(
                "id",
                format!(
                    "the body names {body_id:?} but the path names {:?}",
                    id.as_str()
                ),
            ))
        }
        _ => input.id = Some(id.as_str().to_string()),
    }
    let customer = input
        .validate(defaults(deps))
        .map_err(|p| Error::invalid(p.field, p.reason))?;
    deps.store.put_customer(&customer, now).await?;
    get(deps, request).await
}

pub async fn get(deps: &Deps, request: &Request) -> Result<Response<Body>, Error> {
    let id = customer_id(request)?;
    let view = deps
        .store
        .customer_view(id.as_str())
        .await?
        .ok_or_else(|| Error::not_found(format!("customer \"{}\"", id.as_str())))?;
    let customer = &view.customer;
    let contact = &view.contact;
    let opted_out = contact.opted_out_at.is_some();
    let channel = |address: Option<String>, consent: bool, suppressed: &Option<Suppression>| {
        json!({
            "address": address,
            "consent": consent,
            "suppressed": suppressed.as_ref().map(|s| json!({"reason": s.reason, "since": s.created_at})),
            "can_send": address.is_some() && consent && suppressed.is_none() && !opted_out,
        })
    };
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "customer": customer,
            "consent": {
                "opted_out": opted_out,
                "opted_out_at": contact.opted_out_at,
                "opt_out_source": contact.opt_out_source,
                "sms": channel(customer.phone.as_ref().map(|p| p.as_str().to_string()), customer.sms_consent, &view.phone_suppressed),
                "email": channel(customer.email.as_ref().map(|e| e.as_str().to_string()), customer.email_consent, &view.email_suppressed),
            },
            "last_invited_at": contact.last_invited_at,
        }),
    ))
}

/// The CSV is judged row by row; valid rows are written (one item each, so a row is never
/// half-written), and the report names every row's fate.
pub async fn import(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
        let content_type = content_type
            .to_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !(content_type.starts_with("text/csv")
            || content_type.starts_with("application/csv")
            || content_type.starts_with("text/plain"))
        {
            return Err(Error::UnsupportedMediaType(format!(
                "send the customer list as text/csv (got {content_type:?})"
            )));
        }
    }
    let bytes = body_bytes(request, MAX_IMPORT_BYTES)?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::invalid("body", "the CSV must be UTF-8 encoded"))?;
    let rows =
        parse_customer_csv(text, defaults(deps)).map_err(|p| Error::invalid(p.field, p.reason))?;
    if rows.is_empty() {
        return Err(Error::invalid(
            "body",
            "the CSV has a header but no customer rows",
        ));
    }
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(Error::invalid(
            "body",
            format!(
                "{} rows is more than {MAX_IMPORT_ROWS} per import; split the file",
                rows.len()
            ),
        ));
    }
    let valid: Vec<_> = rows
        .iter()
        .filter_map(|row| match &row.outcome {
            RowOutcome::Valid(customer) => Some((**customer).clone()),
            RowOutcome::Rejected { .. } => None,
        })
        .collect();
    let unwritten = deps.store.put_customers(&valid, now).await?;
    let mut report = Vec::with_capacity(rows.len());
    let (mut accepted, mut rejected) = (0, 0);
    for row in &rows {
        let entry: Value = match &row.outcome {
            RowOutcome::Valid(customer)
                if unwritten.iter().any(|id| id == customer.id.as_str()) =>
            {
                rejected += 1;
                json!({"line": row.line, "id": customer.id, "status": "rejected", "field": "row",
                       "reason": "the table was too busy to take it; import this row again"})
            }
            RowOutcome::Valid(customer) => {
                accepted += 1;
                json!({"line": row.line, "id": customer.id, "status": "accepted"})
            }
            RowOutcome::Rejected { field, reason, id } => {
                rejected += 1;
                json!({"line": row.line, "id": id, "status": "rejected", "field": field, "reason": reason})
            }
        };
        report.push(entry);
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"accepted": accepted, "rejected": rejected, "rows": report}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressionInput {
    address: String,
    #[serde(default)]
    reason: Option<String>,
}

/// Records an address never to message again: an SMS `STOP` reply (SNS two-way SMS or the
/// SMS provider's opt-out report feeds this), an email complaint or bounce, or an admin.
pub async fn suppress(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    let input: SuppressionInput = json_body(request, MAX_CUSTOMER_BYTES)?;
    let address = if input.address.trim_start().starts_with('+') {
        Phone::parse(&input.address)
            .map_err(|r| Error::invalid("address", r))?
            .as_str()
            .to_string()
    } else {
        Email::parse(&input.address)
            .map_err(|r| Error::invalid("address", r))?
            .as_str()
            .to_string()
    };
    let reason = input.reason.unwrap_or_else(|| "stop".into());
    if !matches!(reason.as_str(), "stop" | "complaint" | "bounce" | "admin") {
        return Err(Error::invalid(
            "reason",
            "use stop, complaint, bounce or admin",
        ));
    }
    let stored = deps
        .store
        .suppress_address(&Suppression {
            address,
            reason,
            created_at: now,
        })
        .await?;
    Ok(json_response(StatusCode::CREATED, &stored))
}

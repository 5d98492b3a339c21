//! Campaigns (admins): find one by id (the store lists campaigns by no key, so there is no
//! "recent" list without a Scan), its progress as `GET /campaigns/{id}` counts it, and a new
//! campaign with the fields `POST /campaigns` takes.
//!
//! "Preview audience" counts who would be invited through the common crate's audience (the
//! one creation schedules), writing nothing; "Create" creates through the common crate's
//! flow (`closeloop::campaigns::create`), the API's own.

use chrono::{DateTime, NaiveDateTime, Utc};
use closeloop::domain::campaign::{check_campaign_id, CampaignCounts, CampaignInput};
use closeloop::domain::customer::Segment;
use closeloop::domain::ticket::Area;
use closeloop::Error;
use http::StatusCode;
use maud::{html, Markup};
use serde_json::{json, Map, Value};

use super::require;
use crate::layout::{Ctx, Nav};
use crate::respond::{self, Form};
use crate::routes::Reply;

/// `GET /console/campaigns?find=<id>`.
pub async fn list(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    require(ctx, Area::Customers)?;
    let wanted = respond::query(ctx.request, "find");
    let mut problem = None;
    if let Some(id) = &wanted {
        if check_campaign_id(id).is_ok() && ctx.console.deps.store.get_campaign(id).await?.is_some()
        {
            return Ok(Reply::Redirect(format!("/console/campaigns/{id}")));
        }
        problem = Some(format!(
            "{} \"{id}\"",
            ctx.t("No campaign has the id", "没有活动的 ID 是")
        ));
    }
    let body = html! {
        h1 { (ctx.t("Campaigns", "活动")) }
        p { a.button href="/console/campaigns/new" { (ctx.t("New campaign", "新建活动")) } }
        section.card {
            form.filters method="get" action="/console/campaigns" role="search" {
                div.field.invalid[problem.is_some()] data-field="find" {
                    label for="f-find" { (ctx.t("Campaign id", "活动 ID")) }
                    input #f-find type="search" name="find" value=(wanted.clone().unwrap_or_default()) required;
                    @if let Some(problem) = &problem { p.field-error role="alert" { (problem) } }
                }
                button type="submit" { (ctx.t("Open", "打开")) }
            }
        }
    };
    let status = if problem.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok(Reply::Page {
        status,
        title: ctx.t("Campaigns", "活动").to_string(),
        nav: Nav::Campaigns,
        body,
    })
}

/// `GET /console/campaigns/{id}`: the campaign and its invitations' counts.
pub async fn show(ctx: &Ctx<'_>, id: &str) -> Result<Reply, Error> {
    require(ctx, Area::Customers)?;
    check_campaign_id(id).map_err(|_| Error::not_found(format!("campaign {id}")))?;
    let store = &ctx.console.deps.store;
    let campaign = store
        .get_campaign(id)
        .await?
        .ok_or_else(|| Error::not_found(format!("campaign \"{id}\"")))?;
    let counts = CampaignCounts::of(&store.campaign_invitations(id).await?);
    let figures = [
        (
            "invitations",
            ctx.t("Invitations", "邀请"),
            counts.invitations,
        ),
        (
            "scheduled",
            ctx.t("Not sent yet", "待发送"),
            counts.scheduled,
        ),
        ("sent", ctx.t("Sent", "已发送"), counts.sent),
        ("reminded", ctx.t("Reminded", "已提醒"), counts.reminded),
        ("answered", ctx.t("Answered", "已回答"), counts.answered),
        ("expired", ctx.t("Expired", "已过期"), counts.expired),
        ("failed", ctx.t("Failed", "失败"), counts.failed),
        (
            "suppressed",
            ctx.t("Suppressed", "已屏蔽"),
            counts.suppressed,
        ),
    ];
    let body = html! {
        p { a href="/console/campaigns" { "← " (ctx.t("Campaigns", "活动")) } }
        h1 { (campaign.name) " " span.muted.mono { (campaign.id) } }
        section.card {
            dl.facts {
                dt { (ctx.t("Survey", "问卷")) } dd { a href={ "/console/surveys/" (campaign.survey_id) } { (campaign.survey_id) } " v" (campaign.survey_version) }
                dt { (ctx.t("Send at", "发送时间")) } dd { (campaign.send_at.format("%Y-%m-%d %H:%M UTC")) }
                dt { (ctx.t("Audience", "受众人数")) } dd { (campaign.audience_size) }
                dt { (ctx.t("Status", "状态")) } dd { (format!("{:?}", campaign.status).to_lowercase()) }
            }
        }
        div.counts #progress {
            @for (key, label, n) in figures {
                div.count data-count=(key) { strong { (n) } (label) }
            }
        }
    };
    Ok(Reply::page(campaign.name.clone(), Nav::Campaigns, body))
}

/// The form's fields as `POST /campaigns` takes them.
fn input_of(form: &Form) -> Result<CampaignInput, Error> {
    let text = |name: &str| form.get(name).map(str::to_string);
    let mut body = Map::new();
    if let Some(id) = text("id") {
        body.insert("id".into(), json!(id));
    }
    body.insert("name".into(), json!(text("name").unwrap_or_default()));
    body.insert(
        "survey_id".into(),
        json!(text("survey_id").unwrap_or_default()),
    );
    if let Some(version) = text("survey_version") {
        let version: u32 = version
            .parse()
            .map_err(|_| Error::invalid("survey_version", "must be a version number"))?;
        body.insert("survey_version".into(), json!(version));
    }
    let send_at = parse_send_at(form.get("send_at").unwrap_or_default())?;
    body.insert("send_at".into(), json!(send_at));
    let mut audience = Map::new();
    if let Some(days) = text("bought_within_days") {
        let days: u32 = days.parse().map_err(|_| {
            Error::invalid("audience.bought_within_days", "must be a number of days")
        })?;
        audience.insert("bought_within_days".into(), json!(days));
    }
    let segments = form.all("segments");
    if !segments.is_empty() {
        audience.insert("segments".into(), json!(segments));
    }
    for name in ["service_type", "store", "region"] {
        if let Some(value) = text(name) {
            audience.insert(name.into(), json!(value));
        }
    }
    body.insert("audience".into(), Value::Object(audience));
    serde_json::from_value(Value::Object(body)).map_err(|e| Error::invalid("form", e.to_string()))
}

/// `2026-12-01T09:00` (a datetime-local input, in UTC) or RFC 3339.
fn parse_send_at(text: &str) -> Result<DateTime<Utc>, Error> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .map(|at| at.and_utc())
        .map_err(|_| {
            Error::invalid(
                "send_at",
                "give a date and time, e.g. 2026-12-01T09:00 (UTC)",
            )
        })
}

fn editor(ctx: &Ctx, form: &Form, problem: Option<&Error>, count: Option<usize>) -> Markup {
    let (field_at, message) = match problem {
        Some(Error::Invalid { field, reason }) => {
            (field.clone(), Some(format!("{field}: {reason}")))
        }
        Some(other) => ("form".into(), Some(other.to_string())),
        None => (String::new(), None),
    };
    let value = |name: &str| form.get(name).unwrap_or_default().to_string();
    let chosen = form.all("segments");
    // A problem about `audience.store` belongs at `store`; one the form owns at the top.
    let at = |path: &str| {
        message
            .as_ref()
            .filter(|_| field_at == path || field_at == format!("audience.{path}"))
    };
    let input = |path: &str, label: &str, kind: &str| {
        let mine = at(path);
        html! {
            div.field.invalid[mine.is_some()] data-field=(path) {
                label for={ "f-" (path) } { (label) }
                input id={ "f-" (path) } type=(kind) name=(path) value=(value(path));
                @if let Some(m) = mine { p.field-error { (m) } }
            }
        }
    };
    let owned = [
        "id",
        "name",
        "survey_id",
        "survey_version",
        "send_at",
        "bought_within_days",
        "segments",
        "service_type",
        "store",
        "region",
    ];
    let loose = message.as_ref().filter(|_| {
        !owned
            .iter()
            .any(|p| field_at == *p || field_at == format!("audience.{p}"))
    });
    html! {
        p { a href="/console/campaigns" { "← " (ctx.t("Campaigns", "活动")) } }
        h1 { (ctx.t("New campaign", "新建活动")) }
        @if let Some(m) = loose { p.notice.stale role="alert" { (m) } }
        @if let Some(n) = count {
            p.notice role="status" #audience-count data-count=(n) {
                (ctx.t("Customers this campaign would invite now:", "按当前条件将邀请的客户数：")) " " strong { (n) }
                " " (ctx.t("(nothing was created)", "（尚未创建任何内容）"))
            }
        }
        form method="post" action="/console/campaigns/new" {
            (ctx.csrf_field())
            section.card {
                div.grid {
                    (input("name", ctx.t("Name", "名称"), "text"))
                    (input("id", ctx.t("Id (optional)", "ID（可选）"), "text"))
                    (input("survey_id", ctx.t("Survey id", "问卷 ID"), "text"))
                    (input("survey_version", ctx.t("Survey version (latest when empty)", "问卷版本（留空为最新）"), "number"))
                    (input("send_at", ctx.t("Send at (UTC)", "发送时间（UTC）"), "datetime-local"))
                }
            }
            section.card {
                h2 { (ctx.t("Audience", "受众")) }
                div.grid {
                    (input("bought_within_days", ctx.t("Bought or served within days", "最近多少天内购买或服务"), "number"))
                    (input("service_type", ctx.t("Service type", "服务类型"), "text"))
                    (input("store", ctx.t("Store", "门店"), "text"))
                    (input("region", ctx.t("Region", "地区"), "text"))
                }
                fieldset.field.invalid[at("segments").is_some()] data-field="segments" {
                    legend { (ctx.t("Segments (all when none)", "客群（不选为全部）")) }
                    @for segment in Segment::ALL {
                        label {
                            input type="checkbox" name="segments" value=(segment.as_str()) checked[chosen.contains(&segment.as_str())];
                            " " (segment.as_str())
                        }
                    }
                    @if let Some(m) = at("segments") { p.field-error { (m) } }
                }
            }
            p {
                button.secondary type="submit" name="intent" value="preview" { (ctx.t("Preview audience", "预览受众")) }
                " "
                button type="submit" name="intent" value="create" { (ctx.t("Create", "创建")) }
            }
        }
    }
}

/// `GET /console/campaigns/new`.
pub async fn new(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    require(ctx, Area::Customers)?;
    let body = editor(ctx, &Form::default(), None, None);
    Ok(Reply::page(
        ctx.t("New campaign", "新建活动"),
        Nav::Campaigns,
        body,
    ))
}

/// `POST /console/campaigns/new`: `intent=preview` counts the audience and writes nothing;
/// otherwise the campaign is created as `POST /campaigns` creates it.
pub async fn save(ctx: &Ctx<'_>, form: &Form) -> Result<Reply, Error> {
    require(ctx, Area::Customers)?;
    let deps = &ctx.console.deps;
    let refused = |problem: Error| {
        let status = problem.status();
        Ok(Reply::Page {
            status,
            title: ctx.t("New campaign", "新建活动").to_string(),
            nav: Nav::Campaigns,
            body: editor(ctx, form, Some(&problem), None),
        })
    };
    let input = match input_of(form) {
        Ok(input) => input,
        Err(problem) => return refused(problem),
    };
    if form.get("intent") == Some("preview") {
        // The same checks creation starts with, then the count.
        let audience = input.audience.clone();
        let send_at = input.send_at.max(ctx.now);
        if let Err(problem) = input.validate(|| "c-preview".to_string()) {
            return refused(Error::invalid(problem.field, problem.reason));
        }
        let count = closeloop::campaigns::audience_size(deps, &audience, send_at).await?;
        return Ok(Reply::page(
            ctx.t("New campaign", "新建活动"),
            Nav::Campaigns,
            editor(ctx, form, None, Some(count)),
        ));
    }
    match closeloop::campaigns::create(deps, input, ctx.now).await {
        Ok(created) => Ok(Reply::Redirect(format!(
            "/console/campaigns/{}",
            created.campaign.id
        ))),
        Err(problem @ (Error::Invalid { .. } | Error::Conflict(_))) => refused(problem),
        Err(other) => Err(other),
    }
}

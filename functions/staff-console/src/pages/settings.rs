//! Settings (admins): each named settings document (`GET/PUT /settings/{name}`), its current
//! version, and an editor that saves through the same check and write as the API
//! (`Store::save_settings_json`): a refused document is shown again with the problem at the
//! field, and nothing is written.

use closeloop::domain::ticket::Area;
use closeloop::store::{unknown_settings, SETTINGS_NAMES};
use closeloop::Error;
use http::StatusCode;
use maud::{html, Markup};
use serde_json::Value;

use super::require;
use crate::layout::{Ctx, Nav};
use crate::respond::Form;
use crate::routes::Reply;

/// What each settings document decides, in both languages.
fn describe(name: &str) -> (&'static str, &'static str) {
    match name {
        "ticket_rules" => (
            "Which answers open a ticket, and at what priority.",
            "哪些回答会生成工单，以及工单的优先级。",
        ),
        "routing" => (
            "Which department a ticket goes to (keywords, categories).",
            "工单分派到哪个部门（关键词、类别）。",
        ),
        "sla_policy" => (
            "Deadlines to first response and resolution, by priority.",
            "按优先级设定的首次响应与解决时限。",
        ),
        "calendars" => (
            "Working hours and holidays the deadlines count in.",
            "计算时限所用的工作时间与节假日。",
        ),
        "follow_up" => (
            "When a customer is asked again after a ticket is closed.",
            "工单关闭后何时再次回访客户。",
        ),
        "escalation" => (
            "Who is told when a deadline nears or passes.",
            "时限临近或超时时通知谁。",
        ),
        "reports" => (
            "Scheduled reports: who receives them, and when.",
            "定期报表：收件人与发送时间。",
        ),
        _ => ("", ""),
    }
}

fn known(name: &str) -> Result<(), Error> {
    if SETTINGS_NAMES.contains(&name) {
        Ok(())
    } else {
        Err(unknown_settings(name))
    }
}

/// `GET /console/settings`.
pub async fn list(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    require(ctx, Area::Settings)?;
    let store = &ctx.console.deps.store;
    let mut rows = Vec::new();
    for name in SETTINGS_NAMES {
        rows.push((name, store.settings_json(name).await?));
    }
    let body = html! {
        h1 { (ctx.t("Settings", "设置")) }
        section.card {
            table.rows {
                thead { tr {
                    th { (ctx.t("Settings", "设置")) }
                    th { (ctx.t("What it decides", "说明")) }
                    th { (ctx.t("Version", "版本")) }
                    th { (ctx.t("Saved", "保存时间")) }
                } }
                tbody {
                    @for (name, value) in &rows {
                        @let (en, zh) = describe(name);
                        tr {
                            td data-label=(ctx.t("Settings", "设置")) { a.mono href={ "/console/settings/" (name) } { (name) } }
                            td data-label=(ctx.t("What it decides", "说明")) { (ctx.t(en, zh)) }
                            td data-label=(ctx.t("Version", "版本")) { (value["version"]) }
                            td data-label=(ctx.t("Saved", "保存时间")) { (saved(ctx, value)) }
                        }
                    }
                }
            }
        }
    };
    Ok(Reply::page(ctx.t("Settings", "设置"), Nav::Settings, body))
}

fn saved(ctx: &Ctx, value: &Value) -> String {
    match (value["updated_at"].as_str(), value["updated_by"].as_str()) {
        (Some(at), Some(by)) => format!("{at} · {by}"),
        (Some(at), None) => at.to_string(),
        _ => ctx.t("built-in defaults", "系统默认值").to_string(),
    }
}

fn editor(ctx: &Ctx, name: &str, current: &Value, text: &str, problem: Option<&Error>) -> Markup {
    let (en, zh) = describe(name);
    let error = problem.map(|e| match e {
        Error::Invalid { field, reason } => (field.clone(), format!("{field}: {reason}")),
        other => (String::new(), other.to_string()),
    });
    html! {
        p { a href="/console/settings" { "← " (ctx.t("All settings", "全部设置")) } }
        h1 { (ctx.t("Settings", "设置")) ": " span.mono { (name) } }
        p.muted { (ctx.t(en, zh)) }
        dl.facts.card {
            dt { (ctx.t("Current version", "当前版本")) }
            dd #current-version { (current["version"]) }
            dt { (ctx.t("Saved", "保存时间")) }
            dd { (saved(ctx, current)) }
        }
        @if error.is_some() {
            p.notice.stale role="alert" { (ctx.t("Nothing was saved. Fix the field marked below.", "未保存。请修改下方标出的字段。")) }
        }
        form method="post" action={ "/console/settings/" (name) } {
            (ctx.csrf_field())
            div.field.invalid[error.is_some()] data-field="settings" data-problem-field=[error.as_ref().map(|e| e.0.as_str())] {
                label for="f-settings" { (ctx.t("Settings (JSON)", "设置（JSON）")) }
                textarea.code #f-settings name="settings" aria-describedby=[error.as_ref().map(|_| "f-settings-err")] { (text) }
                @if let Some((_, message)) = &error {
                    p.field-error #f-settings-err { (message) }
                }
            }
            p { button type="submit" { (ctx.t("Save as a new version", "保存为新版本")) } }
        }
    }
}

/// `GET /console/settings/{name}`.
pub async fn show(ctx: &Ctx<'_>, name: &str) -> Result<Reply, Error> {
    require(ctx, Area::Settings)?;
    known(name)?;
    let current = ctx.console.deps.store.settings_json(name).await?;
    let text = serde_json::to_string_pretty(&current["settings"]).expect("JSON serialises");
    let body = editor(ctx, name, &current, &text, None);
    Ok(Reply::page(name.to_string(), Nav::Settings, body))
}

/// `POST /console/settings/{name}`: saved as `PUT /settings/{name}` saves it, or the editor
/// again (400) with what was typed and the problem at the field.
pub async fn save(ctx: &Ctx<'_>, name: &str, form: &Form) -> Result<Reply, Error> {
    require(ctx, Area::Settings)?;
    known(name)?;
    let store = &ctx.console.deps.store;
    let text = form.raw("settings").unwrap_or_default();
    match store
        .save_settings_json(name, text, ctx.actor.user_id.as_str(), ctx.now)
        .await
    {
        Ok(_) => Ok(Reply::Redirect(format!("/console/settings/{name}"))),
        Err(error @ Error::Invalid { .. }) => {
            let current = store.settings_json(name).await?;
            Ok(Reply::Page {
                status: StatusCode::BAD_REQUEST,
                title: name.to_string(),
                nav: Nav::Settings,
                body: editor(ctx, name, &current, text, Some(&error)),
            })
        }
        Err(other) => Err(other),
    }
}

//! `GET /console/tickets/{id}`: one ticket whole (the answer it came from, the customer, the
//! deadlines with their escalation, the history) with the actions its state takes as forms;
//! `POST /console/tickets/{id}`: one action, through the same flow as `PATCH /tickets/{id}`
//! (`closeloop::flows::tickets`), its fields read by the same parser.
//!
//! A stale version (someone acted first) answers 409 with what changed since and the ticket as
//! it is now; a bad field answers 400 with the error beside that field; a refusal by role
//! answers 403. None of them writes anything: the flow writes only an accepted action.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use closeloop::domain::survey::SurveyId;
use closeloop::domain::ticket::standing::{deadlines, DeadlineState};
use closeloop::domain::ticket::{
    may_act_kind, next_step, ActionKind, EscalationSettings, HistoryEntry, Ticket,
};
use closeloop::flows::tickets::{self as flows, ActRefusal, SourceItem, TicketRead};
use closeloop::store::CustomerView;
use closeloop::Error;
use http::StatusCode;
use maud::{html, Markup};
use serde_json::{Map, Value};

use super::deadline;
use super::queue::state_label;
use crate::layout::{Ctx, Nav};
use crate::respond::{self, Form};
use crate::routes::Reply;

/// What a page shows beside the ticket: a done action, a stale change, a refused field.
#[derive(Default)]
struct Shown<'f> {
    done: Option<String>,
    /// The version the refused action was on, and the entries written since.
    stale: Option<(u64, Vec<HistoryEntry>)>,
    /// The action whose form was refused, the field, why, and what was typed.
    invalid: Option<(String, String, String, &'f Form)>,
    /// The ticket, unchanged since it was read, refused the action in its state.
    refused_now: Option<String>,
}

/// The id in the path, by the API's rule: anything that cannot be a ticket id is not found.
fn checked_id(id: &str) -> Result<&str, Error> {
    flows::path_ticket_id(id)
}

/// `GET /console/tickets/{id}`.
pub async fn page(ctx: &Ctx<'_>, id: &str) -> Result<Reply, Error> {
    let id = checked_id(id)?;
    let read = flows::read(&ctx.console.deps, &ctx.actor, id).await?;
    let shown = Shown {
        done: respond::query(ctx.request, "done"),
        ..Shown::default()
    };
    whole(ctx, &read, shown, StatusCode::OK).await
}

/// `POST /console/tickets/{id}`.
pub async fn act(ctx: &Ctx<'_>, id: &str, form: &Form) -> Result<Reply, Error> {
    let id = checked_id(id)?;
    // Read first: an unknown ticket is a 404 and another department's a 403 before anything
    // else, and a refused field is shown on the ticket as it is.
    let read = flows::read(&ctx.console.deps, &ctx.actor, id).await?;
    flows::works_tickets(&ctx.actor)?;
    let kind = form.get("action").unwrap_or_default().to_string();
    let zone = zone(&read);
    let refused = |field: String, reason: String| Shown {
        invalid: Some((kind.clone(), field, reason, form)),
        ..Shown::default()
    };
    let (action, version) = match flows::action_from_fields(fields(form, zone)) {
        Ok(parsed) => parsed,
        Err(Error::Invalid { field, reason }) => {
            return whole(ctx, &read, refused(field, reason), StatusCode::BAD_REQUEST).await
        }
        Err(error) => return Err(error),
    };
    let done = action.kind();
    match flows::act(&ctx.console.deps, &ctx.actor, id, action, version, ctx.now).await {
        Ok(_) => Ok(Reply::Redirect(format!(
            "/console/tickets/{id}?done={}",
            done.as_str()
        ))),
        Err(ActRefusal::Stale { error, .. }) => {
            let now = flows::read(&ctx.console.deps, &ctx.actor, id).await?;
            let since: Vec<HistoryEntry> = now
                .file
                .history
                .iter()
                .filter(|entry| entry.ticket_version > version)
                .cloned()
                .collect();
            // Nothing newer than the version read: the ticket's state refused the action (it
            // is already someone's, it is not waiting), said as the rule says it.
            let shown = if since.is_empty() {
                Shown {
                    refused_now: Some(error.to_string()),
                    ..Shown::default()
                }
            } else {
                Shown {
                    stale: Some((version, since)),
                    ..Shown::default()
                }
            };
            whole(ctx, &now, shown, StatusCode::CONFLICT).await
        }
        Err(ActRefusal::Error(Error::Invalid { field, reason })) => {
            whole(ctx, &read, refused(field, reason), StatusCode::BAD_REQUEST).await
        }
        Err(ActRefusal::Error(error)) => Err(error),
    }
}

/// The department calendar's time zone: plan times are typed in it, times are shown in it.
fn zone(read: &TicketRead) -> Tz {
    read.calendars
        .for_department(read.file.ticket.ticket.department())
        .zone()
}

/// The form as the action's fields, as the API takes them: the version a number, a plan's
/// `due` (a `datetime-local`, in the department's zone) an RFC 3339 time, empty fields left
/// out so a missing one is named.
fn fields(form: &Form, zone: Tz) -> Value {
    let mut out = Map::new();
    for (name, value) in &form.0 {
        let value = value.trim();
        if name == "csrf" || value.is_empty() || out.contains_key(name) {
            continue;
        }
        let value = match name.as_str() {
            "version" => value
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(value)),
            "due" => Value::from(local_to_utc(value, zone).unwrap_or_else(|| value.to_string())),
            _ => Value::from(value),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

fn local_to_utc(text: &str, zone: Tz) -> Option<String> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    let local = zone.from_local_datetime(&naive).earliest()?;
    Some(local.with_timezone(&Utc).to_rfc3339())
}

fn when(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

/// The whole page.
async fn whole(
    ctx: &Ctx<'_>,
    read: &TicketRead,
    shown: Shown<'_>,
    status: StatusCode,
) -> Result<Reply, Error> {
    let stored = &read.file.ticket;
    let ticket = &stored.ticket;
    let deps = &ctx.console.deps;
    let customer = async {
        match &ticket.customer_id {
            Some(id) => {
                let (view, items) =
                    tokio::join!(deps.store.customer_view(id), deps.store.customer_items(id));
                Ok::<_, Error>(Some((view?, items?)))
            }
            None => Ok(None),
        }
    };
    let labels = async {
        match &read.source {
            Some(SourceItem::Response(response)) => {
                let Ok(id) = SurveyId::parse(&response.survey_id) else {
                    return Vec::new();
                };
                match deps
                    .store
                    .get_survey(&id, Some(response.survey_version))
                    .await
                {
                    Ok(survey) => survey
                        .definition
                        .questions
                        .iter()
                        .map(|q| {
                            (
                                q.id.as_str().to_string(),
                                q.label.get(ctx.locale).to_string(),
                            )
                        })
                        .collect(),
                    // The survey may be gone; the answers still show by question id.
                    Err(_) => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    };
    let (customer, labels, escalation) = tokio::join!(
        customer,
        labels,
        deps.store.settings::<EscalationSettings>()
    );
    let customer = customer?;
    let escalation = escalation?.settings;
    let zone = zone(read);
    let title = format!("{} {}", ctx.t("Ticket", "工单"), ticket.ticket_id);
    let next = deadline::next(ctx, ticket, &read.calendars);
    let body = html! {
        @if let Some((version, since)) = &shown.stale {
            div.notice.stale role="alert" {
                strong { (ctx.t("Someone else changed this ticket", "此工单已被他人修改")) }
                p { (ctx.t("Your action was not saved: you acted on version", "您的操作未保存：您操作的是版本")) " " (version) ", "
                    (ctx.t("it is now at version", "当前版本为")) " " (ticket.version) ". "
                    (ctx.t("What changed since:", "此后的变更：")) }
                ul {
                    @for entry in since {
                        li { (when(entry.at, zone)) " · " (entry.by) " · " (kind_text(entry)) ": " (entry.detail) }
                    }
                }
                p { (ctx.t("The ticket below is as it is now; act again if still needed.", "下方为工单当前状态；如仍需要，请重新操作。")) }
            }
        }
        @if let Some(refused) = &shown.refused_now {
            div.notice.refused role="alert" { strong { (ctx.t("Not possible now", "当前无法执行")) } p { (refused) } }
        }
        @if let Some(done) = &shown.done {
            div.notice role="status" { (ctx.t("Saved:", "已保存：")) " " (done.replace('_', " ")) }
        }
        h1 { (title) " " (deadline::badge(ctx, next.as_ref())) }
        dl.facts.card {
            dt { (ctx.t("State", "状态")) } dd #ticket-state { (state_label(ctx, ticket.state)) }
            dt { (ctx.t("Level", "级别")) } dd { span class={ "lv lv" (ticket.classification.level.number()) } { (ticket.classification.level.number()) } }
            dt { (ctx.t("Department", "部门")) } dd { (ticket.department()) }
            dt { (ctx.t("Topic", "类别")) } dd { (super::queue::topic(ticket)) }
            dt { (ctx.t("Owner", "负责人")) } dd #ticket-owner { (ticket.owner.as_deref().unwrap_or("—")) }
            dt { (ctx.t("Version", "版本")) } dd { (ticket.version) }
            dt { (ctx.t("Opened", "创建时间")) } dd { (when(ticket.created_at, zone)) }
            @if let Some(plan) = &ticket.plan {
                dt { (ctx.t("Plan", "整改计划")) } dd { (plan.text) " (" (ctx.t("due", "截止")) " " (when(plan.due, zone)) ")" }
            }
            @if let Some(resolution) = &ticket.resolution {
                dt { (ctx.t("Resolution", "处理结果")) } dd { (resolution.text) }
            }
        }
        div.cols {
            div {
                (source_card(ctx, read, &labels))
                (timeline(ctx, read, &escalation, zone))
                (history(ctx, &read.file.history, zone))
            }
            div {
                (actions(ctx, ticket, &shown))
                (customer_card(ctx, ticket, customer.as_ref()))
            }
        }
    };
    Ok(Reply::Page {
        status,
        title,
        nav: Nav::Queue,
        body,
    })
}

fn kind_text(entry: &HistoryEntry) -> String {
    serde_json::to_value(entry.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
        .replace('_', " ")
}

/// The answer or feedback the ticket came from.
fn source_card(ctx: &Ctx, read: &TicketRead, labels: &[(String, String)]) -> Markup {
    let label = |id: &str| {
        labels
            .iter()
            .find(|(q, _)| q == id)
            .map_or(id.to_string(), |(_, l)| l.clone())
    };
    html! {
        section.card #source {
            h2 { (ctx.t("What the customer said", "客户的反馈")) }
            @match &read.source {
                Some(SourceItem::Response(response)) => {
                    p.muted.small { (ctx.t("Survey", "问卷")) " " (response.survey_id) " v" (response.survey_version) " · " (response.response_id) }
                    @for (question, answer) in &response.answers {
                        div.answer {
                            strong { (label(question.as_str())) } ": "
                            @match answer {
                                closeloop::domain::survey::Answer::Number(n) => span.score { (n) },
                                closeloop::domain::survey::Answer::Choice(c) => span { (c) },
                                closeloop::domain::survey::Answer::Choices(cs) => span { (cs.join(", ")) },
                                closeloop::domain::survey::Answer::Text(t) => span { (t) },
                            }
                        }
                    }
                    // Open text kept apart from the answers (e.g. an "other" box), not again.
                    @for (question, text) in response.open_text.iter().filter(|(q, _)| !response.answers.iter().any(|(a, _)| a == *q)) {
                        div.answer { strong { (label(question.as_str())) } ": " q { (text) } }
                    }
                    h3 { (ctx.t("Scores", "得分")) }
                    dl.facts {
                        @for (dimension, score) in &response.dimension_scores {
                            dt { (dimension.as_str()) } dd.score { (score) }
                        }
                        @if let Some(outcome) = response.outcome { dt { (ctx.t("Outcome", "结果评分")) } dd.score { (outcome) } }
                        @if let Some(nps) = response.nps { dt { "NPS" } dd.score { (nps) } }
                    }
                }
                Some(SourceItem::Feedback(feedback)) => {
                    p.muted.small { (ctx.t("Direct feedback", "直接反馈")) " · " (feedback.feedback_id.as_str()) " · " (feedback.received_by) }
                    div.answer { strong { (ctx.t("Category", "类别")) } ": " (feedback.category) }
                    @if let Some(rating) = feedback.rating { div.answer { strong { (ctx.t("Rating", "评分")) } ": " span.score { (rating) } } }
                    div.answer { strong { (ctx.t("What they said", "反馈内容")) } ": " q { (feedback.text) } }
                }
                None => p.muted { (ctx.t("The answer is no longer kept (retention or erasure).", "原始反馈已不再保留（保留期满或已删除）。")) }
            }
        }
    }
}

/// Each deadline with its state and escalation steps: taken, and the next with when.
fn timeline(ctx: &Ctx, read: &TicketRead, escalation: &EscalationSettings, zone: Tz) -> Markup {
    let ticket = &read.file.ticket.ticket;
    let views = deadlines(
        ticket,
        ctx.now,
        read.calendars.for_department(ticket.department()),
    );
    let chain = escalation.chain(ticket.department(), ticket.classification.level);
    html! {
        section.card #deadlines {
            h2 { (ctx.t("Deadlines and escalation", "时限与升级")) }
            ol.timeline {
                @for view in &views {
                    @let class = match view.state {
                        DeadlineState::Met => "done",
                        DeadlineState::Breached => "late",
                        _ => "next",
                    };
                    li class=(class) {
                        strong { (view.name.as_str()) } " · " (when(view.due, zone)) " "
                        span class={ "badge " (view.state.badge()) } { (deadline::state_word(ctx, view.state)) " · " (deadline::countdown(ctx, view)) }
                        @if let Some(met) = view.met_at { " " (ctx.t("met at", "完成于")) " " (when(met, zone)) }
                        @if !view.escalations.is_empty() {
                            ul.small {
                                @for step in &view.escalations {
                                    li { (if step.step == 0 { ctx.t("warning", "预警") } else { ctx.t("escalation", "升级") }) " " (step.step) " → " (step.to.as_str()) " · " (when(step.at, zone)) }
                                }
                            }
                        }
                        @if let Some(deadline) = ticket.deadlines.get(&view.name) {
                            @if ticket.state.clocks_run() && deadline.met_at.is_none() {
                                @if let Some((step, at)) = next_step(view.name, deadline, &ticket.escalations) {
                                    p.small.muted { (ctx.t("Next step", "下一步")) " " (step) " " (ctx.t("due", "于")) " " (when(at, zone)) }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (ctx.t("Escalation chain after a missed deadline", "超时后的升级链")) }
            ol.small {
                @for step in &chain {
                    li { (step.to.as_str()) ", " (step.after_minutes) " " (ctx.t("minutes after the deadline", "分钟（时限之后）")) }
                }
            }
            @if !read.file.notices.is_empty() {
                h3 { (ctx.t("Notices", "通知")) }
                ul.small {
                    @for notice in &read.file.notices {
                        li { (notice.kind.as_str()) " → " (notice.to.as_str()) " · "
                            @match notice.sent_at { Some(at) => { (ctx.t("sent", "已发送")) " " (when(at, zone)) }, None => { (ctx.t("due", "待发送")) " " (when(notice.send_at, zone)) } } }
                    }
                }
            }
        }
    }
}

fn history(ctx: &Ctx, entries: &[HistoryEntry], zone: Tz) -> Markup {
    html! {
        section.card #history {
            h2 { (ctx.t("History", "处理记录")) }
            table.rows {
                thead { tr {
                    th scope="col" { (ctx.t("When", "时间")) }
                    th scope="col" { (ctx.t("Who", "操作人")) }
                    th scope="col" { (ctx.t("What", "操作")) }
                } }
                tbody {
                    @for entry in entries.iter().rev() {
                        tr {
                            td data-label=(ctx.t("When", "时间")) { (when(entry.at, zone)) }
                            td data-label=(ctx.t("Who", "操作人")) { (entry.by) }
                            td data-label=(ctx.t("What", "操作")) { strong { (kind_text(entry)) } " — " (entry.detail) }
                        }
                    }
                }
            }
        }
    }
}

fn customer_card(
    ctx: &Ctx,
    ticket: &Ticket,
    customer: Option<&(Option<CustomerView>, Vec<closeloop::keys::Key>)>,
) -> Markup {
    html! {
        section.card #customer {
            h2 { (ctx.t("Customer", "客户")) }
            @match customer {
                None => p.muted { (ctx.t("An anonymous answer: no customer to contact.", "匿名反馈：无可联系的客户。")) },
                Some((view, items)) => {
                    @if let Some(view) = view {
                        dl.facts {
                            dt { (ctx.t("Name", "姓名")) } dd { (view.customer.name) }
                            dt { (ctx.t("Id", "编号")) } dd.mono { (view.customer.id.as_str()) }
                            @if let Some(phone) = &view.customer.phone { dt { (ctx.t("Phone", "电话")) } dd { (phone.as_str()) } }
                            @if let Some(email) = &view.customer.email { dt { (ctx.t("Email", "邮箱")) } dd { (email.as_str()) } }
                            dt { (ctx.t("Segment", "客群")) } dd { (view.customer.segment.as_str()) }
                            dt { (ctx.t("Consent", "同意")) } dd {
                                "SMS " (if view.customer.sms_consent { "✓" } else { "✗" }) " · "
                                (ctx.t("email", "邮件")) " " (if view.customer.email_consent { "✓" } else { "✗" })
                                @if view.contact.opted_out_at.is_some() { " · " strong { (ctx.t("opted out", "已退订")) } }
                            }
                        }
                    } @else {
                        p.muted { (ctx.t("Customer", "客户")) " " (ticket.customer_id.as_deref().unwrap_or_default()) }
                    }
                    h3 { (ctx.t("Earlier answers and tickets", "历史反馈与工单")) }
                    ul.small {
                        @for key in items.iter().filter(|k| k.sk == "TICKET" && k.pk != format!("TICKET#{}", ticket.ticket_id)) {
                            @let id = key.pk.trim_start_matches("TICKET#");
                            li { (ctx.t("Ticket", "工单")) " " a.mono href={ "/console/tickets/" (id) } { (id) } }
                        }
                        @for key in items.iter().filter(|k| k.pk.starts_with("RESPONSE#") || k.pk.starts_with("FEEDBACK#")) {
                            li.mono { (key.pk) }
                        }
                    }
                }
            }
        }
    }
}

/// The actions the ticket's state takes (`Ticket::possible_actions`) that this person may
/// take (`may_act_kind`), each a form with its fields.
fn actions(ctx: &Ctx, ticket: &Ticket, shown: &Shown) -> Markup {
    let offered: Vec<ActionKind> = ticket
        .possible_actions()
        .into_iter()
        .filter(|kind| may_act_kind(&ctx.actor, *kind, ticket).is_ok())
        .collect();
    html! {
        section.card #actions {
            h2 { (ctx.t("Act", "处理")) }
            @if offered.is_empty() {
                p.muted { (ctx.t("Nothing you can do on this ticket now.", "您目前无法对此工单进行操作。")) }
            }
            div.actions {
                @for kind in offered { (action_form(ctx, ticket, kind, shown)) }
            }
        }
    }
}

fn action_title(ctx: &Ctx, kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Claim => ctx.t("Claim", "认领"),
        ActionKind::Assign => ctx.t("Assign", "指派"),
        ActionKind::FirstResponse => ctx.t("Record the first response", "记录首次响应"),
        ActionKind::Plan => ctx.t("Plan", "制定整改计划"),
        ActionKind::WaitOnCustomer => ctx.t("Wait on the customer", "等待客户"),
        ActionKind::Resume => ctx.t("Resume", "恢复处理"),
        ActionKind::Resolve => ctx.t("Resolve", "解决"),
        ActionKind::Close => ctx.t("Close", "关闭"),
        ActionKind::Reopen => ctx.t("Reopen", "重新打开"),
        ActionKind::Note => ctx.t("Add a note", "添加备注"),
        ActionKind::Callback => ctx.t("Record a call-back", "记录回访电话"),
    }
}

/// One action's form: its fields as `Action` takes them, the version shown.
fn action_form(ctx: &Ctx, ticket: &Ticket, kind: ActionKind, shown: &Shown) -> Markup {
    let refused = shown
        .invalid
        .as_ref()
        .filter(|(action, ..)| action == kind.as_str());
    let typed = |field: &str| {
        refused
            .and_then(|(_, _, _, form)| form.raw(field))
            .unwrap_or_default()
            .to_string()
    };
    let error_at = |field: &str| {
        refused
            .filter(|(_, f, ..)| f == field)
            .map(|(_, _, reason, _)| reason.clone())
    };
    // An error about no field of this form (the version, the action) shows at its top.
    let own_fields: &[&str] = match kind {
        ActionKind::Assign => &["to"],
        ActionKind::FirstResponse | ActionKind::Note => &["text"],
        ActionKind::Plan => &["text", "due"],
        ActionKind::WaitOnCustomer | ActionKind::Reopen => &["reason"],
        ActionKind::Resolve => &["resolution"],
        ActionKind::Close => &["closure"],
        ActionKind::Callback => &["outcome", "note"],
        ActionKind::Claim | ActionKind::Resume => &[],
    };
    let general = refused
        .filter(|(_, f, ..)| !own_fields.contains(&f.as_str()))
        .map(|(_, f, reason, _)| format!("{f}: {reason}"));
    let id = |field: &str| format!("{}-{field}", kind.as_str());
    let field = |name: &str, label: &str, control: Markup| {
        let error = error_at(name);
        html! {
            div class={ "field" @if error.is_some() { " invalid" } } {
                label for=(id(name)) { (label) }
                (control)
                @if let Some(error) = error { p.field-error id={ (id(name)) "-error" } { (error) } }
            }
        }
    };
    let text_area = |name: &str, required: bool| {
        html! { textarea id=(id(name)) name=(name) required[required] maxlength="4000" aria-invalid=[error_at(name).is_some().then_some("true")] { (typed(name)) } }
    };
    html! {
        form method="post" action={ "/console/tickets/" (ticket.ticket_id) } id={ "act-" (kind.as_str()) } {
            (ctx.csrf_field())
            input type="hidden" name="action" value=(kind.as_str());
            input type="hidden" name="version" value=(ticket.version);
            h3 { (action_title(ctx, kind)) }
            @if let Some(general) = general { p.field-error role="alert" { (general) } }
            @match kind {
                ActionKind::Assign => (field("to", ctx.t("To (user id)", "指派给（用户编号）"), html! { input type="text" id=(id("to")) name="to" required value=(typed("to")); })),
                ActionKind::FirstResponse => (field("text", ctx.t("What you told the customer (optional)", "对客户的答复（可选）"), text_area("text", false))),
                ActionKind::Plan => {
                    (field("text", ctx.t("The plan", "整改计划"), text_area("text", true)))
                    (field("due", ctx.t("Done by (department time)", "计划完成时间（部门时区）"), html! { input type="datetime-local" id=(id("due")) name="due" required value=(typed("due")); }))
                }
                ActionKind::WaitOnCustomer => (field("reason", ctx.t("What you wait for", "等待原因"), text_area("reason", true))),
                ActionKind::Resolve => (field("resolution", ctx.t("How it was resolved", "处理结果"), text_area("resolution", true))),
                ActionKind::Reopen => (field("reason", ctx.t("Why reopen", "重开原因"), text_area("reason", true))),
                ActionKind::Note => (field("text", ctx.t("Note", "备注"), text_area("text", true))),
                ActionKind::Close => (field("closure", ctx.t("How", "关闭方式"), html! {
                    select id=(id("closure")) name="closure" {
                        option value="by_staff" { (ctx.t("Closed by staff", "由员工关闭")) }
                    }
                })),
                ActionKind::Callback => {
                    (field("outcome", ctx.t("Outcome of the call", "通话结果"), html! {
                        select id=(id("outcome")) name="outcome" required {
                            @for (value, en, zh) in [("satisfied", "Satisfied", "满意"), ("unsatisfied", "Unsatisfied", "不满意"), ("no_answer", "No answer", "无人接听"), ("call_back_later", "Call back later", "稍后回电"), ("wrong_number", "Wrong number", "号码错误")] {
                                option value=(value) selected[typed("outcome") == value] { (ctx.t(en, zh)) }
                            }
                        }
                    }))
                    (field("note", ctx.t("Note (optional)", "备注（可选）"), text_area("note", false)))
                }
                ActionKind::Claim | ActionKind::Resume => {}
            }
            button type="submit" { (action_title(ctx, kind)) }
        }
    }
}

//! `GET /console/queue` (a department's tickets by next deadline, a page at a time, the rows
//! refreshed by htmx), `GET /console/queue/rows` (just those rows) and `GET /console/supervisor`
//! (breached, due soon and on-track counts, the breached tickets listed).
//!
//! Every list is the store's paged Query on the department's queue index (`ticket_queue`), in
//! its order; nothing is scanned, and the filters are the API's (`GET /tickets`).

use closeloop::domain::calendar::Calendars;
use closeloop::domain::ticket::{may, Level, Operation, Role, RoutingSettings, TicketState};
use closeloop::flows::tickets as flows;
use closeloop::store::{
    source_kind, QueueCursor, QueueFilter, QueuePage, QueueQuery, StoredTicket, MAX_QUEUE_PAGE,
};
use closeloop::Error;
use maud::{html, Markup};

use super::deadline;
use crate::layout::{Ctx, Nav};
use crate::respond;
use crate::routes::Reply;

/// Rows per page.
const PAGE_ROWS: i32 = 25;
/// "Due soon" on the filters and the supervisor's page.
const DUE_SOON_MINUTES: i64 = 60;
/// The department a manager starts from when none has tickets.
const DEFAULT_DEPARTMENT: &str = "customer_service";
/// Most pages a supervisor's count reads (100 tickets each) before it says "at least".
const MAX_COUNT_PAGES: usize = 20;

/// What the queue shows: the department, whose tickets, the filters, the page.
#[derive(Debug, Clone, Default)]
struct Filters {
    department: String,
    /// `mine` (an agent's own) or `department`.
    scope: String,
    state: Option<TicketState>,
    level: Option<Level>,
    overdue: Option<bool>,
    due_soon: bool,
    source: Option<String>,
    cursor: Option<String>,
}

impl Filters {
    /// The query string these filters are (without the cursor unless `with_cursor`).
    fn query(&self, with_cursor: bool) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("department", &self.department);
        if !self.scope.is_empty() {
            out.append_pair("scope", &self.scope);
        }
        if let Some(state) = self.state {
            out.append_pair("state", state.as_str());
        }
        if let Some(level) = self.level {
            out.append_pair("level", &level.number().to_string());
        }
        if let Some(overdue) = self.overdue {
            out.append_pair("overdue", if overdue { "true" } else { "false" });
        }
        if self.due_soon {
            out.append_pair("due", "1h");
        }
        if let Some(source) = &self.source {
            out.append_pair("source", source);
        }
        if let (true, Some(cursor)) = (with_cursor, &self.cursor) {
            out.append_pair("cursor", cursor);
        }
        out.finish()
    }
}

/// The departments whose queues this person may choose from: their own, or for a manager or
/// admin every department routing sends tickets to.
async fn departments(ctx: &Ctx<'_>) -> Result<Vec<String>, Error> {
    if ctx.is(Role::Manager) || ctx.is(Role::Admin) {
        let routing = ctx
            .console
            .deps
            .store
            .settings::<RoutingSettings>()
            .await?
            .settings;
        let d = &routing.departments;
        let mut all = vec![DEFAULT_DEPARTMENT.to_string()];
        let named = [
            &d.service,
            &d.product,
            &d.operations,
            &d.suggestion,
            &d.unclassified,
        ];
        for name in named.into_iter().chain(ctx.actor.departments.iter()) {
            if !all.contains(name) {
                all.push(name.clone());
            }
        }
        Ok(all)
    } else {
        Ok(ctx.actor.departments.iter().cloned().collect())
    }
}

/// The department shown when none is named: an agent's or supervisor's first; for a manager,
/// the first with open tickets, else customer service.
async fn default_department(ctx: &Ctx<'_>, choices: &[String]) -> Result<String, Error> {
    if !(ctx.is(Role::Manager) || ctx.is(Role::Admin)) {
        return choices
            .first()
            .cloned()
            .ok_or_else(|| Error::Forbidden("you belong to no department".into()));
    }
    for department in choices {
        let page = ctx
            .console
            .deps
            .store
            .ticket_queue(&queue_query(department, QueueFilter::default(), ctx, 1))
            .await?;
        if !page.tickets.is_empty() {
            return Ok(department.clone());
        }
    }
    Ok(DEFAULT_DEPARTMENT.to_string())
}

fn queue_query(department: &str, filter: QueueFilter, ctx: &Ctx, limit: i32) -> QueueQuery {
    QueueQuery {
        department: department.to_string(),
        closed: false,
        overdue: None,
        due_within: None,
        now: ctx.now,
        filter,
        limit,
        cursor: None,
    }
}

fn parse_filters(ctx: &Ctx) -> Result<Filters, Error> {
    let q = |name: &str| respond::query(ctx.request, name);
    let state = q("state")
        .map(|text| match flows::parse_state("state", &text)? {
            // The working queue; closed tickets are listed apart (the API's status=closed).
            TicketState::Closed => Err(Error::invalid("state", "one of the working states")),
            state => Ok(state),
        })
        .transpose()?;
    let level = q("level")
        .map(|text| flows::parse_level(&text))
        .transpose()?;
    let overdue = q("overdue")
        .map(|text| match text.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(Error::invalid("overdue", "true or false")),
        })
        .transpose()?;
    let due_soon = match q("due").as_deref() {
        None => false,
        Some("1h") => true,
        Some(_) => return Err(Error::invalid("due", "1h")),
    };
    let source = q("source")
        .map(|text| match text.as_str() {
            "response" | "feedback" => Ok(text),
            _ => Err(Error::invalid("source", "response or feedback")),
        })
        .transpose()?;
    let scope = match q("scope").as_deref() {
        None | Some("department") => String::new(),
        Some("mine") => "mine".to_string(),
        Some(_) => return Err(Error::invalid("scope", "mine or department")),
    };
    Ok(Filters {
        department: q("department")
            .map(|d| flows::department_id(&d))
            .transpose()?
            .unwrap_or_default(),
        scope,
        state,
        level,
        overdue,
        due_soon,
        source,
        cursor: q("cursor"),
    })
}

/// The filters of this request, its department checked with the API's `may`, and the page.
async fn load(ctx: &Ctx<'_>) -> Result<(Filters, Vec<String>, QueuePage, Calendars), Error> {
    let mut filters = parse_filters(ctx)?;
    let choices = departments(ctx).await?;
    if filters.department.is_empty() {
        filters.department = default_department(ctx, &choices).await?;
    }
    may(&ctx.actor, Operation::Read, &filters.department)?;
    let due_soon = filters.due_soon && filters.overdue != Some(true);
    let query = QueueQuery {
        department: filters.department.clone(),
        closed: false,
        overdue: if due_soon { None } else { filters.overdue },
        due_within: due_soon.then(|| chrono::Duration::minutes(DUE_SOON_MINUTES)),
        now: ctx.now,
        filter: QueueFilter {
            states: filters.state.into_iter().collect(),
            level: filters.level,
            owner: (filters.scope == "mine").then(|| ctx.actor.user_id.clone()),
            source_kind: filters.source.clone(),
        },
        limit: PAGE_ROWS.min(MAX_QUEUE_PAGE),
        cursor: filters
            .cursor
            .as_deref()
            .map(QueueCursor::parse)
            .transpose()?,
    };
    let (page, calendars) = tokio::join!(
        ctx.console.deps.store.ticket_queue(&query),
        ctx.console.deps.store.settings::<Calendars>()
    );
    Ok((filters, choices, page?, calendars?.settings))
}

/// `GET /console/queue`.
pub async fn page(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let (filters, choices, page, calendars) = load(ctx).await?;
    let title = ctx.t("Ticket queue", "工单队列");
    let next = page.next.as_ref().map(|cursor| {
        let mut next = filters.clone();
        next.cursor = Some(cursor.as_str().to_string());
        format!("/console/queue?{}", next.query(true))
    });
    let body = html! {
        h1 { (title) }
        (filter_form(ctx, &filters, &choices))
        div.scroll {
            table.rows {
                caption.muted.small { (ctx.t("Sorted by next deadline; refreshed every 30 seconds.", "按下一个时限排序；每 30 秒刷新。")) }
                (table_head(ctx))
                (rows(ctx, &filters, &page.tickets, &calendars))
            }
        }
        nav.pager aria-label=(ctx.t("Pages", "分页")) {
            @if filters.cursor.is_some() {
                a href={ "/console/queue?" (filters.query(false)) } { (ctx.t("First page", "第一页")) }
            }
            @if let Some(next) = next {
                a.button.secondary href=(next) rel="next" { (ctx.t("Next page", "下一页")) }
            }
        }
    };
    Ok(Reply::page(title, Nav::Queue, body))
}

/// The columns of a queue's rows, the same wherever tickets are listed.
fn table_head(ctx: &Ctx) -> Markup {
    html! {
        thead { tr {
            th scope="col" { (ctx.t("Ticket", "工单")) }
            th scope="col" { (ctx.t("Level", "级别")) }
            th scope="col" { (ctx.t("Topic", "类别")) }
            th scope="col" { (ctx.t("About", "摘要")) }
            th scope="col" { (ctx.t("State", "状态")) }
            th scope="col" { (ctx.t("Owner", "负责人")) }
            th scope="col" { (ctx.t("Next deadline", "下一个时限")) }
        } }
    }
}

/// `GET /console/queue/rows`: the rows alone, for htmx to swap in (or to open plainly).
pub async fn rows_fragment(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    let (filters, _, page, calendars) = load(ctx).await?;
    Ok(Reply::Fragment(rows(
        ctx,
        &filters,
        &page.tickets,
        &calendars,
    )))
}

fn filter_form(ctx: &Ctx, filters: &Filters, choices: &[String]) -> Markup {
    let agent_only = ctx.is(Role::Agent)
        && !ctx.is(Role::Supervisor)
        && !ctx.is(Role::Manager)
        && !ctx.is(Role::Admin);
    html! {
        form.filters method="get" action="/console/queue" {
            div.field {
                label for="f-department" { (ctx.t("Department", "部门")) }
                select #f-department name="department" {
                    @for d in choices {
                        option value=(d) selected[*d == filters.department] { (d) }
                    }
                }
            }
            @if agent_only {
                div.field {
                    label for="f-scope" { (ctx.t("Tickets", "工单范围")) }
                    select #f-scope name="scope" {
                        option value="mine" selected[filters.scope == "mine"] { (ctx.t("Mine", "我的")) }
                        option value="department" selected[filters.scope != "mine"] { (ctx.t("My department", "本部门")) }
                    }
                }
            }
            div.field {
                label for="f-state" { (ctx.t("State", "状态")) }
                select #f-state name="state" {
                    option value="" { (ctx.t("Any", "全部")) }
                    @for s in TicketState::ALL.into_iter().filter(|s| *s != TicketState::Closed) {
                        option value=(s.as_str()) selected[filters.state == Some(s)] { (state_label(ctx, s)) }
                    }
                }
            }
            div.field {
                label for="f-level" { (ctx.t("Level", "级别")) }
                select #f-level name="level" {
                    option value="" { (ctx.t("Any", "全部")) }
                    @for l in Level::ALL {
                        option value=(l.number()) selected[filters.level == Some(l)] { (l.number()) }
                    }
                }
            }
            div.field {
                label for="f-overdue" { (ctx.t("Overdue", "是否超时")) }
                select #f-overdue name="overdue" {
                    option value="" { (ctx.t("Any", "全部")) }
                    option value="true" selected[filters.overdue == Some(true)] { (ctx.t("Overdue", "已超时")) }
                    option value="false" selected[filters.overdue == Some(false)] { (ctx.t("Not overdue", "未超时")) }
                }
            }
            div.field {
                label for="f-due" { (ctx.t("Due", "到期")) }
                select #f-due name="due" {
                    option value="" { (ctx.t("Any time", "不限")) }
                    option value="1h" selected[filters.due_soon] { (ctx.t("Within 1 hour", "1 小时内")) }
                }
            }
            div.field {
                label for="f-source" { (ctx.t("Source", "来源")) }
                select #f-source name="source" {
                    option value="" { (ctx.t("Any", "全部")) }
                    option value="response" selected[filters.source.as_deref() == Some("response")] { (ctx.t("Survey answer", "问卷回答")) }
                    option value="feedback" selected[filters.source.as_deref() == Some("feedback")] { (ctx.t("Direct feedback", "直接反馈")) }
                }
            }
            div.field { button type="submit" { (ctx.t("Show", "筛选")) } }
        }
    }
}

/// A state in this page's language.
pub fn state_label(ctx: &Ctx, state: TicketState) -> String {
    match ctx.locale {
        closeloop::domain::survey::Locale::ZhCn => state.label_zh().to_string(),
        closeloop::domain::survey::Locale::En => state.as_str().replace('_', " "),
    }
}

/// The queue's rows: the `tbody` htmx refreshes (its own `hx-get` keeps the filters).
fn rows(ctx: &Ctx, filters: &Filters, tickets: &[StoredTicket], calendars: &Calendars) -> Markup {
    html! {
        tbody #queue-rows hx-get={ "/console/queue/rows?" (filters.query(true)) } hx-trigger="every 30s" hx-swap="outerHTML" {
            @if tickets.is_empty() {
                tr { td colspan="7" data-label="" { (ctx.t("No tickets match.", "没有符合条件的工单。")) } }
            }
            @for stored in tickets {
                (row(ctx, stored, calendars))
            }
        }
    }
}

/// `service / attitude`, `service`, or `—` when unclassified.
pub fn topic(ticket: &closeloop::domain::ticket::Ticket) -> String {
    let c = &ticket.classification;
    match (c.category, c.sub_item) {
        (Some(category), Some(sub)) => format!("{category} / {sub}"),
        (Some(category), None) => category.to_string(),
        (None, _) => "—".to_string(),
    }
}

/// One ticket as a row (the queue's and the supervisor's lists).
pub fn row(ctx: &Ctx, stored: &StoredTicket, calendars: &Calendars) -> Markup {
    let ticket = &stored.ticket;
    let next = deadline::next(ctx, ticket, calendars);
    let class = deadline::row_class(next.as_ref());
    let topic = topic(ticket);
    let customer = ticket
        .customer_id
        .clone()
        .unwrap_or_else(|| ctx.t("anonymous", "匿名").to_string());
    html! {
        tr class=[(!class.is_empty()).then_some(class)] {
            td data-label=(ctx.t("Ticket", "工单")) { a.mono href={ "/console/tickets/" (ticket.ticket_id) } { (ticket.ticket_id) } }
            td data-label=(ctx.t("Level", "级别")) { span class={ "lv lv" (ticket.classification.level.number()) } { (ticket.classification.level.number()) } }
            td data-label=(ctx.t("Topic", "类别")) { (topic) }
            td data-label=(ctx.t("About", "摘要")) { (customer) " · " (source_kind(&ticket.source)) }
            td data-label=(ctx.t("State", "状态")) { (state_label(ctx, ticket.state)) }
            td data-label=(ctx.t("Owner", "负责人")) { (ticket.owner.as_deref().unwrap_or("—")) }
            td data-label=(ctx.t("Next deadline", "下一个时限")) { (deadline::badge(ctx, next.as_ref())) }
        }
    }
}

/// How many tickets a queue query lists, a page at a time (at most [`MAX_COUNT_PAGES`]); with
/// the tickets of its first page.
async fn count(
    ctx: &Ctx<'_>,
    mut query: QueueQuery,
) -> Result<(usize, bool, Vec<StoredTicket>), Error> {
    let mut total = 0;
    let mut first = None;
    for _ in 0..MAX_COUNT_PAGES {
        let page = ctx.console.deps.store.ticket_queue(&query).await?;
        total += page.tickets.len();
        if first.is_none() {
            first = Some(page.tickets);
        }
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => return Ok((total, false, first.unwrap_or_default())),
        }
    }
    Ok((total, true, first.unwrap_or_default()))
}

/// `GET /console/supervisor`.
pub async fn supervisor(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    if !(ctx.is(Role::Supervisor) || ctx.is(Role::Manager)) {
        return Err(Error::Forbidden(
            ctx.t(
                "the deadline board is for supervisors and managers",
                "时效看板仅供主管和经理使用",
            )
            .into(),
        ));
    }
    let choices = departments(ctx).await?;
    let department = match respond::query(ctx.request, "department") {
        Some(d) => flows::department_id(&d)?,
        None => default_department(ctx, &choices).await?,
    };
    may(&ctx.actor, Operation::Read, &department)?;
    let base = |limit| queue_query(&department, QueueFilter::default(), ctx, limit);
    let breached_query = QueueQuery {
        overdue: Some(true),
        ..base(MAX_QUEUE_PAGE)
    };
    let soon_query = QueueQuery {
        due_within: Some(chrono::Duration::minutes(DUE_SOON_MINUTES)),
        ..base(MAX_QUEUE_PAGE)
    };
    let ahead_query = QueueQuery {
        overdue: Some(false),
        ..base(MAX_QUEUE_PAGE)
    };
    let (breached, soon, ahead, calendars) = tokio::join!(
        count(ctx, breached_query),
        count(ctx, soon_query),
        count(ctx, ahead_query),
        ctx.console.deps.store.settings::<Calendars>()
    );
    let (breached, breached_more, breached_tickets) = breached?;
    let (soon, soon_more, _) = soon?;
    let (ahead, ahead_more, _) = ahead?;
    let calendars = calendars?.settings;
    let on_track = ahead.saturating_sub(soon);
    let plus = |more: bool| if more { "+" } else { "" };
    let dept_q: String = form_urlencoded::byte_serialize(department.as_bytes()).collect();
    let title = ctx.t("Deadlines", "时效看板");
    let body = html! {
        h1 { (title) " · " (department) }
        @if choices.len() > 1 {
            form.filters method="get" action="/console/supervisor" {
                div.field {
                    label for="s-department" { (ctx.t("Department", "部门")) }
                    select #s-department name="department" {
                        @for d in &choices { option value=(d) selected[*d == department] { (d) } }
                    }
                }
                div.field { button type="submit" { (ctx.t("Show", "查看")) } }
            }
        }
        div.counts {
            a.count.bad #count-breached href={ "/console/queue?department=" (dept_q) "&overdue=true" } {
                strong { (breached) (plus(breached_more)) } (ctx.t("breached", "已超时"))
            }
            a.count.warn #count-due-soon href={ "/console/queue?department=" (dept_q) "&due=1h" } {
                strong { (soon) (plus(soon_more)) } (ctx.t("due within the next hour", "1 小时内到期"))
            }
            a.count.good #count-on-track href={ "/console/queue?department=" (dept_q) "&overdue=false" } {
                strong { (on_track) (plus(ahead_more)) } (ctx.t("on track", "正常"))
            }
        }
        section.card {
            h2 { (ctx.t("Breached tickets", "已超时工单")) }
            div.scroll {
                table.rows {
                    (table_head(ctx))
                    tbody #breached-rows {
                        @if breached_tickets.is_empty() {
                            tr { td colspan="7" data-label="" { (ctx.t("Nothing is overdue.", "没有超时工单。")) } }
                        }
                        @for stored in &breached_tickets { (row(ctx, stored, &calendars)) }
                    }
                }
            }
        }
    };
    Ok(Reply::page(title, Nav::Supervisor, body))
}

//! How a ticket's deadline shows on a page: the badge coloured by the domain's deadline state
//! (`standing::next_standing`) and the countdown in the deadline's own time (working time on
//! the department's calendar for a working-hours deadline), never wall-clock arithmetic here.

use closeloop::domain::calendar::Calendars;
use closeloop::domain::ticket::standing::{next_standing, DeadlineState, DeadlineView};
use closeloop::domain::ticket::Ticket;
use maud::{html, Markup};

use crate::layout::Ctx;

/// The deadline `ticket` is measured by now, on its department's calendar.
pub fn next(ctx: &Ctx, ticket: &Ticket, calendars: &Calendars) -> Option<DeadlineView> {
    next_standing(
        ticket,
        ctx.now,
        calendars.for_department(ticket.department()),
    )
}

/// `2h 15m left`, `1h 5m overdue`, `paused, 3h left`.
pub fn countdown(ctx: &Ctx, view: &DeadlineView) -> String {
    let paused = view.state == DeadlineState::Paused;
    match (&view.time_left, &view.overdue_by) {
        (Some(left), _) if paused => format!("{} {left}", ctx.t("paused,", "已暂停，剩余")),
        (Some(left), _) => match ctx.locale {
            closeloop::domain::survey::Locale::En => format!("{left} left"),
            closeloop::domain::survey::Locale::ZhCn => format!("剩余 {left}"),
        },
        (None, Some(over)) => match ctx.locale {
            closeloop::domain::survey::Locale::En => format!("{over} overdue"),
            closeloop::domain::survey::Locale::ZhCn => format!("超时 {over}"),
        },
        (None, None) => ctx.t("met", "已达成").to_string(),
    }
}

/// The state in words.
pub fn state_word(ctx: &Ctx, state: DeadlineState) -> &'static str {
    match state {
        DeadlineState::Met => ctx.t("met", "已达成"),
        DeadlineState::Running => ctx.t("on track", "正常"),
        DeadlineState::Warned => ctx.t("warning", "预警"),
        DeadlineState::Paused => ctx.t("paused", "已暂停"),
        DeadlineState::Breached => ctx.t("breached", "已超时"),
    }
}

/// The badge: class by state, the deadline's name and the countdown.
pub fn badge(ctx: &Ctx, view: Option<&DeadlineView>) -> Markup {
    match view {
        Some(view) => html! {
            span class={ "badge " (view.state.badge()) } title=(view.due.to_rfc3339()) {
                (state_word(ctx, view.state)) " · " (view.name.as_str()) " · " (countdown(ctx, view))
            }
        },
        None => html! { span.badge.met { (ctx.t("no running deadline", "无进行中的时限")) } },
    }
}

/// The row class a deadline gives its ticket in a list.
pub fn row_class(view: Option<&DeadlineView>) -> &'static str {
    match view.map(|v| v.state) {
        Some(DeadlineState::Breached) => "breached",
        Some(DeadlineState::Warned) => "warning",
        _ => "",
    }
}

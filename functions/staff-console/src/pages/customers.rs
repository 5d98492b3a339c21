//! Customers (admins): find one exactly, and their profile with consent, opt-out and
//! suppressions, and what Closeloop holds about them (invitations, responses, tickets).
//!
//! Finding goes through keys only, never a Scan: a customer id is the profile's key
//! (`CUSTOMER#<id>`); a phone or email is normalised as the domain does (`Phone::parse`,
//! `Email::parse`) and looked up by its address items (`CONTACT#<address>`).

use closeloop::domain::customer::{CustomerId, Email, Phone};
use closeloop::domain::ticket::Area;
use closeloop::store::{CustomerView, Suppression};
use closeloop::Error;
use http::StatusCode;
use maud::{html, Markup};

use super::require;
use crate::layout::{Ctx, Nav};
use crate::respond;
use crate::routes::Reply;

fn find_form(ctx: &Ctx, value: &str, problem: Option<&str>) -> Markup {
    html! {
        form.filters method="get" action="/console/customers" role="search" {
            div.field.invalid[problem.is_some()] data-field="find" {
                label for="f-find" { (ctx.t("Customer id, phone (+86…) or email", "客户 ID、手机号（+86…）或邮箱")) }
                input #f-find type="search" name="find" value=(value) required;
                @if let Some(problem) = problem { p.field-error role="alert" { (problem) } }
            }
            button type="submit" { (ctx.t("Find", "查找")) }
        }
    }
}

/// `GET /console/customers?find=`.
pub async fn find(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    require(ctx, Area::Customers)?;
    let title = ctx.t("Customers", "客户");
    let Some(wanted) = respond::query(ctx.request, "find") else {
        let body = html! { h1 { (title) } section.card { (find_form(ctx, "", None)) } };
        return Ok(Reply::page(title, Nav::Customers, body));
    };
    let problem = if let Ok(id) = CustomerId::parse(&wanted) {
        match ctx.console.deps.store.customer_view(id.as_str()).await? {
            Some(_) => {
                return Ok(Reply::Redirect(format!(
                    "/console/customers/{}",
                    id.as_str()
                )))
            }
            None => format!(
                "{} \"{}\"",
                ctx.t("No customer has the id", "没有客户的 ID 是"),
                id.as_str()
            ),
        }
    } else if let Ok(address) = Phone::parse(&wanted)
        .map(|p| p.as_str().to_string())
        .or_else(|_| Email::parse(&wanted).map(|e| e.as_str().to_string()))
    {
        let found = ctx
            .console
            .deps
            .store
            .customers_with_address(&address)
            .await?;
        match found.as_slice() {
            [one] => {
                return Ok(Reply::Redirect(format!(
                    "/console/customers/{}",
                    one.customer.id.as_str()
                )))
            }
            [] => format!(
                "{} {address}",
                ctx.t(
                    "No customer has the phone or email",
                    "没有客户使用该手机号或邮箱："
                )
            ),
            several => {
                let body = html! {
                    h1 { (title) }
                    section.card { (find_form(ctx, &wanted, None)) }
                    section.card {
                        h2 { (ctx.t("Customers with this phone or email", "使用该手机号或邮箱的客户")) }
                        ul { @for view in several {
                            li { a href={ "/console/customers/" (view.customer.id.as_str()) } { (view.customer.name) " · " (view.customer.id.as_str()) } }
                        } }
                    }
                };
                return Ok(Reply::page(title, Nav::Customers, body));
            }
        }
    } else {
        ctx.t("This is not a customer id.", "这不是有效的客户 ID。")
            .to_string()
    };
    let body = html! {
        h1 { (title) }
        section.card { (find_form(ctx, &wanted, Some(&problem))) }
    };
    Ok(Reply::Page {
        status: StatusCode::NOT_FOUND,
        title: title.to_string(),
        nav: Nav::Customers,
        body,
    })
}

fn suppressed(ctx: &Ctx, s: &Option<Suppression>) -> String {
    match s {
        Some(s) => format!(
            "{} ({}, {})",
            ctx.t("suppressed", "已屏蔽"),
            s.reason,
            s.created_at.format("%Y-%m-%d")
        ),
        None => ctx.t("not suppressed", "未屏蔽").to_string(),
    }
}

fn yes_no(ctx: &Ctx, yes: bool) -> &'static str {
    if yes {
        ctx.t("yes", "是")
    } else {
        ctx.t("no", "否")
    }
}

/// `GET /console/customers/{id}`.
pub async fn profile(ctx: &Ctx<'_>, raw_id: &str) -> Result<Reply, Error> {
    require(ctx, Area::Customers)?;
    let id =
        CustomerId::parse(raw_id).map_err(|_| Error::not_found(format!("customer {raw_id}")))?;
    let store = &ctx.console.deps.store;
    let CustomerView {
        customer,
        contact,
        phone_suppressed,
        email_suppressed,
    } = store
        .customer_view(id.as_str())
        .await?
        .ok_or_else(|| Error::not_found(format!("customer \"{}\"", id.as_str())))?;
    let items = store.customer_items(id.as_str()).await?;
    let of = |prefix: &str| -> Vec<String> {
        items
            .iter()
            .filter(|k| k.pk.starts_with(prefix) && !k.pk.starts_with("RESPONSE#Q#"))
            .map(|k| k.pk[prefix.len()..].to_string())
            .collect()
    };
    let invitations = of("INV#");
    let responses = of("RESPONSE#");
    let tickets = of("TICKET#");
    let body = html! {
        p { a href="/console/customers" { "← " (ctx.t("Find a customer", "查找客户")) } }
        h1 { (customer.name) " " span.muted.mono { (id.as_str()) } }
        div.grid {
            section.card {
                h2 { (ctx.t("Profile", "资料")) }
                dl.facts {
                    dt { (ctx.t("Phone", "手机")) } dd { (customer.phone.as_ref().map(|p| p.as_str()).unwrap_or("—")) }
                    dt { (ctx.t("Email", "邮箱")) } dd { (customer.email.as_ref().map(|e| e.as_str()).unwrap_or("—")) }
                    dt { (ctx.t("Language", "语言")) } dd { (customer.locale.as_str()) }
                    dt { (ctx.t("Segment", "客群")) } dd { (customer.segment.as_str()) }
                    dt { (ctx.t("Store", "门店")) } dd { (customer.store.as_deref().unwrap_or("—")) }
                    dt { (ctx.t("Last purchase", "最近购买")) } dd { (customer.last_purchase.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) }
                }
            }
            section.card #consent {
                h2 { (ctx.t("Consent and opt-out", "同意与退订")) }
                dl.facts {
                    dt { (ctx.t("SMS consent", "短信同意")) } dd { (yes_no(ctx, customer.sms_consent)) }
                    dt { (ctx.t("Email consent", "邮件同意")) } dd { (yes_no(ctx, customer.email_consent)) }
                    dt { (ctx.t("Opted out", "已退订")) } dd { (contact.opted_out_at.as_deref().unwrap_or(ctx.t("no", "否"))) }
                    dt { (ctx.t("Phone", "手机")) } dd { (suppressed(ctx, &phone_suppressed)) }
                    dt { (ctx.t("Email", "邮箱")) } dd { (suppressed(ctx, &email_suppressed)) }
                    dt { (ctx.t("Last invited", "最近邀请")) } dd { (contact.last_invited_at.as_deref().unwrap_or("—")) }
                }
            }
        }
        section.card #history {
            h2 { (ctx.t("Invitations, responses, tickets", "邀请、回答与工单")) }
            dl.facts {
                dt { (ctx.t("Invitations", "邀请")) }
                dd { @for i in &invitations { span.mono { (i) } " " } @if invitations.is_empty() { "—" } }
                dt { (ctx.t("Responses", "回答")) }
                dd { @for r in &responses { span.mono { (r) } " " } @if responses.is_empty() { "—" } }
                dt { (ctx.t("Tickets", "工单")) }
                dd { @for t in &tickets { a.mono href={ "/console/tickets/" (t) } { (t) } " " } @if tickets.is_empty() { "—" } }
            }
        }
    };
    Ok(Reply::page(customer.name.clone(), Nav::Customers, body))
}

//! The reports page (managers): pickers for the survey, the days, the breakdown and the
//! granularity; the report itself (the same one `GET /reports` serves, with its charts); the
//! before/after comparison; the CSV download.

use chrono::NaiveDate;
use closeloop::domain::report::range::{self, MAX_REPORT_DAYS};
use closeloop::domain::report::slots::Breakdown;
use closeloop::domain::survey::{Survey, SurveyId};
use closeloop::domain::ticket::Area;
use closeloop::domain::totals::local_date;
use closeloop::flows::reports;
use closeloop::store::SurveySummary;
use closeloop::web;
use closeloop::Error;
use http::StatusCode;
use maud::{html, Markup, PreEscaped};

use crate::layout::{Ctx, Nav};
use crate::respond::query;
use crate::routes::Reply;

/// What the report pickers hold.
struct Picked {
    survey: String,
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    granularity: Option<String>,
}

impl Picked {
    fn read(ctx: &Ctx) -> Picked {
        Picked {
            survey: query(ctx.request, "survey")
                .unwrap_or_else(|| ctx.console.deps.config.delivery.default_survey_id.clone()),
            from: query(ctx.request, "from"),
            to: query(ctx.request, "to"),
            group_by: query(ctx.request, "group_by"),
            granularity: query(ctx.request, "granularity"),
        }
    }

    /// The days asked for (defaults: the last 30 up to today).
    fn days(&self, ctx: &Ctx) -> Result<(NaiveDate, NaiveDate), Error> {
        range::days(
            ("from", "to"),
            range::day("from", self.from.as_deref())?,
            range::day("to", self.to.as_deref())?,
            today(ctx),
            MAX_REPORT_DAYS,
        )
    }

    /// The query string that asks for the same report.
    fn query(&self, first: NaiveDate, last: NaiveDate) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("survey", &self.survey);
        out.append_pair("from", &first.to_string());
        out.append_pair("to", &last.to_string());
        if let Some(g) = &self.group_by {
            out.append_pair("group_by", g);
        }
        if let Some(g) = &self.granularity {
            out.append_pair("granularity", g);
        }
        out.finish()
    }
}

fn today(ctx: &Ctx) -> NaiveDate {
    local_date(ctx.now, ctx.console.deps.config.business_time_zone)
}

async fn survey(ctx: &Ctx<'_>, id: &str) -> Result<Survey, Error> {
    let id = SurveyId::parse(id).map_err(|e| Error::invalid("survey", e.to_string()))?;
    ctx.console.deps.store.get_survey(&id, None).await
}

/// `GET /console/reports`.
pub async fn report(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    super::require(ctx, Area::Reports)?;
    let picked = Picked::read(ctx);
    let surveys = ctx.console.deps.store.list_surveys().await?;
    let title = ctx.t("Reports", "报表").to_string();
    let built = async {
        let days = picked.days(ctx)?;
        let group_by = range::group_by(picked.group_by.as_deref())?;
        let granularity = range::granularity(picked.granularity.as_deref())?;
        let survey = survey(ctx, &picked.survey).await?;
        let report = reports::build_report(
            &ctx.console.deps,
            &survey,
            days.0,
            days.1,
            group_by,
            granularity,
            ctx.now,
        )
        .await?;
        Ok::<_, Error>((days, report))
    }
    .await;
    let mut picked = picked;
    let (status, error, content) = match built {
        Ok((days, report)) => {
            // The pickers show the days the report covers, defaults included.
            picked.from.get_or_insert_with(|| days.0.to_string());
            picked.to.get_or_insert_with(|| days.1.to_string());
            let q = picked.query(days.0, days.1);
            let compare = {
                let mut out = form_urlencoded::Serializer::new(String::new());
                out.append_pair("survey", &picked.survey);
                out.append_pair("after_from", &days.0.to_string());
                out.append_pair("after_to", &days.1.to_string());
                out.finish()
            };
            let content = html! {
                p.actions-row {
                    a.button.secondary href={ "/console/reports/compare?" (compare) } { (ctx.t("Compare with the period before", "与上一周期对比")) }
                    " "
                    a.button.secondary href={ "/console/reports/export.csv?" (q) } download { (ctx.t("Download CSV", "下载 CSV")) }
                }
                (PreEscaped(web::report::section(&report, ctx.locale)))
            };
            (StatusCode::OK, None, content)
        }
        Err(Error::Invalid { field, reason }) => {
            (StatusCode::BAD_REQUEST, Some((field, reason)), html! {})
        }
        Err(other) => return Err(other),
    };
    let body = html! {
        h1 { (title) }
        (pickers(ctx, &picked, &surveys, error.as_ref()))
        (content)
    };
    Ok(Reply::Page {
        status,
        title,
        nav: Nav::Reports,
        body,
    })
}

/// A labelled control, marked and explained when the error names it.
fn field(name: &str, label: &str, error: Option<&(String, String)>, control: Markup) -> Markup {
    let wrong = error.filter(|(f, _)| f == name);
    html! {
        div.field.invalid[wrong.is_some()] data-field=(name) {
            label for=(name) { (label) }
            (control)
            @if let Some((_, reason)) = wrong {
                p.field-error id={ (name) "-error" } { (reason) }
            }
        }
    }
}

fn survey_select(name: &str, chosen: &str, surveys: &[SurveySummary], ctx: &Ctx) -> Markup {
    html! {
        select id=(name) name=(name) {
            @if !surveys.iter().any(|s| s.id == chosen) {
                option value=(chosen) selected { (chosen) }
            }
            @for s in surveys {
                option value=(s.id) selected[s.id == chosen] { (s.title.get(ctx.locale)) " (" (s.id) ")" }
            }
        }
    }
}

fn pickers(
    ctx: &Ctx,
    picked: &Picked,
    surveys: &[SurveySummary],
    error: Option<&(String, String)>,
) -> Markup {
    let breakdown_label = |b: Breakdown| -> &str {
        match b.as_str() {
            "channel" => ctx.t("Channel", "渠道"),
            "segment" => ctx.t("Customer segment", "客户分群"),
            "agent" => ctx.t("Agent", "服务人员"),
            "store" => ctx.t("Store", "门店"),
            "region" => ctx.t("Region", "区域"),
            "service_type" => ctx.t("Service type", "服务类型"),
            other => other,
        }
    };
    html! {
        form.filters.card method="get" action="/console/reports" {
            (field("survey", ctx.t("Survey", "问卷"), error, survey_select("survey", &picked.survey, surveys, ctx)))
            (field("from", ctx.t("From", "开始日期"), error, html! { input type="date" id="from" name="from" value=[picked.from.as_deref()]; }))
            (field("to", ctx.t("To", "结束日期"), error, html! { input type="date" id="to" name="to" value=[picked.to.as_deref()]; }))
            (field("group_by", ctx.t("Break down by", "细分维度"), error, html! {
                select id="group_by" name="group_by" {
                    option value="" { (ctx.t("— none —", "— 不细分 —")) }
                    @for b in Breakdown::ALL {
                        option value=(b.as_str()) selected[picked.group_by.as_deref() == Some(b.as_str())] { (breakdown_label(b)) }
                    }
                }
            }))
            (field("granularity", ctx.t("Trend by", "趋势粒度"), error, html! {
                select id="granularity" name="granularity" {
                    @for (value, en, zh) in [("", "Automatic", "自动"), ("day", "Day", "按日"), ("week", "Week", "按周"), ("month", "Month", "按月")] {
                        option value=(value) selected[picked.granularity.as_deref().unwrap_or("") == value] { (ctx.t(en, zh)) }
                    }
                }
            }))
            div.field { button type="submit" { (ctx.t("Show report", "查看报表")) } }
        }
    }
}

/// `GET /console/reports/compare`: two ranges side by side.
pub async fn compare(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    super::require(ctx, Area::Reports)?;
    let surveys = ctx.console.deps.store.list_surveys().await?;
    let chosen = query(ctx.request, "survey")
        .unwrap_or_else(|| ctx.console.deps.config.delivery.default_survey_id.clone());
    let title = ctx.t("Before and after", "前后对比").to_string();
    let q = |name: &str| query(ctx.request, name);
    let built = async {
        let after = range::days(
            ("after_from", "after_to"),
            range::day("after_from", q("after_from").as_deref())?,
            range::day("after_to", q("after_to").as_deref())?,
            today(ctx),
            MAX_REPORT_DAYS,
        )?;
        let before = match (
            range::day("before_from", q("before_from").as_deref())?,
            range::day("before_to", q("before_to").as_deref())?,
        ) {
            (None, None) => range::before(after),
            (from, to) => range::days(
                ("before_from", "before_to"),
                from,
                to,
                today(ctx),
                MAX_REPORT_DAYS,
            )?,
        };
        let survey = survey(ctx, &chosen).await?;
        let comparison = reports::compare(&ctx.console.deps, &survey, before, after).await?;
        Ok::<_, Error>((before, after, comparison))
    }
    .await;
    let (status, error, shown, content) = match built {
        Ok((before, after, comparison)) => (
            StatusCode::OK,
            None,
            Some((before, after)),
            html! { (PreEscaped(web::report::comparison_section(&comparison, ctx.locale))) },
        ),
        Err(Error::Invalid { field, reason }) => (
            StatusCode::BAD_REQUEST,
            Some((field, reason)),
            None,
            html! {},
        ),
        Err(other) => return Err(other),
    };
    let value = |name: &str, index: usize| -> Option<String> {
        q(name).or_else(|| {
            shown.map(|(b, a): ((NaiveDate, NaiveDate), (NaiveDate, NaiveDate))| {
                [b.0, b.1, a.0, a.1][index].to_string()
            })
        })
    };
    let error = error.as_ref();
    let body = html! {
        h1 { (title) }
        p { a href={ "/console/reports?survey=" (chosen) } { "← " (ctx.t("Back to the report", "返回报表")) } }
        form.filters.card method="get" action="/console/reports/compare" {
            (field("survey", ctx.t("Survey", "问卷"), error, survey_select("survey", &chosen, &surveys, ctx)))
            @for (index, (name, en, zh)) in [
                ("before_from", "Before: from", "之前：开始"),
                ("before_to", "Before: to", "之前：结束"),
                ("after_from", "After: from", "之后：开始"),
                ("after_to", "After: to", "之后：结束"),
            ].into_iter().enumerate() {
                (field(name, ctx.t(en, zh), error, html! { input type="date" id=(name) name=(name) value=[value(name, index)]; }))
            }
            div.field { button type="submit" { (ctx.t("Compare", "对比")) } }
        }
        (content)
    };
    Ok(Reply::Page {
        status,
        title,
        nav: Nav::Reports,
        body,
    })
}

/// `GET /console/reports/export.csv`: the report as CSV, for a spreadsheet.
pub async fn csv(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    super::require(ctx, Area::Reports)?;
    let picked = Picked::read(ctx);
    let days = picked.days(ctx)?;
    let survey = survey(ctx, &picked.survey).await?;
    let report = reports::build_report(
        &ctx.console.deps,
        &survey,
        days.0,
        days.1,
        range::group_by(picked.group_by.as_deref())?,
        range::granularity(picked.granularity.as_deref())?,
        ctx.now,
    )
    .await?;
    Ok(Reply::Csv {
        body: web::report::csv(&report),
        filename: format!("report-{}-{}-{}.csv", survey.id.as_str(), days.0, days.1),
    })
}

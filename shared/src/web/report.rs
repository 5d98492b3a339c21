//! A report as a printable HTML page with SVG charts, as CSV, and as a few lines of text for an
//! alert or an email. Presentation only: every figure comes from
//! [`figures`](crate::domain::report::figures).
//!
//! The page loads nothing from elsewhere and runs no script: its style is inline and its charts
//! are SVG drawn here, so it is served with the customer pages' strict CSP
//! ([`response`]) and prints the same offline.

use std::error::Error as StdError;
use std::fmt::Write as _;

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, NaiveDate, Utc};
use http::{Response, StatusCode};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{document_response, escape};
use crate::domain::report::figures::{
    Comparison, CrossRow, Granularity, KeywordCount, Kpi, Report,
};
use crate::domain::report::slots::Breakdown;
use crate::domain::report::stats::{
    Cell, Correlation, Difference, Estimate, Quadrant, MIN_RELIABLE, MIN_SHOWN,
};
use crate::domain::survey::Locale;

/// Shown for a figure there is none of.
const NONE: &str = "—";

/// A rendered page as an HTTP response, with the customer pages' headers and CSP (no script).
pub fn response(status: StatusCode, document: String) -> Response<Body> {
    document_response(status, document, None)
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/// Every fixed label of the page, in one language (HTML: `<` is written `&lt;`).
struct Words {
    report: &'static str,
    comparison: &'static str,
    survey: &'static str,
    range: &'static str,
    time_zone: &'static str,
    generated_at: &'static str,
    grouped_by: &'static str,
    responses: &'static str,
    complete: &'static str,
    incomplete_title: &'static str,
    csat: &'static str,
    csat_note: &'static str,
    nps: &'static str,
    promoters: &'static str,
    passives: &'static str,
    detractors: &'static str,
    index: &'static str,
    index_note: &'static str,
    outcome_mean: &'static str,
    outcome_note: &'static str,
    ci: &'static str,
    trend: &'static str,
    trend_title: &'static str,
    trend_caption: &'static str,
    score: &'static str,
    day: &'static str,
    week: &'static str,
    month: &'static str,
    drivers: &'static str,
    dimension_title: &'static str,
    dimension_caption: &'static str,
    mean_axis: &'static str,
    dimension_axis: &'static str,
    quadrant_title: &'static str,
    quadrant_caption: &'static str,
    satisfaction_axis: &'static str,
    importance_axis: &'static str,
    no_data: &'static str,
    no_importance: &'static str,
    dimensions: &'static str,
    dimension: &'static str,
    weight: &'static str,
    mean: &'static str,
    importance: &'static str,
    quadrant: &'static str,
    significant_legend: &'static str,
    questions: &'static str,
    question: &'static str,
    missing: &'static str,
    r_with_outcome: &'static str,
    cross: &'static str,
    hidden: &'static str,
    warn_mark: &'static str,
    keywords: &'static str,
    keywords_all: &'static str,
    keywords_low: &'static str,
    keywords_low_note: &'static str,
    no_keywords: &'static str,
    tickets: &'static str,
    kpi: &'static str,
    actual: &'static str,
    count: &'static str,
    target: &'static str,
    status: &'static str,
    met: &'static str,
    missed: &'static str,
    collection_rate: &'static str,
    level_1_in_time: &'static str,
    responded_in_time: &'static str,
    fix_rate: &'static str,
    by_level: &'static str,
    by_category: &'static str,
    level: &'static str,
    created: &'static str,
    responded: &'static str,
    resolved: &'static str,
    resolved_in_time: &'static str,
    breached: &'static str,
    reopened: &'static str,
    category: &'static str,
    total: &'static str,
    before: &'static str,
    after: &'static str,
    measure: &'static str,
    difference: &'static str,
    test: &'static str,
    p_value: &'static str,
    significant: &'static str,
    yes: &'static str,
    no: &'static str,
    not_enough: &'static str,
    comparison_legend: &'static str,
    points: &'static str,
    footer: &'static str,
}

const EN: Words = Words {
    report: "Customer feedback report",
    comparison: "Before and after",
    survey: "Survey",
    range: "Range",
    time_zone: "Time zone",
    generated_at: "Generated",
    grouped_by: "Trend by",
    responses: "Responses",
    complete: "complete",
    incomplete_title: "These figures are incomplete",
    csat: "CSAT",
    csat_note: "Share of overall-satisfaction answers of 4 or 5",
    nps: "NPS",
    promoters: "promoters",
    passives: "passives",
    detractors: "detractors",
    index: "Satisfaction index",
    index_note: "Weighted dimension means, 0–100",
    outcome_mean: "Overall satisfaction",
    outcome_note: "Mean answer, 1–5",
    ci: "95% CI",
    trend: "Trend",
    trend_title: "CSAT, NPS and satisfaction index",
    trend_caption: "CSAT and the index are on 0–100; NPS runs from −100 to 100. A gap means no answers in that period.",
    score: "Score",
    day: "Day",
    week: "Week starting",
    month: "Month",
    drivers: "What drives satisfaction",
    dimension_title: "Mean score by dimension",
    dimension_caption: "Mean of each dimension on the 1–5 scale, with its 95% interval and number of answers.",
    mean_axis: "Mean (1–5)",
    dimension_axis: "Dimension",
    quadrant_title: "Importance × satisfaction",
    quadrant_caption: "Importance is each dimension's correlation r with overall satisfaction; the lines are the averages of the dimensions shown.",
    satisfaction_axis: "Satisfaction (mean, 1–5)",
    importance_axis: "Importance (r)",
    no_data: "No answers in this range",
    no_importance: "Not enough paired answers to weigh the dimensions yet",
    dimensions: "Dimensions",
    dimension: "Dimension",
    weight: "Weight",
    mean: "Mean",
    importance: "Importance r",
    quadrant: "Quadrant",
    significant_legend: "* significant at p &lt; 0.05",
    questions: "Questions",
    question: "Question",
    missing: "Skipped",
    r_with_outcome: "r with overall",
    cross: "By group",
    hidden: "hidden",
    warn_mark: "n &lt; 30",
    keywords: "What customers wrote",
    keywords_all: "Top keywords",
    keywords_low: "Keywords in low scores",
    keywords_low_note: "Answers with overall satisfaction of 3 or less, or NPS detractors.",
    no_keywords: "No keywords yet.",
    tickets: "Follow-up tickets",
    kpi: "Indicator",
    actual: "Actual",
    count: "Count",
    target: "Target",
    status: "Status",
    met: "Met",
    missed: "Missed",
    collection_rate: "Collection rate",
    level_1_in_time: "Level 1 responded in time",
    responded_in_time: "Responded in time (all levels)",
    fix_rate: "Fix rate",
    by_level: "Tickets by level",
    by_category: "Tickets by category",
    level: "Level",
    created: "Opened",
    responded: "Responded",
    resolved: "Resolved",
    resolved_in_time: "Resolved in time",
    breached: "Breached",
    reopened: "Reopened",
    category: "Category",
    total: "Total",
    before: "Before",
    after: "After",
    measure: "Measure",
    difference: "Difference (95% CI)",
    test: "Test",
    p_value: "p",
    significant: "Significant",
    yes: "Yes",
    no: "No",
    not_enough: "Not enough answers to compare",
    comparison_legend: "Significant: the difference is unlikely to be chance (p &lt; 0.05). CSAT differences are in percentage points.",
    points: "pp",
    footer: "Figures are computed from exact running totals. Groups with fewer than 5 responses are hidden to protect respondents.",
};

const ZH: Words = Words {
    report: "客户反馈报告",
    comparison: "改进前后对比",
    survey: "问卷",
    range: "时间范围",
    time_zone: "时区",
    generated_at: "生成时间",
    grouped_by: "趋势粒度",
    responses: "回复数",
    complete: "完整",
    incomplete_title: "以下数据不完整",
    csat: "满意度（CSAT）",
    csat_note: "整体满意度打 4 或 5 分的占比",
    nps: "净推荐值（NPS）",
    promoters: "推荐者",
    passives: "中立者",
    detractors: "贬损者",
    index: "满意度指数",
    index_note: "各维度平均分加权，0–100",
    outcome_mean: "整体满意度",
    outcome_note: "平均分，1–5",
    ci: "95% 置信区间",
    trend: "趋势",
    trend_title: "CSAT、NPS 与满意度指数",
    trend_caption: "CSAT 与指数为 0–100；NPS 范围为 −100 至 100。折线中断表示该时段没有回复。",
    score: "分值",
    day: "日期",
    week: "周（起始日）",
    month: "月份",
    drivers: "满意度驱动因素",
    dimension_title: "各维度平均分",
    dimension_caption: "各维度在 1–5 分制上的平均分，含 95% 置信区间与回答数。",
    mean_axis: "平均分（1–5）",
    dimension_axis: "维度",
    quadrant_title: "重要性 × 满意度",
    quadrant_caption: "重要性为各维度与整体满意度的相关系数 r；两条线为所示维度的平均值。",
    satisfaction_axis: "满意度（平均分，1–5）",
    importance_axis: "重要性（r）",
    no_data: "该时间范围内没有回复",
    no_importance: "成对回答不足，暂无法计算重要性",
    dimensions: "维度",
    dimension: "维度",
    weight: "权重",
    mean: "平均分",
    importance: "重要性 r",
    quadrant: "象限",
    significant_legend: "* 在 p &lt; 0.05 水平上显著",
    questions: "题目",
    question: "题目",
    missing: "跳过",
    r_with_outcome: "与整体满意度的 r",
    cross: "分组交叉分析",
    hidden: "已隐藏",
    warn_mark: "n &lt; 30",
    keywords: "客户原话关键词",
    keywords_all: "高频关键词",
    keywords_low: "低分回复中的关键词",
    keywords_low_note: "整体满意度 3 分及以下或 NPS 贬损者的回复。",
    no_keywords: "暂无关键词。",
    tickets: "跟进工单",
    kpi: "指标",
    actual: "实际",
    count: "数量",
    target: "目标",
    status: "状态",
    met: "达标",
    missed: "未达标",
    collection_rate: "回收率",
    level_1_in_time: "一级工单及时响应率",
    responded_in_time: "及时响应率（全部级别）",
    fix_rate: "解决率",
    by_level: "按级别统计工单",
    by_category: "按类别统计工单",
    level: "级别",
    created: "新建",
    responded: "已响应",
    resolved: "已解决",
    resolved_in_time: "按时解决",
    breached: "超时",
    reopened: "重新打开",
    category: "类别",
    total: "合计",
    before: "改进前",
    after: "改进后",
    measure: "指标",
    difference: "差值（95% 置信区间）",
    test: "检验方法",
    p_value: "p 值",
    significant: "是否显著",
    yes: "显著",
    no: "不显著",
    not_enough: "回答不足，无法比较",
    comparison_legend: "显著：差异不太可能出于偶然（p &lt; 0.05）。CSAT 差值单位为百分点。",
    points: "个百分点",
    footer: "数据由精确的累计值计算。回复少于 5 份的分组已隐藏，以保护受访者。",
};

fn words(locale: Locale) -> &'static Words {
    match locale {
        Locale::ZhCn => &ZH,
        Locale::En => &EN,
    }
}

fn quadrant_label(q: Quadrant, locale: Locale) -> &'static str {
    match (q, locale) {
        (Quadrant::FixNow, Locale::ZhCn) => "急需改进",
        (Quadrant::Keep, Locale::ZhCn) => "继续保持",
        (Quadrant::LowPriority, Locale::ZhCn) => "不占优先",
        (Quadrant::NiceToHave, Locale::ZhCn) => "锦上添花",
        (Quadrant::FixNow, Locale::En) => "Fix now",
        (Quadrant::Keep, Locale::En) => "Keep",
        (Quadrant::LowPriority, Locale::En) => "Low priority",
        (Quadrant::NiceToHave, Locale::En) => "Nice to have",
    }
}

fn quadrant_meaning(q: Quadrant, locale: Locale) -> &'static str {
    match (q, locale) {
        (Quadrant::FixNow, Locale::ZhCn) => "重要但满意度偏低",
        (Quadrant::Keep, Locale::ZhCn) => "重要且满意度较高",
        (Quadrant::LowPriority, Locale::ZhCn) => "不太重要，满意度偏低",
        (Quadrant::NiceToHave, Locale::ZhCn) => "不太重要，满意度较高",
        (Quadrant::FixNow, Locale::En) => "important, below-average satisfaction",
        (Quadrant::Keep, Locale::En) => "important, above-average satisfaction",
        (Quadrant::LowPriority, Locale::En) => "less important, below-average satisfaction",
        (Quadrant::NiceToHave, Locale::En) => "less important, above-average satisfaction",
    }
}

fn quadrant_class(q: Quadrant) -> &'static str {
    match q {
        Quadrant::FixNow => "fix-now",
        Quadrant::Keep => "keep",
        Quadrant::LowPriority => "low-priority",
        Quadrant::NiceToHave => "nice-to-have",
    }
}

fn quadrant_key(q: Quadrant) -> &'static str {
    match q {
        Quadrant::FixNow => "fix_now",
        Quadrant::Keep => "keep",
        Quadrant::LowPriority => "low_priority",
        Quadrant::NiceToHave => "nice_to_have",
    }
}

const QUADRANTS: [Quadrant; 4] = [
    Quadrant::FixNow,
    Quadrant::Keep,
    Quadrant::LowPriority,
    Quadrant::NiceToHave,
];

fn breakdown_label(b: Breakdown, locale: Locale) -> &'static str {
    match (b, locale) {
        (Breakdown::Channel, Locale::ZhCn) => "渠道",
        (Breakdown::Segment, Locale::ZhCn) => "客户分群",
        (Breakdown::Agent, Locale::ZhCn) => "客服人员",
        (Breakdown::Store, Locale::ZhCn) => "门店",
        (Breakdown::Region, Locale::ZhCn) => "区域",
        (Breakdown::ServiceType, Locale::ZhCn) => "服务类型",
        (Breakdown::Channel, Locale::En) => "Channel",
        (Breakdown::Segment, Locale::En) => "Segment",
        (Breakdown::Agent, Locale::En) => "Agent",
        (Breakdown::Store, Locale::En) => "Store",
        (Breakdown::Region, Locale::En) => "Region",
        (Breakdown::ServiceType, Locale::En) => "Service type",
    }
}

fn level_label(level: &str, locale: Locale) -> String {
    match (level, locale) {
        ("1", Locale::ZhCn) => "一级（紧急）".into(),
        ("2", Locale::ZhCn) => "二级（投诉）".into(),
        ("3", Locale::ZhCn) => "三级（建议）".into(),
        ("1", Locale::En) => "Level 1 (urgent)".into(),
        ("2", Locale::En) => "Level 2 (complaint)".into(),
        ("3", Locale::En) => "Level 3 (suggestion)".into(),
        (other, Locale::ZhCn) => format!("{other} 级"),
        (other, Locale::En) => format!("Level {other}"),
    }
}

fn category_label(category: &str, locale: Locale) -> String {
    let known = match (category, locale) {
        ("product", Locale::ZhCn) => "产品",
        ("service", Locale::ZhCn) => "服务",
        ("operations", Locale::ZhCn) => "运营",
        ("suggestion", Locale::ZhCn) => "建议",
        ("uncategorised", Locale::ZhCn) => "未分类",
        ("product", Locale::En) => "Product",
        ("service", Locale::En) => "Service",
        ("operations", Locale::En) => "Operations",
        ("suggestion", Locale::En) => "Suggestion",
        ("uncategorised", Locale::En) => "Uncategorised",
        (other, _) => return other.to_string(),
    };
    known.to_string()
}

fn test_label(test: &str, locale: Locale) -> String {
    let lower = test.to_ascii_lowercase();
    let known = if lower.contains("welch") {
        Some(("Welch's t test", "Welch t 检验"))
    } else if lower.contains("proportion") {
        Some(("Two-proportion z test", "两比例 z 检验"))
    } else if lower.contains("nps") || lower == "z" || lower.starts_with("z_") {
        Some(("z test", "z 检验"))
    } else {
        None
    };
    match (known, locale) {
        (Some((en, _)), Locale::En) => en.to_string(),
        (Some((_, zh)), Locale::ZhCn) => zh.to_string(),
        (None, _) => test.to_string(),
    }
}

fn incomplete_text(missed: i64, locale: Locale) -> String {
    match locale {
        Locale::ZhCn => format!(
            "该时间范围内有 {missed} 个数据变更未能计入。重建该时间范围的汇总之前，所有数字都可能偏低或不准确。"
        ),
        Locale::En => format!(
            "{missed} missed {} could not be counted in this range. Until the range is rebuilt, every figure here may be short or off.",
            changes(missed)
        ),
    }
}

fn changes(n: i64) -> &'static str {
    if n == 1 {
        "change"
    } else {
        "changes"
    }
}

fn granularity_label(g: Granularity, w: &Words) -> &'static str {
    match g {
        Granularity::Day => w.day,
        Granularity::Week => w.week,
        Granularity::Month => w.month,
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

fn fixed(v: Option<f64>, digits: usize) -> String {
    match finite(v) {
        Some(v) => format!("{v:.digits$}"),
        None => NONE.to_string(),
    }
}

fn percent(v: Option<f64>) -> String {
    match finite(v) {
        Some(v) => format!("{v:.1}%"),
        None => NONE.to_string(),
    }
}

fn signed(v: f64, digits: usize) -> String {
    format!("{v:+.digits$}")
}

fn p_value(p: f64) -> String {
    if !p.is_finite() {
        NONE.to_string()
    } else if p < 0.001 {
        "< 0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

fn interval(e: &Estimate, digits: usize) -> String {
    format!("{:.digits$}–{:.digits$}", e.low, e.high)
}

fn half_width(e: &Estimate) -> f64 {
    (e.high - e.low).abs() / 2.0
}

fn correlation(c: Option<&Correlation>) -> String {
    match c {
        Some(c) if c.r.is_finite() => {
            let mark = if c.significant { "*" } else { "" };
            format!("{:.2}{mark}", c.r)
        }
        _ => NONE.to_string(),
    }
}

fn local_time(at: DateTime<Utc>, zone: &str) -> String {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

fn range_text(first: NaiveDate, last: NaiveDate) -> String {
    format!("{first} – {last}")
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

/// The whole printable page of a report.
pub fn html(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    document(
        locale,
        &format!(
            "{} · {} · {}",
            report.title.get(locale),
            w.report,
            range_text(report.first_day, report.last_day)
        ),
        &report_body(report, locale),
        w.footer,
    )
}

/// A report inside another page (the staff console): the same content, its style scoped to
/// it so that the page around it keeps its own.
pub fn section(report: &Report, locale: Locale) -> String {
    scoped(&report_body(report, locale))
}

/// The before/after comparison inside another page.
pub fn comparison_section(c: &Comparison, locale: Locale) -> String {
    scoped(&comparison_body(c, locale))
}

fn scoped(body: &str) -> String {
    let style = STYLE
        .replacen(":root{", ":scope{", 1)
        .replace("html{-webkit-text-size-adjust:100%}", "")
        .replace("body{", ":scope{");
    format!("<div class=\"report-doc\"><style>@scope (.report-doc) {{{style}}}</style>{body}</div>")
}

fn report_body(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    let title = report.title.get(locale);
    let mut body = String::new();

    // Header
    let _ = write!(
        body,
        "<header class=\"top\"><p class=\"eyebrow\">{eyebrow}</p><h1>{title}</h1><dl class=\"meta\">\
<div><dt>{range_l}</dt><dd>{range}</dd></div>\
<div><dt>{tz_l}</dt><dd>{tz}</dd></div>\
<div><dt>{gen_l}</dt><dd>{generated}</dd></div>\
<div><dt>{gran_l}</dt><dd>{gran}</dd></div>\
<div><dt>{resp_l}</dt><dd>{responses} <span class=\"muted\">({complete} {complete_l})</span></dd></div>\
<div><dt>{survey_l}</dt><dd><code>{survey}</code></dd></div></dl></header>",
        eyebrow = w.report,
        title = escape(title),
        range_l = w.range,
        range = range_text(report.first_day, report.last_day),
        tz_l = w.time_zone,
        tz = escape(&report.time_zone),
        gen_l = w.generated_at,
        generated = escape(&local_time(report.generated_at, &report.time_zone)),
        gran_l = w.grouped_by,
        gran = granularity_label(report.granularity, w),
        resp_l = w.responses,
        responses = report.responses,
        complete = report.complete_responses,
        complete_l = w.complete,
        survey_l = w.survey,
        survey = escape(&report.survey_id),
    );
    if report.missed_changes > 0 {
        body.push_str(&warning_box(report.missed_changes, locale));
    }

    body.push_str(&cards(report, locale));

    // Charts
    let _ = write!(
        body,
        "<section class=\"block\" id=\"trend\"><h2>{}</h2>{}</section>",
        w.trend,
        trend_chart(report, locale)
    );
    let _ = write!(
        body,
        "<section class=\"block\" id=\"drivers\"><h2>{}</h2><div class=\"charts\">{}{}</div>{}</section>",
        w.drivers,
        dimension_chart(report, locale),
        quadrant_chart(report, locale),
        quadrant_legend(locale),
    );

    body.push_str(&dimension_table(report, locale));
    body.push_str(&question_table(report, locale));
    body.push_str(&cross_tables(report, locale));
    body.push_str(&keyword_lists(report, locale));
    body.push_str(&ticket_section(report, locale));
    body
}

fn document(locale: Locale, title: &str, body: &str, footer: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<title>{title}</title><style>{STYLE}</style></head>\
<body><main>{body}<footer>{footer}</footer></main></body></html>\n",
        lang = locale.as_str(),
        title = escape(title),
    )
}

fn warning_box(missed: i64, locale: Locale) -> String {
    format!(
        "<div class=\"alert\" role=\"alert\"><strong>{}</strong><p>{}</p></div>",
        words(locale).incomplete_title,
        escape(&incomplete_text(missed, locale))
    )
}

fn card(class: &str, label: &str, value: &str, lines: &[String]) -> String {
    let mut out =
        format!("<article class=\"card {class}\"><h3>{label}</h3><p class=\"value\">{value}</p>");
    for line in lines {
        let _ = write!(out, "<p class=\"sub\">{line}</p>");
    }
    out.push_str("</article>");
    out
}

fn cards(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    let h = &report.headline;
    let csat = match &h.csat {
        Some(e) => card(
            "csat",
            w.csat,
            &percent(Some(e.value)),
            &[
                format!("{} {}%", w.ci, interval(e, 1)),
                format!("n = {}", e.n),
                w.csat_note.to_string(),
            ],
        ),
        None => card("csat", w.csat, NONE, &[w.csat_note.to_string()]),
    };
    let nps = match &h.nps {
        Some(f) => card(
            "nps",
            w.nps,
            &fixed(Some(f.score.value), 1),
            &[
                format!("{} {}", w.ci, interval(&f.score, 1)),
                format!("n = {}", f.score.n),
                format!(
                    "{} {} · {} {} · {} {}",
                    f.promoters, w.promoters, f.passives, w.passives, f.detractors, w.detractors
                ),
            ],
        ),
        None => card("nps", w.nps, NONE, &[]),
    };
    let index = card(
        "index",
        w.index,
        &fixed(h.index, 1),
        &[w.index_note.to_string()],
    );
    let outcome = match &h.outcome_mean {
        Some(e) => card(
            "outcome",
            w.outcome_mean,
            &fixed(Some(e.value), 2),
            &[
                format!("{} {}", w.ci, interval(e, 2)),
                format!("n = {}", e.n),
                w.outcome_note.to_string(),
            ],
        ),
        None => card(
            "outcome",
            w.outcome_mean,
            NONE,
            &[w.outcome_note.to_string()],
        ),
    };
    format!("<section class=\"cards\" id=\"headline\">{csat}{nps}{index}{outcome}</section>")
}

fn table(class: &str, head: &[(&str, bool)], rows: &[String]) -> String {
    let mut out = format!("<div class=\"table-wrap\"><table class=\"{class}\"><thead><tr>");
    for (label, numeric) in head {
        let class = if *numeric { " class=\"num\"" } else { "" };
        let _ = write!(out, "<th scope=\"col\"{class}>{label}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str(row);
    }
    out.push_str("</tbody></table></div>");
    out
}

fn num_cell(text: &str) -> String {
    format!("<td class=\"num\">{text}</td>")
}

fn quadrant_pill(q: Option<Quadrant>, locale: Locale) -> String {
    match q {
        Some(q) => format!(
            "<span class=\"pill q-{}\">{}</span>",
            quadrant_class(q),
            quadrant_label(q, locale)
        ),
        None => NONE.to_string(),
    }
}

fn dimension_table(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    let rows: Vec<String> = report
        .dimensions
        .iter()
        .map(|d| {
            let mean = d.mean.as_ref();
            let importance = match &d.importance {
                Some(c) => format!("{} <span class=\"muted\">(n = {})</span>", correlation(Some(c)), c.n),
                None => NONE.to_string(),
            };
            format!(
                "<tr><th scope=\"row\">{label}</th>{weight}{mean}{ci}{n}{importance}<td>{quadrant}</td></tr>",
                label = escape(d.label.get(locale)),
                weight = num_cell(&format!("{:.0}%", d.weight * 100.0)),
                mean = num_cell(&fixed(mean.map(|e| e.value), 2)),
                ci = num_cell(&mean.map(|e| interval(e, 2)).unwrap_or_else(|| NONE.into())),
                n = num_cell(&d.n.to_string()),
                importance = num_cell(&importance),
                quadrant = quadrant_pill(d.quadrant, locale),
            )
        })
        .collect();
    format!(
        "<section class=\"block\" id=\"dimensions\"><h2>{}</h2>{}<p class=\"legend\">{}</p></section>",
        w.dimensions,
        table(
            "dimensions",
            &[
                (w.dimension, false),
                (w.weight, true),
                (w.mean, true),
                (w.ci, true),
                ("n", true),
                (w.importance, true),
                (w.quadrant, false),
            ],
            &rows
        ),
        w.significant_legend
    )
}

fn question_table(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    let rows: Vec<String> = report
        .questions
        .iter()
        .map(|q| {
            format!(
                "<tr><th scope=\"row\">{label}</th>{mean}{n}{missing}{r}</tr>",
                label = escape(q.label.get(locale)),
                mean = num_cell(&fixed(q.mean.map(|e| e.value), 2)),
                n = num_cell(&q.n.to_string()),
                missing = num_cell(&q.missing.to_string()),
                r = num_cell(&correlation(q.correlation.as_ref())),
            )
        })
        .collect();
    format!(
        "<section class=\"block\" id=\"questions\"><h2>{}</h2>{}<p class=\"legend\">{}</p></section>",
        w.questions,
        table(
            "questions",
            &[
                (w.question, false),
                (w.mean, true),
                ("n", true),
                (w.missing, true),
                (w.r_with_outcome, true),
            ],
            &rows
        ),
        w.significant_legend
    )
}

fn cross_legend(locale: Locale) -> String {
    match locale {
        Locale::ZhCn => format!(
            "<span class=\"tag hidden\">n &lt; {MIN_SHOWN}，已隐藏</span> 回复少于 {MIN_SHOWN} 份的分组不显示任何数字，以保护受访者。\
<span class=\"tag warn\">n &lt; {MIN_RELIABLE}</span> 回复少于 {MIN_RELIABLE} 份：数字仅供参考，波动可能较大。"
        ),
        Locale::En => format!(
            "<span class=\"tag hidden\">n &lt; {MIN_SHOWN}, hidden</span> groups with fewer than {MIN_SHOWN} responses show no figures, to protect respondents. \
<span class=\"tag warn\">n &lt; {MIN_RELIABLE}</span> fewer than {MIN_RELIABLE} responses: read with caution, the figures may swing widely."
        ),
    }
}

fn hidden_text(locale: Locale) -> String {
    match locale {
        Locale::ZhCn => format!("n &lt; {MIN_SHOWN}，{}", ZH.hidden),
        Locale::En => format!("n &lt; {MIN_SHOWN}, {}", EN.hidden),
    }
}

fn cross_row_html(row: &CrossRow, dims: &[(String, String)], locale: Locale) -> String {
    let value = escape(&row.value);
    match row.cell {
        Cell::Hidden => format!(
            "<tr class=\"cell-hidden\" data-cell=\"hidden\"><th scope=\"row\">{value}</th><td colspan=\"{span}\" class=\"hidden-note\"><span class=\"tag hidden\">{note}</span></td></tr>",
            span = 4 + dims.len(),
            note = hidden_text(locale),
        ),
        Cell::Warn | Cell::Shown => {
            let warn = row.cell == Cell::Warn;
            let mark = if warn {
                format!(" <span class=\"tag warn\">{}</span>", words(locale).warn_mark)
            } else {
                String::new()
            };
            let mut out = format!(
                "<tr data-cell=\"{}\"><th scope=\"row\">{value}</th>{}{}{}{}",
                if warn { "warn" } else { "shown" },
                num_cell(&format!("{}{mark}", row.n)),
                num_cell(&percent(row.csat)),
                num_cell(&fixed(row.nps, 1)),
                num_cell(&fixed(row.index, 1)),
            );
            for (id, _) in dims {
                let mean = row.dimensions.get(id).copied().flatten();
                out.push_str(&num_cell(&fixed(mean, 2)));
            }
            out.push_str("</tr>");
            out
        }
    }
}

fn cross_tables(report: &Report, locale: Locale) -> String {
    if report.cross.is_empty() {
        return String::new();
    }
    let w = words(locale);
    let dims: Vec<(String, String)> = report
        .dimensions
        .iter()
        .map(|d| (d.id.clone(), escape(d.label.get(locale))))
        .collect();
    let mut out = format!("<section class=\"block\" id=\"cross\"><h2>{}</h2>", w.cross);
    for table_data in &report.cross {
        let name = breakdown_label(table_data.breakdown, locale);
        let mut head: Vec<(&str, bool)> = vec![
            (name, false),
            ("n", true),
            ("CSAT", true),
            ("NPS", true),
            (w.index, true),
        ];
        for (_, label) in &dims {
            head.push((label.as_str(), true));
        }
        let rows: Vec<String> = table_data
            .rows
            .iter()
            .map(|r| cross_row_html(r, &dims, locale))
            .collect();
        let _ = write!(
            out,
            "<div class=\"cross\" id=\"cross-{}\"><h3>{name}</h3>{}</div>",
            table_data.breakdown.as_str(),
            table("cross", &head, &rows)
        );
    }
    let _ = write!(
        out,
        "<p class=\"legend\">{}</p></section>",
        cross_legend(locale)
    );
    out
}

fn keyword_list(title: &str, note: Option<&str>, words_: &[KeywordCount], empty: &str) -> String {
    let mut out = format!("<div class=\"panel\"><h3>{title}</h3>");
    if let Some(note) = note {
        let _ = write!(out, "<p class=\"legend\">{note}</p>");
    }
    if words_.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{empty}</p></div>");
        return out;
    }
    let most = words_.iter().map(|k| k.count).max().unwrap_or(1).max(1);
    out.push_str("<ol class=\"words\">");
    for k in words_ {
        let share = (100.0 * k.count as f64 / most as f64).clamp(0.0, 100.0);
        let _ = write!(
            out,
            "<li><span class=\"word\">{}</span><span class=\"count\">{}</span><span class=\"bar\" style=\"width:{share:.0}%\"></span></li>",
            escape(&k.word),
            k.count
        );
    }
    out.push_str("</ol></div>");
    out
}

fn keyword_lists(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    format!(
        "<section class=\"block\" id=\"keywords\"><h2>{}</h2><div class=\"two\">{}{}</div></section>",
        w.keywords,
        keyword_list(w.keywords_all, None, &report.keywords, w.no_keywords),
        keyword_list(
            w.keywords_low,
            Some(w.keywords_low_note),
            &report.low_keywords,
            w.no_keywords
        ),
    )
}

fn kpi_row(label: &str, kpi: &Kpi, locale: Locale) -> String {
    let w = words(locale);
    let status = match kpi.met {
        Some(true) => format!("<span class=\"status met\">✓ {}</span>", w.met),
        Some(false) => format!("<span class=\"status missed\">✗ {}</span>", w.missed),
        None => NONE.to_string(),
    };
    format!(
        "<tr><th scope=\"row\">{label}</th>{}{}{}<td>{status}</td></tr>",
        num_cell(&percent(kpi.value)),
        num_cell(&format!("{} / {}", kpi.numerator, kpi.denominator)),
        num_cell(&format!("≥ {:.1}%", kpi.target)),
    )
}

fn ticket_section(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    let k = &report.kpis;
    let hours = k.level_1_respond_hours;
    let level_1 = match locale {
        Locale::ZhCn => format!("{}（{} 小时内）", w.level_1_in_time, trim_number(hours)),
        Locale::En => format!("{} (within {} h)", w.level_1_in_time, trim_number(hours)),
    };
    let kpis = table(
        "kpis",
        &[
            (w.kpi, false),
            (w.actual, true),
            (w.count, true),
            (w.target, true),
            (w.status, false),
        ],
        &[
            kpi_row(w.collection_rate, &k.collection_rate, locale),
            kpi_row(&level_1, &k.level_1_responded_in_time, locale),
            kpi_row(w.responded_in_time, &k.responded_in_time, locale),
            kpi_row(w.fix_rate, &k.fix_rate, locale),
        ],
    );
    let counts_row = |label: String, c: &crate::domain::report::sums::TicketCounts| {
        format!(
            "<tr><th scope=\"row\">{label}</th>{}{}{}{}{}{}{}</tr>",
            num_cell(&c.created.to_string()),
            num_cell(&c.responded.to_string()),
            num_cell(&c.responded_in_time.to_string()),
            num_cell(&c.resolved.to_string()),
            num_cell(&c.resolved_in_time.to_string()),
            num_cell(&c.breached.to_string()),
            num_cell(&c.reopened.to_string()),
        )
    };
    let mut level_rows: Vec<String> = report
        .tickets
        .by_level
        .iter()
        .map(|(level, c)| counts_row(escape(&level_label(level, locale)), c))
        .collect();
    level_rows.push(counts_row(
        format!("<strong>{}</strong>", w.total),
        &report.tickets.total,
    ));
    let levels = table(
        "levels",
        &[
            (w.level, false),
            (w.created, true),
            (w.responded, true),
            (w.responded_in_time, true),
            (w.resolved, true),
            (w.resolved_in_time, true),
            (w.breached, true),
            (w.reopened, true),
        ],
        &level_rows,
    );
    let category_rows: Vec<String> = report
        .tickets
        .by_category
        .iter()
        .map(|(c, n)| {
            format!(
                "<tr><th scope=\"row\">{}</th>{}</tr>",
                escape(&category_label(c, locale)),
                num_cell(&n.to_string())
            )
        })
        .collect();
    let categories = table(
        "categories",
        &[(w.category, false), (w.created, true)],
        &category_rows,
    );
    format!(
        "<section class=\"block\" id=\"tickets\"><h2>{}</h2>{kpis}\
<div class=\"tickets\"><h3>{}</h3>{levels}</div><div class=\"tickets narrow\"><h3>{}</h3>{categories}</div></section>",
        w.tickets, w.by_level, w.by_category
    )
}

fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn quadrant_legend(locale: Locale) -> String {
    let mut out = String::from("<ul class=\"quadrant-legend\">");
    for q in QUADRANTS {
        let _ = write!(
            out,
            "<li>{} {}</li>",
            quadrant_pill(Some(q), locale),
            quadrant_meaning(q, locale)
        );
    }
    out.push_str("</ul>");
    out
}

// ---------------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------------

type Drawn = Result<(), Box<dyn StdError>>;
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

const INK: RGBColor = RGBColor(0x1d, 0x27, 0x33);
const MUTED: RGBColor = RGBColor(0x5b, 0x66, 0x75);
const GRID: RGBColor = RGBColor(0xe6, 0xe9, 0xee);
const AXIS: RGBColor = RGBColor(0xb8, 0xc0, 0xca);
const BLUE_: RGBColor = RGBColor(0x24, 0x57, 0xc5);
const ORANGE: RGBColor = RGBColor(0xc2, 0x57, 0x1a);
const TEAL: RGBColor = RGBColor(0x0f, 0x8a, 0x7e);
const RED_: RGBColor = RGBColor(0xb3, 0x26, 0x1e);

const FAMILY: &str = "sans-serif";

fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&INK)
}

fn muted(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&MUTED)
}

fn title_font() -> TextStyle<'static> {
    TextStyle::from((FAMILY, 20.0).into_font().style(FontStyle::Bold)).color(&INK)
}

/// Shortens a label for a chart (the tables show it whole).
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A chart in its figure: `id`, a caption, and the SVG with a title for assistive technology.
/// Text handed to the drawing is escaped by the SVG backend.
fn figure(
    id: &str,
    title: &str,
    caption: &str,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Drawn,
) -> String {
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root).and_then(|()| root.present().map_err(|e| Box::new(e) as Box<dyn StdError>))
    };
    let title = escape(title);
    let svg = match drawn {
        Ok(()) => {
            let open = format!("<svg width=\"{}\" height=\"{}\" ", size.0, size.1);
            let svg = svg.replacen(
                &open,
                &format!(
                    "<svg class=\"plot\" role=\"img\" aria-labelledby=\"{id}-title\" preserveAspectRatio=\"xMidYMid meet\" "
                ),
                1,
            );
            match svg.find('>') {
                Some(end) => format!(
                    "{}<title id=\"{id}-title\">{title}</title>{}",
                    &svg[..=end],
                    &svg[end + 1..]
                ),
                None => svg,
            }
        }
        Err(_) => format!("<p class=\"muted\" role=\"img\" aria-label=\"{title}\">{NONE}</p>"),
    };
    format!(
        "<figure class=\"chart\" id=\"{id}\" aria-label=\"{title}\">{svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    )
}

fn date_label(day: NaiveDate, g: Granularity) -> String {
    match g {
        Granularity::Month => day.format("%Y-%m").to_string(),
        Granularity::Day | Granularity::Week => day.format("%m-%d").to_string(),
    }
}

/// Consecutive runs of points that have a value.
fn runs(values: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match finite(*v) {
            Some(v) => current.push((i as f64, v)),
            None => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn trend_chart(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    figure(
        "chart-trend",
        w.trend_title,
        w.trend_caption,
        (960, 380),
        |root| draw_trend(root, report, locale),
    )
}

fn draw_trend(root: &Area<'_>, report: &Report, locale: Locale) -> Drawn {
    let w = words(locale);
    root.fill(&WHITE)?;
    let trend = &report.trend;
    let n = trend.len();
    let series: [(&str, RGBColor, Vec<Option<f64>>); 3] = [
        ("CSAT %", BLUE_, trend.iter().map(|p| p.csat).collect()),
        ("NPS", ORANGE, trend.iter().map(|p| p.nps).collect()),
        (w.index, TEAL, trend.iter().map(|p| p.index).collect()),
    ];
    let lowest = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().filter_map(|v| finite(*v)))
        .fold(0.0_f64, f64::min);
    let y_min = if lowest < 0.0 {
        ((lowest / 20.0).floor() * 20.0).max(-100.0)
    } else {
        0.0
    };
    let dates: Vec<String> = trend
        .iter()
        .map(|p| date_label(p.from, report.granularity))
        .collect();
    let x_max = n.max(1) as f64 - 0.5;
    root.draw(&Text::new(
        w.trend_title,
        (24, 30),
        title_font().pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    trend_keys(
        root,
        &series
            .iter()
            .map(|(name, color, _)| (*name, *color))
            .collect::<Vec<_>>(),
    )?;
    let mut chart = ChartBuilder::on(root)
        .margin(18)
        .margin_top(64)
        .x_label_area_size(56)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5..x_max, y_min..100.0)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .x_labels(n.clamp(1, 8))
        .y_labels(6)
        .label_style(muted(15.0))
        .axis_desc_style(font(16.0))
        .x_desc(granularity_label(report.granularity, w))
        .y_desc(w.score)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                dates.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    if y_min < 0.0 {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 0.0), (x_max, 0.0)],
            AXIS.stroke_width(1),
        )))?;
    }
    if n == 0
        || series
            .iter()
            .all(|(_, _, v)| v.iter().all(|v| finite(*v).is_none()))
    {
        chart.draw_series(std::iter::once(Text::new(
            w.no_data,
            ((x_max - 0.5) / 2.0, (y_min + 100.0) / 2.0),
            muted(18.0).pos(Pos::new(HPos::Center, VPos::Center)),
        )))?;
        return Ok(());
    }
    for (_, color, values) in &series {
        for run in runs(values) {
            chart.draw_series(LineSeries::new(run.clone(), color.stroke_width(3)))?;
            chart.draw_series(run.into_iter().map(|p| Circle::new(p, 4, color.filled())))?;
        }
    }
    Ok(())
}

/// The series' keys in one row at the top right, clear of the lines: each key's text starts
/// right after its line, so a rough width estimate only changes the spacing.
fn trend_keys(root: &Area<'_>, names: &[(&str, RGBColor)]) -> Drawn {
    // The SVG backend writes a 17 px style as font-size 17 / 1.24: about 7.5 px a letter.
    let text_width = |name: &str| -> i32 {
        let w: f64 = name
            .chars()
            .map(|c| if c.is_ascii() { 7.5 } else { 14.0 })
            .sum();
        w.round() as i32
    };
    let slot = |name: &str| 24 + 8 + text_width(name) + 24;
    let (width, _) = root.dim_in_pixel();
    let total: i32 = names.iter().map(|(n, _)| slot(n)).sum();
    let mut x = width as i32 - total;
    for (name, color) in names {
        root.draw(&PathElement::new(
            vec![(x, 30), (x + 24, 30)],
            color.stroke_width(4),
        ))?;
        root.draw(&Text::new(
            name.to_string(),
            (x + 32, 30),
            font(17.0).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += slot(name);
    }
    Ok(())
}

fn dimension_chart(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    let k = report.dimensions.len().max(1) as u32;
    figure(
        "chart-dimensions",
        w.dimension_title,
        w.dimension_caption,
        (640, (150 + 90 * k).max(500)),
        |root| draw_dimensions(root, report, locale),
    )
}

fn draw_dimensions(root: &Area<'_>, report: &Report, locale: Locale) -> Drawn {
    let w = words(locale);
    root.fill(&WHITE)?;
    let dims = &report.dimensions;
    let k = dims.len().max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(w.dimension_title, title_font())
        .margin(18)
        .x_label_area_size(52)
        .y_label_area_size(36)
        .build_cartesian_2d(1.0..5.0, 0.0..k)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .x_labels(5)
        .label_style(muted(17.0))
        .axis_desc_style(font(18.0))
        .x_desc(w.mean_axis)
        .y_desc(w.dimension_axis)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    if dims.is_empty() {
        chart.draw_series(std::iter::once(Text::new(
            w.no_data,
            (3.0, k / 2.0),
            muted(18.0).pos(Pos::new(HPos::Center, VPos::Center)),
        )))?;
        return Ok(());
    }
    for (i, d) in dims.iter().enumerate() {
        let top = k - i as f64;
        let label = format!("{} · n = {}", short(d.label.get(locale), 28), d.n);
        chart.draw_series(std::iter::once(Text::new(
            label,
            (1.04, top - 0.12),
            font(19.0).pos(Pos::new(HPos::Left, VPos::Top)),
        )))?;
        let Some(mean) = d.mean.filter(|e| e.value.is_finite()) else {
            chart.draw_series(std::iter::once(Text::new(
                NONE,
                (1.04, top - 0.62),
                muted(16.0).pos(Pos::new(HPos::Left, VPos::Center)),
            )))?;
            continue;
        };
        let value = mean.value.clamp(1.0, 5.0);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(1.0, top - 0.48), (value, top - 0.8)],
            BLUE_.mix(0.85).filled(),
        )))?;
        let (low, high) = (mean.low.clamp(1.0, 5.0), mean.high.clamp(1.0, 5.0));
        if high > low {
            let y = top - 0.64;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(low, y), (high, y)],
                INK.stroke_width(2),
            )))?;
            for x in [low, high] {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, y - 0.1), (x, y + 0.1)],
                    INK.stroke_width(2),
                )))?;
            }
        }
        let text_x = (high.max(value) + 0.06).min(4.6);
        chart.draw_series(std::iter::once(Text::new(
            format!("{:.2}", mean.value),
            (text_x, top - 0.64),
            TextStyle::from((FAMILY, 19.0).into_font().style(FontStyle::Bold))
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        )))?;
    }
    Ok(())
}

fn quadrant_chart(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    figure(
        "chart-quadrant",
        w.quadrant_title,
        w.quadrant_caption,
        (640, 500),
        |root| draw_quadrant(root, report, locale),
    )
}

fn draw_quadrant(root: &Area<'_>, report: &Report, locale: Locale) -> Drawn {
    let w = words(locale);
    root.fill(&WHITE)?;
    let points: Vec<(String, f64, f64, Option<Quadrant>)> = report
        .dimensions
        .iter()
        .filter_map(|d| {
            let mean = d.mean?.value;
            let r = d.importance?.r;
            (mean.is_finite() && r.is_finite())
                .then(|| (short(d.label.get(locale), 18), mean, r, d.quadrant))
        })
        .collect();
    let thresholds = report
        .quadrant_thresholds
        .filter(|t| t.importance.is_finite() && t.satisfaction.is_finite());
    let xs = points
        .iter()
        .map(|p| p.1)
        .chain(thresholds.map(|t| t.satisfaction));
    let ys = points
        .iter()
        .map(|p| p.2)
        .chain(thresholds.map(|t| t.importance));
    let (x_lo, x_hi) = bounds(xs, (1.0, 5.0), 0.35);
    let (y_lo, y_hi) = bounds(ys, (-1.0, 1.0), 0.12);
    let (x_lo, x_hi) = if points.is_empty() {
        (1.0, 5.0)
    } else {
        (x_lo, x_hi)
    };
    let (y_lo, y_hi) = if points.is_empty() {
        (0.0, 1.0)
    } else {
        (y_lo, y_hi)
    };
    let mut chart = ChartBuilder::on(root)
        .caption(w.quadrant_title, title_font())
        .margin(18)
        .x_label_area_size(52)
        .y_label_area_size(64)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .x_labels(6)
        .y_labels(6)
        .label_style(muted(17.0))
        .axis_desc_style(font(18.0))
        .x_desc(w.satisfaction_axis)
        .y_desc(w.importance_axis)
        .x_label_formatter(&|x| format!("{x:.1}"))
        .y_label_formatter(&|y| format!("{y:.2}"))
        .draw()?;
    if let Some(t) = thresholds {
        // The quadrant that needs action first, tinted.
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x_lo, y_hi), (t.satisfaction, t.importance)],
            RED_.mix(0.06).filled(),
        )))?;
        let dashed = MUTED.stroke_width(2);
        chart.draw_series(DashedLineSeries::new(
            vec![(t.satisfaction, y_lo), (t.satisfaction, y_hi)],
            6,
            4,
            dashed,
        ))?;
        chart.draw_series(DashedLineSeries::new(
            vec![(x_lo, t.importance), (x_hi, t.importance)],
            6,
            4,
            dashed,
        ))?;
        let (dx, dy) = ((x_hi - x_lo) * 0.015, (y_hi - y_lo) * 0.02);
        let corners = [
            (
                Quadrant::FixNow,
                (x_lo + dx, y_hi - dy),
                HPos::Left,
                VPos::Top,
            ),
            (
                Quadrant::Keep,
                (x_hi - dx, y_hi - dy),
                HPos::Right,
                VPos::Top,
            ),
            (
                Quadrant::LowPriority,
                (x_lo + dx, y_lo + dy),
                HPos::Left,
                VPos::Bottom,
            ),
            (
                Quadrant::NiceToHave,
                (x_hi - dx, y_lo + dy),
                HPos::Right,
                VPos::Bottom,
            ),
        ];
        for (q, at, h, v) in corners {
            let color = if q == Quadrant::FixNow { RED_ } else { MUTED };
            chart.draw_series(std::iter::once(Text::new(
                quadrant_label(q, locale),
                at,
                TextStyle::from((FAMILY, 19.0).into_font().style(FontStyle::Bold))
                    .color(&color)
                    .pos(Pos::new(h, v)),
            )))?;
        }
    }
    if points.is_empty() {
        chart.draw_series(std::iter::once(Text::new(
            w.no_importance,
            ((x_lo + x_hi) / 2.0, (y_lo + y_hi) / 2.0),
            muted(17.0).pos(Pos::new(HPos::Center, VPos::Center)),
        )))?;
        return Ok(());
    }
    let mid = (x_lo + x_hi) / 2.0;
    for (label, x, y, q) in &points {
        let color = match q {
            Some(Quadrant::FixNow) => RED_,
            _ => BLUE_,
        };
        chart.draw_series(std::iter::once(Circle::new((*x, *y), 7, color.filled())))?;
        // Labels point inwards, so that they stay on the chart.
        let (h, offset) = if *x > mid {
            (HPos::Right, -(x_hi - x_lo) * 0.025)
        } else {
            (HPos::Left, (x_hi - x_lo) * 0.025)
        };
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (*x + offset, *y),
            font(17.0).pos(Pos::new(h, VPos::Center)),
        )))?;
    }
    Ok(())
}

/// A padded range around the values, within `limits`.
fn bounds(values: impl Iterator<Item = f64>, limits: (f64, f64), pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return limits;
    }
    let lo = (lo - pad).max(limits.0);
    let hi = (hi + pad).min(limits.1);
    if hi - lo < pad {
        (lo, (lo + pad).min(limits.1).max(lo + f64::EPSILON))
    } else {
        (lo, hi)
    }
}

// ---------------------------------------------------------------------------------------------
// Before and after
// ---------------------------------------------------------------------------------------------

/// The before/after comparison as a page.
pub fn comparison_html(c: &Comparison, locale: Locale) -> String {
    let w = words(locale);
    document(
        locale,
        &format!("{} · {}", w.comparison, c.survey_id),
        &comparison_body(c, locale),
        w.footer,
    )
}

fn comparison_body(c: &Comparison, locale: Locale) -> String {
    let w = words(locale);
    let mut body = String::new();
    let _ = write!(
        body,
        "<header class=\"top\"><p class=\"eyebrow\">{eyebrow}</p><h1>{title}</h1><dl class=\"meta\">\
<div><dt>{survey_l}</dt><dd><code>{survey}</code></dd></div>\
<div><dt>{before_l}</dt><dd>{before} · {resp_l} {rb}</dd></div>\
<div><dt>{after_l}</dt><dd>{after} · {resp_l} {ra}</dd></div></dl></header>",
        eyebrow = w.report,
        title = w.comparison,
        survey_l = w.survey,
        survey = escape(&c.survey_id),
        before_l = w.before,
        before = range_text(c.before.0, c.before.1),
        after_l = w.after,
        after = range_text(c.after.0, c.after.1),
        resp_l = w.responses,
        rb = c.responses.0,
        ra = c.responses.1,
    );
    if c.missed_changes > 0 {
        body.push_str(&warning_box(c.missed_changes, locale));
    }
    let mut rows = vec![
        difference_row(w.csat, c.csat.as_ref(), 1, true, locale),
        difference_row(w.nps, c.nps.as_ref(), 1, false, locale),
        difference_row(w.outcome_mean, c.outcome_mean.as_ref(), 2, false, locale),
    ];
    for d in &c.dimensions {
        rows.push(difference_row(
            &escape(d.label.get(locale)),
            d.difference.as_ref(),
            2,
            false,
            locale,
        ));
    }
    let _ = write!(
        body,
        "<section class=\"block\">{}<p class=\"legend\">{}</p></section>",
        table(
            "comparison",
            &[
                (w.measure, false),
                (w.before, true),
                (w.after, true),
                (w.difference, true),
                (w.test, false),
                (w.p_value, true),
                (w.significant, false),
            ],
            &rows
        ),
        w.comparison_legend
    );
    body
}

fn difference_row(
    label: &str,
    d: Option<&Difference>,
    digits: usize,
    is_percent: bool,
    locale: Locale,
) -> String {
    let w = words(locale);
    let Some(d) = d else {
        return format!(
            "<tr><th scope=\"row\">{label}</th><td colspan=\"6\" class=\"muted\">{}</td></tr>",
            w.not_enough
        );
    };
    let level = |v: f64| {
        if is_percent {
            percent(Some(v))
        } else {
            fixed(Some(v), digits)
        }
    };
    let unit = if is_percent {
        format!(" {}", w.points)
    } else {
        String::new()
    };
    let diff = if d.diff.is_finite() {
        format!(
            "<strong>{}</strong>{unit} <span class=\"muted\">({}, {})</span>",
            signed(d.diff, digits),
            signed(d.low, digits),
            signed(d.high, digits)
        )
    } else {
        NONE.to_string()
    };
    let significant = if d.significant {
        format!("<span class=\"status met\">{}</span>", w.yes)
    } else {
        format!("<span class=\"muted\">{}</span>", w.no)
    };
    format!(
        "<tr><th scope=\"row\">{label}</th>{}{}{}<td>{}</td>{}<td>{significant}</td></tr>",
        num_cell(&level(d.before)),
        num_cell(&level(d.after)),
        num_cell(&diff),
        escape(&test_label(d.test, locale)),
        num_cell(&p_value(d.p)),
    )
}

// ---------------------------------------------------------------------------------------------
// Text and CSV
// ---------------------------------------------------------------------------------------------

/// A few plain lines for an alert or an email.
pub fn summary_text(report: &Report, locale: Locale) -> String {
    let w = words(locale);
    let h = &report.headline;
    let mut lines = Vec::new();
    lines.push(match locale {
        Locale::ZhCn => format!(
            "{}（{} 至 {}，{}）：{} 份回复，其中 {} 份完整",
            report.title.zh_cn,
            report.first_day,
            report.last_day,
            report.time_zone,
            report.responses,
            report.complete_responses
        ),
        Locale::En => format!(
            "{} ({} to {}, {}): {} responses, {} complete",
            report.title.en,
            report.first_day,
            report.last_day,
            report.time_zone,
            report.responses,
            report.complete_responses
        ),
    });
    let csat = match &h.csat {
        Some(e) => format!("CSAT {:.1}% ± {:.1} (n = {})", e.value, half_width(e), e.n),
        None => format!("CSAT {NONE}"),
    };
    let nps = match &h.nps {
        Some(f) => format!(
            "NPS {:.1} ± {:.1} (n = {})",
            f.score.value,
            half_width(&f.score),
            f.score.n
        ),
        None => format!("NPS {NONE}"),
    };
    lines.push(format!("{csat} · {nps}"));
    lines.push(format!(
        "{} {} · {} {}",
        w.index,
        fixed(h.index, 1),
        w.outcome_mean,
        fixed(h.outcome_mean.map(|e| e.value), 2)
    ));
    let kpi = |label: &str, k: &Kpi| {
        let status = match k.met {
            Some(true) => w.met,
            Some(false) => w.missed,
            None => NONE,
        };
        match locale {
            Locale::ZhCn => format!(
                "{label} {}（目标 ≥ {:.1}%，{status}）",
                percent(k.value),
                k.target
            ),
            Locale::En => format!(
                "{label} {} (target ≥ {:.1}%, {})",
                percent(k.value),
                k.target,
                status.to_lowercase()
            ),
        }
    };
    lines.push(format!(
        "{} · {}",
        kpi(w.collection_rate, &report.kpis.collection_rate),
        kpi(w.fix_rate, &report.kpis.fix_rate)
    ));
    if report.missed_changes > 0 {
        lines.push(match locale {
            Locale::ZhCn => format!(
                "数据不完整：{} 个变更未计入，请重建该时间范围",
                report.missed_changes
            ),
            Locale::En => format!(
                "Incomplete: {} missed {}, rebuild the range before relying on these figures",
                report.missed_changes,
                changes(report.missed_changes)
            ),
        });
    }
    lines.join("\n")
}

/// A text field that a spreadsheet would take for a formula starts with an apostrophe.
fn cell_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn num(v: Option<f64>) -> String {
    finite(v).map(|v| v.to_string()).unwrap_or_default()
}

fn int(v: i64) -> String {
    v.to_string()
}

fn flag(v: Option<bool>) -> String {
    v.map(|b| b.to_string()).unwrap_or_default()
}

/// A CSV section: its name, its header and its rows.
type Section = (String, Vec<&'static str>, Vec<Vec<String>>);

/// Every table of the report as CSV sections: `section,<name>`, a header row, then the rows.
/// UTF-8 with a byte-order mark, so that spreadsheets read the Chinese right; numbers at full
/// precision, empty where there is none.
pub fn csv(report: &Report) -> String {
    let mut sections: Vec<Section> = Vec::new();

    sections.push((
        "report".into(),
        vec!["field", "value"],
        vec![
            vec!["survey_id".into(), cell_text(&report.survey_id)],
            vec!["title_zh_cn".into(), cell_text(&report.title.zh_cn)],
            vec!["title_en".into(), cell_text(&report.title.en)],
            vec!["first_day".into(), report.first_day.to_string()],
            vec!["last_day".into(), report.last_day.to_string()],
            vec!["time_zone".into(), cell_text(&report.time_zone)],
            vec!["generated_at".into(), report.generated_at.to_rfc3339()],
            vec![
                "granularity".into(),
                format!("{:?}", report.granularity).to_lowercase(),
            ],
            vec!["missed_changes".into(), int(report.missed_changes)],
        ],
    ));

    let h = &report.headline;
    let estimate = |name: &str, e: Option<&Estimate>| -> Vec<String> {
        vec![
            name.into(),
            num(e.map(|e| e.value)),
            num(e.map(|e| e.low)),
            num(e.map(|e| e.high)),
            e.map(|e| int(e.n)).unwrap_or_default(),
        ]
    };
    let count = |name: &str, v: i64| {
        vec![
            name.into(),
            int(v),
            String::new(),
            String::new(),
            String::new(),
        ]
    };
    let nps = h.nps.as_ref();
    sections.push((
        "headline".into(),
        vec!["metric", "value", "low", "high", "n"],
        vec![
            count("responses", report.responses),
            count("complete_responses", report.complete_responses),
            estimate("csat", h.csat.as_ref()),
            estimate("nps", nps.map(|f| &f.score)),
            vec![
                "nps_promoters".into(),
                nps.map(|f| int(f.promoters)).unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
            ],
            vec![
                "nps_passives".into(),
                nps.map(|f| int(f.passives)).unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
            ],
            vec![
                "nps_detractors".into(),
                nps.map(|f| int(f.detractors)).unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
            ],
            vec![
                "index".into(),
                num(h.index),
                String::new(),
                String::new(),
                String::new(),
            ],
            estimate("outcome_mean", h.outcome_mean.as_ref()),
        ],
    ));

    let corr = |c: Option<&Correlation>| -> Vec<String> {
        vec![
            num(c.map(|c| c.r)),
            c.map(|c| int(c.n)).unwrap_or_default(),
            num(c.map(|c| c.p)),
            flag(c.map(|c| c.significant)),
        ]
    };
    sections.push((
        "dimensions".into(),
        vec![
            "id",
            "label_zh_cn",
            "label_en",
            "weight",
            "n",
            "mean",
            "mean_low",
            "mean_high",
            "importance_r",
            "importance_n",
            "importance_p",
            "importance_significant",
            "quadrant",
        ],
        report
            .dimensions
            .iter()
            .map(|d| {
                let mut row = vec![
                    cell_text(&d.id),
                    cell_text(&d.label.zh_cn),
                    cell_text(&d.label.en),
                    num(Some(d.weight)),
                    int(d.n),
                    num(d.mean.map(|e| e.value)),
                    num(d.mean.map(|e| e.low)),
                    num(d.mean.map(|e| e.high)),
                ];
                row.extend(corr(d.importance.as_ref()));
                row.push(d.quadrant.map(quadrant_key).unwrap_or_default().to_string());
                row
            })
            .collect(),
    ));

    sections.push((
        "questions".into(),
        vec![
            "id",
            "label_zh_cn",
            "label_en",
            "n",
            "missing",
            "mean",
            "mean_low",
            "mean_high",
            "r",
            "r_n",
            "r_p",
            "r_significant",
        ],
        report
            .questions
            .iter()
            .map(|q| {
                let mut row = vec![
                    cell_text(&q.id),
                    cell_text(&q.label.zh_cn),
                    cell_text(&q.label.en),
                    int(q.n),
                    int(q.missing),
                    num(q.mean.map(|e| e.value)),
                    num(q.mean.map(|e| e.low)),
                    num(q.mean.map(|e| e.high)),
                ];
                row.extend(corr(q.correlation.as_ref()));
                row
            })
            .collect(),
    ));

    sections.push((
        "trend".into(),
        vec!["from", "responses", "csat", "nps", "index"],
        report
            .trend
            .iter()
            .map(|p| {
                vec![
                    p.from.to_string(),
                    int(p.responses),
                    num(p.csat),
                    num(p.nps),
                    num(p.index),
                ]
            })
            .collect(),
    ));

    let dim_ids: Vec<String> = report.dimensions.iter().map(|d| d.id.clone()).collect();
    let dim_heads: Vec<String> = dim_ids.iter().map(|id| cell_text(id)).collect();
    let mut cross_sections = Vec::new();
    for t in &report.cross {
        let rows = t
            .rows
            .iter()
            .map(|r| {
                let shown = r.cell != Cell::Hidden;
                let fig = |v: Option<f64>| if shown { num(v) } else { String::new() };
                let mut row = vec![
                    cell_text(&r.value),
                    int(r.n),
                    match r.cell {
                        Cell::Hidden => "hidden",
                        Cell::Warn => "warn",
                        Cell::Shown => "shown",
                    }
                    .to_string(),
                    fig(r.csat),
                    fig(r.nps),
                    fig(r.index),
                ];
                for id in &dim_ids {
                    row.push(fig(r.dimensions.get(id).copied().flatten()));
                }
                row
            })
            .collect::<Vec<_>>();
        cross_sections.push((format!("cross:{}", t.breakdown.as_str()), rows));
    }

    let keyword_rows = |k: &[KeywordCount]| -> Vec<Vec<String>> {
        k.iter()
            .map(|k| vec![cell_text(&k.word), int(k.count)])
            .collect()
    };
    let kpi = |name: &str, k: &Kpi| -> Vec<String> {
        vec![
            name.into(),
            num(k.value),
            int(k.numerator),
            int(k.denominator),
            num(Some(k.target)),
            flag(k.met),
        ]
    };
    let k = &report.kpis;
    let mut tail: Vec<Section> = vec![
        (
            "keywords".into(),
            vec!["word", "count"],
            keyword_rows(&report.keywords),
        ),
        (
            "low_keywords".into(),
            vec!["word", "count"],
            keyword_rows(&report.low_keywords),
        ),
        (
            "kpis".into(),
            vec!["kpi", "value", "numerator", "denominator", "target", "met"],
            vec![
                kpi("collection_rate", &k.collection_rate),
                kpi("level_1_responded_in_time", &k.level_1_responded_in_time),
                vec![
                    "level_1_respond_hours".into(),
                    num(Some(k.level_1_respond_hours)),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
                kpi("responded_in_time", &k.responded_in_time),
                kpi("fix_rate", &k.fix_rate),
            ],
        ),
    ];
    let counts = |name: String, c: &crate::domain::report::sums::TicketCounts| {
        vec![
            name,
            int(c.created),
            int(c.responded),
            int(c.responded_in_time),
            int(c.resolved),
            int(c.resolved_in_time),
            int(c.breached),
            int(c.reopened),
        ]
    };
    let mut level_rows: Vec<Vec<String>> = report
        .tickets
        .by_level
        .iter()
        .map(|(l, c)| counts(cell_text(l), c))
        .collect();
    level_rows.push(counts("total".into(), &report.tickets.total));
    tail.push((
        "tickets_by_level".into(),
        vec![
            "level",
            "created",
            "responded",
            "responded_in_time",
            "resolved",
            "resolved_in_time",
            "breached",
            "reopened",
        ],
        level_rows,
    ));
    tail.push((
        "tickets_by_category".into(),
        vec!["category", "created"],
        report
            .tickets
            .by_category
            .iter()
            .map(|(c, n)| vec![cell_text(c), int(*n)])
            .collect(),
    ));

    let mut writer = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut put = |name: &str, head: &[&str], rows: &[Vec<String>]| {
        let _ = writer.write_record(["section", name]);
        let _ = writer.write_record(head);
        for row in rows {
            let _ = writer.write_record(row);
        }
    };
    for (name, head, rows) in &sections {
        put(name, head, rows);
    }
    for (name, rows) in &cross_sections {
        let mut head: Vec<&str> = vec!["value", "n", "cell", "csat", "nps", "index"];
        head.extend(dim_heads.iter().map(String::as_str));
        put(name, &head, rows);
    }
    for (name, head, rows) in &tail {
        put(name, head, rows);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    let mut out = String::from('\u{feff}');
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}

// ---------------------------------------------------------------------------------------------
// Style
// ---------------------------------------------------------------------------------------------

/// One restrained look, readable from a 390 px phone to a 1440 px screen and on A4 paper. No web
/// fonts: the system's own, with the usual Chinese faces named.
const STYLE: &str = ":root{--ink:#1d2733;--muted:#5b6675;--line:#e3e7ec;--bg:#f4f5f7;--card:#fff;--accent:#2457c5;--good:#0f7b4f;--bad:#b3261e;--warn:#8a5300}\
*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}\
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,'Segoe UI','PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',sans-serif;font-variant-numeric:tabular-nums}\
main{max-width:74rem;margin:0 auto;padding:2rem 1.5rem 3rem}\
header.top{margin:0 0 1.5rem;padding:0 0 1.1rem;border-bottom:1px solid var(--line)}\
.eyebrow{margin:0 0 .3rem;color:var(--accent);font-size:.75rem;font-weight:650;letter-spacing:.08em;text-transform:uppercase}\
h1{margin:0 0 .8rem;font-size:1.8rem;line-height:1.25;font-weight:680;overflow-wrap:anywhere}\
h2{margin:0 0 .8rem;font-size:1.15rem;font-weight:650}h3{margin:0 0 .6rem;font-size:.95rem;font-weight:650}\
.meta{display:flex;flex-wrap:wrap;gap:.35rem 1.6rem;margin:0;font-size:.875rem}.meta div{display:flex;gap:.45rem}.meta dt{color:var(--muted)}.meta dd{margin:0;font-weight:560}\
code{font:inherit;font-size:.85em;background:#eceef2;border-radius:4px;padding:0 .3rem}.muted{color:var(--muted)}\
.alert{margin:0 0 1.5rem;padding:.8rem 1rem;border:1px solid #efc4c0;border-left:4px solid var(--bad);border-radius:10px;background:#fdf1f0;color:#6d1a14}.alert p{margin:.2rem 0 0}\
.block{margin:0 0 2.2rem}\
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:1rem;margin:0 0 2.2rem}\
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1rem 1.15rem;border-top:3px solid var(--accent)}\
.card.nps{border-top-color:#c2571a}.card.index{border-top-color:#0f8a7e}.card.outcome{border-top-color:#6b5bd2}\
.card h3{margin:0;color:var(--muted);font-size:.82rem;font-weight:600}\
.card .value{margin:.3rem 0 .35rem;font-size:2.1rem;font-weight:700;line-height:1.15;letter-spacing:-.01em}\
.card .sub{margin:0;color:var(--muted);font-size:.83rem}\
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr));gap:1rem;align-items:start}\
figure.chart{margin:0;padding:.75rem;background:#fff;border:1px solid var(--line);border-radius:12px}\
figure.chart svg{display:block;width:100%;height:auto}figure.chart svg text{font-family:system-ui,-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif}\
figcaption{margin:.4rem .25rem 0;color:var(--muted);font-size:.82rem}\
.quadrant-legend{display:flex;flex-wrap:wrap;gap:.4rem 1.4rem;margin:.9rem 0 0;padding:0;list-style:none;font-size:.85rem;color:var(--muted)}\
.table-wrap{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:12px}\
table{width:100%;border-collapse:collapse;font-size:.9rem}\
th,td{padding:.55rem .8rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}\
thead th{background:#f8f9fb;color:var(--muted);font-size:.78rem;font-weight:600;white-space:nowrap}\
tbody th{font-weight:520;min-width:9rem}tbody tr:last-child>*{border-bottom:0}\
.num{text-align:right;white-space:nowrap}\
.pill{display:inline-block;padding:.05rem .55rem;border-radius:999px;font-size:.78rem;font-weight:600;white-space:nowrap}\
.q-fix-now{background:#fdecea;color:#8c1d18}.q-keep{background:#e5f4ea;color:#0d5c36}.q-low-priority{background:#eef0f3;color:#46505c}.q-nice-to-have{background:#e8eefc;color:#1d4aa8}\
.tag{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.75rem;font-weight:600;white-space:nowrap}\
.tag.warn{background:#fff4de;color:var(--warn)}.tag.hidden{background:#eef0f3;color:var(--muted)}\
.hidden-note{color:var(--muted)}\
.legend{margin:.55rem .2rem 0;color:var(--muted);font-size:.82rem}.legend .tag{margin-right:.3rem}\
.cross{margin:0 0 1.2rem}.cross h3{margin-bottom:.45rem}\
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr));gap:1rem;margin-top:1rem}.block>.two:first-of-type{margin-top:0}\
.panel{background:#fff;border:1px solid var(--line);border-radius:12px;padding:1rem 1.15rem}\
ol.words{margin:0;padding:0;list-style:none}\
ol.words li{display:grid;grid-template-columns:1fr auto;column-gap:.8rem;padding:.3rem 0;border-bottom:1px solid var(--line)}ol.words li:last-child{border-bottom:0}\
.word{overflow-wrap:anywhere}.count{color:var(--muted);font-weight:600}\
.bar{grid-column:1/-1;height:4px;margin-top:.25rem;border-radius:2px;background:var(--accent);opacity:.55}\
.status{font-weight:650;white-space:nowrap}.status.met{color:var(--good)}.status.missed{color:var(--bad)}\
.tickets{margin-top:1.2rem}.tickets.narrow{max-width:32rem}\
footer{margin-top:2.5rem;padding-top:1rem;border-top:1px solid var(--line);color:var(--muted);font-size:.8rem}\
@media (max-width:40rem){main{padding:1.2rem .9rem 2rem}h1{font-size:1.45rem}.cards{grid-template-columns:1fr 1fr;gap:.6rem}.card{padding:.8rem}.card .value{font-size:1.6rem}\
th,td{padding:.45rem .55rem}tbody th{min-width:7rem}figure.chart{padding:.4rem}#chart-trend{overflow-x:auto}#chart-trend svg{min-width:600px}}\
@media (max-width:24rem){.cards{grid-template-columns:1fr}}\
@media print{@page{size:A4;margin:14mm 12mm}body{background:#fff;font-size:10pt}main{max-width:none;padding:0}\
.card,.panel,figure.chart,.table-wrap,table,tr,.alert,.cross{break-inside:avoid;page-break-inside:avoid}h2,h3{break-after:avoid;page-break-after:avoid}\
.table-wrap{overflow:visible}.card,.panel,figure.chart,.table-wrap{border-color:#bbb}thead th{background:none}.alert{background:none}\
.cards{grid-template-columns:repeat(4,1fr)}.charts{grid-template-columns:1fr 1fr}#chart-trend{max-width:100%}}";

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::TimeZone;

    use super::*;
    use crate::domain::report::figures::{self, DimensionDifference, ReportRequest, SlotTotals};
    use crate::domain::report::settings::Targets;
    use crate::domain::report::slots::Slot;
    use crate::domain::report::stats::Thresholds;
    use crate::domain::report::sums::{
        Moments, NpsCounts, Paired, ScoreSums, TicketCounts, Totals, SCALE,
    };
    use crate::domain::survey::{NewSurvey, SurveyDefinition};

    const DEFAULT_JSON: &str = include_str!("../../../surveys/default.json");
    const EVIL: &str = "<script>alert(1)</script>";

    fn definition() -> SurveyDefinition {
        let mut definition = serde_json::from_str::<NewSurvey>(DEFAULT_JSON)
            .unwrap()
            .definition
            .validate()
            .unwrap()
            .definition()
            .clone();
        definition.title.en = format!("Service survey {EVIL} & more");
        definition.title.zh_cn = format!("服务调查 {EVIL}");
        definition.dimensions[2].label.en = format!("Value {EVIL}");
        definition.dimensions[2].label.zh_cn = format!("性价比 {EVIL}");
        definition
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    /// The sums of scores (in points) paired with outcomes.
    fn sums(scores: &[(u8, u8)]) -> ScoreSums {
        let mut s = ScoreSums::default();
        for &(x, y) in scores {
            let (x, y) = (i64::from(x) * SCALE, i64::from(y) * SCALE);
            s.all.merge(&Moments::of(x), 1);
            s.with_outcome.merge(&Paired::of(x, y), 1);
        }
        s
    }

    /// `n` responses of a day: outcomes and dimension scores that vary with the day.
    fn day_totals(d: u32, n: i64) -> Totals {
        let mut t = Totals {
            responses: n,
            complete: n - 1,
            invitations_sent: n + 3,
            invitations_answered: n,
            ..Totals::default()
        };
        let answers: Vec<(u8, u8, u8, u8)> = (0..n)
            .map(|i| {
                let o = (((i + i64::from(d)) % 5) + 1) as u8;
                let o = o.max(2);
                (o, o.min(4), (o % 5) + 1, 3)
            })
            .collect();
        let paired = |pick: fn(&(u8, u8, u8, u8)) -> u8| {
            sums(&answers.iter().map(|a| (pick(a), a.0)).collect::<Vec<_>>())
        };
        t.questions
            .insert("overall_satisfaction".into(), paired(|a| a.0));
        t.questions.insert("pq_fit".into(), paired(|a| a.1));
        t.questions.insert("sr_resolution".into(), paired(|a| a.2));
        let mut va = paired(|a| a.3);
        va.missing = 2;
        t.questions.insert("va_worth".into(), va);
        t.dimensions
            .insert("product_quality".into(), paired(|a| a.1));
        t.dimensions
            .insert("service_response".into(), paired(|a| a.2));
        t.dimensions.insert("value".into(), paired(|a| a.3));
        t.csat_answered = n;
        t.csat_satisfied = answers.iter().filter(|a| a.0 >= 4).count() as i64;
        t.nps = NpsCounts {
            promoters: n / 2,
            passives: n / 4,
            detractors: n - n / 2 - n / 4,
        };
        t.keywords.insert("物流".into(), 3 + i64::from(d % 4));
        t.keywords.insert("客服".into(), 2);
        t.keywords.insert(EVIL.into(), 1);
        t.low_keywords.insert("等待".into(), 2);
        t.low_keywords.insert(EVIL.into(), 1);
        t
    }

    fn slot(d: u32, group: Option<(Breakdown, &str)>, totals: Totals) -> SlotTotals {
        SlotTotals {
            slot: Slot {
                day: day(d),
                group: group.map(|(b, v)| (b, v.to_string())),
            },
            totals,
        }
    }

    /// The values the formulas give (filled in where the stand-ins give none yet), so every
    /// part of the page has something to show.
    fn complete_figures(report: &mut Report) {
        let rs = [0.62, 0.48, 0.21];
        for (d, r) in report.dimensions.iter_mut().zip(rs) {
            if d.importance.is_none() {
                d.importance = Some(Correlation {
                    r,
                    n: d.n,
                    t: 4.2,
                    p: 0.001,
                    significant: r > 0.3,
                });
            }
            if let Some(mean) = d.mean.as_mut() {
                if mean.low == mean.high {
                    mean.low -= 0.11;
                    mean.high += 0.11;
                }
            }
        }
        let points: Vec<(f64, f64)> = report
            .dimensions
            .iter()
            .filter_map(|d| Some((d.importance?.r, d.mean?.value)))
            .collect();
        let t = report.quadrant_thresholds.unwrap_or(Thresholds {
            importance: points.iter().map(|p| p.0).sum::<f64>() / points.len() as f64,
            satisfaction: points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64,
        });
        report.quadrant_thresholds = Some(t);
        for d in &mut report.dimensions {
            let (Some(c), Some(m)) = (d.importance, d.mean) else {
                continue;
            };
            let q = match (c.r >= t.importance, m.value >= t.satisfaction) {
                (true, false) => Quadrant::FixNow,
                (true, true) => Quadrant::Keep,
                (false, false) => Quadrant::LowPriority,
                (false, true) => Quadrant::NiceToHave,
            };
            d.quadrant = Some(q);
        }
        for q in &mut report.questions {
            q.correlation.get_or_insert(Correlation {
                r: 0.41,
                n: q.n,
                t: 3.0,
                p: 0.02,
                significant: true,
            });
        }
        report.headline.index.get_or_insert(74.25);
        for (i, p) in report.trend.iter_mut().enumerate() {
            p.index.get_or_insert(70.0 + (i % 7) as f64);
        }
        for table in &mut report.cross {
            for row in &mut table.rows {
                row.cell = if row.n < MIN_SHOWN {
                    Cell::Hidden
                } else if row.n < MIN_RELIABLE {
                    Cell::Warn
                } else {
                    Cell::Shown
                };
            }
        }
        if let Some(nps) = report.headline.nps.as_mut() {
            nps.score.low = nps.score.value - 6.4;
            nps.score.high = nps.score.value + 6.1;
        }
        if let Some(csat) = report.headline.csat.as_mut() {
            csat.low = csat.value - 3.2;
            csat.high = csat.value + 2.9;
        }
    }

    fn sample(missed_changes: i64) -> Report {
        let definition = definition();
        let mut slots = Vec::new();
        for d in 1..=30 {
            let mut totals = day_totals(d, 8 + i64::from(d % 5));
            if d == 12 {
                totals.missed_changes = missed_changes;
            }
            slots.push(slot(d, None, totals));
            slots.push(slot(
                d,
                Some((Breakdown::Channel, "sms")),
                day_totals(d, 5).for_group(),
            ));
            if d % 3 == 0 {
                slots.push(slot(
                    d,
                    Some((Breakdown::Channel, "email")),
                    day_totals(d, 2).for_group(),
                ));
            }
            if d <= 3 {
                slots.push(slot(
                    d,
                    Some((Breakdown::Store, EVIL)),
                    day_totals(d, 1).for_group(),
                ));
            }
            slots.push(slot(
                d,
                Some((Breakdown::Region, "华东")),
                day_totals(d, 3).for_group(),
            ));
        }
        let mut tickets = Totals::default();
        tickets.tickets.by_level.insert(
            "1".into(),
            TicketCounts {
                created: 12,
                responded: 12,
                responded_in_time: 10,
                resolved: 11,
                resolved_in_time: 9,
                breached: 2,
                reopened: 1,
            },
        );
        tickets.tickets.by_level.insert(
            "2".into(),
            TicketCounts {
                created: 40,
                responded: 38,
                responded_in_time: 37,
                resolved: 36,
                resolved_in_time: 33,
                breached: 3,
                reopened: 2,
            },
        );
        tickets.tickets.by_category = BTreeMap::from([
            ("product".to_string(), 20),
            ("service".to_string(), 25),
            ("uncategorised".to_string(), 7),
        ]);
        let request = ReportRequest {
            survey_id: "csat-default".into(),
            first_day: day(1),
            last_day: day(30),
            group_by: None,
            granularity: figures::Granularity::Day,
            time_zone: "Asia/Shanghai".into(),
            generated_at: Utc.with_ymd_and_hms(2026, 12, 1, 1, 30, 0).unwrap(),
        };
        let mut report = figures::build(
            &request,
            &definition,
            &slots,
            &[slot(5, None, tickets)],
            &Targets::default(),
        );
        complete_figures(&mut report);
        report
    }

    /// The HTML of the element with this id, up to its closing tag.
    fn element<'a>(html: &'a str, id: &str, close: &str) -> &'a str {
        let start = html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no #{id}"));
        let rest = &html[start..];
        &rest[..rest.find(close).expect("closed")]
    }

    #[test]
    fn the_page_has_its_three_charts() {
        let report = sample(0);
        for locale in Locale::ALL {
            let page = html(&report, locale);
            assert!(page.starts_with("<!doctype html>"));
            assert!(page.contains(&format!("<html lang=\"{}\">", locale.as_str())));
            for id in ["chart-trend", "chart-dimensions", "chart-quadrant"] {
                let figure = element(&page, id, "</figure>");
                assert!(figure.contains("<svg"), "{id} has an SVG");
                assert!(figure.contains("role=\"img\""), "{id}");
                assert!(
                    figure.contains(&format!("<title id=\"{id}-title\">")),
                    "{id}"
                );
                assert!(figure.contains("<figcaption>"), "{id}");
                assert!(figure.contains("<text"), "{id} has text");
                let open = &figure[figure.find("<svg").unwrap()..];
                let open = &open[..open.find('>').unwrap()];
                assert!(!open.contains("width="), "{id} scales: {open}");
                assert!(open.contains("viewBox="), "{id} scales: {open}");
            }
            let w = words(locale);
            let trend = element(&page, "chart-trend", "</figure>");
            assert!(trend.contains(w.score) && trend.contains(w.day));
            assert!(trend.contains("11-01") && trend.contains("<polyline"));
            let bars = element(&page, "chart-dimensions", "</figure>");
            assert!(bars.contains(w.mean_axis) && bars.contains("n = "));
            let quadrant = element(&page, "chart-quadrant", "</figure>");
            assert!(quadrant.contains(w.satisfaction_axis));
            assert!(quadrant.contains(w.importance_axis));
            assert!(!page.contains("<script"), "no script at all");
            assert!(!page.contains("http://") || page.matches("http://").count() == 3);
            assert!(!page.contains("https://"), "nothing from elsewhere");
        }
    }

    #[test]
    fn the_quadrants_are_labelled_in_each_locale() {
        let report = sample(0);
        let zh = html(&report, Locale::ZhCn);
        let en = html(&report, Locale::En);
        let zh_chart = element(&zh, "chart-quadrant", "</figure>");
        let en_chart = element(&en, "chart-quadrant", "</figure>");
        for label in ["急需改进", "继续保持", "不占优先", "锦上添花"] {
            assert!(zh_chart.contains(label), "{label} on the chart");
            assert!(!en.contains(label), "{label} only in Chinese");
        }
        for label in ["Fix now", "Keep", "Low priority", "Nice to have"] {
            assert!(en_chart.contains(label), "{label} on the chart");
        }
        // And in the dimension table, each dimension with its quadrant.
        let table = element(&en, "dimensions", "</table>");
        for d in &report.dimensions {
            let q = d.quadrant.expect("a quadrant");
            assert!(table.contains(quadrant_label(q, Locale::En)));
        }
    }

    #[test]
    fn hidden_cells_show_no_figures() {
        let report = sample(0);
        let store = report
            .cross
            .iter()
            .find(|t| t.breakdown == Breakdown::Store)
            .unwrap();
        assert_eq!(store.rows[0].cell, Cell::Hidden);
        for locale in Locale::ALL {
            let page = html(&report, locale);
            let table = element(&page, "cross-store", "</table>");
            // The row of the store with 3 responses, found by its name.
            let name = format!("<th scope=\"row\">{}</th>", escape(EVIL));
            let row = &table[table.find(&name).expect("the store's row")..];
            let row = &row[..row.find("</tr>").unwrap()];
            assert!(!row.contains("class=\"num\""), "no figures: {row}");
            assert!(!row.contains('%'), "no CSAT: {row}");
            assert!(row.contains(&hidden_text(locale)), "{row}");
            assert!(table.contains("data-cell=\"hidden\""));
            let warned = element(&page, "cross-channel", "</table>");
            assert!(warned.contains("data-cell=\"warn\""));
            assert!(warned.contains("<span class=\"tag warn\">n &lt; 30</span>"));
            assert!(page.contains(&cross_legend(locale)));
        }
    }

    #[test]
    fn user_text_is_escaped_everywhere() {
        let report = sample(0);
        for locale in Locale::ALL {
            let page = html(&report, locale);
            assert!(!page.to_lowercase().contains("<script"), "raw script tag");
            let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
            // Title, dimension labels (table and charts), keywords, breakdown values.
            assert!(page.contains(&format!("<h1>{}", escape(report.title.get(locale)))));
            assert!(element(&page, "dimensions", "</table>").contains(escaped));
            // Charts shorten long labels; the SVG backend escapes what they keep.
            for chart in ["chart-dimensions", "chart-quadrant"] {
                let svg = element(&page, chart, "</figure>");
                assert!(svg.contains("&lt;script&gt;"), "{chart}");
            }
            assert!(element(&page, "cross-store", "</table>").contains(escaped));
            assert!(
                element(&page, "keywords", "</section>")
                    .matches(escaped)
                    .count()
                    >= 2
            );
            assert!(!page.contains("&amp;lt;"), "escaped once, not twice");
        }
        let mut c = comparison();
        c.survey_id = EVIL.into();
        assert!(!comparison_html(&c, Locale::En).contains("<script"));
    }

    #[test]
    fn the_csv_has_a_bom_and_parses_back() {
        let report = sample(0);
        let text = csv(&report);
        assert!(text.starts_with('\u{feff}'));
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        let sections: Vec<&str> = rows
            .iter()
            .filter(|r| r[0] == "section")
            .map(|r| r[1].as_str())
            .collect();
        assert_eq!(
            sections,
            [
                "report",
                "headline",
                "dimensions",
                "questions",
                "trend",
                "cross:channel",
                "cross:store",
                "cross:region",
                "keywords",
                "low_keywords",
                "kpis",
                "tickets_by_level",
                "tickets_by_category"
            ]
        );
        let section = |name: &str| -> &[Vec<String>] {
            let at = rows
                .iter()
                .position(|r| r[0] == "section" && r[1] == name)
                .unwrap();
            let end = rows[at + 1..]
                .iter()
                .position(|r| r[0] == "section")
                .map_or(rows.len(), |e| at + 1 + e);
            &rows[at + 1..end]
        };
        // Full precision, and the user's text back as it was.
        let trend = section("trend");
        assert_eq!(trend[0], ["from", "responses", "csat", "nps", "index"]);
        let csat: f64 = trend[1][2].parse().unwrap();
        assert_eq!(Some(csat), report.trend[0].csat);
        let title = section("report");
        assert!(title.iter().any(|r| r[1] == report.title.en));
        // Hidden cells are empty; others have figures.
        let store = section("cross:store");
        assert_eq!(store[1][0], EVIL);
        assert_eq!(store[1][2], "hidden");
        assert!(store[1][3..].iter().all(String::is_empty), "{:?}", store[1]);
        let channel = section("cross:channel");
        assert!(channel[1..].iter().all(|r| !r[3].is_empty()));
        assert_eq!(channel[0].len(), 6 + report.dimensions.len());
        let kpis = section("kpis");
        assert!(kpis.iter().any(|r| r[0] == "fix_rate" && r[4] == "90"));
        // A spreadsheet takes no formula from user text.
        let mut formula = report.clone();
        formula.keywords[0].word = "=HYPERLINK(\"x\")".into();
        assert!(csv(&formula).contains("'=HYPERLINK"));
    }

    #[test]
    fn the_summary_says_when_changes_were_missed() {
        let complete = sample(0);
        let incomplete = sample(3);
        assert_eq!(incomplete.missed_changes, 3);
        for locale in Locale::ALL {
            let text = summary_text(&complete, locale);
            let lines = text.lines().count();
            assert!((3..=6).contains(&lines), "{text}");
            assert!(text.contains("CSAT") && text.contains("NPS") && text.contains('±'));
            assert!(text.contains(words(locale).collection_rate));
            assert!(text.contains(words(locale).fix_rate));
            assert!(!text.contains("missed changes") && !text.contains("不完整"));
        }
        let en = summary_text(&incomplete, Locale::En);
        assert!(en.contains("Incomplete: 3 missed changes, rebuild"), "{en}");
        let zh = summary_text(&incomplete, Locale::ZhCn);
        assert!(zh.contains("3 个变更未计入") && zh.contains("重建"), "{zh}");
        // And the page warns.
        assert!(html(&incomplete, Locale::En).contains("role=\"alert\""));
        assert!(!html(&complete, Locale::En).contains("role=\"alert\""));
    }

    fn difference(before: f64, after: f64, test: &'static str, significant: bool) -> Difference {
        Difference {
            before,
            after,
            diff: after - before,
            low: after - before - 1.5,
            high: after - before + 1.5,
            statistic: 2.1,
            df: None,
            p: if significant { 0.012 } else { 0.31 },
            significant,
            test,
        }
    }

    fn comparison() -> Comparison {
        let definition = definition();
        let mut c = figures::compare(
            "csat-default",
            &definition,
            ((day(1), day(14)), &day_totals(3, 40)),
            ((day(15), day(28)), &day_totals(4, 45)),
        );
        // Set figures, so the page's wording can be checked against known numbers.
        c.csat = Some(difference(71.2, 78.9, "two_proportions", true));
        c.nps = Some(difference(20.0, 24.5, "z", false));
        c.outcome_mean = Some(difference(3.81, 4.02, "welch", true));
        for d in &mut c.dimensions {
            d.difference = Some(difference(3.5, 3.6, "welch", false));
        }
        c.dimensions.push(DimensionDifference {
            id: "extra".into(),
            label: crate::domain::survey::Localized::new("额外", "Extra"),
            difference: None,
        });
        c.missed_changes = 1;
        c
    }

    #[test]
    fn the_comparison_shows_both_ranges_and_the_tests() {
        let c = comparison();
        let en = comparison_html(&c, Locale::En);
        assert!(en.starts_with("<!doctype html>"));
        assert!(en.contains("2026-11-01 – 2026-11-14") && en.contains("2026-11-15 – 2026-11-28"));
        assert!(en.contains("Two-proportion z test") && en.contains("Welch&#39;s t test"));
        assert!(en.contains("+7.7</strong> pp"), "{en}");
        assert!(en.contains("0.012") && en.contains("Not enough answers"));
        assert!(en.contains("role=\"alert\""));
        let zh = comparison_html(&c, Locale::ZhCn);
        assert!(zh.contains("改进前") && zh.contains("Welch t 检验") && zh.contains("不显著"));
        for d in &c.dimensions {
            assert!(zh.contains(&escape(&d.label.zh_cn)));
        }
    }

    #[test]
    fn the_response_runs_no_script() {
        let r = response(StatusCode::OK, html(&sample(0), Locale::En));
        let csp = r.headers()[http::header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(!csp.contains("script-src"));
        assert!(csp.contains("style-src 'unsafe-inline'") && csp.contains("img-src 'self' data:"));
        assert_eq!(r.headers()[http::header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn an_empty_report_renders() {
        let request = ReportRequest {
            survey_id: "csat-default".into(),
            first_day: day(1),
            last_day: day(7),
            group_by: Some(Breakdown::Agent),
            granularity: figures::Granularity::Week,
            time_zone: "Nowhere/Else".into(),
            generated_at: Utc.with_ymd_and_hms(2026, 12, 1, 1, 30, 0).unwrap(),
        };
        let report = figures::build(&request, &definition(), &[], &[], &Targets::default());
        for locale in Locale::ALL {
            let page = html(&report, locale);
            assert!(page.contains(words(locale).no_data));
            assert!(page.contains(words(locale).no_importance));
            assert_eq!(page.matches("<svg").count(), 3);
            assert!(summary_text(&report, locale).contains(NONE));
        }
        assert!(csv(&report).contains("section,cross:agent"));
    }

    /// The sample pages, to look at in a browser.
    #[test]
    fn writes_the_sample_pages() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/artefacts");
        std::fs::create_dir_all(&dir).unwrap();
        let report = sample(2);
        std::fs::write(dir.join("report-sample-en.html"), html(&report, Locale::En)).unwrap();
        std::fs::write(
            dir.join("report-sample-zh.html"),
            html(&report, Locale::ZhCn),
        )
        .unwrap();
        std::fs::write(dir.join("report-sample.csv"), csv(&report)).unwrap();
        let c = comparison();
        std::fs::write(
            dir.join("comparison-sample-en.html"),
            comparison_html(&c, Locale::En),
        )
        .unwrap();
        std::fs::write(
            dir.join("comparison-sample-zh.html"),
            comparison_html(&c, Locale::ZhCn),
        )
        .unwrap();
    }
}

//! Reports as HTML and CSV (stand-in until the renderer lands).
use crate::domain::report::figures::{Comparison, Report};
use crate::domain::survey::Locale;

pub fn html(report: &Report, locale: Locale) -> String {
    let _ = locale;
    format!(
        "<!doctype html><title>{}</title>",
        crate::web::escape(&report.survey_id)
    )
}
pub fn comparison_html(c: &Comparison, locale: Locale) -> String {
    let _ = (c, locale);
    "<!doctype html>".into()
}
pub fn csv(report: &Report) -> String {
    format!("\u{feff}survey,{}\n", report.survey_id)
}
pub fn summary_text(report: &Report, locale: Locale) -> String {
    let _ = locale;
    format!("{} responses", report.responses)
}

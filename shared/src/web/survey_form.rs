//! The survey form a customer answers, in one place: response-capture serves it behind the
//! survey link, and the staff console shows it as a preview of a version. One renderer, so the
//! preview cannot drift from what customers see.
//!
//! The form works without script: the server decides which questions are shown (skip logic),
//! and a post that reveals new questions comes back as the same form with them added. A small
//! inline script (allowed by a per-response CSP nonce) shows and hides follow-up questions as
//! the respondent answers, using the same conditions.
//!
//! The form says how long it takes (the estimate of `crate::domain::survey::estimate`), and a
//! long survey (over `LONG_SURVEY_SECS`) keeps a progress line in view: how many of the
//! questions shown are answered, counted by CSS as the respondent answers, so it needs no script.

use super::{contact_line, escape, Page};
use crate::domain::response::{AnswerProblem, TAP_FIELD};
use crate::domain::survey::{
    estimate, visible_questions, Answer, Answers, Estimate, Locale, Question, QuestionKind, Survey,
    ValidSurvey,
};
use crate::Config;

/// What a survey form shows.
pub struct Form<'a> {
    pub locale: Locale,
    pub survey: &'a Survey,
    pub valid: &'a ValidSurvey,
    /// Prefilled answers (a one-tap rating, a post shown again).
    pub answers: &'a Answers,
    pub problems: &'a [AnswerProblem],
    /// A line above the questions, e.g. "your rating is saved".
    pub notice: Option<String>,
    /// Hidden fields of the anonymous form: `_nonce`, `_version`.
    pub hidden: Vec<(&'static str, String)>,
    /// A one-tap rating from the message, opened but not yet recorded: the page offers the
    /// button that records it (and its script presses it).
    pub tap: Option<u8>,
}

/// The rating faces, drawn rather than emoji: emoji render in colour on some systems and in
/// monochrome on others (even within one page), and their look differs by vendor. A face per
/// score, from a red frown to a green smile, the same everywhere.
fn face(n: u8) -> String {
    let (fill, mouth) = match n {
        1 => ("#f28b82", "M7.5 17.5Q12 12.5 16.5 17.5"),
        2 => ("#f9b27c", "M7.5 17Q12 14.5 16.5 17"),
        3 => ("#fdd663", "M7.5 16h9"),
        4 => ("#b7d97a", "M7.5 15.5Q12 18.5 16.5 15.5"),
        _ => ("#81c995", "M7 15Q12 21 17 15"),
    };
    format!(
        "<svg class=\"face\" viewBox=\"0 0 24 24\" width=\"36\" height=\"36\" aria-hidden=\"true\" focusable=\"false\">\
<circle cx=\"12\" cy=\"12\" r=\"11\" fill=\"{fill}\" stroke=\"#5f6368\" stroke-width=\"1\"/>\
<circle cx=\"8.5\" cy=\"9.5\" r=\"1.4\" fill=\"#202124\"/><circle cx=\"15.5\" cy=\"9.5\" r=\"1.4\" fill=\"#202124\"/>\
<path d=\"{mouth}\" fill=\"none\" stroke=\"#202124\" stroke-width=\"1.6\" stroke-linecap=\"round\"/></svg>"
    )
}

/// Where a rendered form goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The customer's page: the form posts back to the survey link.
    Live,
    /// A staff preview: the same form, which cannot be sent (no method, its submit disabled, so
    /// neither a click nor Enter in a field submits it).
    Preview,
}

impl Form<'_> {
    /// The customer's survey page.
    pub fn page(&self, config: &Config) -> Page {
        Page {
            locale: self.locale,
            title: self.survey.definition.title.get(self.locale).to_string(),
            body_html: self.body_html(config, Mode::Live),
            script: Some(SCRIPT),
        }
    }

    /// The page's content (below its title): intro, time estimate, notices, the form, the
    /// contact line. Already-escaped HTML.
    pub fn body_html(&self, config: &Config, mode: Mode) -> String {
        let locale = self.locale;
        let definition = &self.survey.definition;
        let visible: Vec<&str> = visible_questions(self.valid, self.answers)
            .iter()
            .map(|q| q.id.as_str())
            .collect();
        let mut html = String::new();
        if let Some(intro) = &definition.intro {
            html.push_str(&format!(
                "<p class=\"intro\">{}</p>",
                escape(intro.get(locale))
            ));
        }
        let estimate = estimate(definition);
        html.push_str(&format!(
            "<p class=\"estimate\">{}</p>",
            escape(&estimate_line(locale, estimate))
        ));
        if let Some(notice) = &self.notice {
            html.push_str(&format!(
                "<p class=\"notice\" role=\"status\">{}</p>",
                escape(notice)
            ));
        }
        if let Some(n) = self.tap {
            // Opening the link recorded nothing (link scanners open every link); this button
            // records the rating, and the page's script presses it at once in a browser.
            let (chosen, button) = match locale {
                Locale::ZhCn => (format!("您选择了 {n} 分（满分 5 分）。"), "提交我的评分"),
                Locale::En => (format!("You chose {n} out of 5."), "Send my rating"),
            };
            html.push_str(&format!(
                "<form id=\"tap\" class=\"tap notice\" method=\"post\" data-auto-post><p>{face}{chosen}</p>\
<input type=\"hidden\" name=\"{TAP_FIELD}\" value=\"{n}\"><button type=\"submit\" class=\"submit\">{button}</button></form>",
                face = face(n),
            ));
        }
        if !self.problems.is_empty() {
            let text = match locale {
                Locale::ZhCn => "有些回答需要修改，请查看下方标出的问题。",
                Locale::En => "Some answers need your attention; see the questions marked below.",
            };
            html.push_str(&format!(
                "<p class=\"notice err\" role=\"alert\">{text}</p>"
            ));
        }
        html.push_str(match mode {
            Mode::Live => "<form id=\"survey\" method=\"post\" novalidate>",
            Mode::Preview => "<form id=\"survey\" novalidate>",
        });
        for question in self.valid.questions() {
            let shown = visible.contains(&question.id.as_str());
            html.push_str(&self.question(question, shown));
        }
        for (name, value) in &self.hidden {
            html.push_str(&format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            ));
        }
        html.push_str(&format!(
            "<input type=\"hidden\" name=\"_shown\" value=\"{}\">",
            escape(&visible.join(","))
        ));
        if estimate.is_long() {
            html.push_str(&progress(locale));
        }
        let submit = match locale {
            Locale::ZhCn => "提交",
            Locale::En => "Submit",
        };
        let disabled = match mode {
            Mode::Live => "",
            Mode::Preview => " disabled",
        };
        html.push_str(&format!(
            "<button type=\"submit\" class=\"submit\"{disabled}>{submit}</button></form>"
        ));
        html.push_str(&contact_line(locale, config));
        html
    }

    fn question(&self, question: &Question, shown: bool) -> String {
        let locale = self.locale;
        let id = question.id.as_str();
        let answer = self.answers.get(id);
        let disabled = if shown { "" } else { " disabled" };
        let problem = self.problems.iter().find(|p| p.question() == Some(id));
        let optional = if question.required {
            String::new()
        } else {
            format!(
                " <span class=\"opt\">{}</span>",
                match locale {
                    Locale::ZhCn => "（选填）",
                    Locale::En => "(optional)",
                }
            )
        };
        let condition = question
            .show_if
            .as_ref()
            .map(|c| {
                format!(
                    " data-show-if=\"{}\"",
                    escape(&serde_json::to_string(c).expect("condition serialises"))
                )
            })
            .unwrap_or_default();
        let mut html = format!(
            "<fieldset class=\"q{invalid}\" data-q=\"{id}\"{condition}{hidden}{describedby}><legend id=\"{id}-label\">{label}{optional}</legend>",
            invalid = if problem.is_some() { " invalid" } else { "" },
            hidden = if shown { "" } else { " hidden" },
            describedby = if problem.is_some() {
                format!(" aria-describedby=\"{id}-err\"")
            } else {
                String::new()
            },
            label = escape(question.label.get(locale)),
        );
        if let Some(help) = &question.help {
            html.push_str(&format!(
                "<p class=\"help\">{}</p>",
                escape(help.get(locale))
            ));
        }
        if let Some(problem) = problem {
            html.push_str(&format!(
                "<p class=\"err\" id=\"{id}-err\">{}</p>",
                escape(&problem.message(locale))
            ));
        }
        let number = match answer {
            Some(Answer::Number(n)) => Some(*n),
            _ => None,
        };
        match &question.kind {
            QuestionKind::Rating {
                low_label,
                high_label,
                ..
            } => {
                let low = low_label.as_ref().map(|l| l.get(locale).to_string());
                let high = high_label.as_ref().map(|l| l.get(locale).to_string());
                html.push_str("<div class=\"scale faces\">");
                for n in 1..=5u8 {
                    let meaning = match n {
                        1 => low.clone(),
                        5 => high.clone(),
                        _ => None,
                    };
                    let spoken = match &meaning {
                        Some(m) => format!("{n} – {m}"),
                        None => n.to_string(),
                    };
                    html.push_str(&format!(
                        "<input type=\"radio\" id=\"{id}-{n}\" name=\"{id}\" value=\"{n}\"{checked}{disabled}>\
<label for=\"{id}-{n}\" title=\"{spoken}\">{face}<span class=\"n\" aria-hidden=\"true\">{n}</span><span class=\"sr\">{spoken}</span></label>",
                        checked = if number == Some(n) { " checked" } else { "" },
                        face = face(n),
                        spoken = escape(&spoken),
                    ));
                }
                html.push_str("</div>");
                if low.is_some() || high.is_some() {
                    html.push_str(&format!(
                        "<div class=\"ends\" aria-hidden=\"true\"><span>1 {}</span><span>5 {}</span></div>",
                        escape(low.as_deref().unwrap_or_default()),
                        escape(high.as_deref().unwrap_or_default())
                    ));
                }
            }
            QuestionKind::Nps => {
                html.push_str("<div class=\"scale nps\">");
                for n in 0..=10u8 {
                    html.push_str(&format!(
                        "<input type=\"radio\" id=\"{id}-{n}\" name=\"{id}\" value=\"{n}\"{checked}{disabled}>\
<label for=\"{id}-{n}\">{n}</label>",
                        checked = if number == Some(n) { " checked" } else { "" },
                    ));
                }
                let (low, high) = match locale {
                    Locale::ZhCn => ("0 完全不可能", "10 非常可能"),
                    Locale::En => ("0 not at all likely", "10 extremely likely"),
                };
                html.push_str(&format!(
                    "</div><div class=\"ends\" aria-hidden=\"true\"><span>{low}</span><span>{high}</span></div>"
                ));
            }
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => {
                let multiple = matches!(question.kind, QuestionKind::MultipleChoice { .. });
                let input = if multiple { "checkbox" } else { "radio" };
                html.push_str("<div class=\"choices\">");
                for option in options {
                    let selected = match answer {
                        Some(Answer::Choice(c)) => c == option.id.as_str(),
                        Some(Answer::Choices(cs)) => cs.iter().any(|c| c == option.id.as_str()),
                        _ => false,
                    };
                    html.push_str(&format!(
                        "<label class=\"choice\"><input type=\"{input}\" name=\"{id}\" value=\"{value}\"{checked}{disabled}> {label}</label>",
                        value = option.id,
                        checked = if selected { " checked" } else { "" },
                        label = escape(option.label.get(locale)),
                    ));
                }
                html.push_str("</div>");
            }
            QuestionKind::OpenText { max_length } => {
                let text = match answer {
                    Some(Answer::Text(t)) => t.as_str(),
                    _ => "",
                };
                html.push_str(&format!(
                    "<textarea id=\"{id}-text\" name=\"{id}\" rows=\"3\" maxlength=\"{max_length}\" placeholder=\" \" aria-labelledby=\"{id}-label\"{disabled}>{}</textarea>",
                    escape(text)
                ));
            }
        }
        html.push_str("</fieldset>");
        html
    }
}

/// "This survey takes about 2 minutes." above the questions.
fn estimate_line(locale: Locale, estimate: Estimate) -> String {
    match locale {
        Locale::ZhCn => format!("本问卷{}。", estimate.text(locale)),
        Locale::En => format!("This survey takes {}.", estimate.text(locale)),
    }
}

/// The progress line of a long survey: "Answered 3 of 17", kept in view at the bottom of the
/// screen. CSS counts the questions shown (hidden follow-ups are `display: none`, so they do
/// not count) and those with a checked choice or a non-blank text (an open text has a
/// `placeholder`, so `:placeholder-shown` means blank).
fn progress(locale: Locale) -> String {
    let content = match locale {
        Locale::ZhCn => r#""已答 " counter(answered) " / " counter(shown) " 题""#,
        Locale::En => r#""Answered " counter(answered) " of " counter(shown)"#,
    };
    format!(
        "<style>#survey{{counter-reset:shown answered}}\
#survey .q:not([hidden]){{counter-increment:shown}}\
#survey .q:not([hidden]):has(input:checked),#survey .q:not([hidden]):has(textarea:not(:placeholder-shown)){{counter-increment:shown answered}}\
.progress{{position:sticky;bottom:0;background:#fff;border-top:1px solid #ccc;padding:.5rem 0;text-align:center;color:#333}}\
.progress::after{{content:{content}}}</style><div class=\"progress\" id=\"progress\" aria-hidden=\"true\"></div>"
    )
}

/// Posts a one-tap rating the customer opened (so one tap still records it in a browser, while
/// a link scanner that does not run scripts records nothing). Then shows and hides follow-up
/// questions as the respondent answers, with the same conditions the server applies
/// (`data-show-if`). Hidden questions' inputs are disabled, so they are not sent.
pub const SCRIPT: &str = "(function(){var t=document.getElementById('tap');if(t&&t.hasAttribute('data-auto-post')){t.removeAttribute('data-auto-post');t.submit();return}})();\
(function(){var f=document.getElementById('survey');if(!f)return;\
function vals(id){var out=[],els=f.querySelectorAll('[name=\"'+id+'\"]');for(var i=0;i<els.length;i++){var e=els[i];if(e.disabled)continue;\
if(e.type==='radio'||e.type==='checkbox'){if(e.checked)out.push(e.value)}else if(e.value.trim()!=='')out.push(e.value)}return out}\
function holds(c){if(c.all)return c.all.every(holds);if(c.any)return c.any.some(holds);var v=vals(c.question);if(!v.length)return false;\
if(c.op==='answered')return true;if(c.op==='is')return v.indexOf(c.value)>=0;var n=Number(v[0]),x=Number(c.value);\
switch(c.op){case 'lt':return n<x;case 'le':return n<=x;case 'eq':return n===x;case 'ne':return n!==x;case 'ge':return n>=x;case 'gt':return n>x}return false}\
function update(){var qs=f.querySelectorAll('[data-q]'),shown=[],changed=true,rounds=0;\
while(changed&&rounds++<=qs.length){changed=false;for(var i=0;i<qs.length;i++){var q=qs[i],c=q.getAttribute('data-show-if'),vis=!c||holds(JSON.parse(c));\
if(q.hidden===vis){changed=true;q.hidden=!vis;var ins=q.querySelectorAll('input,textarea');for(var j=0;j<ins.length;j++)ins[j].disabled=!vis}}}\
for(var k=0;k<qs.length;k++)if(!qs[k].hidden)shown.push(qs[k].getAttribute('data-q'));f.elements._shown.value=shown.join(',')}\
f.addEventListener('change',update);f.addEventListener('input',update);update()})();";

//! The survey's pages for customers: the form and what answering it can lead to. Their look,
//! headers and CSP are every customer page's (`closeloop::web`).
//!
//! The survey form (`closeloop::web::survey_form`) works without script: the server decides which questions are shown (skip
//! logic), and a post that reveals new questions comes back as the same form with them added.
//! A small inline script (allowed by a per-response CSP nonce) shows and hides follow-up
//! questions as the respondent answers, using the same conditions.
//!
//! The form says how long it takes (the estimate of `closeloop::domain::survey::estimate`), and
//! a long survey (over `LONG_SURVEY_SECS`) keeps a progress line in view: how many of the
//! questions shown are answered, counted by CSS as the respondent answers, so it needs no script.

use closeloop::domain::anonymous::NonceProblem;
use closeloop::domain::survey::Locale;
use closeloop::web::Page;
use closeloop::Config;

/// The survey form itself lives in the common crate, so that the staff console's preview shows
/// exactly what the customer sees.
pub use closeloop::web::survey_form::Form;

/// The link is malformed or unknown.
pub fn unknown_link(locale: Locale, config: &Config) -> Page {
    let (title, text) = match locale {
        Locale::ZhCn => (
            "链接无效",
            "这个问卷链接无效或不完整。请检查短信或邮件中的链接是否完整复制。",
        ),
        Locale::En => (
            "This link does not work",
            "This survey link is not valid or is incomplete. Please check that the whole link from your message was copied.",
        ),
    };
    Page::message(locale, config, title, text)
}

pub fn try_again(locale: Locale, config: &Config) -> Page {
    let (title, text) = match locale {
        Locale::ZhCn => (
            "请稍后再试",
            "服务暂时繁忙，您的链接仍然有效，请稍后再打开。",
        ),
        Locale::En => (
            "Please try again shortly",
            "We are briefly unavailable. Your link still works; please open it again in a minute.",
        ),
    };
    Page::message(locale, config, title, text)
}

pub fn thank_you(locale: Locale, config: &Config) -> Page {
    let (title, text) = match locale {
        Locale::ZhCn => (
            "感谢您的反馈！",
            "您的回答已经收到。我们会认真阅读每一条意见，用来改进我们的产品和服务。",
        ),
        Locale::En => (
            "Thank you for your feedback!",
            "Your answers have been received. We read every answer and use it to improve our products and services.",
        ),
    };
    Page::message(locale, config, title, text)
}

pub fn already_answered(locale: Locale, config: &Config) -> Page {
    let (title, text) = match locale {
        Locale::ZhCn => (
            "您已经填写过这份问卷",
            "我们已保存您第一次提交的回答，不能再次修改。如果您还有其他意见，欢迎直接联系我们。",
        ),
        Locale::En => (
            "You have already answered this survey",
            "We have kept the answers you sent first; they cannot be changed. If there is anything you would like to add, please contact us directly.",
        ),
    };
    Page::message(locale, config, title, text)
}

pub fn closed(locale: Locale, config: &Config) -> Page {
    let (title, text) = match locale {
        Locale::ZhCn => (
            "问卷已结束",
            "这份问卷的填写期限已过。感谢您的关注！如有意见，欢迎直接联系我们。",
        ),
        Locale::En => (
            "This survey has closed",
            "The time to answer this survey has passed. Thank you all the same! If you have feedback, please contact us directly.",
        ),
    };
    Page::message(locale, config, title, text)
}

pub fn too_large(locale: Locale, config: &Config) -> Page {
    let (title, text) = match locale {
        Locale::ZhCn => ("内容太长", "提交的内容超过了允许的大小，请缩短文字后再试。"),
        Locale::En => (
            "Your answers are too long",
            "What was sent is larger than we accept. Please shorten your text and try again.",
        ),
    };
    Page::message(locale, config, title, text)
}

pub fn bad_request(locale: Locale, config: &Config, detail: &str) -> Page {
    let (title, text) = match locale {
        Locale::ZhCn => ("提交的内容有误", "请返回重新填写。问题："),
        Locale::En => (
            "Something in the form was not right",
            "Please go back and try again. The problem: ",
        ),
    };
    Page::message(locale, config, title, &format!("{text}{detail}"))
}

/// Too many anonymous answers from one store in the last minute.
pub fn busy_store(locale: Locale, config: &Config) -> Page {
    let (title, text) = match locale {
        Locale::ZhCn => (
            "请稍后再提交",
            "这家门店刚刚收到了很多回答，您的回答没有保存。请一分钟后再提交。",
        ),
        Locale::En => (
            "Please send it again in a minute",
            "This store has just received many answers, so yours was not saved. Please send the form again in a minute.",
        ),
    };
    Page::message(locale, config, title, text)
}

/// The anonymous form's nonce was refused: not issued by the page, changed, or too old.
pub fn form_refused(locale: Locale, config: &Config, problem: NonceProblem) -> Page {
    let (title, text) = problem.page_text(locale);
    Page::message(locale, config, title, text)
}

//! Surveys (admins): the list, one survey's versions, a version previewed exactly as the
//! customer sees it, and the editor that saves a new version.
//!
//! A version is admitted by the same domain check as `POST /surveys/{id}/versions`
//! ([`admit_version`]) and written by the same store call, so the console cannot store what the
//! API would refuse. The editor is split into parts (title, intro, outcome, dimensions, one
//! textarea per question) so that a problem, which names its field (`questions[2].label.en`),
//! is shown next to the part it is about.

use closeloop::domain::survey::{
    admit_version, estimate, Answers, Dimension, Locale, Localized, Question, QuestionId, Survey,
    SurveyDefinition, SurveyId, SurveyProblem,
};
use closeloop::domain::ticket::Area;
use closeloop::web::survey_form::{self, Mode};
use closeloop::Error;
use http::StatusCode;
use maud::{html, Markup, PreEscaped};

use super::require;
use crate::layout::{Ctx, Nav};
use crate::respond::{self, Form};
use crate::routes::Reply;

fn survey_id(raw: &str) -> Result<SurveyId, Error> {
    SurveyId::parse(raw).map_err(|_| Error::not_found(format!("survey {raw}")))
}

fn version_number(raw: &str) -> Result<u32, Error> {
    raw.parse::<u32>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| Error::not_found(format!("version {raw}")))
}

fn when(ctx: &Ctx, at: chrono::DateTime<chrono::Utc>) -> String {
    let _ = ctx;
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `GET /console/surveys`.
pub async fn list(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    require(ctx, Area::Surveys)?;
    let surveys = ctx.console.deps.store.list_surveys().await?;
    let body = html! {
        h1 { (ctx.t("Surveys", "问卷")) }
        section.card {
            @if surveys.is_empty() {
                p.muted { (ctx.t("No surveys yet.", "还没有问卷。")) }
            } @else {
                table.rows {
                    thead { tr {
                        th { (ctx.t("Survey", "问卷")) }
                        th { (ctx.t("Title", "标题")) }
                        th { (ctx.t("Latest version", "最新版本")) }
                        th { (ctx.t("Updated", "更新时间")) }
                    } }
                    tbody {
                        @for survey in &surveys {
                            tr {
                                td data-label=(ctx.t("Survey", "问卷")) { a.mono href={ "/console/surveys/" (survey.id) } { (survey.id) } }
                                td data-label=(ctx.t("Title", "标题")) { (survey.title.get(ctx.locale)) }
                                td data-label=(ctx.t("Latest version", "最新版本")) { (survey.latest_version) }
                                td data-label=(ctx.t("Updated", "更新时间")) { (when(ctx, survey.updated_at)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Reply::page(ctx.t("Surveys", "问卷"), Nav::Surveys, body))
}

/// `GET /console/surveys/{id}`: every version, newest first.
pub async fn show(ctx: &Ctx<'_>, raw_id: &str) -> Result<Reply, Error> {
    require(ctx, Area::Surveys)?;
    let id = survey_id(raw_id)?;
    let store = &ctx.console.deps.store;
    let latest = store.get_survey(&id, None).await?;
    let mut versions = vec![latest.clone()];
    for version in (1..latest.version).rev() {
        versions.push(store.get_survey(&id, Some(version)).await?);
    }
    let base = format!("/console/surveys/{}", id.as_str());
    let body = html! {
        h1 { (latest.definition.title.get(ctx.locale)) " " span.muted.mono { (id.as_str()) } }
        p { a.button href={ (base) "/versions/new" } { (ctx.t("New version", "新建版本")) } }
        section.card {
            h2 { (ctx.t("Versions", "版本")) }
            table.rows #versions {
                thead { tr {
                    th { (ctx.t("Version", "版本")) }
                    th { (ctx.t("Saved", "保存时间")) }
                    th { (ctx.t("Questions", "题目数")) }
                    th { (ctx.t("Takes", "用时")) }
                    th { (ctx.t("Preview", "预览")) }
                } }
                tbody {
                    @for survey in &versions {
                        tr data-version=(survey.version) {
                            td data-label=(ctx.t("Version", "版本")) { (survey.version) }
                            td data-label=(ctx.t("Saved", "保存时间")) { (when(ctx, survey.created_at)) }
                            td data-label=(ctx.t("Questions", "题目数")) { (survey.definition.questions.len()) }
                            td data-label=(ctx.t("Takes", "用时")) { (estimate(&survey.definition).text(ctx.locale)) }
                            td data-label=(ctx.t("Preview", "预览")) {
                                a href={ (base) "/versions/" (survey.version) "/preview?lang=" (ctx.locale.as_str()) } { (ctx.t("Preview", "预览")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Reply::page(
        latest.definition.title.get(ctx.locale).to_string(),
        Nav::Surveys,
        body,
    ))
}

/// `GET /console/surveys/{id}/versions/{n}/preview?lang=`: the customer's form, rendered by the
/// customer page's own renderer, which cannot be sent from here.
pub async fn preview(ctx: &Ctx<'_>, raw_id: &str, raw_version: &str) -> Result<Reply, Error> {
    require(ctx, Area::Surveys)?;
    let id = survey_id(raw_id)?;
    let version = version_number(raw_version)?;
    let survey = ctx
        .console
        .deps
        .store
        .get_survey(&id, Some(version))
        .await?;
    let valid = survey
        .validated()
        .map_err(|problem| Error::invalid(problem.field, problem.reason))?;
    let locale = respond::query(ctx.request, "lang")
        .and_then(|l| l.parse::<Locale>().ok())
        .unwrap_or(ctx.locale);
    let answers = Answers::new();
    let form = survey_form::Form {
        locale,
        survey: &survey,
        valid: &valid,
        answers: &answers,
        problems: &[],
        notice: None,
        hidden: Vec::new(),
        tap: None,
    };
    let content = form.body_html(&ctx.console.deps.config, Mode::Preview);
    let took = estimate(&survey.definition);
    let here = format!(
        "/console/surveys/{}/versions/{version}/preview",
        id.as_str()
    );
    let body = html! {
        p { a href={ "/console/surveys/" (id.as_str()) } { "← " (ctx.t("Back to the survey", "返回问卷")) } }
        h1 { (ctx.t("Preview", "预览")) ": " (survey.definition.title.get(locale)) " · v" (version) }
        p.notice role="status" { (ctx.t("Preview — answers are not recorded", "预览——不会记录任何回答")) }
        dl.facts {
            dt { (ctx.t("Language", "语言")) }
            dd {
                a href={ (here) "?lang=zh-CN" } lang="zh-CN" aria-current=[(locale == Locale::ZhCn).then_some("true")] { "中文" }
                " · "
                a href={ (here) "?lang=en" } lang="en" aria-current=[(locale == Locale::En).then_some("true")] { "English" }
            }
            dt { (ctx.t("Estimated time", "预计用时")) }
            dd.estimate-seconds { (took.text(ctx.locale)) " (" (took.seconds) " s)" }
        }
        style { (PreEscaped(closeloop::web::customer_style_within(".preview-frame"))) }
        div.preview-frame lang=(locale.as_str()) {
            h1 { (survey.definition.title.get(locale)) }
            (PreEscaped(content))
        }
        script nonce=(ctx.nonce) { (PreEscaped(survey_form::SCRIPT)) }
    };
    Ok(Reply::page(ctx.t("Preview", "预览"), Nav::Surveys, body))
}

/// The editor's parts, as the admin typed them.
#[derive(Debug, Default, Clone)]
struct Draft {
    title_zh: String,
    title_en: String,
    intro_zh: String,
    intro_en: String,
    outcome: String,
    allow_long: bool,
    dimensions: String,
    questions: Vec<String>,
}

fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("a definition serialises")
}

impl Draft {
    fn of(definition: &SurveyDefinition) -> Draft {
        Draft {
            title_zh: definition.title.zh_cn.clone(),
            title_en: definition.title.en.clone(),
            intro_zh: definition
                .intro
                .as_ref()
                .map(|i| i.zh_cn.clone())
                .unwrap_or_default(),
            intro_en: definition
                .intro
                .as_ref()
                .map(|i| i.en.clone())
                .unwrap_or_default(),
            outcome: definition
                .outcome
                .as_ref()
                .map(|o| o.as_str().to_string())
                .unwrap_or_default(),
            allow_long: definition.allow_long,
            dimensions: pretty(&definition.dimensions),
            questions: definition.questions.iter().map(pretty).collect(),
        }
    }

    /// The form's parts; blank question boxes are dropped, so the numbering the problems use
    /// is the numbering of the boxes shown again.
    fn from_form(form: &Form) -> Draft {
        let text = |name: &str| form.raw(name).unwrap_or_default().trim().to_string();
        Draft {
            title_zh: text("title.zh-CN"),
            title_en: text("title.en"),
            intro_zh: text("intro.zh-CN"),
            intro_en: text("intro.en"),
            outcome: text("outcome"),
            allow_long: form.get("allow_long").is_some(),
            dimensions: form.raw("dimensions").unwrap_or_default().to_string(),
            questions: form
                .all("question")
                .into_iter()
                .filter(|q| !q.trim().is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    /// The definition the parts spell, or every part that does not parse, each at its field.
    fn definition(&self) -> Result<SurveyDefinition, Vec<SurveyProblem>> {
        let mut problems = Vec::new();
        let localized = |field: &str, zh: &str, en: &str, problems: &mut Vec<SurveyProblem>| {
            serde_json::from_value::<Localized>(serde_json::json!({"zh-CN": zh, "en": en}))
                .map_err(|e| problems.push(SurveyProblem::new(field, e.to_string())))
                .ok()
        };
        let title = localized("title", &self.title_zh, &self.title_en, &mut problems);
        let intro = if self.intro_zh.is_empty() && self.intro_en.is_empty() {
            None
        } else {
            localized("intro", &self.intro_zh, &self.intro_en, &mut problems)
        };
        let outcome = if self.outcome.is_empty() {
            None
        } else {
            match serde_json::from_value::<QuestionId>(serde_json::json!(self.outcome)) {
                Ok(id) => Some(id),
                Err(e) => {
                    problems.push(SurveyProblem::new("outcome", e.to_string()));
                    None
                }
            }
        };
        let dimensions = if self.dimensions.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str::<Vec<Dimension>>(&self.dimensions)
                .map_err(|e| problems.push(SurveyProblem::new("dimensions", e.to_string())))
                .unwrap_or_default()
        };
        let mut questions = Vec::new();
        for (i, text) in self.questions.iter().enumerate() {
            match serde_json::from_str::<Question>(text) {
                Ok(question) => questions.push(question),
                Err(e) => {
                    problems.push(SurveyProblem::new(format!("questions[{i}]"), e.to_string()))
                }
            }
        }
        match (title, problems.is_empty()) {
            (Some(title), true) => Ok(SurveyDefinition {
                title,
                intro,
                outcome,
                dimensions,
                questions,
                allow_long: self.allow_long,
            }),
            _ => Err(problems),
        }
    }
}

/// Whether a problem about `field` belongs at the part `part` (`questions[2].label` belongs
/// at `questions[2]`, not at `questions[20]`).
fn belongs(field: &str, part: &str) -> bool {
    field == part
        || field
            .strip_prefix(part)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// The editor's part names, most specific first.
fn parts(draft: &Draft) -> Vec<String> {
    let mut out: Vec<String> = (0..draft.questions.len())
        .map(|i| format!("questions[{i}]"))
        .collect();
    out.extend(
        [
            "title",
            "intro",
            "outcome",
            "dimensions",
            "allow_long",
            "questions",
        ]
        .map(String::from),
    );
    out
}

/// Each problem placed at its part; those no part owns are shown above the editor.
fn place(draft: &Draft, problems: &[SurveyProblem]) -> (Vec<(String, String)>, Vec<String>) {
    let parts = parts(draft);
    let mut placed = Vec::new();
    let mut loose = Vec::new();
    for problem in problems {
        match parts.iter().find(|part| belongs(&problem.field, part)) {
            Some(part) => placed.push((
                part.clone(),
                format!("{}: {}", problem.field, problem.reason),
            )),
            None => loose.push(format!("{}: {}", problem.field, problem.reason)),
        }
    }
    (placed, loose)
}

/// One part of the editor: a label, the control, and its problems right under it.
fn field(path: &str, label: &str, errors: &[(String, String)], control: Markup) -> Markup {
    let mine: Vec<&String> = errors
        .iter()
        .filter(|(part, _)| part == path)
        .map(|(_, m)| m)
        .collect();
    let id = format!("f-{}", path.replace(['[', ']', '.'], "-"));
    html! {
        div.field.invalid[!mine.is_empty()] data-field=(path) {
            label for=(id) { (label) }
            (control)
            @for message in &mine {
                p.field-error id={ (id) "-err" } { (message) }
            }
        }
    }
}

fn editor(
    ctx: &Ctx,
    id: &SurveyId,
    based_on: u32,
    draft: &Draft,
    problems: &[SurveyProblem],
) -> Markup {
    let (errors, loose) = place(draft, problems);
    let id_of = |path: &str| format!("f-{}", path.replace(['[', ']', '.'], "-"));
    let action = format!("/console/surveys/{}/versions/new", id.as_str());
    let title_errors = errors.iter().any(|(p, _)| p == "title");
    html! {
        p { a href={ "/console/surveys/" (id.as_str()) } { "← " (ctx.t("Back to the survey", "返回问卷")) } }
        h1 { (ctx.t("New version of", "新建版本：")) " " span.mono { (id.as_str()) } }
        p.muted { (ctx.t("Starts from version", "基于版本")) " " (based_on) ". "
            (ctx.t("Each question is one JSON object, as in POST /surveys/{id}/versions; leave a box empty to drop it.",
                   "每个题目是一个 JSON 对象（与 POST /surveys/{id}/versions 相同）；清空输入框即删除该题。")) }
        @if !problems.is_empty() {
            div.notice.stale role="alert" {
                p { (ctx.t("Nothing was saved. Fix the fields marked below.", "未保存。请修改下方标出的字段。")) }
                @for message in &loose { p.field-error { (message) } }
            }
        }
        form method="post" action=(action) {
            (ctx.csrf_field())
            section.card {
                h2 { (ctx.t("Survey", "问卷")) }
                div.field.invalid[title_errors] data-field="title" {
                    div.grid {
                        div {
                            label for="f-title-zh" { (ctx.t("Title (Chinese)", "标题（中文）")) }
                            input #f-title-zh type="text" name="title.zh-CN" value=(draft.title_zh);
                        }
                        div {
                            label for="f-title" { (ctx.t("Title (English)", "标题（英文）")) }
                            input #f-title type="text" name="title.en" value=(draft.title_en);
                        }
                    }
                    @for (part, message) in &errors {
                        @if part == "title" { p.field-error { (message) } }
                    }
                }
                (field("intro", ctx.t("Introduction (Chinese, then English)", "引言（中文、英文）"), &errors, html! {
                    input #(id_of("intro")) type="text" name="intro.zh-CN" value=(draft.intro_zh) lang="zh-CN";
                    label for="f-intro-en" { (ctx.t("Introduction (English)", "引言（英文）")) }
                    input #f-intro-en type="text" name="intro.en" value=(draft.intro_en) lang="en";
                }))
                (field("outcome", ctx.t("Outcome question id", "结果题目 id"), &errors, html! {
                    input #(id_of("outcome")) type="text" name="outcome" value=(draft.outcome);
                }))
                (field("allow_long", ctx.t("Longer than the time budget on purpose", "允许超过时间预算"), &errors, html! {
                    input #(id_of("allow_long")) type="checkbox" name="allow_long" value="on" checked[draft.allow_long];
                }))
                (field("dimensions", ctx.t("Dimensions (JSON list)", "维度（JSON 列表）"), &errors, html! {
                    textarea.code #(id_of("dimensions")) name="dimensions" rows="8" { (draft.dimensions) }
                }))
            }
            section.card {
                h2 { (ctx.t("Questions", "题目")) }
                (field("questions", ctx.t("All questions", "全部题目"), &errors, html! {
                    span #(id_of("questions")) .muted.small { (draft.questions.len()) " " (ctx.t("questions", "题")) }
                }))
                @for (i, question) in draft.questions.iter().enumerate() {
                    @let path = format!("questions[{i}]");
                    (field(&path, &format!("{} {}", ctx.t("Question", "题目"), i + 1), &errors, html! {
                        textarea.code #(id_of(&path)) name="question" rows="10" { (question) }
                    }))
                }
                (field("questions[new]", ctx.t("Add a question", "添加题目"), &errors, html! {
                    textarea.code #(id_of("questions[new]")) name="question" rows="6" {}
                }))
            }
            p { button type="submit" { (ctx.t("Save version", "保存版本")) } }
        }
    }
}

/// `GET /console/surveys/{id}/versions/new`: the editor with the latest version.
pub async fn new_version(ctx: &Ctx<'_>, raw_id: &str) -> Result<Reply, Error> {
    require(ctx, Area::Surveys)?;
    let id = survey_id(raw_id)?;
    let latest = ctx.console.deps.store.get_survey(&id, None).await?;
    let body = editor(
        ctx,
        &id,
        latest.version,
        &Draft::of(&latest.definition),
        &[],
    );
    Ok(Reply::page(
        ctx.t("New version", "新建版本"),
        Nav::Surveys,
        body,
    ))
}

/// `POST /console/surveys/{id}/versions/new`: saved as `POST /surveys/{id}/versions` saves it,
/// or the editor again with what was typed and each problem at its field (400, nothing written).
pub async fn save_version(ctx: &Ctx<'_>, raw_id: &str, form: &Form) -> Result<Reply, Error> {
    require(ctx, Area::Surveys)?;
    let id = survey_id(raw_id)?;
    let store = &ctx.console.deps.store;
    let latest: Survey = store.get_survey(&id, None).await?;
    let draft = Draft::from_form(form);
    let admitted = draft.definition().and_then(|definition| {
        admit_version(
            definition,
            ctx.console.deps.config.delivery.survey_time_budget_secs,
        )
        .map_err(|problem| vec![problem])
    });
    match admitted {
        Ok(valid) => {
            store.add_survey_version(&id, valid, ctx.now).await?;
            Ok(Reply::Redirect(format!("/console/surveys/{}", id.as_str())))
        }
        Err(problems) => Ok(Reply::Page {
            status: StatusCode::BAD_REQUEST,
            title: ctx.t("New version", "新建版本").to_string(),
            nav: Nav::Surveys,
            body: editor(ctx, &id, latest.version, &draft, &problems),
        }),
    }
}

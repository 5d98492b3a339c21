//! The frame every console page shares: the top bar with the pages this person's roles open,
//! the language switch, sign-out, and one stylesheet; and the request context pages render
//! with (who, which language, the form token, the script nonce).

use chrono::{DateTime, Utc};
use closeloop::domain::survey::Locale;
use closeloop::domain::ticket::{Actor, Role};
use closeloop::Error;
use lambda_http::Request;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::session::Session;
use crate::Console;

/// One request as a page sees it.
pub struct Ctx<'a> {
    pub console: &'a Console,
    pub request: &'a Request,
    pub now: DateTime<Utc>,
    pub locale: Locale,
    pub session: Session,
    pub actor: Actor,
    /// This response's script nonce.
    pub nonce: String,
}

impl Ctx<'_> {
    /// The text in this page's language.
    pub fn t<'s>(&self, en: &'s str, zh: &'s str) -> &'s str {
        tr(self.locale, en, zh)
    }

    /// The hidden field every form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.session.csrf); }
    }

    pub fn is(&self, role: Role) -> bool {
        self.actor.has(role)
    }

    /// Whether this person works tickets (a queue of their own or their department's).
    pub fn works_tickets(&self) -> bool {
        [Role::Manager, Role::Supervisor, Role::Agent]
            .iter()
            .any(|r| self.actor.has(*r))
            || self.actor.has(Role::Admin)
    }
}

/// `en` or `zh` by locale.
pub fn tr<'s>(locale: Locale, en: &'s str, zh: &'s str) -> &'s str {
    match locale {
        Locale::En => en,
        Locale::ZhCn => zh,
    }
}

/// The console's sections, for the top bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    Queue,
    Supervisor,
    Reports,
    Surveys,
    Customers,
    Campaigns,
    Settings,
    None,
}

/// The sections this person may open, in the bar's order.
fn sections(ctx: &Ctx) -> Vec<(Nav, &'static str, &'static str, &'static str)> {
    let mut out = Vec::new();
    if ctx.works_tickets() {
        out.push((Nav::Queue, "/console/queue", "Queue", "工单"));
    }
    if ctx.is(Role::Supervisor) || ctx.is(Role::Manager) {
        out.push((
            Nav::Supervisor,
            "/console/supervisor",
            "Deadlines",
            "时效看板",
        ));
    }
    if ctx.is(Role::Manager) {
        out.push((Nav::Reports, "/console/reports", "Reports", "报表"));
    }
    if ctx.is(Role::Admin) {
        out.push((Nav::Surveys, "/console/surveys", "Surveys", "问卷"));
        out.push((Nav::Customers, "/console/customers", "Customers", "客户"));
        out.push((Nav::Campaigns, "/console/campaigns", "Campaigns", "活动"));
        out.push((Nav::Settings, "/console/settings", "Settings", "设置"));
    }
    out
}

/// A whole console page.
pub fn page(ctx: &Ctx, title: &str, active: Nav, body: Markup) -> String {
    let other = match ctx.locale {
        Locale::ZhCn => (Locale::En, "English"),
        Locale::En => (Locale::ZhCn, "中文"),
    };
    let here = ctx.request.uri().path();
    let doc = html! {
        (DOCTYPE)
        html lang=(ctx.locale.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="htmx-config" content=r#"{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"selfRequestsOnly":true}"#;
                title { (title) " · Closeloop" }
                style { (PreEscaped(STYLE)) }
                script nonce=(ctx.nonce) src="/console/assets/htmx.min.js" defer {}
            }
            body {
                a.skip href="#main" { (ctx.t("Skip to content", "跳到正文")) }
                header.bar {
                    a.brand href="/console/queue" { "Closeloop" }
                    nav aria-label=(ctx.t("Sections", "栏目")) {
                        ul {
                            @for (nav, href, en, zh) in sections(ctx) {
                                li { a href=(href) aria-current=[(nav == active).then_some("page")] { (ctx.t(en, zh)) } }
                            }
                        }
                    }
                    div.me {
                        a.lang href={ (here) "?lang=" (other.0.as_str()) } lang=(other.0.as_str()) { (other.1) }
                        span.who title=(ctx.session.sub) { (ctx.session.name) }
                        form method="post" action="/console/logout" {
                            (ctx.csrf_field())
                            button.link type="submit" { (ctx.t("Sign out", "退出")) }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    };
    doc.into_string()
}

/// A page for someone not signed in (login, signed out, errors before a session).
pub fn bare_page(locale: Locale, title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(locale.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · Closeloop" }
                style { (PreEscaped(STYLE)) }
            }
            body.bare {
                main #main.narrow {
                    p.brand-big { "Closeloop" }
                    (body)
                }
            }
        }
    }
    .into_string()
}

/// What went wrong, said so a person can act on it.
pub fn error_body(locale: Locale, error: &Error) -> Markup {
    let title = match error {
        Error::NotFound { .. } => tr(locale, "Not found", "找不到"),
        Error::Forbidden(_) => tr(locale, "Not allowed", "没有权限"),
        Error::Invalid { .. } => tr(locale, "Please check the input", "请检查输入"),
        Error::Conflict(_) => tr(locale, "Someone else changed this", "已被他人修改"),
        Error::PayloadTooLarge { .. } => tr(locale, "Too large", "内容过大"),
        _ => tr(locale, "Something went wrong", "出错了"),
    };
    let detail = match error {
        Error::Upstream(_) | Error::Internal(_) => tr(
            locale,
            "Closeloop could not finish this. Try again in a moment.",
            "系统暂时无法完成操作，请稍后再试。",
        )
        .to_string(),
        other => other.to_string(),
    };
    html! {
        section.card.error role="alert" {
            h1 { (title) }
            p { (detail) }
            p { a href="/console/queue" { (tr(locale, "Back to the console", "返回控制台")) } }
        }
    }
}

/// One stylesheet for the whole console: system fonts (PingFang / YaHei for Chinese), AA
/// contrast, visible focus, a single column below 720 px.
pub const STYLE: &str = r#"
*{box-sizing:border-box}
:root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa;--card:#fff;--brand:#0b57d0;--brand-ink:#fff;
--ok:#116329;--ok-bg:#dafbe1;--warn:#7d4e00;--warn-bg:#fff1c2;--bad:#a40e26;--bad-bg:#ffebe9;--pause:#424a53;--pause-bg:#eaeef2}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--brand)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid #1b1f24;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:.4rem .6rem;z-index:9}
header.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1.25rem;background:#0f2540;color:#fff;padding:.5rem 1.25rem}
header.bar a{color:#fff;text-decoration:none}.brand{font-weight:800;font-size:1.1rem;letter-spacing:.02em}
header.bar nav ul{display:flex;flex-wrap:wrap;gap:.15rem;list-style:none;margin:0;padding:0}
header.bar nav a{display:block;padding:.45rem .7rem;border-radius:6px;color:#dbe6f5}header.bar nav a:hover{background:#1d3a5f}
header.bar nav a[aria-current=page]{background:#fff;color:#0f2540;font-weight:600}
.me{margin-left:auto;display:flex;align-items:center;gap:.75rem;font-size:.9rem}.me .who{color:#dbe6f5}
.me form{margin:0}.link{background:none;border:0;color:#fff;text-decoration:underline;font:inherit;cursor:pointer;padding:.3rem}
main{max-width:1280px;margin:0 auto;padding:1.25rem}main.narrow{max-width:30rem;padding-top:12vh}
.brand-big{font-weight:800;font-size:1.6rem;color:#0f2540;margin:0 0 1rem}
h1{font-size:1.45rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .75rem}h3{font-size:1rem;margin:.75rem 0 .4rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.1rem;margin:0 0 1rem}
.card.error{border-color:var(--bad);background:var(--bad-bg)}.card.error h1{color:var(--bad)}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr))}
.cols{display:grid;gap:1rem;grid-template-columns:minmax(0,2fr) minmax(0,1fr)}.cols>*,.grid>*{min-width:0}.card{overflow-wrap:anywhere}
.muted{color:var(--muted)}.small{font-size:.85rem}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
table{width:100%;border-collapse:collapse;background:var(--card)}th,td{text-align:left;padding:.55rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);background:#f6f8fa}
tr.breached{background:#fff5f5}tr.breached td:first-child{box-shadow:inset 4px 0 0 var(--bad)}tr.warning td:first-child{box-shadow:inset 4px 0 0 #d4a72c}
.scroll{overflow-x:auto}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap;border:1px solid transparent}
.on_track{background:var(--ok-bg);color:var(--ok)}.warning{background:var(--warn-bg);color:var(--warn)}.breached{color:var(--bad)}.badge.breached{background:var(--bad-bg);border-color:#ffcecb}
.paused{background:var(--pause-bg);color:var(--pause)}.met{background:var(--ok-bg);color:var(--ok)}.missed{background:var(--bad-bg);color:var(--bad)}
.lv{font-weight:700}.lv1{color:var(--bad)}.lv2{color:var(--warn)}.lv3{color:var(--muted)}
form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-end;margin:0 0 1rem}
label{display:block;font-size:.85rem;font-weight:600;margin-bottom:.2rem}
input[type=text],input[type=search],input[type=date],input[type=datetime-local],input[type=number],input[type=email],input[type=tel],select,textarea{font:inherit;padding:.45rem .55rem;border:1px solid #8c959f;border-radius:6px;background:#fff;color:var(--ink);min-height:2.4rem;max-width:100%}
textarea{width:100%;min-height:6rem}textarea.code{font-family:ui-monospace,Menlo,monospace;font-size:.85rem;min-height:24rem}
.field{margin:0 0 .8rem}.field.invalid input,.field.invalid textarea,.field.invalid select{border-color:var(--bad);outline:2px solid var(--bad)}
.field-error{color:var(--bad);font-weight:600;margin:.25rem 0 0}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.5rem .95rem;border-radius:6px;border:1px solid #0842a0;background:var(--brand);color:var(--brand-ink);cursor:pointer;text-decoration:none;min-height:2.4rem}
button.secondary,.button.secondary{background:#fff;color:var(--brand);border-color:#8c959f}
button.danger{background:var(--bad);border-color:var(--bad)}
.actions{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr))}
.actions form{background:#f6f8fa;border:1px solid var(--line);border-radius:8px;padding:.75rem;margin:0}
.counts{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));margin-bottom:1rem}
.count{display:block;border-radius:10px;padding:1rem;text-decoration:none;border:1px solid var(--line);background:#fff;color:var(--ink)}
.count strong{display:block;font-size:2.2rem;line-height:1.1}.count.bad{background:var(--bad-bg);border-color:#ffcecb;color:var(--bad)}.count.warn{background:var(--warn-bg);border-color:#f2d49b;color:var(--warn)}.count.good{background:var(--ok-bg);border-color:#aceebb;color:var(--ok)}
.timeline{list-style:none;margin:0;padding:0;border-left:3px solid var(--line)}.timeline li{position:relative;padding:.2rem 0 .8rem 1rem}
.timeline li::before{content:"";position:absolute;left:-.45rem;top:.55rem;width:.7rem;height:.7rem;border-radius:50%;background:var(--line)}
.timeline li.done::before{background:var(--ok)}.timeline li.late::before{background:var(--bad)}.timeline li.next::before{background:#d4a72c}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem .9rem;margin:0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.notice{border-left:4px solid var(--brand);background:#ddf4ff;padding:.6rem .8rem;border-radius:6px;margin:0 0 1rem}
.notice.stale{border-color:#d4a72c;background:var(--warn-bg)}
.pager{display:flex;gap:.75rem;align-items:center;margin-top:.75rem}
.answer{border-bottom:1px solid var(--line);padding:.4rem 0}.answer:last-child{border:0}.score{font-weight:700}
.preview-frame{border:1px solid var(--line);border-radius:12px;background:#f6f7f9;max-width:26rem}
@media (max-width:720px){main{padding:.75rem}form.filters{gap:.5rem}form.filters .field{flex:1 1 calc(50% - .5rem);min-width:0;margin:0}table.rows caption{text-align:left}form.filters select,form.filters input{width:100%}.cols{grid-template-columns:1fr}.me{margin-left:0;width:100%;justify-content:space-between}
table.rows thead{display:none}table.rows tr{display:block;border-bottom:1px solid var(--line);padding:.5rem 0}table.rows td{display:flex;gap:.5rem;border:0;padding:.2rem .6rem}
table.rows td::before{content:attr(data-label);min-width:6.5rem;color:var(--muted);font-size:.8rem;font-weight:600}}
@media print{header.bar,.actions,form{display:none}}
/* tickets */
.actions form h3{margin-top:0}.actions form button{margin-top:.25rem}
.notice.refused{border-color:var(--bad);background:var(--bad-bg)}
td .badge{white-space:normal}h1 .badge{vertical-align:middle;font-size:.85rem}
#queue-rows td a.mono{font-weight:600}
"#;

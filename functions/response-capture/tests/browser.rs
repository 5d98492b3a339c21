//! A customer on a phone: headless Chromium (Debian's `chromium`, installed by `make test`) at
//! a 390×844 viewport opens a one-tap rating link from an email the delivery sweep sent (read
//! back from the emulator's outbox), so the page's script records the rating at once; then
//! answers the rest along a skip path (a low service score reveals "which step disappointed
//! you?", "call me back" reveals the preferred time), submits and sees the thank-you — in
//! English and in Chinese. On the way it checks that the rating faces are drawn alike and the
//! NPS scale is one even grid on the phone. Screenshots are kept under `target/artefacts/`.
//!
//! The pages are served by the runner's HTTP API in process (`common::front`: the template's
//! routes, real API Gateway v2 events, the functions on the test's table); the email's links
//! point at `PUBLIC_BASE_URL`, so the test opens them on the front's address instead. Chromium
//! is driven through the DevTools protocol over `--remote-debugging-pipe` (fds 3 and 4), so no
//! driver needs installing.

mod common;

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use chrono::Duration as Span;
use closeloop::domain::survey::Locale;
use closeloop::keys;
use closeloop_tests::browser::{Browser, CHROMIUM};
use closeloop_tests::{emails_to, TestEnv};
use common::front::{serve, Front};
use common::*;
use response_capture::ResponseCapture;
use serde_json::{json, Value};
use survey_delivery::SurveyDelivery;

struct Seen {
    /// Without script, the one-tap page shows the button that records the rating.
    confirm_offered: bool,
    saved_notice_after_tap: bool,
    tapped_face_selected: bool,
    follow_up_hidden_at_first: bool,
    follow_up_shown_after_low_score: bool,
    callback_time_shown_after_yes: bool,
    viewport_width: Value,
    /// Buttons per row of the NPS scale, top to bottom, and their widths in CSS pixels.
    nps_rows: Value,
    nps_widths: Value,
    /// How each rating face is drawn: the tag names inside the first rating's labels.
    faces: Value,
    thank_you: String,
}

/// Waits until the loaded page's text contains `text` (after a navigation the page's script
/// started; evaluating while it navigates may fail, which only means "not yet").
fn wait_for_text(browser: &mut Browser, text: &str) -> bool {
    for _ in 0..100 {
        let found = browser.try_send(
            "Runtime.evaluate",
            json!({"expression": "document.readyState === 'complete' ? document.body.innerText : ''", "returnByValue": true}),
        );
        if let Ok(result) = found {
            if result["result"]["value"]
                .as_str()
                .is_some_and(|t| t.contains(text))
            {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Opens the survey page at `url` on a phone, waits for `text`, and keeps its screenshot as
/// `name`; whether the text appeared.
fn look_at(url: &str, text: &str, name: &str) -> bool {
    let mut browser = Browser::launch();
    browser.open_phone_tab();
    browser.navigate(url);
    let seen = wait_for_text(&mut browser, text);
    browser.screenshot(name);
    seen
}

/// A link to `survey_id` (version 1) in `locale`, with its sent invitation, as the delivery
/// sweep leaves them.
async fn link_to(env: &TestEnv, survey_id: &str, invitation_id: &str, locale: Locale) -> String {
    use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
    let token = closeloop::domain::token::Token::generate(&mut rand::thread_rng());
    let link = closeloop::store::Link {
        token_hash: token.hash(),
        invitation_id: invitation_id.into(),
        survey_id: survey_id.into(),
        survey_version: 1,
        locale,
        attribution: Default::default(),
        sent_at: now(),
        link_expires_at: now() + Span::days(7),
        expires_at: (now() + Span::days(730)).timestamp(),
    };
    let home = keys::invitation::home(invitation_id);
    let invitation = Put::builder()
        .table_name(&env.table)
        .item("pk", AttributeValue::S(home.pk))
        .item("sk", AttributeValue::S(home.sk))
        .item("entity", AttributeValue::S("invitation".into()))
        .item("state", AttributeValue::S("sent".into()))
        .build()
        .unwrap();
    env.dynamodb
        .transact_write_items()
        .transact_items(env.deps.store.link_put(&link).unwrap())
        .transact_items(TransactWriteItem::builder().put(invitation).build())
        .send()
        .await
        .unwrap();
    token.as_str().to_string()
}

/// Opens the one-tap link `url` (a face in the email), waits for the rating to be saved, then
/// answers the rest along the skip path and submits.
fn answer_on_a_phone(url: &str, label: &str, saved: &str) -> Seen {
    let mut browser = Browser::launch();
    browser.open_phone_tab();
    // Without script (as a link scanner sees it) the page offers one button and posts nothing.
    browser.send(
        "Emulation.setScriptExecutionDisabled",
        json!({"value": true}),
    );
    browser.navigate(url);
    let confirm_offered =
        browser.eval("document.querySelector('#tap button') !== null") == json!(true);
    browser.screenshot(&format!("survey-{label}-tap-without-script.png"));
    browser.send(
        "Emulation.setScriptExecutionDisabled",
        json!({"value": false}),
    );
    browser.navigate(url);
    // The page's script posts the tapped rating at once; the answer is the form with it saved.
    let saved_notice_after_tap = wait_for_text(&mut browser, saved);
    browser.screenshot(&format!("survey-{label}-tapped.png"));
    let tapped_face_selected =
        browser.eval("document.getElementById('overall_satisfaction-2').checked") == json!(true);
    let viewport_width = browser.eval("window.innerWidth");
    let faces = browser.eval(
        "Array.from(document.querySelectorAll('.faces')[0].querySelectorAll('label')).map(function(l){return l.firstElementChild.tagName.toLowerCase()+':'+l.querySelector('.n').textContent})",
    );
    let nps_layout = browser.eval(
        "(function(){var ls=document.querySelectorAll('.nps label'),rows={},order=[],widths=[];\
for(var i=0;i<ls.length;i++){var r=ls[i].getBoundingClientRect(),t=Math.round(r.top+window.scrollY);\
if(!(t in rows)){rows[t]=0;order.push(t)}rows[t]++;widths.push(Math.round(r.width))}\
order.sort(function(a,b){return a-b});return {rows:order.map(function(t){return rows[t]}),widths:widths}})()",
    );
    let follow_up_hidden_at_first = browser.is_hidden("disappointing_step");
    for question in [
        "pq_reliability",
        "pq_fit",
        "pq_ease_of_use",
        "sr_resolution",
        "sr_expertise",
        "as_handling",
        "as_policy",
        "as_follow_up",
        "va_pricing",
        "va_worth",
        "va_vs_alternatives",
        "overall_expectations",
        "overall_experience",
    ] {
        browser.tap(&format!("label[for=\"{question}-4\"]"));
    }
    // The skip path: a slow first response reveals the follow-up.
    browser.tap("label[for=\"sr_first_response-2\"]");
    let follow_up_shown_after_low_score = !browser.is_hidden("disappointing_step");
    browser.type_into(
        "disappointing_step",
        "等待首次回复太久 / waited too long for a first reply",
    );
    browser.tap("label[for=\"nps-7\"]");
    browser.eval("document.querySelector('.nps').scrollIntoView({block:'center'})");
    browser.screenshot(&format!("survey-{label}-nps.png"));
    browser.tap("input[name=\"repurchase\"][value=\"probably\"]");
    browser.tap("input[name=\"improve_most\"][value=\"staff_training\"]");
    browser.tap("input[name=\"callback\"][value=\"yes\"]");
    let callback_time_shown_after_yes = !browser.is_hidden("callback_time");
    browser.type_into("callback_time", "weekday evenings");
    browser.screenshot(&format!("survey-{label}-answered.png"));
    browser.click_and_wait("#survey button[type=\"submit\"]");
    let thank_you = browser.text();
    browser.screenshot(&format!("survey-{label}-thank-you.png"));
    Seen {
        confirm_offered,
        saved_notice_after_tap,
        tapped_face_selected,
        follow_up_hidden_at_first,
        follow_up_shown_after_low_score,
        callback_time_shown_after_yes,
        viewport_width,
        nps_rows: nps_layout["rows"].clone(),
        nps_widths: nps_layout["widths"].clone(),
        faces,
        thank_you,
    }
}

#[test]
fn a_customer_taps_a_face_in_the_swept_email_and_finishes_in_chromium_on_a_phone() {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: `make test` installs Debian's chromium package"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let env = TestEnv::new("capture-browser").await;
        create_default_survey(&env).await;
        let delivery = SurveyDelivery::new(env.deps_for("survey-delivery"));
        let sent_at = now() + Span::hours(24);
        let front = Rc::new(Front {
            capture: ResponseCapture::new(env.deps_for("response-capture")),
            delivery: SurveyDelivery::new(env.deps_for("survey-delivery")),
            now: std::cell::Cell::new(sent_at + Span::minutes(30)),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::task::spawn_local(serve(listener, front));

        let suffix = rand::random::<u32>() % 100_000_000;
        let customers = [
            (
                "en",
                Locale::En,
                "BROWSER-EN",
                "Thank you, your rating is saved.",
                "Thank you for your feedback!",
            ),
            (
                "zh-CN",
                Locale::ZhCn,
                "BROWSER-ZH",
                "谢谢！您的评分已保存。",
                "感谢您的反馈！",
            ),
        ];
        for (label, locale, customer, _, _) in &customers {
            customer_with_purchase(
                &delivery,
                customer,
                json!({"email": format!("{customer}-{suffix}@example.com").to_lowercase(),
                       "locale": locale.as_str(), "email_consent": true, "sms_consent": true}),
                now(),
            )
            .await;
            let _ = label;
        }
        let report = sweep(&delivery, sent_at).await;
        assert_eq!(report["sent_email"], 2, "{report}");

        for (label, locale, customer, saved, thanks) in customers {
            let address = format!("{customer}-{suffix}@example.com").to_lowercase();
            let emails = emails_to(&address);
            assert_eq!(emails.len(), 1, "the sweep's email to {address}");
            let (_, _, html) = mime_parts(&emails[0]);
            let face = links_in(&html)
                .into_iter()
                .find(|l| l.ends_with("?r=2"))
                .unwrap_or_else(|| panic!("a one-tap face (r=2) in the email: {html}"));
            let url = face.replacen(LINK_BASE, &base, 1);

            let (tx, rx) = tokio::sync::oneshot::channel();
            let label_owned = label.to_string();
            let saved = saved.to_string();
            std::thread::spawn(move || {
                let _ = tx.send(answer_on_a_phone(&url, &label_owned, &saved));
            });
            let seen = rx.await.expect("the browser finished");
            assert_eq!(seen.viewport_width, json!(390));
            assert!(
                seen.confirm_offered,
                "{label}: one button confirms without script"
            );
            assert!(
                seen.saved_notice_after_tap,
                "{label}: the tap was posted and saved"
            );
            assert!(
                seen.tapped_face_selected,
                "{label}: the tapped face is selected"
            );
            // Drawn faces, the same on every system: an <svg> and the number in each label.
            assert_eq!(
                seen.faces,
                json!(["svg:1", "svg:2", "svg:3", "svg:4", "svg:5"]),
                "{label}"
            );
            // One even NPS grid on a 390 px phone: 0–5 over 6–10, buttons of one width.
            assert_eq!(seen.nps_rows, json!([6, 5]), "{label}: NPS rows");
            let widths: Vec<i64> = seen
                .nps_widths
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_i64().unwrap())
                .collect();
            assert!(
                widths
                    .iter()
                    .all(|w| (w - widths[0]).abs() <= 1 && *w >= 44),
                "{label}: NPS buttons of one width, at least 44 px: {widths:?}"
            );
            assert!(
                seen.follow_up_hidden_at_first,
                "the follow-up starts hidden"
            );
            assert!(
                seen.follow_up_shown_after_low_score,
                "a low score reveals the follow-up"
            );
            assert!(seen.callback_time_shown_after_yes);
            assert!(
                seen.thank_you.contains(thanks),
                "{label}: {}",
                seen.thank_you
            );

            let invitation = format!("ev-p-{customer}");
            let stored = item(&env, keys::response::for_invitation(&invitation))
                .await
                .expect("recorded");
            assert_eq!(stored["complete"].as_bool().unwrap(), &true);
            // Revision 1 was the tap; the form completed it.
            assert_eq!(stored["revision"].as_n().unwrap(), "2");
            assert_eq!(stored["outcome"].as_n().unwrap(), "2", "the tapped rating");
            assert_eq!(s(&stored, "locale"), locale.as_str());
            assert_eq!(s(&stored, "channel"), "email");
            let answers = stored["answers"].as_m().unwrap();
            assert_eq!(
                answers["sr_first_response"].as_m().unwrap()["number"]
                    .as_n()
                    .unwrap(),
                "2"
            );
            assert!(answers["disappointing_step"].as_m().unwrap()["text"]
                .as_s()
                .unwrap()
                .contains("waited too long"));
            let callback = stored["callback"].as_m().unwrap();
            assert_eq!(
                callback["preferred_time"].as_s().unwrap(),
                "weekday evenings"
            );
            let invitation_item = item(&env, keys::invitation::home(&invitation))
                .await
                .unwrap();
            assert_eq!(s(&invitation_item, "state"), "answered");
        }
        assert_eq!(responses(&env).await.len(), 2);

        // The short transactional survey events invite to, as a phone shows it: its time.
        let short: closeloop::domain::survey::NewSurvey = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../surveys/default.json"
            ))
            .unwrap(),
        )
        .unwrap();
        env.deps
            .store
            .create_survey(
                closeloop::domain::survey::SurveyId::parse("csat-short").unwrap(),
                short.definition.validate().unwrap(),
                now(),
            )
            .await
            .unwrap();
        for (label, locale, time) in [
            ("en", Locale::En, "This survey takes about 2 minutes."),
            ("zh-CN", Locale::ZhCn, "本问卷约 2 分钟。"),
        ] {
            let token = link_to(&env, "csat-short", &format!("inv-short-{label}"), locale).await;
            let url = format!("{base}/s/{token}");
            let name = format!("survey-short-{label}.png");
            let (tx, rx) = tokio::sync::oneshot::channel();
            std::thread::spawn(move || {
                let _ = tx.send(look_at(&url, time, &name));
            });
            assert!(
                rx.await.expect("the browser finished"),
                "{label}: the short survey states its time"
            );
        }
        let artefacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/artefacts");
        for label in ["en", "zh-CN"] {
            assert!(artefacts.join(format!("survey-short-{label}.png")).exists());
            for shot in [
                "tap-without-script",
                "tapped",
                "nps",
                "answered",
                "thank-you",
            ] {
                assert!(artefacts
                    .join(format!("survey-{label}-{shot}.png"))
                    .exists());
            }
        }
    });
}

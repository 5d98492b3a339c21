//! Answering a survey link against the emulator: exactly once, replays, changes, one-tap,
//! skip logic without script, expiry.

mod common;

use closeloop::domain::response::SurveyResponse;
use closeloop::domain::survey::Locale;
use closeloop::keys;
use closeloop_tests::TestEnv;
use common::*;
use response_capture::ResponseCapture;
use serde_json::{json, Value};

async fn setup(label: &str) -> (TestEnv, ResponseCapture) {
    let env = TestEnv::new(label).await;
    create_default_survey(&env).await;
    let function = ResponseCapture::new(env.deps_for("response-capture"));
    (env, function)
}

fn assert_private_page(reply: &Reply) {
    assert_eq!(reply.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(reply.headers["referrer-policy"], "no-referrer");
    assert_eq!(reply.headers["cache-control"], "no-store");
    let csp = reply.headers["content-security-policy"].as_str().unwrap();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
}

#[tokio::test]
async fn the_form_renders_every_visible_question_accessibly() {
    let (env, function) = setup("capture-form").await;
    let token = invite(&env, "inv-form", Locale::En, "sent").await;
    let page = call(&function, get(token.as_str()).into_value()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_private_page(&page);
    let csp = page.headers["content-security-policy"].as_str().unwrap();
    // The one inline script carries this response's nonce; nothing else may run.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("script nonce in CSP");
    assert!(page.body.contains(&format!("<script nonce=\"{nonce}\">")));
    assert!(
        !page.body.contains("http://") && !page.body.contains("https://"),
        "no outside assets"
    );
    // Faces that still carry their numbers for screen readers.
    assert!(page
        .body
        .contains("id=\"pq_reliability-1\" name=\"pq_reliability\" value=\"1\""));
    assert!(page
        .body
        .contains("<span class=\"sr\">1 – Very dissatisfied</span>"));
    assert!(page.body.contains("<label for=\"nps-10\">10</label>"));
    // The follow-up is in the page but hidden and disabled until a low score reveals it.
    assert!(page.body.contains("data-q=\"disappointing_step\""));
    assert!(page.body.contains("care@closeloop.test") && page.body.contains("+864001234567"));
    assert!(!page.body.contains(token.as_str()));
    // Survey head + version, link + invitation: opening wrote nothing.
    assert_eq!(env.item_count().await, 4, "opening a link writes nothing");

    let zh = invite(&env, "inv-form-zh", Locale::ZhCn, "sent").await;
    let page = call(&function, get(zh.as_str()).into_value()).await;
    assert!(page.body.contains("lang=\"zh-CN\"") && page.body.contains("客户满意度调查"));
    assert!(page.body.contains("提交"));
}

#[tokio::test]
async fn rating_faces_are_drawn_alike_not_left_to_emoji_fonts() {
    let (env, function) = setup("capture-faces").await;
    let token = invite(&env, "inv-faces", Locale::ZhCn, "sent").await;
    let page = call(&function, get(token.as_str()).into_value()).await;
    assert_eq!(page.status, 200);
    // Emoji faces rendered partly in colour, partly in monochrome: none are left.
    let emoji: Vec<char> = page
        .body
        .chars()
        .filter(|c| {
            ('\u{1F300}'..='\u{1FAFF}').contains(c) || ('\u{2600}'..='\u{27BF}').contains(c)
        })
        .collect();
    assert!(emoji.is_empty(), "emoji on the page: {emoji:?}");
    let ratings = page.body.matches("<div class=\"scale faces\">").count();
    assert!(ratings > 0);
    assert_eq!(
        page.body.matches("<svg class=\"face\"").count(),
        ratings * 5
    );
    // Five different faces, each the same wherever it appears.
    let first = page
        .body
        .split("<div class=\"scale faces\">")
        .nth(1)
        .unwrap();
    let faces: Vec<&str> = first
        .split("<svg class=\"face\"")
        .skip(1)
        .take(5)
        .map(|f| f.split("</svg>").next().unwrap())
        .collect();
    for (i, face) in faces.iter().enumerate() {
        assert!(!faces[..i].contains(face), "face {} repeats", i + 1);
        assert_eq!(page.body.matches(face).count(), ratings, "face {}", i + 1);
    }
}

#[tokio::test]
async fn an_answer_is_recorded_once_and_the_invitation_is_answered() {
    let (env, function) = setup("capture-once").await;
    let token = invite(&env, "inv-1", Locale::En, "sent").await;
    let body = format!(
        "{}&improve_text=Faster+replies%2C+please&callback=yes&callback_time=after+6pm&{}",
        complete_form(4),
        shown_all()
    );
    let first = call(&function, form(post(token.as_str()), &body)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_private_page(&first);
    assert!(first.body.contains("Thank you for your feedback!"));

    let stored = item(&env, keys::response::for_invitation("inv-1"))
        .await
        .unwrap();
    assert_eq!(s(&stored, "entity"), "response");
    assert_eq!(s(&stored, "survey_id"), "csat-default");
    assert_eq!(stored["survey_version"].as_n().unwrap(), "1");
    assert_eq!(s(&stored, "customer_id"), "C202405001");
    assert_eq!(s(&stored, "channel"), "sms");
    assert_eq!(s(&stored, "agent"), "S008");
    assert_eq!(s(&stored, "segment"), "returning");
    assert_eq!(stored["complete"].as_bool().unwrap(), &true);
    assert_eq!(stored["revision"].as_n().unwrap(), "1");
    // The outcome (overall satisfaction) apart from the index of the four dimensions.
    assert_eq!(stored["outcome"].as_n().unwrap(), "4");
    assert_eq!(stored["satisfaction_index"].as_n().unwrap(), "4");
    assert!(!stored.contains_key("overall_score"));
    assert_eq!(s(&stored, "nps_bucket"), "promoter");
    assert!(stored["expires_at"].as_n().is_ok());
    let callback = stored["callback"].as_m().unwrap();
    assert_eq!(callback["requested"].as_bool().unwrap(), &true);
    assert_eq!(callback["preferred_time"].as_s().unwrap(), "after 6pm");
    let open = stored["open_text"].as_m().unwrap();
    assert_eq!(
        open["improve_text"].as_s().unwrap(),
        "Faster replies, please"
    );
    // Unanswered optional questions are missing, not zero.
    let missing: Vec<&str> = stored["missing"]
        .as_l()
        .unwrap()
        .iter()
        .map(|v| v.as_s().unwrap().as_str())
        .collect();
    assert_eq!(missing, ["improve_most"]);
    let answers = stored["answers"].as_m().unwrap();
    assert!(!answers.contains_key("improve_most"));
    let dims = stored["dimension_scores"].as_m().unwrap();
    assert_eq!(dims.len(), 4);
    // And the exact parts reports add up: every dimension's sum and count of ratings.
    let tallies = stored["dimension_tallies"].as_m().unwrap();
    assert_eq!(tallies.len(), 4);
    for (dimension, tally) in tallies {
        let tally = tally.as_m().unwrap();
        assert_eq!(tally["count"].as_n().unwrap(), "3", "{dimension}");
        assert_eq!(tally["sum"].as_n().unwrap(), "12", "{dimension}");
        assert_eq!(dims[dimension].as_n().unwrap(), "4", "{dimension}");
    }

    let invitation = item(&env, keys::invitation::home("inv-1")).await.unwrap();
    assert_eq!(s(&invitation, "state"), "answered");
    assert!(invitation.contains_key("answered_at"));
    assert!(!invitation.contains_key("due_pk") && !invitation.contains_key("due_at"));

    // The same answers again: the same thank-you, nothing new.
    let again = call(&function, form(post(token.as_str()), &body)).await;
    assert_eq!((again.status, &again.body), (200, &first.body));
    // Different answers: 409, and the first answers stay.
    let changed = call(&function, form(post(token.as_str()), &complete_form(5))).await;
    assert_eq!(changed.status, 409);
    assert!(changed.body.contains("already answered"));
    assert_eq!(
        item(&env, keys::response::for_invitation("inv-1"))
            .await
            .unwrap(),
        stored
    );
    assert_eq!(responses(&env).await.len(), 1);
    // Opening the link again shows the thank-you.
    let reopened = call(&function, get(token.as_str()).into_value()).await;
    assert!(reopened.body.contains("Thank you for your feedback!"));
}

#[tokio::test]
async fn json_clients_get_json() {
    let (env, function) = setup("capture-json").await;
    let token = invite(&env, "inv-json", Locale::ZhCn, "reminded").await;
    let mut answers = serde_json::Map::new();
    for (k, v) in complete_answers(5) {
        let value = v.parse::<u8>().map(|n| json!(n)).unwrap_or(json!(v));
        answers.insert(k, value);
    }
    answers.insert("improve_most".into(), json!(["staff_training", "other"]));
    answers.insert("improve_text".into(), Value::Null);
    let body = json!({ "answers": answers }).to_string();
    let first = call(
        &function,
        post(token.as_str()).json_body(&body).into_value(),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let reply: Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(reply["status"], "recorded");
    let again = call(
        &function,
        post(token.as_str()).json_body(&body).into_value(),
    )
    .await;
    assert_eq!(again.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&again.body).unwrap()["status"],
        "already_recorded"
    );
    answers.insert("nps".into(), json!(3));
    let changed = json!({ "answers": answers }).to_string();
    let conflict = call(
        &function,
        post(token.as_str()).json_body(&changed).into_value(),
    )
    .await;
    assert_eq!(conflict.status, 409);
    assert_eq!(
        serde_json::from_str::<Value>(&conflict.body).unwrap()["error"],
        "conflict"
    );
    let stored = item(&env, keys::response::for_invitation("inv-json"))
        .await
        .unwrap();
    assert_eq!(s(&stored, "locale"), "zh-CN");
    assert_eq!(stored["nps"].as_n().unwrap(), "9");
    let missing = stored["missing"].as_l().unwrap();
    assert!(missing.iter().any(|m| m.as_s().unwrap() == "improve_text"));
}

#[tokio::test]
async fn without_script_the_server_reveals_follow_ups_before_recording() {
    let (env, function) = setup("capture-skip").await;
    let token = invite(&env, "inv-skip", Locale::En, "sent").await;
    let before = env.item_count().await;
    // A low service score reveals "which step disappointed you?", which the page did not show.
    let shown = "_shown=pq_reliability,sr_first_response";
    let body = format!("{}&{shown}", complete_form(2));
    let page = call(&function, form(post(token.as_str()), &body)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("changed which questions apply"));
    let follow_up = page
        .body
        .split("data-q=\"disappointing_step\"")
        .nth(1)
        .unwrap()
        .split("</fieldset>")
        .next()
        .unwrap();
    assert!(
        !follow_up.contains(" hidden") && !follow_up.contains("disabled"),
        "{follow_up}"
    );
    assert!(
        page.body.contains("value=\"2\" checked"),
        "answers are kept"
    );
    assert_eq!(env.item_count().await, before, "nothing recorded yet");
    // Submitting without the now-visible required follow-up names it.
    let shown_all = shown_all();
    let missing = call(
        &function,
        form(
            post(token.as_str()),
            &format!("{}&{shown_all}", complete_form(2)),
        ),
    )
    .await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("id=\"disappointing_step-err\""));
    assert_eq!(env.item_count().await, before);
    // Answered: recorded.
    let done = call(
        &function,
        form(
            post(token.as_str()),
            &format!(
                "{}&disappointing_step=waiting+on+hold&{shown_all}",
                complete_form(2)
            ),
        ),
    )
    .await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Thank you"));
    let stored = item(&env, keys::response::for_invitation("inv-skip"))
        .await
        .unwrap();
    assert_eq!(
        stored["open_text"].as_m().unwrap()["disappointing_step"]
            .as_s()
            .unwrap(),
        "waiting on hold"
    );
}

#[tokio::test]
async fn a_changed_mind_drops_the_hidden_answer_but_a_forged_one_is_refused() {
    let (env, function) = setup("capture-hidden").await;
    let token = invite(&env, "inv-hidden", Locale::En, "sent").await;
    // The page showed callback_time (callback was yes), then the respondent chose no: the
    // form comes back without the answer that no longer applies, and nothing is recorded.
    let before = env.item_count().await;
    let changed_mind = format!(
        "{}&callback=no&callback_time=noon&{}",
        complete_form(4),
        shown_all()
    );
    let reply = call(&function, form(post(token.as_str()), &changed_mind)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("changed which questions apply"));
    assert!(!reply.body.contains(">noon<"));
    assert_eq!(env.item_count().await, before);
    let resubmitted = format!("{}&callback=no&{}", complete_form(4), shown_all());
    let reply = call(&function, form(post(token.as_str()), &resubmitted)).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("Thank you"));
    let stored = item(&env, keys::response::for_invitation("inv-hidden"))
        .await
        .unwrap();
    assert!(!stored["answers"]
        .as_m()
        .unwrap()
        .contains_key("callback_time"));
    assert_eq!(
        stored["callback"].as_m().unwrap()["requested"]
            .as_bool()
            .unwrap(),
        &false
    );

    let other = invite(&env, "inv-forged", Locale::En, "sent").await;
    let before = env.item_count().await;
    let forged = format!("{}&disappointing_step=x&_shown=pq_fit", complete_form(5));
    let reply = call(&function, form(post(other.as_str()), &forged)).await;
    assert_eq!(reply.status, 400);
    let json = json!({"answers": {"disappointing_step": "x"}}).to_string();
    let reply = call(
        &function,
        post(other.as_str()).json_body(&json).into_value(),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn opening_a_one_tap_link_writes_nothing_and_offers_the_rating() {
    let (env, function) = setup("capture-tap-open").await;
    let token = invite(&env, "inv-tap-open", Locale::En, "sent").await;
    let before = table(&env).await;
    // What a mail gateway or a chat preview does: fetch every rating link, again and again.
    for _ in 0..3 {
        for r in 1..=5u8 {
            let opened = call(
                &function,
                get(token.as_str()).query("r", &r.to_string()).into_value(),
            )
            .await;
            assert_eq!(opened.status, 200, "{}", opened.body);
            assert_private_page(&opened);
            assert!(opened.body.contains(&format!(
                "id=\"overall_satisfaction-{r}\" name=\"overall_satisfaction\" value=\"{r}\" checked"
            )));
            // One button records it (the page's script presses it at once).
            assert!(opened
                .body
                .contains(&format!("name=\"_tap\" value=\"{r}\"")));
            assert!(opened.body.contains("Send my rating"));
            assert!(opened.body.contains("data-auto-post"));
        }
    }
    let bad = call(&function, get(token.as_str()).query("r", "9").into_value()).await;
    assert_eq!(bad.status, 400);
    assert_eq!(table(&env).await, before, "opening links wrote something");
    let invitation = item(&env, keys::invitation::home("inv-tap-open"))
        .await
        .unwrap();
    assert_eq!(s(&invitation, "state"), "sent");
    assert!(
        invitation.contains_key("due_pk"),
        "still due for its reminder"
    );
}

#[tokio::test]
async fn one_tap_records_a_partial_response_that_finishing_upgrades() {
    let (env, function) = setup("capture-tap").await;
    let token = invite(&env, "inv-tap", Locale::En, "sent").await;
    let tapped = call(&function, tap(token.as_str(), 2)).await;
    assert_eq!(tapped.status, 200, "{}", tapped.body);
    assert!(tapped.body.contains("your rating is saved"));
    assert!(tapped.body.contains(
        "id=\"overall_satisfaction-2\" name=\"overall_satisfaction\" value=\"2\" checked"
    ));
    assert!(
        !tapped.body.contains("name=\"_tap\""),
        "nothing left to confirm"
    );
    let partial = item(&env, keys::response::for_invitation("inv-tap"))
        .await
        .unwrap();
    assert_eq!(partial["complete"].as_bool().unwrap(), &false);
    assert_eq!(partial["answers"].as_m().unwrap().len(), 1);
    let invitation = item(&env, keys::invitation::home("inv-tap")).await.unwrap();
    assert_eq!(s(&invitation, "state"), "answered");
    // Opening the link again shows the rating kept, and writes nothing.
    let reopened = call(&function, get(token.as_str()).into_value()).await;
    assert!(reopened.body.contains(
        "id=\"overall_satisfaction-2\" name=\"overall_satisfaction\" value=\"2\" checked"
    ));
    // A second tap (another number) replaces the rating; tapping is never a 409.
    let again = call(&function, tap(token.as_str(), 3)).await;
    assert_eq!(again.status, 200);
    let partial = item(&env, keys::response::for_invitation("inv-tap"))
        .await
        .unwrap();
    assert_eq!(partial["outcome"].as_n().unwrap(), "3");
    assert_eq!(partial["revision"].as_n().unwrap(), "2");
    assert!(
        !partial.contains_key("satisfaction_index"),
        "a tap rates no dimension"
    );
    // A bad tap writes nothing.
    let before = env.items().await;
    let bad = call(&function, tap(token.as_str(), 9)).await;
    assert_eq!(bad.status, 400);
    let mixed = call(
        &function,
        form(post(token.as_str()), "_tap=4&overall_satisfaction=4"),
    )
    .await;
    assert_eq!(mixed.status, 400);
    assert_eq!(env.items().await, before);
    // Finishing upgrades the same response.
    let done = call(&function, form(post(token.as_str()), &complete_form(4))).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let complete = item(&env, keys::response::for_invitation("inv-tap"))
        .await
        .unwrap();
    assert_eq!(complete["complete"].as_bool().unwrap(), &true);
    assert_eq!(complete["revision"].as_n().unwrap(), "3");
    assert_eq!(s(&complete, "created_at"), s(&partial, "created_at"));
    assert_eq!(responses(&env).await.len(), 1);
    // After completion, opening or posting a tap shows the thank-you and changes nothing.
    let late = call(&function, get(token.as_str()).query("r", "1").into_value()).await;
    assert!(late.body.contains("Thank you"));
    let late = call(&function, tap(token.as_str(), 1)).await;
    assert!(late.body.contains("Thank you"));
    assert_eq!(
        item(&env, keys::response::for_invitation("inv-tap"))
            .await
            .unwrap(),
        complete
    );
}

#[tokio::test]
async fn expired_and_closed_invitations_get_410() {
    let (env, function) = setup("capture-gone").await;
    let expired = invite_with(
        &env,
        "inv-old",
        Locale::En,
        "sent",
        now() - chrono::Duration::hours(1),
    )
    .await;
    let closed = invite(&env, "inv-closed", Locale::En, "expired").await;
    let before = env.item_count().await;
    for token in [&expired, &closed] {
        let reply = call(&function, form(post(token.as_str()), &complete_form(4))).await;
        assert_eq!(reply.status, 410, "{}", reply.body);
        assert_private_page(&reply);
        assert!(reply.body.contains("closed"));
        let tap = call(&function, get(token.as_str()).query("r", "4").into_value()).await;
        assert_eq!(tap.status, 410);
    }
    // Opening the link says so too, whether the link or the invitation has expired.
    for token in [&expired, &closed] {
        let page = call(&function, get(token.as_str()).into_value()).await;
        assert_eq!(page.status, 410, "{}", page.body);
        assert_private_page(&page);
        assert!(page.body.contains("This survey has closed"));
        let tap = call(&function, tap(token.as_str(), 4)).await;
        assert_eq!(tap.status, 410);
    }
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn oversized_bodies_get_413_and_other_media_types_415() {
    let (env, function) = setup("capture-limits").await;
    let token = invite(&env, "inv-big", Locale::En, "sent").await;
    let before = env.item_count().await;
    let big = format!(
        "{}&improve_text={}",
        complete_form(4),
        "a".repeat(70 * 1024)
    );
    let reply = call(&function, form(post(token.as_str()), &big)).await;
    assert_eq!(reply.status, 413);
    assert_private_page(&reply);
    let reply = call(
        &function,
        post(token.as_str())
            .header("content-type", "multipart/form-data; boundary=x")
            .raw_body("--x--")
            .into_value(),
    )
    .await;
    assert_eq!(reply.status, 415);
    assert_eq!(env.item_count().await, before);
}

/// The default survey's required answers as a JSON body, every rating `rating`.
fn json_answers(rating: u8) -> String {
    let answers: serde_json::Map<String, Value> = complete_answers(rating)
        .into_iter()
        .map(|(k, v)| {
            let value = v.parse::<u8>().map(|n| json!(n)).unwrap_or(json!(v));
            (k, value)
        })
        .collect();
    json!({ "answers": answers }).to_string()
}

/// Two completions of one tapped response at once: exactly one is stored (the tap's revision
/// + 1), and the other gets what a later submission would: a replay of the same answers, or a
/// 409 for different ones.
#[tokio::test]
async fn concurrent_completions_of_a_tap_store_one_and_the_other_replays_or_conflicts() {
    let (env, function) = setup("capture-race").await;
    for round in 0..3 {
        for (case, ratings) in [("same", [4, 4]), ("different", [4, 5])] {
            let id = format!("inv-race-{case}-{round}");
            let token = invite(&env, &id, Locale::En, "sent").await;
            let tap = call(&function, tap(token.as_str(), 2)).await;
            assert_eq!(tap.status, 200, "{}", tap.body);
            let post_json = |rating: u8| {
                call(
                    &function,
                    post(token.as_str())
                        .json_body(&json_answers(rating))
                        .into_value(),
                )
            };
            let (a, b) = tokio::join!(post_json(ratings[0]), post_json(ratings[1]));
            let stored = item(&env, keys::response::for_invitation(&id))
                .await
                .unwrap();
            assert_eq!(stored["complete"].as_bool().unwrap(), &true);
            assert_eq!(
                stored["revision"].as_n().unwrap(),
                "2",
                "one write after the tap"
            );
            let replies = [
                (a.status, &a.body, ratings[0]),
                (b.status, &b.body, ratings[1]),
            ];
            let winners: Vec<_> = replies.iter().filter(|r| r.0 == 201).collect();
            assert_eq!(winners.len(), 1, "{replies:?}");
            let winner = winners[0];
            assert_eq!(
                serde_json::from_str::<Value>(winner.1).unwrap()["status"],
                "recorded"
            );
            assert_eq!(stored["outcome"].as_n().unwrap(), &winner.2.to_string());
            let loser = replies.iter().find(|r| r.0 != 201).unwrap();
            if case == "same" {
                assert_eq!(loser.0, 200, "{}", loser.1);
                assert_eq!(
                    serde_json::from_str::<Value>(loser.1).unwrap()["status"],
                    "already_recorded"
                );
            } else {
                assert_eq!(loser.0, 409, "{}", loser.1);
            }
        }
    }
    assert_eq!(responses(&env).await.len(), 6);
}

/// The optimistic lock: a replacement is written only over the revision it was built from.
#[tokio::test]
async fn a_replacement_built_from_an_older_revision_is_refused() {
    let (env, function) = setup("capture-revision").await;
    let token = invite(&env, "inv-rev", Locale::En, "sent").await;
    call(&function, tap(token.as_str(), 2)).await;
    let store = &env.deps.store;
    let first = store
        .get_invited_response("inv-rev")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.revision, 1);
    // Another tap writes revision 2 in between.
    call(&function, tap(token.as_str(), 3)).await;
    let stale = SurveyResponse {
        revision: 2,
        ..first.clone()
    };
    assert!(!store
        .replace_partial_response("inv-rev", &stale)
        .await
        .unwrap());
    let stored = store
        .get_invited_response("inv-rev")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.revision, stored.outcome), (2, Some(3)));
    let current = SurveyResponse {
        revision: 3,
        ..first
    };
    assert!(store
        .replace_partial_response("inv-rev", &current)
        .await
        .unwrap());

    // A response stored before revisions existed counts as revision 1 and is completed as 2.
    let token = invite(&env, "inv-old-tap", Locale::En, "sent").await;
    call(&function, tap(token.as_str(), 2)).await;
    let key = keys::response::for_invitation("inv-old-tap");
    env.dynamodb
        .update_item()
        .table_name(&env.table)
        .set_key(Some(key.to_attributes()))
        .update_expression("REMOVE revision")
        .send()
        .await
        .unwrap();
    assert!(!item(&env, key.clone())
        .await
        .unwrap()
        .contains_key("revision"));
    let done = call(&function, form(post(token.as_str()), &complete_form(4))).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let stored = item(&env, key).await.unwrap();
    assert_eq!(stored["complete"].as_bool().unwrap(), &true);
    assert_eq!(stored["revision"].as_n().unwrap(), "2");
}

#[tokio::test]
async fn json_answers_with_a_repeated_key_are_refused_and_record_nothing() {
    let (env, function) = setup("capture-duplicate").await;
    let token = invite(&env, "inv-dup", Locale::En, "sent").await;
    let mut answers = serde_json::Map::new();
    for (k, v) in complete_answers(5) {
        let value = v.parse::<u8>().map(|n| json!(n)).unwrap_or(json!(v));
        answers.insert(k, value);
    }
    answers.remove("nps");
    let fields = json!(answers).to_string();
    // `{"answers":{…,"nps":2,"nps":9}}`: which one did the customer mean?
    let body = format!(
        "{{\"answers\":{},\"nps\":2,\"nps\":9}}}}",
        fields.trim_end_matches('}')
    );
    let before = env.items().await;
    let reply = call(
        &function,
        post(token.as_str()).json_body(&body).into_value(),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    let error: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(error["field"], "answers.nps", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("\"nps\" appears more than once"),
        "{error}"
    );
    assert_eq!(env.items().await, before, "a refused answer writes nothing");
}

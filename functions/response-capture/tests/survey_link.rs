//! The public survey link against the emulator: unknown and malformed links get the same
//! friendly page, a known invitation opens its survey version, and every page is private.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use closeloop::domain::attribution::Attribution;
use closeloop::domain::survey::{Locale, NewSurvey, SurveyId};
use closeloop::domain::token::Token;
use closeloop::lambda::dispatch;
use closeloop::store::Link;
use closeloop_tests::{HttpEvent, TestEnv};
use response_capture::ResponseCapture;
use serde_json::Value;

fn survey_link(route: &str, token: &str) -> HttpEvent {
    HttpEvent::new(route, &format!("/s/{token}")).path_parameter("token", token)
}

async fn open(function: &ResponseCapture, event: HttpEvent) -> (u16, Value, String) {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let reply = dispatch(function, event.into_value(), now).await.unwrap();
    let status = reply["statusCode"].as_u64().unwrap() as u16;
    let body = reply["body"].as_str().unwrap_or_default().to_string();
    (status, reply["headers"].clone(), body)
}

fn assert_private_page(headers: &Value) {
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].as_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

#[tokio::test]
async fn unknown_and_malformed_links_get_the_same_friendly_page() {
    let env = TestEnv::new("capture-unknown").await;
    let function = ResponseCapture::new(env.deps_for("response-capture"));
    let unknown = Token::generate(&mut rand::thread_rng());
    let mut pages = Vec::new();
    for token in [unknown.as_str(), "not-a-token", "%00%ff", "AAAA"] {
        for route in ["GET /s/{token}", "POST /s/{token}"] {
            let (status, headers, body) = open(
                &function,
                survey_link(route, token).header("accept-language", "en-GB,en;q=0.8"),
            )
            .await;
            assert_eq!(status, 404, "{route} {token}");
            assert_private_page(&headers);
            assert!(body.contains("This link does not work"), "{body}");
            assert!(
                body.contains("care@closeloop.test"),
                "the page shows how to reach us"
            );
            pages.push(body);
        }
    }
    assert!(
        pages.windows(2).all(|w| w[0] == w[1]),
        "no difference to probe"
    );
    assert_eq!(env.item_count().await, 0);

    let (_, _, chinese) = open(&function, survey_link("GET /s/{token}", unknown.as_str())).await;
    assert!(
        chinese.contains("lang=\"zh-CN\"") && chinese.contains("链接无效"),
        "{chinese}"
    );
}

#[tokio::test]
async fn a_known_invitation_opens_its_survey_version_in_its_language() {
    let env = TestEnv::new("capture-known").await;
    let function = ResponseCapture::new(env.deps_for("response-capture"));
    let new: NewSurvey = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../surveys/relationship.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let id = SurveyId::parse("csat-default").unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    let survey = env
        .deps
        .store
        .create_survey(id, new.definition.validate().unwrap(), now)
        .await
        .unwrap();

    let token = Token::generate(&mut rand::thread_rng());
    let link = Link {
        token_hash: token.hash(),
        invitation_id: "inv-1".into(),
        survey_id: "csat-default".into(),
        survey_version: 1,
        locale: Locale::En,
        attribution: Attribution {
            channel: Some("sms".into()),
            customer_id: Some("C202405001".into()),
            agent: Some("S008".into()),
            ..Attribution::default()
        },
        sent_at: now,
        link_expires_at: now + chrono::Duration::days(7),
        expires_at: (now + chrono::Duration::days(730)).timestamp(),
    };
    // The link and its invitation, sent, as the delivery sweep leaves them.
    let home = closeloop::keys::invitation::home("inv-1");
    env.dynamodb
        .transact_write_items()
        .transact_items(env.deps.store.link_put(&link).unwrap())
        .transact_items(
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .put(
                    aws_sdk_dynamodb::types::Put::builder()
                        .table_name(&env.table)
                        .item("pk", aws_sdk_dynamodb::types::AttributeValue::S(home.pk))
                        .item("sk", aws_sdk_dynamodb::types::AttributeValue::S(home.sk))
                        .item(
                            "entity",
                            aws_sdk_dynamodb::types::AttributeValue::S("invitation".into()),
                        )
                        .item(
                            "state",
                            aws_sdk_dynamodb::types::AttributeValue::S("sent".into()),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    // The invitation's language wins over the browser's.
    let (status, headers, body) = open(
        &function,
        survey_link("GET /s/{token}", token.as_str()).header("accept-language", "zh-CN"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_private_page(&headers);
    assert!(body.contains(&survey.definition.title.en), "{body}");
    assert!(body.contains("lang=\"en\""));
    assert!(
        !body.contains(token.as_str()),
        "the token is not echoed into the page"
    );
}

/// Stores `surveys/<file>.json` as `id` and a link to it in `locale`; the link's token.
async fn survey_behind_a_link(env: &TestEnv, file: &str, id: &str, locale: Locale) -> Token {
    let path = format!("{}/../../surveys/{file}.json", env!("CARGO_MANIFEST_DIR"));
    let new: NewSurvey = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    env.deps
        .store
        .create_survey(
            SurveyId::parse(id).unwrap(),
            new.definition.validate().unwrap(),
            now,
        )
        .await
        .unwrap();
    let token = Token::generate(&mut rand::thread_rng());
    let link = Link {
        token_hash: token.hash(),
        invitation_id: format!("inv-{id}"),
        survey_id: id.into(),
        survey_version: 1,
        locale,
        attribution: Attribution::default(),
        sent_at: now,
        link_expires_at: now + chrono::Duration::days(7),
        expires_at: (now + chrono::Duration::days(730)).timestamp(),
    };
    // The invitation behind it, sent and still taking answers.
    let home = closeloop::keys::invitation::home(&link.invitation_id);
    let invitation = aws_sdk_dynamodb::types::Put::builder()
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
        .transact_items(
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .put(invitation)
                .build(),
        )
        .send()
        .await
        .unwrap();
    token
}

#[tokio::test]
async fn each_default_survey_states_its_time_and_the_long_one_shows_progress() {
    let env = TestEnv::new("capture-estimate").await;
    let function = ResponseCapture::new(env.deps_for("response-capture"));
    for (file, id, locale, time, long) in [
        (
            "default",
            "csat-default",
            Locale::En,
            "This survey takes about 2 minutes.",
            false,
        ),
        (
            "default",
            "csat-default-zh",
            Locale::ZhCn,
            "本问卷约 2 分钟。",
            false,
        ),
        (
            "relationship",
            "relationship",
            Locale::En,
            "This survey takes about 4 minutes.",
            true,
        ),
        (
            "relationship",
            "relationship-zh",
            Locale::ZhCn,
            "本问卷约 4 分钟。",
            true,
        ),
    ] {
        let token = survey_behind_a_link(&env, file, id, locale).await;
        let (status, _, body) =
            open(&function, survey_link("GET /s/{token}", token.as_str())).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(time), "{id}: {body}");
        // No page promises a fixed time of its own any more.
        assert!(
            !body.contains("3 minutes") && !body.contains("3 分钟"),
            "{id}"
        );
        assert_eq!(body.contains("class=\"progress\""), long, "{id}");
        if long {
            let words = match locale {
                Locale::En => "\"Answered \" counter(answered) \" of \" counter(shown)",
                Locale::ZhCn => "\"已答 \" counter(answered) \" / \" counter(shown) \" 题\"",
            };
            assert!(body.contains(words), "{id}: {body}");
        }
    }
}

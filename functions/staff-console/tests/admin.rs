//! The admin pages: only admins open them; a survey version is admitted by the API's own check,
//! each problem shown at the field it names and nothing written; a saved version is listed
//! and previewed with the customer's own form.

mod support;

use chrono::Utc;
use closeloop::domain::survey::SurveyId;
use http::StatusCode;
use serde_json::Value;
use support::{text, ConsoleTest};

const SURVEY: &str = "csat-console";

async fn with_survey(label: &str) -> ConsoleTest {
    let t = ConsoleTest::new(label).await;
    closeloop_tests::generate::create_survey(&t.console.deps.store, SURVEY, Utc::now()).await;
    t
}

/// The markup of the editor part `data-field="<path>"`, up to the next part.
fn part<'a>(page: &'a str, path: &str) -> &'a str {
    let marker = format!("data-field=\"{path}\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no part {path} in the page"));
    let rest = &page[start + marker.len()..];
    let end = rest.find("data-field=\"").unwrap_or(rest.len());
    &rest[..end]
}

/// The element that opens the part `path` (its classes).
fn opening<'a>(page: &'a str, path: &str) -> &'a str {
    let marker = format!("data-field=\"{path}\"");
    let at = page.find(&marker).unwrap();
    let open = page[..at].rfind('<').unwrap();
    &page[open..at]
}

/// The fields of the editor for `definition`, its questions one box each.
fn editor_fields(definition: &Value) -> Vec<(String, String)> {
    let mut fields = vec![
        (
            "title.zh-CN".to_string(),
            definition["title"]["zh-CN"].as_str().unwrap().to_string(),
        ),
        (
            "title.en".to_string(),
            definition["title"]["en"].as_str().unwrap().to_string(),
        ),
        (
            "intro.zh-CN".to_string(),
            definition["intro"]["zh-CN"].as_str().unwrap().to_string(),
        ),
        (
            "intro.en".to_string(),
            definition["intro"]["en"].as_str().unwrap().to_string(),
        ),
        (
            "outcome".to_string(),
            definition["outcome"].as_str().unwrap().to_string(),
        ),
        (
            "dimensions".to_string(),
            definition["dimensions"].to_string(),
        ),
    ];
    for question in definition["questions"].as_array().unwrap() {
        fields.push(("question".to_string(), question.to_string()));
    }
    fields.push(("question".to_string(), String::new()));
    fields
}

fn with_csrf<'a>(fields: &'a [(String, String)], csrf: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = vec![("csrf", csrf)];
    out.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    out
}

async fn latest_version(t: &ConsoleTest) -> u32 {
    t.console
        .deps
        .store
        .get_survey(&SurveyId::parse(SURVEY).unwrap(), None)
        .await
        .unwrap()
        .version
}

#[tokio::test]
async fn only_admins_open_the_admin_pages() {
    let t = with_survey("console-admin-access").await;
    let manager = t.staff("manager", None);
    let agent = t.staff("agent", Some("customer_service"));
    let pages = [
        "/console/surveys".to_string(),
        format!("/console/surveys/{SURVEY}"),
        format!("/console/surveys/{SURVEY}/versions/new"),
        format!("/console/surveys/{SURVEY}/versions/1/preview?lang=en"),
    ];
    for staff in [&manager, &agent] {
        for path in &pages {
            let response = t.get(Some(staff), path).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
            assert!(text(&response).contains("only admins"), "{path}");
        }
        let posted = t
            .post(
                Some(staff),
                &format!("/console/surveys/{SURVEY}/versions/new"),
                &[("csrf", staff.csrf()), ("title.en", "x")],
            )
            .await;
        assert_eq!(posted.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(latest_version(&t).await, 1, "a refused post writes nothing");
    let admin = t.staff("admin", None);
    for path in &pages {
        let response = t.get(Some(&admin), path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn a_version_with_an_error_is_shown_at_its_field_and_the_fixed_one_is_saved_and_previewed() {
    let t = with_survey("console-admin-survey").await;
    let admin = t.staff("admin", None);
    let survey_page = format!("/console/surveys/{SURVEY}");

    // The list and the survey's page.
    let list = text(&t.get(Some(&admin), "/console/surveys?lang=en").await);
    assert!(list.contains(&format!("href=\"/console/surveys/{SURVEY}\"")));
    let page = text(&t.get(Some(&admin), &survey_page).await);
    assert!(page.contains("data-version=\"1\""));
    assert!(!page.contains("data-version=\"2\""));
    assert!(page.contains(&format!("/console/surveys/{SURVEY}/versions/1/preview")));

    // The editor starts from the latest version.
    let editor = text(
        &t.get(Some(&admin), &format!("{survey_page}/versions/new?lang=en"))
            .await,
    );
    assert!(editor.contains("name=\"title.en\" value=\"How did we do?\""));
    assert!(part(&editor, "questions[8]").contains("callback_time"));

    // Question 3 takes the id of question 1: refused, at question 3, with what was typed.
    let definition = closeloop_tests::default_survey();
    let mut broken = definition.clone();
    broken["questions"][2]["id"] = "overall_satisfaction".into();
    broken["title"]["en"] = "Tell us, again".into();
    let fields = editor_fields(&broken);
    let refused = t
        .post(
            Some(&admin),
            &format!("{survey_page}/versions/new?lang=en"),
            &with_csrf(&fields, admin.csrf()),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused = text(&refused);
    let at_three = part(&refused, "questions[2]");
    assert!(at_three.contains("field-error"), "{at_three}");
    assert!(
        at_three.contains(
            "questions[2].id: &quot;overall_satisfaction&quot; is already used by questions[0]"
        ),
        "{at_three}"
    );
    assert!(opening(&refused, "questions[2]").contains("field invalid"));
    assert!(!part(&refused, "questions[1]").contains("field-error"));
    assert!(!opening(&refused, "title").contains("invalid"));
    assert!(
        refused.contains("value=\"Tell us, again\""),
        "what was typed is kept"
    );
    assert_eq!(latest_version(&t).await, 1, "nothing was written");
    let page = text(&t.get(Some(&admin), &survey_page).await);
    assert!(!page.contains("data-version=\"2\""));

    // A blank English title is refused at the title.
    let mut untitled = definition.clone();
    untitled["title"]["en"] = "".into();
    let fields = editor_fields(&untitled);
    let refused = t
        .post(
            Some(&admin),
            &format!("{survey_page}/versions/new"),
            &with_csrf(&fields, admin.csrf()),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused = text(&refused);
    assert!(part(&refused, "title").contains("field-error"));
    assert!(opening(&refused, "title").contains("field invalid"));
    assert_eq!(latest_version(&t).await, 1);

    // Fixed: saved as version 2, listed, and previewed as the customer sees it.
    let mut fixed = definition.clone();
    fixed["title"]["en"] = "Tell us, again".into();
    let fields = editor_fields(&fixed);
    let saved = t
        .post(
            Some(&admin),
            &format!("{survey_page}/versions/new"),
            &with_csrf(&fields, admin.csrf()),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(saved.headers()["location"], survey_page.as_str());
    assert_eq!(latest_version(&t).await, 2);
    let stored = t
        .console
        .deps
        .store
        .get_survey(&SurveyId::parse(SURVEY).unwrap(), Some(2))
        .await
        .unwrap();
    assert_eq!(stored.definition.title.en, "Tell us, again");
    assert_eq!(stored.definition.questions.len(), 9);
    let page = text(&t.get(Some(&admin), &survey_page).await);
    assert!(page.contains("data-version=\"2\""));

    let preview = t
        .get(
            Some(&admin),
            &format!("{survey_page}/versions/2/preview?lang=en"),
        )
        .await;
    assert_eq!(preview.status(), StatusCode::OK);
    let preview = text(&preview);
    assert!(preview.contains("Preview — answers are not recorded"));
    assert!(preview.contains("How do you rate your overall satisfaction with us?"));
    assert!(preview.contains(
        "type=\"radio\" id=\"overall_satisfaction-5\" name=\"overall_satisfaction\" value=\"5\""
    ));
    assert!(preview.contains("id=\"nps-10\""));
    assert!(
        preview.contains("This survey takes about"),
        "the time estimate"
    );
    assert!(preview.contains("class=\"estimate-seconds\""));
    assert!(
        preview.contains("<form id=\"survey\" novalidate>"),
        "no method, no action"
    );
    assert!(!preview.contains("<form id=\"survey\" method=\"post\""));
    assert!(preview.contains("class=\"submit\" disabled"));
    assert!(preview.contains("/versions/2/preview?lang=zh-CN"));
    let chinese = text(
        &t.get(
            Some(&admin),
            &format!("{survey_page}/versions/2/preview?lang=zh-CN"),
        )
        .await,
    );
    assert!(chinese.contains("预览——不会记录任何回答"));
    assert!(chinese.contains("您对我们的整体满意度如何？"));
    assert!(chinese.contains("本问卷"));
}

#[tokio::test]
async fn settings_are_saved_through_the_apis_check_and_a_refused_one_changes_nothing() {
    let t = ConsoleTest::new("console-admin-settings").await;
    let admin = t.staff("admin", None);
    let supervisor = t.staff("supervisor", Some("customer_service"));
    for path in ["/console/settings", "/console/settings/sla_policy"] {
        let response = t.get(Some(&supervisor), path).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let list = text(&t.get(Some(&admin), "/console/settings?lang=en").await);
    for name in closeloop::store::SETTINGS_NAMES {
        assert!(
            list.contains(&format!("href=\"/console/settings/{name}\"")),
            "{name}"
        );
    }
    assert!(list.contains("Deadlines to first response and resolution"));
    let page = text(
        &t.get(Some(&admin), "/console/settings/sla_policy?lang=en")
            .await,
    );
    assert!(page.contains("built-in defaults"));
    assert!(page.contains("&quot;minutes&quot;: 240"));

    // Refused: the field is named next to the editor, nothing is written.
    let bad =
        r#"{"level_2": {"respond": {"kind": "within", "minutes": 0, "clock": "working_hours"}}}"#;
    let refused = t
        .post(
            Some(&admin),
            "/console/settings/sla_policy?lang=en",
            &[("csrf", admin.csrf()), ("settings", bad)],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused = text(&refused);
    let at = part(&refused, "settings");
    assert!(
        at.contains("data-problem-field=\"level_2.respond.minutes\""),
        "{at}"
    );
    assert!(at.contains("field-error"), "{at}");
    assert!(at.contains("level_2.respond.minutes: "), "{at}");
    assert!(opening(&refused, "settings").contains("field invalid"));
    assert!(
        at.contains("&quot;minutes&quot;: 0"),
        "what was typed is kept"
    );
    let current = t
        .console
        .deps
        .store
        .settings_json("sla_policy")
        .await
        .unwrap();
    assert_eq!(current["version"], 1);
    assert_eq!(t.env.item_count().await, 0, "nothing written");
    // A manager cannot save either.
    let manager = t.staff("manager", None);
    let good = r#"{"level_2": {"respond": {"kind": "within", "minutes": 60, "clock": "working_hours"}, "resolve": {"kind": "working_days", "days": 3}}}"#;
    let denied = t
        .post(
            Some(&manager),
            "/console/settings/sla_policy",
            &[("csrf", manager.csrf()), ("settings", good)],
        )
        .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.env.item_count().await, 0);

    // Saved as the next version, by this admin.
    let saved = t
        .post(
            Some(&admin),
            "/console/settings/sla_policy",
            &[("csrf", admin.csrf()), ("settings", good)],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(saved.headers()["location"], "/console/settings/sla_policy");
    let current = t
        .console
        .deps
        .store
        .settings_json("sla_policy")
        .await
        .unwrap();
    assert_eq!(current["version"], 2);
    assert_eq!(current["updated_by"], "admin");
    assert_eq!(current["settings"]["level_2"]["respond"]["minutes"], 60);
    let page = text(&t.get(Some(&admin), "/console/settings/sla_policy").await);
    assert!(page.contains("<dd id=\"current-version\">2</dd>"));
}

async fn with_customer(t: &ConsoleTest, id: &str) {
    let input: closeloop::domain::customer::CustomerInput =
        serde_json::from_value(serde_json::json!({
            "id": id, "name": "Li Wei", "phone": "+86 138 0013 8000", "email": "Li.Wei@Example.com",
            "segment": "vip", "sms_consent": true, "email_consent": false
        }))
        .unwrap();
    let customer = input
        .validate(closeloop::domain::customer::CustomerDefaults::default())
        .unwrap();
    t.console
        .deps
        .store
        .put_customer(&customer, Utc::now())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_customer_is_found_exactly_by_id_phone_or_email_and_an_unknown_one_is_said_so() {
    let t = ConsoleTest::new("console-admin-customers").await;
    with_customer(&t, "C202405001").await;
    let admin = t.staff("admin", None);
    let agent = t.staff("agent", Some("customer_service"));
    for path in [
        "/console/customers",
        "/console/customers/C202405001",
        "/console/customers?find=C202405001",
    ] {
        assert_eq!(
            t.get(Some(&agent), path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let found = t
        .get(Some(&admin), "/console/customers?find=C202405001")
        .await;
    assert_eq!(found.status(), StatusCode::SEE_OTHER);
    assert_eq!(found.headers()["location"], "/console/customers/C202405001");
    // Exactly: a prefix of the id is not the customer.
    let prefix = t
        .get(Some(&admin), "/console/customers?find=C20240500&lang=en")
        .await;
    assert_eq!(prefix.status(), StatusCode::NOT_FOUND);
    let prefix = text(&prefix);
    assert!(part(&prefix, "find").contains("No customer has the id &quot;C20240500&quot;"));
    // By phone and email as people type them, normalised as the domain does. (`%252B` is a
    // `+` as a browser sends it, `%2B`: the test event's raw query string is not re-encoded.)
    for find in ["%252B86-138-0013-8000", "Li.Wei%40EXAMPLE.com"] {
        let found = t
            .get(Some(&admin), &format!("/console/customers?find={find}"))
            .await;
        assert_eq!(found.status(), StatusCode::SEE_OTHER, "{find}");
        assert_eq!(
            found.headers()["location"],
            "/console/customers/C202405001",
            "{find}"
        );
    }
    let unknown = t
        .get(
            Some(&admin),
            "/console/customers?find=%252B8613900000000&lang=en",
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(
        part(&text(&unknown), "find").contains("No customer has the phone or email +8613900000000")
    );
    // The local part of an email is kept as typed: another case is another address.
    let other = t
        .get(Some(&admin), "/console/customers?find=li.wei%40example.com")
        .await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    // A changed phone no longer finds the customer by the old one.
    let store = &t.console.deps.store;
    let mut changed = store
        .customer_view("C202405001")
        .await
        .unwrap()
        .unwrap()
        .customer;
    changed.phone = Some(closeloop::domain::customer::Phone::parse("+8613700000000").unwrap());
    store.put_customer(&changed, Utc::now()).await.unwrap();
    let old = t
        .get(Some(&admin), "/console/customers?find=%252B8613800138000")
        .await;
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
    let new = t
        .get(Some(&admin), "/console/customers?find=%252B8613700000000")
        .await;
    assert_eq!(new.headers()["location"], "/console/customers/C202405001");
    let profile = text(
        &t.get(Some(&admin), "/console/customers/C202405001?lang=en")
            .await,
    );
    assert!(profile.contains("Li Wei"));
    assert!(
        profile.contains("+8613700000000"),
        "the phone as the domain normalises it"
    );
    assert!(profile.contains("id=\"consent\""));
    assert_eq!(
        t.get(Some(&admin), "/console/customers/C999")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_campaign_preview_counts_the_audience_and_creates_nothing_and_create_creates_it() {
    let t = with_survey("console-admin-campaigns").await;
    with_customer(&t, "C1").await;
    with_customer(&t, "C2").await;
    let admin = t.staff("admin", None);
    let manager = t.staff("manager", None);
    for path in ["/console/campaigns", "/console/campaigns/new"] {
        assert_eq!(
            t.get(Some(&manager), path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        t.get(Some(&admin), "/console/campaigns/new").await.status(),
        StatusCode::OK
    );
    let send_at = (Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let fields = |intent: &'static str| {
        vec![
            ("csrf", admin.csrf().to_string()),
            ("id", "spring-vip".to_string()),
            ("name", "Spring VIP".to_string()),
            ("survey_id", SURVEY.to_string()),
            ("send_at", send_at.clone()),
            ("segments", "vip".to_string()),
            ("intent", intent.to_string()),
        ]
    };
    let as_refs =
        |fields: &[(&'static str, String)]| -> Vec<(&'static str, String)> { fields.to_vec() };
    let before = t.env.item_count().await;
    let preview_fields = as_refs(&fields("preview"));
    let preview_fields: Vec<(&str, &str)> = preview_fields
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let preview = t
        .post(
            Some(&admin),
            "/console/campaigns/new?lang=en",
            &preview_fields,
        )
        .await;
    assert_eq!(preview.status(), StatusCode::OK);
    let preview = text(&preview);
    assert!(
        preview.contains("id=\"audience-count\" role=\"status\" data-count=\"2\""),
        "{preview}"
    );
    assert_eq!(t.env.item_count().await, before, "a preview writes nothing");
    assert!(t
        .console
        .deps
        .store
        .get_campaign("spring-vip")
        .await
        .unwrap()
        .is_none());

    // A campaign for a survey that does not exist is refused at the field.
    let mut unknown = fields("create");
    unknown[3].1 = "no-such-survey".to_string();
    let unknown: Vec<(&str, &str)> = unknown.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = t
        .post(Some(&admin), "/console/campaigns/new", &unknown)
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(part(&text(&refused), "survey_id").contains("field-error"));
    assert_eq!(t.env.item_count().await, before);

    let create = fields("create");
    let create: Vec<(&str, &str)> = create.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = t
        .post(Some(&admin), "/console/campaigns/new", &create)
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        created.headers()["location"],
        "/console/campaigns/spring-vip"
    );
    let campaign = t
        .console
        .deps
        .store
        .get_campaign("spring-vip")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(campaign.audience_size, 2);
    assert_eq!(
        t.console
            .deps
            .store
            .campaign_invitations("spring-vip")
            .await
            .unwrap()
            .len(),
        2
    );
    let page = text(&t.get(Some(&admin), "/console/campaigns/spring-vip").await);
    assert!(
        page.contains("data-count=\"invitations\"><strong>2</strong>"),
        "{page}"
    );
    let found = t
        .get(Some(&admin), "/console/campaigns?find=spring-vip")
        .await;
    assert_eq!(found.headers()["location"], "/console/campaigns/spring-vip");
    let missing = t.get(Some(&admin), "/console/campaigns?find=autumn").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

//! What a mail security gateway or a chat app does before the customer sees a message: it
//! fetches every link in it, with HEAD and GET, more than once. The email and the SMS come from
//! the emulator's outbox, sent by the delivery sweep; every link in them (the survey link, the
//! five one-tap ratings, the unsubscribe link, the `List-Unsubscribe` header's) is fetched
//! through the runner's HTTP API (the in-process front: the template's routes and real API
//! Gateway v2 events). Afterwards the table is exactly as it was, and the invitations are still
//! due for their reminder, which the sweep then sends.

mod common;

use std::rc::Rc;

use chrono::Duration;
use closeloop::keys;
use closeloop_tests::{emails_to, http_request, sms_to, TestEnv};
use common::front::{serve, Front};
use common::*;
use response_capture::ResponseCapture;
use serde_json::json;
use survey_delivery::SurveyDelivery;

#[test]
fn prefetching_every_link_of_a_delivered_email_and_sms_changes_nothing() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let env = TestEnv::new("capture-scanner").await;
        create_default_survey(&env).await;
        let delivery = SurveyDelivery::new(env.deps_for("survey-delivery"));
        let suffix = rand::random::<u32>() % 100_000_000;
        let phone = format!("+86139{suffix:08}");
        let address = format!("scanner-{suffix}@example.com");
        customer_with_purchase(
            &delivery,
            "SCAN-SMS",
            json!({"phone": phone, "locale": "zh-CN", "sms_consent": true, "email_consent": true}),
            now(),
        )
        .await;
        customer_with_purchase(
            &delivery,
            "SCAN-MAIL",
            json!({"email": address, "locale": "en", "sms_consent": true, "email_consent": true}),
            now(),
        )
        .await;
        let sent_at = now() + Duration::hours(24);
        let report = sweep(&delivery, sent_at).await;
        assert_eq!(report["sent_sms"], 1, "{report}");
        assert_eq!(report["sent_email"], 1, "{report}");

        let sms = sms_to(&phone);
        let emails = emails_to(&address);
        assert_eq!((sms.len(), emails.len()), (1, 1));
        let (headers, text, html) = mime_parts(&emails[0]);
        let mut links = links_in(&sms[0]);
        for part in [&headers, &text, &html] {
            for link in links_in(part) {
                if !links.contains(&link) {
                    links.push(link);
                }
            }
        }
        let taps = links.iter().filter(|l| l.contains("?r=")).count();
        assert_eq!(taps, 5, "five one-tap ratings in the email: {links:?}");
        assert!(links.iter().any(|l| l.contains("/u/")), "{links:?}");
        assert!(links.len() >= 8, "{links:?}");

        let front = Rc::new(Front {
            capture: ResponseCapture::new(env.deps_for("response-capture")),
            delivery: SurveyDelivery::new(env.deps_for("survey-delivery")),
            now: std::cell::Cell::new(sent_at + Duration::minutes(2)),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::task::spawn_local(serve(listener, front));

        let before = table(&env).await;
        let urls: Vec<String> = links
            .iter()
            .map(|l| l.replacen(LINK_BASE, &base, 1))
            .collect();
        let fetched = tokio::task::spawn_blocking(move || {
            let mut fetched = Vec::new();
            for _round in 0..3 {
                for url in &urls {
                    for method in ["HEAD", "GET", "GET"] {
                        let reply = http_request(
                            method,
                            url,
                            &[("user-agent", "LinkScanner/1.0"), ("accept", "*/*")],
                            b"",
                        );
                        fetched.push((method, url.clone(), reply.status));
                    }
                }
            }
            fetched
        })
        .await
        .unwrap();
        for (method, url, status) in &fetched {
            match *method {
                "GET" => assert_eq!(*status, 200, "GET {url}"),
                // No HEAD route: the runner refuses it (API Gateway answers 404) and nothing runs.
                _ => assert!((400..500).contains(status), "HEAD {url}: {status}"),
            }
        }
        assert_eq!(fetched.len(), links.len() * 9);
        assert_eq!(
            table(&env).await,
            before,
            "a link scanner changed the table"
        );

        for customer in ["SCAN-SMS", "SCAN-MAIL"] {
            let invitation = item(&env, keys::invitation::home(&format!("ev-p-{customer}")))
                .await
                .unwrap();
            assert_eq!(s(&invitation, "state"), "sent", "{customer}");
            assert!(
                s(&invitation, "due_pk").starts_with("invitation-reminder#"),
                "{customer} is still due for its reminder"
            );
            assert!(item(
                &env,
                keys::response::for_invitation(&format!("ev-p-{customer}"))
            )
            .await
            .is_none());
        }
        // And the reminders go out as if nobody had looked.
        let report = sweep(&delivery, sent_at + Duration::days(3) + Duration::hours(1)).await;
        assert_eq!(report["reminded"], 2, "{report}");
        assert_eq!(sms_to(&phone).len(), 2);
        assert_eq!(emails_to(&address).len(), 2);
    });
}

//! `BENCH loop.answer_to_notice_p50_s` / `_p95_s`: how long from a customer's unhappy answer to
//! the notice that tells its department, through the whole local stack (`make up`): the
//! capture route, the table's stream with the template's batching window, ticket-creation and
//! the alerts topic. 200 valued customers answer very unhappily (level 1: their notices go out
//! at once, at any hour); each ticket's `time_to_owner` (the answer's write time to the
//! notice's publish time, both stamped by the functions) is read back from `GET /tickets/{id}`.
//!
//! Needs `CLOSELOOP_API`, `DEV_ADMIN_TOKEN` and `AWS_ENDPOINT_URL` of a running `make up`
//! (scripts/bench.sh starts one).

use std::time::{Duration, Instant};

use closeloop::domain::stats::percentile;
use closeloop_tests::stack::Stack;
use closeloop_tests::{default_survey_answers, topic_messages};
use serde_json::{json, Value};

const ANSWERS: usize = 200;
const SENDERS: usize = 4;

fn main() {
    let stack = Stack::from_env();
    let topic = stack.alerts_topic();

    // Customers and their service events; the delivery sweep texts each invitation.
    let links: Vec<(String, String)> = (0..ANSWERS)
        .map(|_| {
            let invited = stack
                .texted_invitation(json!({"name": "Bench", "locale": "zh-CN", "segment": "vip",
                       "sms_consent": true, "email_consent": false}));
            (invited.path, format!("r-{}", invited.invitation))
        })
        .collect();

    // Every customer answers very unhappily, a few at a time.
    let mut answers: serde_json::Map<String, Value> =
        default_survey_answers(1).into_iter().collect();
    answers.insert("disappointing_step".into(), json!("nobody came"));
    let body = json!({ "answers": answers });
    let started = Instant::now();
    std::thread::scope(|scope| {
        for chunk in links.chunks(ANSWERS.div_ceil(SENDERS)) {
            let (stack, body) = (&stack, &body);
            scope.spawn(move || {
                for (path, _) in chunk {
                    let reply = stack.public_json(path, body);
                    assert!(matches!(reply.status, 200 | 201), "{}", reply.body);
                }
            });
        }
    });
    let posted = started.elapsed();

    // Every ticket's notice on the alerts topic.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let published = topic_messages(&topic).len();
        let tickets: std::collections::HashSet<String> = topic_messages(&topic)
            .iter()
            .filter_map(|m| {
                m["message_attributes"]["ticket"]["Value"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        if links.iter().all(|(_, ticket)| tickets.contains(ticket)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {published} notices after 300 s"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    let seconds: Vec<f64> = links
        .iter()
        .map(|(_, ticket)| {
            let reply = stack.as_token("dev-manager", "GET", &format!("/tickets/{ticket}"), None);
            assert_eq!(reply.status, 200, "{}", reply.body);
            reply.json()["time_to_owner"]["answer_to_notice_s"]
                .as_f64()
                .unwrap_or_else(|| panic!("no answer-to-notice time for {ticket}"))
        })
        .collect();
    let p50 = percentile(&seconds, 50.0).expect("answers");
    let p95 = percentile(&seconds, 95.0).expect("answers");
    let max = percentile(&seconds, 100.0).expect("answers");
    println!(
        "# {ANSWERS} answers posted in {:.1} s by {SENDERS} senders; answer to notice: p50 {p50:.2} s, p95 {p95:.2} s, max {max:.2} s",
        posted.as_secs_f64()
    );
    println!("BENCH loop.answer_to_notice_p50_s {p50:.2}");
    println!("BENCH loop.answer_to_notice_p95_s {p95:.2}");
}

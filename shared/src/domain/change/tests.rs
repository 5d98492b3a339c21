use super::*;
use serde_json::json;

fn response(complete: bool, rating: u8) -> SurveyResponse {
    serde_json::from_value(json!({
        "response_id": "inv-1",
        "survey_id": "csat-default",
        "survey_version": 1,
        "locale": "en",
        "anonymous": false,
        "channel": "sms",
        "answers": {"overall": {"number": rating}},
        "complete": complete,
        "fingerprint": format!("f{rating}"),
        "created_at": "2026-11-30T01:00:00Z",
        "updated_at": "2026-11-30T01:00:00Z",
        "expires_at": 1_900_000_000
    }))
    .expect("a response")
}

#[derive(Debug, Default, PartialEq)]
struct Counts {
    responses: i64,
    complete: i64,
    rating_sum: i64,
}

impl Tally for Counts {
    fn merge(&mut self, other: &Self, sign: i64) {
        self.responses += sign * other.responses;
        self.complete += sign * other.complete;
        self.rating_sum += sign * other.rating_sum;
    }
}

fn counts(r: &SurveyResponse) -> Counts {
    let rating = match r.answers.values().next() {
        Some(crate::domain::survey::Answer::Number(n)) => i64::from(*n),
        other => panic!("a rating, not {other:?}"),
    };
    Counts {
        responses: 1,
        complete: i64::from(r.complete),
        rating_sum: rating,
    }
}

#[test]
fn a_partial_response_completed_later_is_counted_once_with_its_final_values() {
    let tap = Change::Inserted(response(false, 1));
    let finished = Change::Modified {
        old: response(false, 1),
        new: response(true, 2),
    };
    assert_eq!(ResponseProgress::of(&tap), ResponseProgress::Partial);
    assert_eq!(
        ResponseProgress::of(&finished),
        ResponseProgress::BecameComplete
    );
    let mut total = Counts::default();
    total.merge(&tap.contribution(counts), 1);
    total.merge(&finished.contribution(counts), 1);
    assert_eq!(
        total,
        Counts {
            responses: 1,
            complete: 1,
            rating_sum: 2
        }
    );
}

#[test]
fn progress_of_every_kind_of_write() {
    assert_eq!(
        ResponseProgress::of(&Change::Inserted(response(true, 5))),
        ResponseProgress::BecameComplete
    );
    assert_eq!(
        ResponseProgress::of(&Change::Modified {
            old: response(false, 1),
            new: response(false, 4)
        }),
        ResponseProgress::Partial
    );
    assert_eq!(
        ResponseProgress::of(&Change::Modified {
            old: response(true, 1),
            new: response(true, 1)
        }),
        ResponseProgress::Unchanged
    );
    assert_eq!(
        ResponseProgress::of(&Change::Removed(response(true, 1))),
        ResponseProgress::Removed
    );
}

#[test]
fn a_removal_takes_its_contribution_away() {
    let removed = Change::Removed(response(true, 3));
    assert_eq!(removed.new_item(), None);
    assert_eq!(
        removed.contribution(counts),
        Counts {
            responses: -1,
            complete: -1,
            rating_sum: -3
        }
    );
}

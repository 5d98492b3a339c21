use super::*;
use crate::domain::customer::{CustomerDefaults, CustomerInput};
use chrono::TimeZone;

fn created() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap()
}

fn stored() -> Campaign {
    Campaign {
        id: "winter".into(),
        name: "Winter VIPs".into(),
        survey_id: "csat-default".into(),
        survey_version: 2,
        send_at: created(),
        audience: Audience {
            segments: vec![Segment::Vip],
            bought_within_days: Some(30),
            ..Audience::default()
        },
        audience_size: 0,
        created_at: created(),
        status: CampaignStatus::Scheduling,
    }
}

fn input(body: serde_json::Value) -> CampaignInput {
    serde_json::from_value(body).unwrap()
}

fn customer(id: &str, segment: &str, store: Option<&str>) -> Customer {
    CustomerInput {
        id: Some(id.into()),
        email: Some(format!("{id}@example.com")),
        segment: Some(segment.into()),
        store: store.map(str::to_string),
        email_consent: Some(true),
        ..Default::default()
    }
    .validate(CustomerDefaults::default())
    .unwrap()
}

#[test]
fn a_retry_is_the_same_request_whenever_it_comes() {
    let campaign = stored();
    // Asked for "as soon as possible" (a time before creation), retried a day later.
    let asked = campaign.created_at - Duration::minutes(30);
    let retry = Campaign {
        send_at: asked.max(campaign.created_at + Duration::days(1)),
        created_at: campaign.created_at + Duration::days(1),
        survey_version: 3,
        ..campaign.clone()
    };
    assert!(campaign.requested_again(&retry, asked, None));
    assert!(campaign.requested_again(&retry, asked, Some(2)));
    assert!(
        !campaign.requested_again(&retry, asked, Some(3)),
        "another fixed version"
    );
    let later = campaign.created_at + Duration::hours(1);
    assert!(
        !campaign.requested_again(&retry, later, None),
        "another send time"
    );
    let renamed = Campaign {
        name: "Other".into(),
        ..retry.clone()
    };
    assert!(!campaign.requested_again(&renamed, asked, None));
    let wider = Campaign {
        audience: Audience::default(),
        ..retry.clone()
    };
    assert!(!campaign.requested_again(&wider, asked, None));
    let other_survey = Campaign {
        survey_id: "nps".into(),
        ..retry
    };
    assert!(!campaign.requested_again(&other_survey, asked, None));
}

#[test]
fn a_request_is_refused_with_the_field_at_fault() {
    let send_at = created();
    let problem =
        |body: serde_json::Value| input(body).validate(|| "c-new".into()).unwrap_err().field;
    let base = serde_json::json!({"name": "Winter", "survey_id": "csat", "send_at": send_at});
    let with = |key: &str, value: serde_json::Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    assert_eq!(problem(with("name", "   ".into())), "name");
    assert_eq!(problem(with("name", "x".repeat(201).into())), "name");
    assert_eq!(problem(with("id", "bad id".into())), "id");
    assert_eq!(
        problem(with(
            "audience",
            serde_json::json!({"bought_within_days": 0})
        )),
        "audience.bought_within_days"
    );
    assert_eq!(
        problem(with(
            "audience",
            serde_json::json!({"bought_within_days": 3651})
        )),
        "audience.bought_within_days"
    );
    assert_eq!(
        problem(with("audience", serde_json::json!({"store": "S 01"}))),
        "audience.store"
    );
    assert_eq!(
        problem(with("audience", serde_json::json!({"region": "east/1"}))),
        "audience.region"
    );
    assert_eq!(
        problem(with("audience", serde_json::json!({"service_type": ""}))),
        "audience.service_type"
    );

    let ok = input(with("name", "  Winter VIPs ".into()))
        .validate(|| "c-new".into())
        .unwrap();
    assert_eq!(ok.id, "c-new", "a generated id when none is given");
    assert_eq!(ok.name, "Winter VIPs", "trimmed");
    let named = input(with("id", "winter-26".into()))
        .validate(|| unreachable!("an id was given"))
        .unwrap();
    assert_eq!(named.id, "winter-26");
}

#[test]
fn a_past_send_time_means_now() {
    let request = input(
        serde_json::json!({"name": "W", "survey_id": "csat", "send_at": created() - Duration::minutes(90)}),
    )
    .validate(|| "c".into())
    .unwrap();
    let now = created();
    assert!(request.send_time_passed(now));
    assert!(!request.send_time_passed(now - Duration::minutes(31)));
    let campaign = request.campaign(4, now);
    assert_eq!(campaign.send_at, now);
    assert_eq!(campaign.created_at, now);
    assert_eq!(campaign.survey_version, 4);
    assert_eq!(campaign.status, CampaignStatus::Scheduling);
    assert!(campaign.requested_again(&campaign, request.send_at, None));
}

#[test]
fn the_audience_is_its_segments_store_and_region() {
    let audience = Audience {
        segments: vec![Segment::Vip],
        store: Some("S01".into()),
        ..Audience::default()
    };
    assert!(audience.includes(&customer("K1", "vip", Some("S01"))));
    assert!(!audience.includes(&customer("K2", "vip", Some("S02"))));
    assert!(!audience.includes(&customer("K3", "vip", None)));
    assert!(!audience.includes(&customer("K4", "new", Some("S01"))));
    assert!(Audience::default().includes(&customer("K5", "new", None)));
    assert_eq!(
        Audience::default().segments_to_search(),
        Segment::ALL.to_vec()
    );
    assert_eq!(audience.segments_to_search(), vec![Segment::Vip]);
    let send_at = created();
    assert_eq!(
        Audience::default().served_since(send_at),
        send_at - Duration::days(30)
    );
    let week = Audience {
        bought_within_days: Some(7),
        ..Audience::default()
    };
    assert_eq!(week.served_since(send_at), send_at - Duration::days(7));
    assert_eq!(
        week.since_date(send_at),
        Some((send_at - Duration::days(7)).date_naive())
    );
}

#[test]
fn each_customer_gets_the_campaigns_invitation() {
    let campaign = stored();
    let rules = DeliveryRules::default();
    let now = created() - Duration::hours(2);
    let invitation = campaign.invitation_for(&customer("K1", "vip", Some("S01")), &rules, now, 730);
    assert_eq!(invitation.id, "winter.K1");
    assert_eq!(invitation.state, InvitationState::Scheduled);
    assert_eq!(invitation.survey_version, Some(2));
    assert_eq!(
        invitation.attribution.campaign_id.as_deref(),
        Some("winter")
    );
    assert_eq!(invitation.attribution.store.as_deref(), Some("S01"));
    assert_eq!(invitation.scheduled_for, campaign.send_at);
    assert_eq!(invitation.send_by, Some(campaign.send_at + rules.max_delay));
    assert_eq!(invitation.created_at, now);
    assert_eq!(invitation.expires_at, retention_expiry(now, 730));
}

#[test]
fn counts_come_from_the_invitations_states() {
    let at = created();
    let with = |id: &str, state: InvitationState, reason: Option<SuppressReason>| Invitation {
        state,
        suppressed_reason: reason,
        ..Invitation::scheduled(id, "K", "csat", at, at, 0)
    };
    let invitations = [
        with("a", InvitationState::Scheduled, None),
        with("b", InvitationState::Sending, None),
        with("c", InvitationState::Sent, None),
        with("d", InvitationState::Reminded, None),
        with("e", InvitationState::Answered, None),
        with("f", InvitationState::Expired, None),
        with("g", InvitationState::Failed, None),
        with(
            "h",
            InvitationState::Suppressed,
            Some(SuppressReason::OptOut),
        ),
        with(
            "i",
            InvitationState::Suppressed,
            Some(SuppressReason::OptOut),
        ),
        with(
            "j",
            InvitationState::Suppressed,
            Some(SuppressReason::Fatigue),
        ),
    ];
    let counts = CampaignCounts::of(&invitations);
    assert_eq!(counts.invitations, 10);
    assert_eq!(counts.scheduled, 2);
    assert_eq!(
        counts.sent, 4,
        "sent, reminded, answered and expired all went out"
    );
    assert_eq!(counts.reminded, 1);
    assert_eq!(counts.answered, 1);
    assert_eq!(counts.expired, 1);
    assert_eq!(counts.failed, 1);
    assert_eq!(counts.suppressed, 3);
    assert_eq!(counts.suppressed_by_reason["opt_out"], 2);
    assert_eq!(counts.suppressed_by_reason["fatigue"], 1);
    let json = serde_json::to_value(&counts).unwrap();
    assert_eq!(json["suppressed_by_reason"]["opt_out"], 2);
    assert_eq!(json["sent"], 4);
}

#[test]
fn status_names_are_the_serde_names() {
    for status in [CampaignStatus::Scheduling, CampaignStatus::Scheduled] {
        assert_eq!(
            serde_json::to_value(status).unwrap(),
            serde_json::json!(status.as_str())
        );
    }
}

use super::*;

#[test]
fn only_received_planned_and_resolved_of_a_known_customer_notify() {
    let source = response("abc", &[("service_response", 1.0)]);
    let mut ticket = open_ticket(&source, sh("2026-11-23 10:00"));
    ticket.customer_id = Some("c-1".into());
    let received = CustomerUpdate::for_change(&ticket, EntryKind::Created, 0).unwrap();
    assert_eq!((received.kind, received.number), (UpdateKind::Received, 1));
    assert_eq!(
        received.reply_by,
        ticket.deadlines.get(&DeadlineName::Respond).map(|d| d.due)
    );
    assert!(CustomerUpdate::for_change(&ticket, EntryKind::Claim, 0).is_none());
    assert!(CustomerUpdate::for_change(&ticket, EntryKind::Note, 0).is_none());

    ticket.version = 4;
    ticket.plan = Some(Plan {
        text: "replace\nthe unit".into(),
        due: sh("2026-11-24 10:00"),
        at: sh("2026-11-23 11:00"),
        by: "u-1".into(),
    });
    let planned = CustomerUpdate::for_change(&ticket, EntryKind::Plan, 0).unwrap();
    assert_eq!((planned.kind, planned.number), (UpdateKind::Planned, 4));
    assert_eq!(planned.plan.as_deref(), Some("replace the unit"));

    ticket.state = TicketState::Resolved;
    ticket.reopened = 1;
    let resolved = CustomerUpdate::for_change(&ticket, EntryKind::Resolve, 0).unwrap();
    assert_eq!((resolved.kind, resolved.number), (UpdateKind::Resolved, 2));

    ticket.customer_id = None;
    assert!(CustomerUpdate::for_change(&ticket, EntryKind::Resolve, 0).is_none());
    assert!(CustomerUpdate::for_change(&ticket, EntryKind::Created, 0).is_none());
}

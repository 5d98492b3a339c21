use super::*;
use crate::error::Error;

fn actor(user: &str, groups: &[&str]) -> Actor {
    Actor::from_groups(user, groups).unwrap()
}

fn agent() -> Actor {
    actor("agent.li", &["closeloop-agent", "dept-customer_service"])
}

fn supervisor() -> Actor {
    actor(
        "sup.zhao",
        &["closeloop-supervisor", "dept-customer_service"],
    )
}

fn manager() -> Actor {
    actor("mgr.chen", &["closeloop-manager"])
}

fn admin() -> Actor {
    actor("ops", &["closeloop-admin"])
}

fn refused(subject: &str, groups: &[&str]) -> String {
    match Actor::from_groups(subject, groups) {
        Err(Error::Forbidden(message)) => message,
        other => panic!("{groups:?}: {other:?}"),
    }
}

#[test]
fn groups_give_roles_and_departments() {
    let a = agent();
    assert_eq!(a.user_id, "agent.li");
    assert!(a.has(Role::Agent) && !a.has(Role::Supervisor));
    assert_eq!(
        a.departments.iter().collect::<Vec<_>>(),
        ["customer_service"]
    );
    let both = actor(
        "boss",
        &[
            "Closeloop-Admin",
            " closeloop-manager ",
            "everyone",
            "dept-rd",
            "dept-R&D",
        ],
    );
    assert!(both.has(Role::Admin) && both.has(Role::Manager));
    assert_eq!(both.departments.iter().collect::<Vec<_>>(), ["rd"]);
}

#[test]
fn a_token_without_a_known_role_is_refused() {
    assert!(refused("u1", &["everyone", "dept-rd"]).contains("closeloop-agent"));
    assert!(refused("u1", &["closeloop-superuser"]).contains("no Closeloop role"));
    assert!(refused("u1", &[]).contains("no Closeloop role"));
    assert!(refused("u1", &["closeloop-agent"]).contains("needs a department"));
    // No usable subject is a credential problem (401), not a missing permission (403).
    assert!(matches!(
        Actor::from_groups(" ", &["closeloop-admin"]),
        Err(Error::Unauthorized(message)) if message.contains("subject")
    ));
}

#[test]
fn the_groups_claim_comes_in_several_shapes() {
    let expected = ["closeloop-agent", "dept-rd"];
    assert_eq!(parse_groups_claim("[closeloop-agent dept-rd]"), expected);
    assert_eq!(
        parse_groups_claim(r#"["closeloop-agent","dept-rd"]"#),
        expected
    );
    assert_eq!(parse_groups_claim("closeloop-agent, dept-rd"), expected);
    assert!(parse_groups_claim("[]").is_empty());
}

#[test]
fn an_agent_works_their_departments_tickets_with_agent_actions() {
    let a = agent();
    assert_eq!(may(&a, Operation::Read, "customer_service"), Ok(()));
    for kind in AGENT_ACTIONS {
        assert_eq!(may(&a, kind.into(), "customer_service"), Ok(()), "{kind}");
    }
    for kind in [ActionKind::Assign, ActionKind::Close, ActionKind::Reopen] {
        let denied = may(&a, kind.into(), "customer_service").unwrap_err();
        assert_eq!(
            denied.reason,
            format!("an agent may not {kind} a ticket; ask a supervisor of customer_service")
        );
    }
    let denied = may(&a, Operation::Read, "rd").unwrap_err();
    assert_eq!(
        denied.reason,
        "tickets of department rd are not yours (customer_service)"
    );
}

#[test]
fn a_supervisor_takes_every_action_in_their_department_only() {
    let s = supervisor();
    for kind in ActionKind::ALL {
        assert_eq!(may(&s, kind.into(), "customer_service"), Ok(()), "{kind}");
        assert!(may(&s, kind.into(), "marketing").is_err(), "{kind}");
    }
}

#[test]
fn a_manager_may_do_anything_to_any_ticket_and_read_reports() {
    let m = manager();
    for kind in ActionKind::ALL {
        assert_eq!(may(&m, kind.into(), "planning"), Ok(()));
    }
    assert_eq!(may_access(&m, Area::Reports), Ok(()));
    assert!(may_access(&m, Area::Settings).is_err());
}

#[test]
fn an_admin_reads_every_ticket_and_changes_settings_but_works_no_ticket() {
    let a = admin();
    assert_eq!(may(&a, Operation::Read, "rd"), Ok(()));
    for kind in ActionKind::ALL {
        let denied = may(&a, kind.into(), "rd").unwrap_err();
        assert!(
            denied
                .reason
                .starts_with("an admin may read tickets but not"),
            "{denied}"
        );
    }
    for area in [Area::Settings, Area::Surveys, Area::Customers] {
        assert_eq!(may_access(&a, area), Ok(()));
        assert_eq!(
            may_access(&agent(), area)
                .unwrap_err()
                .reason
                .split(' ')
                .nth(1),
            Some("admins")
        );
    }
    assert!(may_access(&a, Area::Reports).is_err());
    let e: Error = may_access(&agent(), Area::Reports).unwrap_err().into();
    assert!(matches!(e, Error::Forbidden(_)));
}

#[test]
fn an_agent_takes_the_owners_actions_only_on_their_own_ticket() {
    let source = response("R1", &[("service_response", 1.5)]);
    let pending = open_ticket(&source, sh("2026-11-23 10:00"));
    let me = agent();
    let colleague = actor("agent.wang", &["closeloop-agent", "dept-customer_service"]);
    let resolve = Action::Resolve {
        resolution: "已处理".into(),
    };
    assert_eq!(
        may_act(&me, &resolve, &pending).unwrap_err().reason,
        "claim the ticket before you resolve it"
    );
    assert_eq!(may_act(&me, &Action::Claim, &pending), Ok(()));
    let mine = act(&pending, "agent.li", sh("2026-11-23 10:30"), Action::Claim).ticket;
    assert_eq!(may_act(&me, &resolve, &mine), Ok(()));
    assert_eq!(
        may_act(&colleague, &resolve, &mine).unwrap_err().reason,
        "only the owner (agent.li) or a supervisor may resolve it"
    );
    assert_eq!(
        may_act(&colleague, &Action::Claim, &mine)
            .unwrap_err()
            .reason,
        "the ticket is agent.li's; a supervisor can reassign it"
    );
    let note = Action::Note {
        text: "客户来电催促".into(),
    };
    assert_eq!(may_act(&colleague, &note, &mine), Ok(()));
    assert_eq!(may_act(&supervisor(), &resolve, &mine), Ok(()));
    let outsider = actor("rd.wu", &["closeloop-supervisor", "dept-rd"]);
    assert!(may_act(&outsider, &note, &mine).is_err());
}

#[test]
fn every_role_and_action_has_an_answer_that_matches_the_table() {
    let people = [agent(), supervisor(), manager(), admin()];
    for person in &people {
        for kind in ActionKind::ALL {
            for dept in ["customer_service", "rd"] {
                let allowed = may(person, kind.into(), dept).is_ok();
                let expected = person.has(Role::Manager)
                    || (dept == "customer_service"
                        && (person.has(Role::Supervisor)
                            || (person.has(Role::Agent) && AGENT_ACTIONS.contains(&kind))));
                assert_eq!(allowed, expected, "{} {kind} {dept}", person.user_id);
            }
        }
    }
}

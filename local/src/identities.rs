//! The local stand-in for the identity provider: one dev token per role and department, each
//! standing for a staff member whose claims the runner passes to the functions as API Gateway's
//! JWT authorizer would (subject, and the groups claim that Closeloop reads roles from).
//!
//! | token | role | department |
//! |---|---|---|
//! | `DEV_ADMIN_TOKEN` (default `dev-admin-token`) | admin | — |
//! | `dev-manager` | manager | all |
//! | `dev-supervisor-<department>` | supervisor | `<department>` |
//! | `dev-agent-<department>` | agent | `<department>` |
//!
//! for the departments `rd`, `customer_service`, `marketing` and `planning`.

use serde_json::{Map, Value};

/// The departments the default routing sends tickets to.
pub const DEPARTMENTS: [&str; 4] = ["rd", "customer_service", "marketing", "planning"];
/// The admin's token when `DEV_ADMIN_TOKEN` is not set.
pub const DEFAULT_ADMIN_TOKEN: &str = "dev-admin-token";
/// The groups claim when `GROUPS_CLAIM` is not set: Cognito's, as in the template.
pub const DEFAULT_GROUPS_CLAIM: &str = "cognito:groups";

/// One dev token and the staff member it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevIdentity {
    pub token: String,
    /// The token's `sub`: who the functions record as having acted.
    pub subject: String,
    /// `admin`, `manager`, `supervisor` or `agent`.
    pub role: &'static str,
    /// The department of a supervisor or agent.
    pub department: Option<&'static str>,
}

impl DevIdentity {
    fn new(
        token: String,
        subject: String,
        role: &'static str,
        department: Option<&'static str>,
    ) -> Self {
        DevIdentity {
            token,
            subject,
            role,
            department,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }

    /// The identity provider's groups: `closeloop-<role>` and `dept-<department>`.
    pub fn groups(&self) -> Vec<String> {
        let mut groups = vec![format!("closeloop-{}", self.role)];
        groups.extend(self.department.map(|d| format!("dept-{d}")));
        groups
    }

    /// The token's claims, the groups as a JSON array under `groups_claim`. The event builder
    /// flattens the array to `[a b]` as API Gateway's JWT authorizer does.
    pub fn claims(&self, groups_claim: &str) -> Map<String, Value> {
        let mut claims = Map::new();
        for (name, value) in [
            ("sub", self.subject.as_str()),
            ("iss", "closeloop-local"),
            ("aud", "closeloop"),
            ("token_use", "access"),
        ] {
            claims.insert(name.into(), Value::String(value.into()));
        }
        claims.insert(
            "email".into(),
            Value::String(format!("{}@localhost", self.subject)),
        );
        claims.insert(
            groups_claim.into(),
            Value::Array(self.groups().into_iter().map(Value::String).collect()),
        );
        claims
    }
}

/// Why the stand-in authorizer refused a request: API Gateway's status and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: &'static str,
}

/// Every dev identity and the claim name their groups go under.
#[derive(Clone, Debug)]
pub struct DevIdentities {
    identities: Vec<DevIdentity>,
    groups_claim: String,
}

impl DevIdentities {
    /// The admin with `admin_token`, one manager, and a supervisor and an agent for each
    /// department. Refused: an empty token or claim name, or an admin token that is another
    /// identity's.
    pub fn new(admin_token: &str, groups_claim: &str) -> Result<DevIdentities, String> {
        let admin_token = admin_token.trim();
        if admin_token.is_empty() {
            return Err("DEV_ADMIN_TOKEN must not be empty".into());
        }
        let groups_claim = groups_claim.trim();
        if groups_claim.is_empty() {
            return Err("GROUPS_CLAIM must not be empty".into());
        }
        let mut identities = vec![
            DevIdentity::new(admin_token.into(), "dev-admin".into(), "admin", None),
            DevIdentity::new("dev-manager".into(), "dev-manager".into(), "manager", None),
        ];
        for role in ["supervisor", "agent"] {
            for department in DEPARTMENTS {
                let name = format!("dev-{role}-{department}");
                identities.push(DevIdentity::new(name.clone(), name, role, Some(department)));
            }
        }
        if identities[1..].iter().any(|i| i.token == admin_token) {
            return Err(format!(
                "DEV_ADMIN_TOKEN {admin_token:?} is another dev identity's token; choose another"
            ));
        }
        Ok(DevIdentities {
            identities,
            groups_claim: groups_claim.into(),
        })
    }

    pub fn all(&self) -> &[DevIdentity] {
        &self.identities
    }

    pub fn groups_claim(&self) -> &str {
        &self.groups_claim
    }

    pub fn admin(&self) -> &DevIdentity {
        &self.identities[0]
    }

    /// The identity whose token one of the `Authorization` header values carries as
    /// `Bearer <token>`; an absent, malformed or unknown token is API Gateway's 401.
    pub fn authorize<'a>(
        &self,
        authorization: impl IntoIterator<Item = &'a str>,
    ) -> Result<&DevIdentity, Refusal> {
        authorization
            .into_iter()
            .find_map(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                if !scheme.eq_ignore_ascii_case("bearer") {
                    return None;
                }
                let token = token.trim();
                self.identities.iter().find(|i| i.token == token)
            })
            .ok_or(Refusal {
                status: 401,
                message: "Unauthorized",
            })
    }

    /// [`authorize`](Self::authorize), for the runner's own `/_local/*` endpoints: the admin
    /// only (another dev identity is a 403).
    pub fn authorize_admin<'a>(
        &self,
        authorization: impl IntoIterator<Item = &'a str>,
    ) -> Result<&DevIdentity, Refusal> {
        let identity = self.authorize(authorization)?;
        if identity.is_admin() {
            Ok(identity)
        } else {
            Err(Refusal {
                status: 403,
                message: "Forbidden",
            })
        }
    }

    /// A table of the tokens for people: token, role, department, subject.
    pub fn table(&self) -> String {
        let width = self
            .identities
            .iter()
            .map(|i| i.token.len())
            .max()
            .unwrap_or(0)
            .max(5);
        let mut text = format!(
            "{:width$}  {:10}  {:16}  subject\n",
            "token", "role", "department"
        );
        for i in &self.identities {
            let department = match (i.department, i.role) {
                (Some(d), _) => d,
                (None, "manager") => "(all)",
                (None, _) => "-",
            };
            text.push_str(&format!(
                "{:width$}  {:10}  {:16}  {}\n",
                i.token, i.role, department, i.subject
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{api_gateway_v2_event, IncomingRequest};
    use crate::template::Route;
    use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
    use chrono::Utc;
    use std::collections::HashMap;

    fn identities() -> DevIdentities {
        DevIdentities::new("secret-admin", DEFAULT_GROUPS_CLAIM).unwrap()
    }

    fn bearer(token: &str) -> String {
        format!("Bearer {token}")
    }

    /// The claims a function receives for `identity`, through a real v2 event.
    fn delivered_claims(identity: &DevIdentity, claim: &str) -> HashMap<String, String> {
        let route = Route {
            method: "GET".into(),
            path: "/surveys".into(),
            function: "survey-delivery".into(),
            public: false,
            event_name: "ListSurveys".into(),
        };
        let event = api_gateway_v2_event(
            &route,
            &IncomingRequest::new("GET", "/surveys"),
            &HashMap::new(),
            Some(&identity.claims(claim)),
            Utc::now(),
        );
        let parsed: ApiGatewayV2httpRequest = serde_json::from_value(event).unwrap();
        parsed
            .request_context
            .authorizer
            .unwrap()
            .jwt
            .unwrap()
            .claims
    }

    #[test]
    fn each_dev_token_maps_to_its_claims() {
        let ids = identities();
        let expected: Vec<(&str, &str, &str)> = vec![
            ("secret-admin", "dev-admin", "[closeloop-admin]"),
            ("dev-manager", "dev-manager", "[closeloop-manager]"),
            (
                "dev-supervisor-rd",
                "dev-supervisor-rd",
                "[closeloop-supervisor dept-rd]",
            ),
            (
                "dev-supervisor-customer_service",
                "dev-supervisor-customer_service",
                "[closeloop-supervisor dept-customer_service]",
            ),
            (
                "dev-supervisor-marketing",
                "dev-supervisor-marketing",
                "[closeloop-supervisor dept-marketing]",
            ),
            (
                "dev-supervisor-planning",
                "dev-supervisor-planning",
                "[closeloop-supervisor dept-planning]",
            ),
            ("dev-agent-rd", "dev-agent-rd", "[closeloop-agent dept-rd]"),
            (
                "dev-agent-customer_service",
                "dev-agent-customer_service",
                "[closeloop-agent dept-customer_service]",
            ),
            (
                "dev-agent-marketing",
                "dev-agent-marketing",
                "[closeloop-agent dept-marketing]",
            ),
            (
                "dev-agent-planning",
                "dev-agent-planning",
                "[closeloop-agent dept-planning]",
            ),
        ];
        assert_eq!(ids.all().len(), expected.len());
        for (token, subject, groups) in expected {
            let header = bearer(token);
            let identity = ids.authorize([header.as_str()]).unwrap();
            assert_eq!(identity.token, token);
            let claims = delivered_claims(identity, ids.groups_claim());
            assert_eq!(claims["sub"], subject, "{token}");
            assert_eq!(claims["cognito:groups"], groups, "{token}");
        }
        // The claim's name is configuration, as in the template.
        let custom = DevIdentities::new("a", "groups").unwrap();
        let claims = delivered_claims(custom.admin(), custom.groups_claim());
        assert_eq!(claims["groups"], "[closeloop-admin]");
        assert!(!claims.contains_key("cognito:groups"));
    }

    #[test]
    fn an_unknown_missing_or_malformed_token_is_a_401() {
        let ids = identities();
        for headers in [
            vec!["Bearer dev-admin-token"], // the default, but this runner's admin token differs
            vec!["Bearer dev-agent-sales"],
            vec!["Bearer "],
            vec!["dev-manager"],
            vec!["Basic dev-manager"],
            vec![],
        ] {
            let refusal = ids.authorize(headers.clone()).unwrap_err();
            assert_eq!(refusal.status, 401, "{headers:?}");
            assert_eq!(refusal.message, "Unauthorized");
        }
        // Scheme in any case; any of several Authorization headers.
        let found = ids.authorize(["Basic x", "bearer  dev-agent-rd "]).unwrap();
        assert_eq!(found.subject, "dev-agent-rd");
    }

    #[test]
    fn the_runner_endpoints_take_the_admin_token_only() {
        let ids = identities();
        assert!(ids.authorize_admin(["Bearer secret-admin"]).is_ok());
        assert_eq!(
            ids.authorize_admin(["Bearer dev-manager"])
                .unwrap_err()
                .status,
            403
        );
        assert_eq!(
            ids.authorize_admin(["Bearer nope"]).unwrap_err().status,
            401
        );
    }

    #[test]
    fn a_clashing_or_empty_admin_token_is_refused() {
        assert!(DevIdentities::new("dev-agent-rd", DEFAULT_GROUPS_CLAIM)
            .unwrap_err()
            .contains("another dev identity"));
        assert!(DevIdentities::new(" ", DEFAULT_GROUPS_CLAIM).is_err());
        assert!(DevIdentities::new("x", " ").is_err());
    }

    #[test]
    fn the_table_lists_every_token_with_its_role_and_department() {
        let table = identities().table();
        assert_eq!(table.lines().count(), 11);
        let line = table
            .lines()
            .find(|l| l.starts_with("dev-agent-customer_service "))
            .unwrap();
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            columns,
            [
                "dev-agent-customer_service",
                "agent",
                "customer_service",
                "dev-agent-customer_service"
            ]
        );
    }
}

//! The functions' IAM policies in template.yaml against what their code really calls.
//!
//! The emulator enforces no IAM and the template linters do not look inside `Policies`, so a
//! missing action only shows as AccessDenied after a deploy, and a needless one never shows.
//! The workspace tests record every AWS operation each function performs (the harness's
//! `deps_for`, see `closeloop_tests::operations`); this test, run after them by `make test`,
//! maps each operation to the IAM action and resource AWS authorises it as and checks both
//! ways: the function's policy allows everything it calls, and grants nothing it never calls.

use std::collections::{BTreeMap, BTreeSet};

use closeloop_tests::operations::operations_dir;
use closeloop_tests::Template;
use serde_yaml::Value;

/// What a statement's resource is, by the template expression that names it.
type Resource = String;
const TABLE: &str = "!GetAtt Table.Arn";
const ALERTS_TOPIC: &str = "!Ref AlertsTopic";
const FAILURE_QUEUE: &str = "!GetAtt StreamFailureQueue.Arn";
const QR_NONCE_KEY: &str = "!Ref QrNonceKey";
const CONSOLE_SESSION_KEY: &str = "!Ref ConsoleSessionKey";
const SES_IDENTITIES: &str = "the account's SES identities (identity/*)";
const ANY: &str = "\"*\"";
/// Phone numbers: everything that is not an SNS ARN (`NotResource: arn:…:sns:*:*:*`).
const PHONE_NUMBERS: &str = "phone numbers (NotResource arn:…:sns:*:*:*)";

/// One index of the table, as a policy names it (`*`: every index).
fn index(name: &str) -> Resource {
    format!("!Sub ${{Table.Arn}}/index/{name}")
}

/// Grants no test can observe, with the reason they are needed anyway.
const NOT_CALLED_BY_THE_CODE: &[(&str, &str, &str)] = &[(
    "sqs:SendMessage",
    FAILURE_QUEUE,
    "Lambda sends a stream batch that failed every retry to the event source mapping's \
     OnFailure destination with the function's own role",
)];

/// The one secret each function that reads a secret may read.
const SECRET_OF: &[(&str, &str)] = &[
    ("response-capture", QR_NONCE_KEY),
    ("staff-console", CONSOLE_SESSION_KEY),
];

/// `(IAM action, resource)` that AWS authorises one recorded operation of `binary` as.
fn authorised_as(binary: &str, line: &str) -> Vec<(String, Resource)> {
    // A service's name may hold a space ("Secrets Manager"); operation and detail do not.
    let mut parts = line.rsplitn(3, ' ');
    let (detail, operation, service) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let dynamodb = |action: &str| (format!("dynamodb:{action}"), TABLE.to_string());
    match (service, operation) {
        // A query of an index is authorised on the index's ARN, not the table's.
        ("DynamoDB", "Query" | "Scan") if detail.starts_with("index:") => {
            vec![(
                format!("dynamodb:{operation}"),
                index(&detail["index:".len()..]),
            )]
        }
        (
            "DynamoDB",
            "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" | "Query" | "Scan" | "BatchGetItem"
            | "BatchWriteItem",
        ) => vec![dynamodb(operation)],
        // There is no TransactWriteItems action: each item is authorised as its own write.
        ("DynamoDB", "TransactWriteItems") => detail
            .split(',')
            .map(|kind| match kind {
                "Put" => dynamodb("PutItem"),
                "Update" => dynamodb("UpdateItem"),
                "Delete" => dynamodb("DeleteItem"),
                "ConditionCheck" => dynamodb("ConditionCheckItem"),
                other => panic!("a transaction item of unknown kind {other:?}: {line}"),
            })
            .collect(),
        ("DynamoDB", "TransactGetItems") => vec![dynamodb("GetItem")],
        // SESv2 SendEmail with raw MIME content is authorised as ses:SendRawEmail. The API
        // called is still SendEmail, so its own action is granted too: a deployment must not
        // hinge on which of the two SES checks for a given account.
        ("SESv2", "SendEmail") if detail == "raw" => vec![
            ("ses:SendRawEmail".into(), SES_IDENTITIES.into()),
            ("ses:SendEmail".into(), SES_IDENTITIES.into()),
        ],
        ("SESv2", "SendEmail") => vec![("ses:SendEmail".into(), SES_IDENTITIES.into())],
        // An SMS goes to a phone number, which has no ARN: allowed on everything that is not
        // an SNS ARN, which is no topic.
        ("SNS", "Publish") if detail == "phone" => {
            vec![("sns:Publish".into(), PHONE_NUMBERS.into())]
        }
        ("SNS", "Publish") if detail == "topic" => {
            vec![("sns:Publish".into(), ALERTS_TOPIC.into())]
        }
        // response-capture reads the QR nonce key, the console its cookie key: one secret each.
        ("Secrets Manager", "GetSecretValue") => {
            let secret = SECRET_OF
                .iter()
                .find(|(b, _)| *b == binary)
                .unwrap_or_else(|| panic!("{binary} reads a secret: name it in SECRET_OF"))
                .1;
            vec![("secretsmanager:GetSecretValue".into(), secret.into())]
        }
        _ => panic!("no IAM mapping for the recorded operation {line:?}: add one"),
    }
}

fn resource(value: &Value) -> Resource {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    match value {
        Value::String(s) if s == "*" => ANY.into(),
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let body = text(&tagged.value);
            match (tag.as_str(), body.as_str()) {
                ("!GetAtt", "Table.Arn") => TABLE.into(),
                ("!Sub", s) if s.starts_with("${Table.Arn}/index/") => {
                    index(&s["${Table.Arn}/index/".len()..])
                }
                ("!Ref", "AlertsTopic") => ALERTS_TOPIC.into(),
                ("!Ref", "QrNonceKey") => QR_NONCE_KEY.into(),
                ("!Ref", "ConsoleSessionKey") => CONSOLE_SESSION_KEY.into(),
                ("!GetAtt", "StreamFailureQueue.Arn") => FAILURE_QUEUE.into(),
                ("!Sub", s) if s.contains(":ses:") && s.ends_with(":identity/*") => {
                    SES_IDENTITIES.into()
                }
                _ => panic!("a policy resource this test does not know: {value:?}"),
            }
        }
        _ => panic!("a policy resource this test does not know: {value:?}"),
    }
}

/// What a `NotResource` leaves: only "everything but SNS ARNs" (phone numbers) is known.
fn not_resource(value: &Value) -> Resource {
    match value {
        Value::Tagged(tagged)
            if tagged.tag == "!Sub"
                && tagged.value.as_str() == Some("arn:${AWS::Partition}:sns:*:*:*") =>
        {
            PHONE_NUMBERS.into()
        }
        _ => panic!("a NotResource this test does not know: {value:?}"),
    }
}

fn strings(value: &Value) -> Vec<&Value> {
    match value {
        Value::Sequence(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// Every `(action, resource)` a function's `Policies` allow, from its inline statements.
fn granted(resources: &Value, logical_id: &str) -> BTreeSet<(String, Resource)> {
    statements(resources, logical_id, "Allow")
}

/// Every `(action, resource)` a function's `Policies` deny.
fn denied(resources: &Value, logical_id: &str) -> BTreeSet<(String, Resource)> {
    statements(resources, logical_id, "Deny")
}

fn statements(resources: &Value, logical_id: &str, effect: &str) -> BTreeSet<(String, Resource)> {
    let policies = &resources[logical_id]["Properties"]["Policies"];
    let mut grants = BTreeSet::new();
    for policy in strings(policies) {
        let statements = policy.get("Statement").unwrap_or_else(|| {
            panic!("{logical_id}: only inline statements are checked, found {policy:?}")
        });
        for statement in strings(statements) {
            let this = statement["Effect"].as_str();
            assert!(
                matches!(this, Some("Allow" | "Deny")),
                "{logical_id}: a statement's Effect is Allow or Deny"
            );
            if this != Some(effect) {
                continue;
            }
            for action in strings(&statement["Action"]) {
                let action = action.as_str().expect("a literal action");
                if let Some(resources) = statement.get("Resource") {
                    for res in strings(resources) {
                        grants.insert((action.to_string(), resource(res)));
                    }
                }
                if let Some(not) = statement.get("NotResource") {
                    grants.insert((action.to_string(), not_resource(not)));
                }
            }
        }
    }
    grants
}

fn allows(grants: &BTreeSet<(String, Resource)>, action: &str, resource: &str) -> bool {
    grants.iter().any(|(a, r)| {
        let action_matches =
            a == action || (a.ends_with(":*") && action.starts_with(&a[..a.len() - 1]));
        let resource_matches =
            r == resource || r == ANY || (*r == index("*") && resource.starts_with(&index("")));
        action_matches && resource_matches
    })
}

#[test]
#[ignore = "run by scripts/test.sh after the workspace tests, which record the operations"]
fn every_policy_allows_what_its_function_calls_and_nothing_else() {
    let template = Template::project().expect("template.yaml parses");
    let path = template.path().expect("the project template's path");
    let yaml: Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).expect("template.yaml")).unwrap();
    let resources = &yaml["Resources"];
    let dir = operations_dir();

    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for (logical_id, binary) in template.functions() {
        let file = dir.join(format!("{binary}.txt"));
        let recorded = std::fs::read_to_string(&file).unwrap_or_else(|e| {
            panic!(
                "{}: {e}. Run the workspace tests first (`make test` does): they record what \
                 each function calls",
                file.display()
            )
        });
        let operations: BTreeSet<&str> = recorded.lines().filter(|l| !l.is_empty()).collect();
        let grants = granted(resources, logical_id);
        let denials = denied(resources, logical_id);
        // SMS is granted on phone numbers only (NotResource: every SNS ARN), never as "*",
        // which would also allow publishing to any topic in the account.
        if grants.contains(&("sns:Publish".to_string(), ANY.to_string())) {
            problems.push(format!(
                "{logical_id} ({binary}) may publish to \"*\": grant SMS with NotResource \
                 arn:${{AWS::Partition}}:sns:*:*:* and each topic by its ARN"
            ));
        }
        if !denials.is_empty() {
            problems.push(format!(
                "{logical_id} ({binary}) has Deny statements, which this check does not read: \
                 grant exactly what is called instead"
            ));
        }

        let mut needed = BTreeSet::new();
        for operation in &operations {
            for (action, res) in authorised_as(binary, operation) {
                if !allows(&grants, &action, &res) {
                    problems.push(format!(
                        "{logical_id} ({binary}) calls {operation:?}, authorised as {action} on \
                         {res}, which its policy does not allow"
                    ));
                }
                needed.insert((action, res));
            }
        }
        for (action, res) in &grants {
            let exempt = NOT_CALLED_BY_THE_CODE
                .iter()
                .any(|(a, r, _)| a == action && r == res);
            if !exempt && !needed.contains(&(action.clone(), res.clone())) {
                problems.push(format!(
                    "{logical_id} ({binary}) is granted {action} on {res}, which it never calls"
                ));
            }
        }
        seen.insert(binary.clone(), operations.len());
    }
    assert!(
        problems.is_empty(),
        "template.yaml's policies do not match what the functions call (recorded in {}):\n  {}",
        dir.display(),
        problems.join("\n  ")
    );
    assert_eq!(
        seen.len(),
        6,
        "every function's calls were checked: {seen:?}"
    );
}

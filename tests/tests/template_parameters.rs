//! The template's parameter constraints and `Config::from_lookup` agree: every value the
//! template lets through starts the functions, and every value tested that the functions
//! refuse at start-up is refused by the template first. A disagreement means a deploy that
//! succeeds and then every function, the public survey pages included, failing at init.
//!
//! One gap is by design: a time zone pattern checks the shape of an IANA name, not that the
//! zone exists (`Moon/Base`). Such a name is refused at start-up naming the variable.

use std::collections::HashMap;

use closeloop::config::Config;
use serde_yaml::Value;

/// One template parameter's constraints, as CloudFormation applies them.
struct Parameter {
    variable: String,
    default: Option<String>,
    pattern: Option<regex_lite::Regex>,
    min_length: Option<usize>,
    max_length: Option<usize>,
}

impl Parameter {
    /// Would CloudFormation accept `value` for this parameter?
    fn admits(&self, value: &str) -> bool {
        let chars = value.chars().count();
        self.min_length.is_none_or(|min| chars >= min)
            && self.max_length.is_none_or(|max| chars <= max)
            && self.pattern.as_ref().is_none_or(|p| p.is_match(value))
    }
}

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The parameters that reach the functions' environment, keyed by parameter name.
fn parameters() -> HashMap<String, Parameter> {
    let template = template();
    let mut by_parameter = HashMap::new();
    let variables = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap();
    for (variable, value) in variables {
        let Value::Tagged(tagged) = value else {
            continue;
        };
        if tagged.tag != "Ref" {
            continue;
        }
        let name = tagged.value.as_str().unwrap();
        let Some(spec) = template["Parameters"].get(name) else {
            continue; // a resource (the table, the topic)
        };
        let text = |key: &str| {
            spec.get(key).map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => panic!("{name}.{key} is {other:?}"),
            })
        };
        assert_eq!(
            spec["Type"].as_str(),
            Some("String"),
            "{name}: a Number parameter admits fractions the functions refuse"
        );
        let parameter = Parameter {
            variable: variable.as_str().unwrap().to_string(),
            default: text("Default"),
            pattern: text("AllowedPattern").map(|p| regex_lite::Regex::new(&p).unwrap()),
            min_length: text("MinLength").map(|n| n.parse().unwrap()),
            max_length: text("MaxLength").map(|n| n.parse().unwrap()),
        };
        by_parameter.insert(name.to_string(), parameter);
    }
    by_parameter
}

/// A valid value for every parameter without a default.
fn baseline() -> HashMap<String, String> {
    HashMap::from(
        [
            ("TABLE_NAME", "closeloop"),
            (
                "ALERTS_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:alerts",
            ),
            ("SENDER_EMAIL", "survey@example.com"),
            ("PUBLIC_BASE_URL", "https://feedback.example.com"),
            ("COMPANY_CONTACT_EMAIL", "care@example.com"),
            ("COMPANY_CONTACT_PHONE", "+86 400 123 4567"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

/// Starts the configuration with `variable` = `value` and the rest valid.
fn starts(variable: &str, value: &str) -> Result<(), String> {
    let mut vars = baseline();
    vars.insert(variable.to_string(), value.to_string());
    Config::from_lookup(|name| vars.get(name).cloned())
        .map(|_| ())
        .map_err(|e| {
            assert_eq!(e.variable, variable, "{e}");
            e.to_string()
        })
}

/// Edge values per parameter: what a person might type, the boundaries of each rule, and
/// the values the issue found crashing every function.
fn cases(parameter: &str) -> Vec<String> {
    let numbers = |values: &[&str]| values.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut cases = match parameter {
        "SenderEmail" | "CompanyContactEmail" => numbers(&[
            "survey@example.com",
            "a@b",
            "",
            " ",
            "survey",
            "@",
            "a@",
            "@b",
            "a b@example.com",
            "a@@b",
        ]),
        "PublicBaseUrl" => numbers(&[
            "https://feedback.example.com",
            "https://feedback.example.com/",
            "https://abc.execute-api.us-east-1.amazonaws.com/",
            "https://example.com/survey/",
            "https://x",
            "https://",
            "https:///",
            "https:// ",
            "http://example.com",
            "example.com",
            "",
        ]),
        "CompanyContactPhone" => numbers(&[
            "+86 400 123 4567",
            "400-123-4567",
            "(010) 1234 5678",
            "123",
            "12",
            "(010)",
            "1",
            "",
            " ",
            "+",
            "call us",
            "123 ",
        ]),
        "JwtGroupsClaim" => numbers(&[
            "cognito:groups",
            "groups",
            "https://example.com/claims/groups",
            "g",
            "",
            " ",
            "my groups",
        ]),
        "DefaultSurveyId" => numbers(&[
            "csat-default",
            "0",
            "a",
            &"a".repeat(64),
            &"a".repeat(65),
            "",
            "CSAT",
            "-csat",
            "_csat",
            "csat.default",
            "csat default",
            "调查",
        ]),
        "DefaultTimeZone" | "BusinessTimeZone" => zone_cases(),
        "QuietHours" => {
            // Every HH:MM-09:00 and 21:00-HH:MM with two-digit fields 00–29 : 00–99.
            let mut all = Vec::new();
            for hour in 0..30 {
                for minute in 0..100 {
                    all.push(format!("{hour:02}:{minute:02}-09:00"));
                    all.push(format!("21:00-{hour:02}:{minute:02}"));
                }
            }
            all.extend(numbers(&[
                "9:00-21:00",
                "21:00 - 09:00",
                "21:00",
                "21-09",
                "",
                "24:00-09:00",
                "00:00-00:00",
            ]));
            all
        }
        "SmsSignature" => numbers(&[
            "Closeloop",
            "某某商城",
            "ab",
            "a",
            "",
            "十二个字十二个字十二个字",
            "十三个字十三个字十三个字啊",
            "abcdefghijkl",
            "abcdefghijklm",
            "【某某】",
            "[Shop]",
            "my shop",
        ]),
        _ => Vec::new(),
    };
    // Whole-number parameters: every value around their ranges, and the non-numbers.
    let range = match parameter {
        "RetentionDays" => Some(0..=100_010),
        "InviteDelayHours" => Some(0..=60),
        "FatigueDays" => Some(0..=400),
        "SmsPerSecond" | "EmailPerSecond" => Some(0..=100_010),
        "SweepBudgetSeconds" => Some(0..=1_000),
        "SurveyTimeBudgetSeconds" => Some(0..=4_000),
        _ => None,
    };
    if let Some(range) = range {
        cases.extend(range.map(|n| n.to_string()));
        cases.extend(numbers(&[
            "",
            " ",
            "-1",
            "1.5",
            "30.5",
            "730.0",
            "1e3",
            "0x10",
            "+5",
            "05",
            "4294967296",
        ]));
    }
    cases
}

/// Every zone chrono-tz knows, realistic names and names of the wrong shape.
fn zone_cases() -> Vec<String> {
    let mut zones: Vec<String> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name().to_string())
        .collect();
    zones.extend(
        [
            "Asia/Shanghai",
            "America/Argentina/Buenos_Aires",
            "America/Port-au-Prince",
            "Etc/GMT+8",
            "Etc/GMT-14",
            "UTC",
            "",
            " ",
            "Asia/Shanghai ",
            "asia/shanghai",
            "Asia/",
            "/Shanghai",
            "Asia//Shanghai",
            "Asia/Shanghai/",
            "Beijing",
            "UTC+8",
            "GMT+08:00",
            "+08:00",
            "CST",
            "Moon/Base",
            "Mars/Olympus",
        ]
        .map(String::from),
    );
    zones
}

#[test]
fn the_template_admits_only_what_the_functions_start_with() {
    let parameters = parameters();
    let constrained = [
        "SenderEmail",
        "PublicBaseUrl",
        "CompanyContactEmail",
        "CompanyContactPhone",
        "RetentionDays",
        "DefaultSurveyId",
        "DefaultTimeZone",
        "BusinessTimeZone",
        "InviteDelayHours",
        "QuietHours",
        "FatigueDays",
        "SmsPerSecond",
        "EmailPerSecond",
        "SweepBudgetSeconds",
        "SurveyTimeBudgetSeconds",
        "JwtGroupsClaim",
        "SmsSignature",
    ];
    let mut names: Vec<&String> = parameters.keys().collect();
    names.sort();
    assert_eq!(
        names.len(),
        constrained.len(),
        "every parameter in the environment has cases here: {names:?}"
    );

    let mut shape_only = Vec::new();
    for name in constrained {
        let parameter = parameters
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not a parameter in the environment"));
        let mut values = cases(name);
        values.extend(parameter.default.clone());
        let (mut admitted, mut refused) = (0, 0);
        for value in &values {
            let admits = parameter.admits(value);
            let started = starts(&parameter.variable, value);
            match (admits, started) {
                (true, Ok(())) => admitted += 1,
                (false, _) => refused += 1,
                (true, Err(e)) if name.ends_with("TimeZone") => {
                    // The pattern checks the shape only; the name must be one chrono-tz
                    // does not know, and start-up names the variable.
                    assert!(
                        value.parse::<chrono_tz::Tz>().is_err(),
                        "{name} {value:?}: {e}"
                    );
                    shape_only.push(format!("{name}={value:?}"));
                }
                (true, Err(e)) => panic!(
                    "{name} = {value:?} is admitted by the template but the functions refuse it: {e}"
                ),
            }
        }
        if let Some(default) = &parameter.default {
            assert!(parameter.admits(default), "{name}'s default {default:?}");
        }
        assert!(admitted > 0 && refused > 0, "{name}: cases on both sides");
        println!(
            "{name} ({}): {} cases, {admitted} admitted and start, {refused} refused by the template",
            parameter.variable,
            values.len()
        );
    }
    println!(
        "admitted by the time zone shape, refused at start-up naming the variable: {shape_only:?}"
    );
    // Only the made-up names of the right shape get through the pattern.
    assert_eq!(shape_only.len(), 4, "{shape_only:?}");
}

#[test]
fn every_known_time_zone_has_the_pattern_shape() {
    let parameters = parameters();
    let pattern = parameters["DefaultTimeZone"].pattern.as_ref().unwrap();
    let refused: Vec<&str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name())
        .filter(|name| name.contains('/') && !pattern.is_match(name))
        .collect();
    // Region/City names all pass; legacy names without a slash (EST5EDT, GMT0, PRC) need not.
    assert_eq!(refused, Vec::<&str>::new());
}

#[test]
fn whole_number_parameters_admit_exactly_their_documented_ranges() {
    let parameters = parameters();
    for (name, low, high) in [
        ("RetentionDays", 30, 99_999),
        ("InviteDelayHours", 0, 48),
        ("FatigueDays", 0, 365),
        ("SmsPerSecond", 0, 100_000),
        ("EmailPerSecond", 0, 100_000),
        ("SweepBudgetSeconds", 1, 25),
        ("SurveyTimeBudgetSeconds", 0, 3_600),
    ] {
        let parameter = &parameters[name];
        for n in 0..=high + 1_000 {
            assert_eq!(
                parameter.admits(&n.to_string()),
                (low..=high).contains(&n),
                "{name} {n}"
            );
        }
    }
}

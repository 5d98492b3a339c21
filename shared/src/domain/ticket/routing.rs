//! Where a ticket goes: its category and sub-item, its level and its department.
//!
//! [`RoutingSettings`] (JSON, versioned) map survey dimensions, chosen options and keywords to
//! a [`Topic`], and categories to departments. [`classify`] puts it together with the
//! [`TicketRules`] into a [`Classification`].
//!
//! **How the category is chosen.** Each piece of evidence votes for a topic with points:
//! - a keyword found in the open text: [`KEYWORD_POINTS`] (the customer's own words);
//! - a dimension averaging below `dimension_below` (default 3, below neutral):
//!   [`DIMENSION_POINTS`];
//! - a chosen option (an improvement wish): [`OPTION_POINTS`].
//!
//! The category with the most points wins; a tie goes to the category whose evidence includes
//! the lowest dimension score, then to the first in the order product, service, operations,
//! suggestion (a complaint before a suggestion). Within the category the sub-item with the most
//! points wins, ties going to the first in [`SubItem::ALL`]. A direct feedback whose own
//! category is product, service, operations or suggestion is decisive: a person chose it; the
//! evidence then only picks the sub-item. No evidence, no category: the ticket goes to the
//! `unclassified` department (customer service by default, who call the customer and find out).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rules::{decide, TicketRules, TicketSource};
use super::words::{self, Haystack};
use super::{score_text, settings_from_json, Category, Level, Reason, SubItem, Topic};
use crate::error::Error;

/// Points for each keyword found in the open text.
pub const KEYWORD_POINTS: u32 = 3;
/// Points for each dimension averaging below the routing threshold.
pub const DIMENSION_POINTS: u32 = 2;
/// Points for each chosen option with a topic.
pub const OPTION_POINTS: u32 = 1;

/// Longest department, dimension, option or locale id in the settings.
const MAX_ID_CHARS: usize = 64;

/// The settings that route a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSettings {
    /// Increases with every change an admin saves; stored on each ticket it routed.
    pub version: u32,
    /// Dimensions averaging below this (1–5) point to where the problem is.
    pub dimension_below: f64,
    /// Dimension id → topic.
    pub dimensions: BTreeMap<String, Topic>,
    /// Option id → topic.
    pub options: BTreeMap<String, Topic>,
    /// Locale (`zh-CN`, `en`) → keyword rules. Every locale's rules are matched against every
    /// text (customers mix languages); the locale only keeps the lists readable.
    pub keywords: BTreeMap<String, Vec<KeywordRule>>,
    pub departments: Departments,
}

/// Words that point to a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordRule {
    pub category: Category,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_item: Option<SubItem>,
    pub words: Vec<String>,
}

impl KeywordRule {
    fn new(sub_item: SubItem, words: &[&str]) -> KeywordRule {
        KeywordRule {
            category: sub_item.category(),
            sub_item: Some(sub_item),
            words: words::list(words),
        }
    }

    fn topic(&self) -> Topic {
        self.sub_item.map_or(Topic::of(self.category), Topic::from)
    }
}

/// The department that owns each category's tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Departments {
    pub product: String,
    pub service: String,
    pub operations: String,
    pub suggestion: String,
    /// Tickets whose category is not known (yet).
    pub unclassified: String,
}

impl Default for Departments {
    fn default() -> Departments {
        Departments {
            product: "rd".into(),
            service: "customer_service".into(),
            operations: "marketing".into(),
            suggestion: "planning".into(),
            unclassified: "customer_service".into(),
        }
    }
}

impl Departments {
    /// The department of `category`, or the unclassified one.
    pub fn of(&self, category: Option<Category>) -> &str {
        match category {
            Some(Category::Product) => &self.product,
            Some(Category::Service) => &self.service,
            Some(Category::Operations) => &self.operations,
            Some(Category::Suggestion) => &self.suggestion,
            None => &self.unclassified,
        }
    }

    fn all(&self) -> [(&'static str, &str); 5] {
        [
            ("product", &self.product),
            ("service", &self.service),
            ("operations", &self.operations),
            ("suggestion", &self.suggestion),
            ("unclassified", &self.unclassified),
        ]
    }
}

impl Default for RoutingSettings {
    fn default() -> RoutingSettings {
        use SubItem::*;
        let dimensions = [
            // The default survey (surveys/default.json).
            ("product_quality", Topic::from(Quality)),
            ("service_response", Topic::from(SlowResponse)),
            ("after_sales", Topic::of(Category::Service)),
            ("value", Topic::from(PriceDispute)),
            ("overall", Topic::of(Category::Service)),
            // The service-desk set of dimensions.
            ("attitude", Topic::from(Attitude)),
            ("response_efficiency", Topic::from(SlowResponse)),
            ("competence", Topic::of(Category::Service)),
            ("process", Topic::from(Process)),
            ("outcome", Topic::of(Category::Service)),
        ];
        let options = [
            // "Which areas would you most like us to improve?" in the default survey.
            ("simplify_process", Topic::from(Process)),
            ("staff_training", Topic::from(Attitude)),
            ("more_channels", Topic::from(ServiceUpgrade)),
            ("after_sales_policy", Topic::from(Process)),
        ];
        let zh = vec![
            KeywordRule::new(
                HardwareFault,
                &[
                    "坏了",
                    "故障",
                    "死机",
                    "黑屏",
                    "不开机",
                    "开不了机",
                    "充不进电",
                    "漏水",
                    "异响",
                    "损坏",
                    "发烫",
                ],
            ),
            KeywordRule::new(
                SoftwareBug,
                &[
                    "闪退",
                    "卡顿",
                    "bug",
                    "报错",
                    "崩溃",
                    "无法登录",
                    "登不上",
                    "系统错误",
                    "软件问题",
                ],
            ),
            KeywordRule::new(
                Quality,
                &[
                    "质量",
                    "做工",
                    "划痕",
                    "瑕疵",
                    "掉漆",
                    "不耐用",
                    "用了没多久",
                ],
            ),
            KeywordRule::new(
                SlowResponse,
                &[
                    "太慢",
                    "很慢",
                    "等了很久",
                    "没人回复",
                    "没人理",
                    "不回复",
                    "回复慢",
                    "响应慢",
                    "拖延",
                    "效率低",
                ],
            ),
            KeywordRule::new(
                Attitude,
                &[
                    "态度",
                    "不耐烦",
                    "敷衍",
                    "不礼貌",
                    "冷漠",
                    "推诿",
                    "骂人",
                    "爱答不理",
                ],
            ),
            KeywordRule::new(
                Process,
                &[
                    "流程",
                    "手续",
                    "繁琐",
                    "来回跑",
                    "踢皮球",
                    "转接",
                    "材料太多",
                    "审核",
                ],
            ),
            KeywordRule::new(
                PriceDispute,
                &[
                    "价格",
                    "太贵",
                    "差价",
                    "降价",
                    "乱收费",
                    "多收",
                    "扣费",
                    "退款",
                    "收费",
                ],
            ),
            KeywordRule::new(
                UnclearRules,
                &[
                    "规则",
                    "活动",
                    "优惠券",
                    "促销",
                    "说明不清",
                    "条款",
                    "积分",
                    "满减",
                ],
            ),
            KeywordRule::new(
                Delivery,
                &["物流", "快递", "配送", "发货", "送货", "到货", "包裹"],
            ),
            KeywordRule::new(
                ProductImprovement,
                &["建议", "希望增加", "希望能", "最好能", "新功能"],
            ),
            KeywordRule::new(
                ServiceUpgrade,
                &["在线客服", "上门服务", "24小时", "增加渠道", "服务升级"],
            ),
        ];
        let en = vec![
            KeywordRule::new(
                HardwareFault,
                &[
                    "broken",
                    "broke",
                    "faulty",
                    "defect*",
                    "won't turn on",
                    "doesn't turn on",
                    "overheat*",
                    "leak*",
                    "cracked",
                    "hardware",
                ],
            ),
            KeywordRule::new(
                SoftwareBug,
                &[
                    "bug*",
                    "crash*",
                    "freez*",
                    "froze",
                    "error*",
                    "glitch*",
                    "can't log in",
                    "cannot log in",
                    "software",
                ],
            ),
            KeywordRule::new(
                Quality,
                &[
                    "quality",
                    "scratch*",
                    "flimsy",
                    "poorly made",
                    "cheaply made",
                ],
            ),
            KeywordRule::new(
                SlowResponse,
                &[
                    "slow*",
                    "waited",
                    "waiting",
                    "no reply",
                    "no response",
                    "never replied",
                    "took forever",
                    "nobody answered",
                ],
            ),
            KeywordRule::new(
                Attitude,
                &[
                    "rude*",
                    "impolite",
                    "unfriendly",
                    "attitude",
                    "impatient",
                    "arrogant",
                    "dismissive",
                    "yelled",
                ],
            ),
            KeywordRule::new(
                Process,
                &[
                    "process",
                    "procedure*",
                    "paperwork",
                    "complicated",
                    "transferred",
                    "runaround",
                    "hassle",
                    "bureaucra*",
                ],
            ),
            KeywordRule::new(
                PriceDispute,
                &[
                    "price*",
                    "pricing",
                    "overcharg*",
                    "charged twice",
                    "expensive",
                    "refund*",
                    "billing",
                ],
            ),
            KeywordRule::new(
                UnclearRules,
                &[
                    "promotion*",
                    "coupon*",
                    "voucher*",
                    "terms",
                    "misleading",
                    "unclear",
                    "fine print",
                    "loyalty points",
                ],
            ),
            KeywordRule::new(
                Delivery,
                &[
                    "delivery",
                    "delivered",
                    "shipping",
                    "shipment",
                    "courier",
                    "parcel",
                    "package",
                ],
            ),
            KeywordRule::new(
                ProductImprovement,
                &[
                    "suggest*",
                    "would be nice",
                    "please add",
                    "feature request",
                    "wish",
                ],
            ),
            KeywordRule::new(
                ServiceUpgrade,
                &["live chat", "more channels", "weekend hours", "home visit*"],
            ),
        ];
        RoutingSettings {
            version: 1,
            dimension_below: 3.0,
            dimensions: dimensions
                .into_iter()
                .map(|(d, t)| (d.to_string(), t))
                .collect(),
            options: options
                .into_iter()
                .map(|(o, t)| (o.to_string(), t))
                .collect(),
            keywords: BTreeMap::from([("zh-CN".to_string(), zh), ("en".to_string(), en)]),
            departments: Departments::default(),
        }
    }
}

impl RoutingSettings {
    /// Parses and checks the JSON settings; a missing field takes its default, an error names
    /// the field.
    pub fn from_json(text: &str) -> Result<RoutingSettings, Error> {
        let settings: RoutingSettings = settings_from_json("routing", text)?;
        settings.check()?;
        Ok(settings)
    }

    /// Checks ranges, ids and word lists; the error names the field.
    pub fn check(&self) -> Result<(), Error> {
        if !(self.dimension_below > 1.0 && self.dimension_below <= 5.0) {
            return Err(Error::invalid(
                "dimension_below",
                "a score above 1 and at most 5 (3 is neutral)",
            ));
        }
        for (field, ids) in [
            ("dimensions", self.dimensions.keys().collect::<Vec<_>>()),
            ("options", self.options.keys().collect()),
            ("keywords", self.keywords.keys().collect()),
        ] {
            for id in ids {
                check_id(&format!("{field}.{id}"), id)?;
            }
        }
        for (locale, rules) in &self.keywords {
            for (i, rule) in rules.iter().enumerate() {
                let field = format!("keywords.{locale}[{i}]");
                if let Some(sub) = rule.sub_item {
                    if sub.category() != rule.category {
                        return Err(Error::invalid(
                            format!("{field}.sub_item"),
                            format!(
                                "{sub} belongs to category {}, not {}",
                                sub.category(),
                                rule.category
                            ),
                        ));
                    }
                }
                words::check_list(&format!("{field}.words"), &rule.words)?;
            }
        }
        for (category, department) in self.departments.all() {
            check_department(&format!("departments.{category}"), department)?;
        }
        Ok(())
    }
}

/// A department id: lower-case letters, digits, `_` and `-` (it names a calendar and an alert
/// topic too).
pub(crate) fn check_department(field: &str, department: &str) -> Result<(), Error> {
    let ok = !department.is_empty()
        && department.len() <= MAX_ID_CHARS
        && department
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!(
                "{department:?}: use 1 to {MAX_ID_CHARS} lower-case letters, digits, '_' or '-' \
                 (e.g. customer_service)"
            ),
        ))
    }
}

fn check_id(field: &str, id: &str) -> Result<(), Error> {
    if id.trim().is_empty() || id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            field,
            format!("an id of 1 to {MAX_ID_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A ticket's classification: how urgent, what about, which department, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_item: Option<SubItem>,
    pub department: String,
    /// Why a ticket is needed, urgent reasons first.
    pub reasons: Vec<Reason>,
    /// The evidence behind the category, e.g. `keyword '态度' → service/attitude`.
    #[serde(default)]
    pub routed_by: Vec<String>,
    /// Whether it was made from complete answers (false: a one-tap rating so far).
    pub complete: bool,
    pub rules_version: u32,
    pub routing_version: u32,
}

/// The ticket `source` needs, or `None` when it needs none.
pub fn classify(
    source: &TicketSource,
    rules: &TicketRules,
    routing: &RoutingSettings,
) -> Option<Classification> {
    let reasons = decide(source, rules);
    if reasons.is_empty() {
        return None;
    }
    let (topic, routed_by) = route(source, routing);
    let category = topic.map(Topic::category);
    Some(Classification {
        level: rules.level(&reasons),
        category,
        sub_item: topic.and_then(Topic::sub_item),
        department: routing.departments.of(category).to_string(),
        reasons,
        routed_by,
        complete: source.complete,
        rules_version: rules.version,
        routing_version: routing.version,
    })
}

/// One vote for a topic.
struct Evidence {
    topic: Topic,
    points: u32,
    /// The dimension score behind it, if any.
    score: Option<f64>,
    says: String,
}

/// The topic the evidence points to, and the evidence behind it, in words.
fn route(source: &TicketSource, routing: &RoutingSettings) -> (Option<Topic>, Vec<String>) {
    let evidence = gather(source, routing);
    let decided = source
        .feedback
        .as_ref()
        .and_then(|f| f.category.as_deref())
        .and_then(Category::parse);
    let Some(category) = decided.or_else(|| strongest_category(&evidence)) else {
        return (None, Vec::new());
    };
    let ours: Vec<&Evidence> = evidence
        .iter()
        .filter(|e| e.topic.category() == category)
        .collect();
    let sub_item = SubItem::ALL
        .into_iter()
        .filter(|s| s.category() == category)
        .map(|s| {
            let points: u32 = ours
                .iter()
                .filter(|e| e.topic.sub_item() == Some(s))
                .map(|e| e.points)
                .sum();
            (s, points)
        })
        .filter(|&(_, points)| points > 0)
        // `max_by_key` keeps the last of equals; reversed, the first in SubItem::ALL wins.
        .rev()
        .max_by_key(|&(_, points)| points)
        .map(|(s, _)| s);
    let mut routed_by = Vec::new();
    if decided.is_some() {
        routed_by.push(format!("feedback category {category}"));
    }
    routed_by.extend(ours.iter().map(|e| format!("{} → {}", e.says, e.topic)));
    let topic = sub_item.map_or(Topic::of(category), Topic::from);
    (Some(topic), routed_by)
}

fn gather(source: &TicketSource, routing: &RoutingSettings) -> Vec<Evidence> {
    let mut evidence = Vec::new();
    let text = Haystack::new(&source.open_text);
    for rules in routing.keywords.values() {
        for rule in rules {
            for word in text.found(&rule.words) {
                evidence.push(Evidence {
                    topic: rule.topic(),
                    points: KEYWORD_POINTS,
                    score: None,
                    says: format!("keyword '{word}'"),
                });
            }
        }
    }
    for (dimension, score) in source.dimensions() {
        if score < routing.dimension_below {
            if let Some(&topic) = routing.dimensions.get(dimension) {
                evidence.push(Evidence {
                    topic,
                    points: DIMENSION_POINTS,
                    score: Some(score),
                    says: format!("dimension {dimension} {}", score_text(score)),
                });
            }
        }
    }
    let mut seen = Vec::new();
    for option in &source.chosen_options {
        if seen.contains(&option) {
            continue;
        }
        seen.push(option);
        if let Some(&topic) = routing.options.get(option) {
            evidence.push(Evidence {
                topic,
                points: OPTION_POINTS,
                score: None,
                says: format!("option {option}"),
            });
        }
    }
    evidence
}

/// Most points; then the lowest dimension score among the evidence; then the order of
/// [`Category::ALL`].
fn strongest_category(evidence: &[Evidence]) -> Option<Category> {
    let mut best: Option<(Category, u32, f64)> = None;
    for category in Category::ALL {
        let ours = evidence.iter().filter(|e| e.topic.category() == category);
        let points: u32 = ours.clone().map(|e| e.points).sum();
        if points == 0 {
            continue;
        }
        let lowest = ours.filter_map(|e| e.score).fold(f64::INFINITY, f64::min);
        let better = match best {
            None => true,
            Some((_, best_points, best_lowest)) => {
                points > best_points || (points == best_points && lowest < best_lowest)
            }
        };
        if better {
            best = Some((category, points, lowest));
        }
    }
    best.map(|(category, _, _)| category)
}

//! The rules a definition must satisfy before it is stored; only a [`ValidSurvey`] is used for
//! skip logic and answers.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{
    ChoiceOption, Condition, Dimension, DimensionId, Locale, Localized, OptionId, Question,
    QuestionId, QuestionKind, SurveyDefinition, MAX_CONDITION_DEPTH, MAX_LABEL_CHARS, MAX_OPTIONS,
    MAX_QUESTIONS, MIN_OPTIONS, OPEN_TEXT_MAX_LENGTH_RANGE,
};

/// Why a definition cannot be stored: which field, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct SurveyProblem {
    /// A JSON-path-like locator, e.g. `questions[3].show_if.question` or `dimensions[1].weight`.
    pub field: String,
    /// A sentence a person can act on, e.g. `refers to unknown question "q99"`.
    pub reason: String,
}

impl SurveyProblem {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> SurveyProblem {
        SurveyProblem {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A definition that passed [`SurveyDefinition::validate`], with its skip-logic evaluation order.
///
/// Serializes as its definition; deserializing validates again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SurveyDefinition", into = "SurveyDefinition")]
pub struct ValidSurvey {
    definition: SurveyDefinition,
    /// Question indices, every question after the questions its `show_if` looks at.
    pub(super) eval_order: Vec<usize>,
}

impl ValidSurvey {
    pub fn definition(&self) -> &SurveyDefinition {
        &self.definition
    }

    pub fn into_definition(self) -> SurveyDefinition {
        self.definition
    }

    pub fn questions(&self) -> &[Question] {
        &self.definition.questions
    }

    pub fn dimensions(&self) -> &[Dimension] {
        &self.definition.dimensions
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.definition.questions.iter().find(|q| q.id == *id)
    }

    /// The outcome question (see [`SurveyDefinition::outcome`]): a 1–5 rating in no dimension,
    /// always shown.
    pub fn outcome(&self) -> Option<&Question> {
        self.definition
            .outcome
            .as_ref()
            .and_then(|id| self.question(id.as_str()))
    }

    pub(super) fn position(&self, id: &QuestionId) -> Option<usize> {
        self.definition.questions.iter().position(|q| q.id == *id)
    }
}

impl TryFrom<SurveyDefinition> for ValidSurvey {
    type Error = SurveyProblem;

    fn try_from(definition: SurveyDefinition) -> Result<ValidSurvey, SurveyProblem> {
        definition.validate()
    }
}

impl From<ValidSurvey> for SurveyDefinition {
    fn from(valid: ValidSurvey) -> SurveyDefinition {
        valid.definition
    }
}

impl SurveyDefinition {
    /// Checks every rule; the first problem (in document order) when any is broken.
    pub fn validate(self) -> Result<ValidSurvey, SurveyProblem> {
        let (problems, eval_order) = check(&self);
        match problems.into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(ValidSurvey {
                definition: self,
                eval_order,
            }),
        }
    }

    /// Every problem, so an editor can show them all at once; empty when the definition is valid.
    /// The first one is what [`SurveyDefinition::validate`] reports.
    pub fn problems(&self) -> Vec<SurveyProblem> {
        check(self).0
    }
}

fn check(definition: &SurveyDefinition) -> (Vec<SurveyProblem>, Vec<usize>) {
    let mut checker = Checker {
        def: definition,
        problems: Vec::new(),
    };
    checker.localized("title", &definition.title);
    if let Some(intro) = &definition.intro {
        checker.localized("intro", intro);
    }
    checker.dimensions();
    checker.questions();
    checker.unmeasured_dimensions();
    checker.outcome();
    let order = checker.evaluation_order();
    (checker.problems, order)
}

fn quoted_list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|item| format!("\"{item}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

struct Checker<'a> {
    def: &'a SurveyDefinition,
    problems: Vec<SurveyProblem>,
}

impl<'a> Checker<'a> {
    fn report(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(SurveyProblem::new(field, reason));
    }

    fn localized(&mut self, path: &str, text: &Localized) {
        for (locale, language, value) in [
            (Locale::ZhCn, "Simplified Chinese", &text.zh_cn),
            (Locale::En, "English", &text.en),
        ] {
            let field = format!("{path}.{locale}");
            if value.trim().is_empty() {
                self.report(
                    field,
                    format!("must not be blank; write the {language} text"),
                );
            } else {
                let chars = value.chars().count();
                if chars > MAX_LABEL_CHARS {
                    self.report(
                        field,
                        format!(
                            "is {chars} characters long; at most {MAX_LABEL_CHARS} are allowed"
                        ),
                    );
                }
            }
        }
    }

    fn dimensions(&mut self) {
        let mut seen: HashMap<&'a DimensionId, usize> = HashMap::new();
        for (i, dimension) in self.def.dimensions.iter().enumerate() {
            let path = format!("dimensions[{i}]");
            if let Some(first) = seen.get(&dimension.id) {
                self.report(
                    format!("{path}.id"),
                    format!(
                        "\"{}\" is already used by dimensions[{first}]; dimension ids must be unique",
                        dimension.id
                    ),
                );
            } else {
                seen.insert(&dimension.id, i);
            }
            self.localized(&format!("{path}.label"), &dimension.label);
            if !(dimension.weight.is_finite() && dimension.weight > 0.0) {
                self.report(
                    format!("{path}.weight"),
                    format!(
                        "must be a positive, finite number, not {}",
                        dimension.weight
                    ),
                );
            }
        }
    }

    fn unmeasured_dimensions(&mut self) {
        for (i, dimension) in self.def.dimensions.iter().enumerate() {
            let measured = self.def.questions.iter().any(|q| {
                matches!(&q.kind, QuestionKind::Rating { dimension: Some(d), .. } if *d == dimension.id)
            });
            if !measured {
                self.report(
                    format!("dimensions[{i}]"),
                    format!(
                        "no rating question measures dimension \"{id}\"; add a rating question with \"dimension\": \"{id}\" or remove the dimension",
                        id = dimension.id
                    ),
                );
            }
        }
    }

    fn outcome(&mut self) {
        let Some(id) = &self.def.outcome else {
            return;
        };
        let Some(question) = self.def.questions.iter().find(|q| q.id == *id) else {
            self.report(
                "outcome",
                format!(
                    "refers to unknown question \"{id}\"; name the 1–5 rating question that asks for overall satisfaction"
                ),
            );
            return;
        };
        let kind = question.kind.question_type();
        match &question.kind {
            QuestionKind::Rating {
                dimension: Some(dimension),
                ..
            } => self.report(
                "outcome",
                format!(
                    "question \"{id}\" counts towards dimension \"{dimension}\"; the outcome is kept apart from the weighted index, so remove its \"dimension\""
                ),
            ),
            QuestionKind::Rating { dimension: None, .. } => {}
            _ => self.report(
                "outcome",
                format!("question \"{id}\" is a {kind} question; the outcome must be a 1–5 rating question"),
            ),
        }
        if question.show_if.is_some() {
            self.report(
                "outcome",
                format!(
                    "question \"{id}\" has a show_if; the outcome is asked of every respondent, so remove its condition"
                ),
            );
        }
    }

    fn questions(&mut self) {
        let questions = &self.def.questions;
        if questions.is_empty() {
            self.report("questions", "a survey needs at least one question");
        }
        if questions.len() > MAX_QUESTIONS {
            self.report(
                "questions",
                format!(
                    "has {} questions; at most {MAX_QUESTIONS} are allowed, so split it into several surveys",
                    questions.len()
                ),
            );
        }
        let mut seen: HashMap<&'a QuestionId, usize> = HashMap::new();
        for (i, question) in questions.iter().enumerate() {
            let path = format!("questions[{i}]");
            if let Some(first) = seen.get(&question.id) {
                self.report(
                    format!("{path}.id"),
                    format!(
                        "\"{}\" is already used by questions[{first}]; question ids must be unique",
                        question.id
                    ),
                );
            } else {
                seen.insert(&question.id, i);
            }
            self.localized(&format!("{path}.label"), &question.label);
            if let Some(help) = &question.help {
                self.localized(&format!("{path}.help"), help);
            }
            self.kind(&path, &question.kind);
            if let Some(condition) = &question.show_if {
                self.condition(i, condition, &format!("{path}.show_if"), 1);
            }
        }
    }

    fn kind(&mut self, path: &str, kind: &'a QuestionKind) {
        match kind {
            QuestionKind::Rating {
                dimension,
                low_label,
                high_label,
            } => {
                if let Some(dimension) = dimension {
                    if !self.def.dimensions.iter().any(|d| d.id == *dimension) {
                        let known = if self.def.dimensions.is_empty() {
                            "this survey defines no dimensions".to_string()
                        } else {
                            format!(
                                "known dimensions: {}",
                                quoted_list(self.def.dimensions.iter().map(|d| &d.id))
                            )
                        };
                        self.report(
                            format!("{path}.dimension"),
                            format!("refers to unknown dimension \"{dimension}\"; {known}"),
                        );
                    }
                }
                if let Some(low) = low_label {
                    self.localized(&format!("{path}.low_label"), low);
                }
                if let Some(high) = high_label {
                    self.localized(&format!("{path}.high_label"), high);
                }
            }
            QuestionKind::Nps => {}
            QuestionKind::SingleChoice { options } => self.options(path, options),
            QuestionKind::MultipleChoice {
                options,
                max_selected,
            } => {
                self.options(path, options);
                match max_selected {
                    Some(0) => self.report(
                        format!("{path}.max_selected"),
                        "must be at least 1; leave it out to allow any number of options",
                    ),
                    Some(max) if usize::from(*max) > options.len() => self.report(
                        format!("{path}.max_selected"),
                        format!(
                            "is {max}, but the question has only {} options",
                            options.len()
                        ),
                    ),
                    _ => {}
                }
            }
            QuestionKind::OpenText { max_length } => {
                if !OPEN_TEXT_MAX_LENGTH_RANGE.contains(max_length) {
                    self.report(
                        format!("{path}.max_length"),
                        format!(
                            "must be between {} and {} characters, not {max_length}",
                            OPEN_TEXT_MAX_LENGTH_RANGE.start(),
                            OPEN_TEXT_MAX_LENGTH_RANGE.end()
                        ),
                    );
                }
            }
        }
    }

    fn options(&mut self, path: &str, options: &'a [ChoiceOption]) {
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&options.len()) {
            self.report(
                format!("{path}.options"),
                format!(
                    "has {} options; a choice question needs {MIN_OPTIONS} to {MAX_OPTIONS}",
                    options.len()
                ),
            );
        }
        let mut seen: HashMap<&'a OptionId, usize> = HashMap::new();
        for (j, option) in options.iter().enumerate() {
            let option_path = format!("{path}.options[{j}]");
            if let Some(first) = seen.get(&option.id) {
                self.report(
                    format!("{option_path}.id"),
                    format!(
                        "\"{}\" is already used by options[{first}]; option ids must be unique within a question",
                        option.id
                    ),
                );
            } else {
                seen.insert(&option.id, j);
            }
            self.localized(&format!("{option_path}.label"), &option.label);
        }
    }

    /// The question a condition looks at, if it is another question of this survey.
    fn target(&mut self, owner: usize, question: &QuestionId, path: &str) -> Option<&'a Question> {
        if self.def.questions[owner].id == *question {
            self.report(
                format!("{path}.question"),
                format!(
                    "refers to question \"{question}\" itself; a question cannot be shown depending on its own answer"
                ),
            );
            return None;
        }
        let found = self.def.questions.iter().find(|q| q.id == *question);
        if found.is_none() {
            self.report(
                format!("{path}.question"),
                format!("refers to unknown question \"{question}\""),
            );
        }
        found
    }

    fn condition(&mut self, owner: usize, condition: &Condition, path: &str, depth: usize) {
        if depth > MAX_CONDITION_DEPTH {
            self.report(
                path,
                format!(
                    "conditions are nested more than {MAX_CONDITION_DEPTH} levels deep; flatten the \"all\"/\"any\" groups"
                ),
            );
            return;
        }
        match condition {
            Condition::All(list) | Condition::Any(list) => {
                let key = if matches!(condition, Condition::All(_)) {
                    "all"
                } else {
                    "any"
                };
                if list.is_empty() {
                    self.report(format!("{path}.{key}"), "must list at least one condition");
                }
                for (j, inner) in list.iter().enumerate() {
                    self.condition(owner, inner, &format!("{path}.{key}[{j}]"), depth + 1);
                }
            }
            Condition::Compare {
                question,
                op,
                value,
            } => {
                let Some(target) = self.target(owner, question, path) else {
                    return;
                };
                let kind = target.kind.question_type();
                match target.kind.numeric_range() {
                    Some(range) => {
                        let (low, high) = (i64::from(*range.start()), i64::from(*range.end()));
                        if !(low..=high).contains(value) {
                            self.report(
                                format!("{path}.value"),
                                format!(
                                    "{value} is outside {low}–{high}, the answers of {kind} question \"{question}\""
                                ),
                            );
                        }
                    }
                    None => {
                        let instead = if target.kind.options().is_some() {
                            "use \"is\" to test for a selected option, or \"answered\""
                        } else {
                            "only \"answered\" applies to it"
                        };
                        self.report(
                            format!("{path}.op"),
                            format!(
                                "\"{op}\" compares numbers, but \"{question}\" is a {kind} question; {instead}"
                            ),
                        );
                    }
                }
            }
            Condition::Is { question, option } => {
                let Some(target) = self.target(owner, question, path) else {
                    return;
                };
                match target.kind.options() {
                    Some(options) => {
                        if !options.iter().any(|o| o.id == *option) {
                            self.report(
                                format!("{path}.value"),
                                format!(
                                    "\"{option}\" is not an option of question \"{question}\"; its options are {}",
                                    quoted_list(options.iter().map(|o| &o.id))
                                ),
                            );
                        }
                    }
                    None => {
                        let kind = target.kind.question_type();
                        let instead = if target.kind.numeric_range().is_some() {
                            "compare its number with lt, le, eq, ne, ge or gt, or use \"answered\""
                        } else {
                            "only \"answered\" applies to it"
                        };
                        self.report(
                            format!("{path}.op"),
                            format!(
                                "\"is\" tests for a selected option, but \"{question}\" is a {kind} question; {instead}"
                            ),
                        );
                    }
                }
            }
            Condition::Answered { question } => {
                self.target(owner, question, path);
            }
        }
    }

    /// Questions in an order where each comes after those its `show_if` looks at; reports a
    /// cycle (and returns an empty order) when there is none.
    fn evaluation_order(&mut self) -> Vec<usize> {
        let questions = &self.def.questions;
        let mut index: HashMap<&QuestionId, usize> = HashMap::new();
        for (i, q) in questions.iter().enumerate() {
            index.entry(&q.id).or_insert(i);
        }
        let edges: Vec<Vec<usize>> = questions
            .iter()
            .map(|q| {
                let mut refs = Vec::new();
                if let Some(condition) = &q.show_if {
                    referenced_questions(condition, 1, &mut refs);
                }
                let mut deps: Vec<usize> = refs
                    .into_iter()
                    .filter(|id| **id != q.id)
                    .filter_map(|id| index.get(id).copied())
                    .collect();
                deps.sort_unstable();
                deps.dedup();
                deps
            })
            .collect();
        match topological_order(&edges) {
            Ok(order) => order,
            Err(mut cycle) => {
                // Start the cycle at the question that comes first in the survey.
                let start = (0..cycle.len())
                    .min_by_key(|&k| cycle[k])
                    .unwrap_or_default();
                cycle.rotate_left(start);
                let first = cycle[0];
                let mut path: Vec<String> = cycle
                    .iter()
                    .map(|&i| format!("\"{}\"", questions[i].id))
                    .collect();
                path.push(format!("\"{}\"", questions[first].id));
                self.report(
                    format!("questions[{first}].show_if"),
                    format!(
                        "show_if conditions form a cycle: {} (each is shown depending on the next); remove one of these conditions",
                        path.join(" -> ")
                    ),
                );
                Vec::new()
            }
        }
    }
}

/// Every question a condition looks at, down to the allowed depth.
fn referenced_questions<'c>(condition: &'c Condition, depth: usize, out: &mut Vec<&'c QuestionId>) {
    if depth > MAX_CONDITION_DEPTH {
        return;
    }
    match condition {
        Condition::All(list) | Condition::Any(list) => {
            for inner in list {
                referenced_questions(inner, depth + 1, out);
            }
        }
        Condition::Compare { question, .. }
        | Condition::Is { question, .. }
        | Condition::Answered { question } => out.push(question),
    }
}

/// Depth-first post-order over `edges[node]` = the nodes `node` depends on, so dependencies
/// come first. `Err(cycle)` lists the nodes of one cycle, each depending on the next.
fn topological_order(edges: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut marks = vec![Mark::New; edges.len()];
    let mut order = Vec::with_capacity(edges.len());
    for start in 0..edges.len() {
        if marks[start] != Mark::New {
            continue;
        }
        marks[start] = Mark::OnPath;
        // (node, index of the next edge to follow)
        let mut stack = vec![(start, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (node, next) = *top;
            if let Some(&dep) = edges[node].get(next) {
                top.1 += 1;
                match marks[dep] {
                    Mark::New => {
                        marks[dep] = Mark::OnPath;
                        stack.push((dep, 0));
                    }
                    Mark::OnPath => {
                        let from = stack
                            .iter()
                            .position(|&(n, _)| n == dep)
                            .unwrap_or_default();
                        return Err(stack[from..].iter().map(|&(n, _)| n).collect());
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                order.push(node);
                stack.pop();
            }
        }
    }
    Ok(order)
}

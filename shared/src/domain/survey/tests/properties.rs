//! Properties over random definitions and answers.

use super::*;
use proptest::prelude::*;

const POOL: [&str; 7] = ["q0", "q1", "q2", "q3", "q4", "q5", "zz"];
const OPTION_POOL: [&str; 4] = ["a", "b", "c", "x"];

fn arb_qid() -> impl Strategy<Value = QuestionId> {
    prop::sample::select(&POOL[..]).prop_map(qid)
}

fn arb_option_id() -> impl Strategy<Value = OptionId> {
    prop::sample::select(&OPTION_POOL[..]).prop_map(|s| OptionId::parse(s).unwrap())
}

fn arb_compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Ge,
        CompareOp::Gt,
    ])
}

fn arb_condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        (arb_qid(), arb_compare_op(), -1i64..12).prop_map(|(question, op, value)| {
            Condition::Compare {
                question,
                op,
                value,
            }
        }),
        (arb_qid(), arb_option_id())
            .prop_map(|(question, option)| Condition::Is { question, option }),
        arb_qid().prop_map(|question| Condition::Answered { question }),
    ];
    leaf.prop_recursive(6, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Condition::All),
            prop::collection::vec(inner, 0..3).prop_map(Condition::Any),
        ]
    })
}

fn arb_options() -> impl Strategy<Value = Vec<ChoiceOption>> {
    prop::collection::vec(arb_option_id(), 0..4).prop_map(|ids| {
        ids.into_iter()
            .map(|id| ChoiceOption {
                label: Localized::new("选项", id.as_str()),
                id,
            })
            .collect()
    })
}

fn arb_kind() -> impl Strategy<Value = QuestionKind> {
    prop_oneof![
        Just(QuestionKind::Rating {
            dimension: None,
            low_label: None,
            high_label: None
        }),
        Just(QuestionKind::Nps),
        arb_options().prop_map(|options| QuestionKind::SingleChoice { options }),
        (arb_options(), prop::option::of(0u8..5)).prop_map(|(options, max_selected)| {
            QuestionKind::MultipleChoice {
                options,
                max_selected,
            }
        }),
        (0u16..6000).prop_map(|max_length| QuestionKind::OpenText { max_length }),
    ]
}

fn arb_definition() -> impl Strategy<Value = SurveyDefinition> {
    let question = (
        arb_kind(),
        prop::option::weighted(0.6, arb_condition()),
        any::<bool>(),
    );
    (
        prop::collection::vec(question, 1..7),
        prop::option::weighted(0.3, arb_qid()),
    )
        .prop_map(|(parts, outcome)| SurveyDefinition {
            title: Localized::new("调查", "Survey"),
            intro: None,
            outcome,
            dimensions: Vec::new(),
            questions: parts
                .into_iter()
                .enumerate()
                .map(|(i, (kind, show_if, required))| Question {
                    id: qid(POOL[i]),
                    label: Localized::new("问题", "Question"),
                    help: None,
                    required,
                    show_if,
                    kind,
                })
                .collect(),
            allow_long: false,
        })
}

fn arb_well_formed_kind() -> impl Strategy<Value = QuestionKind> {
    let options = || -> Vec<ChoiceOption> {
        ["a", "b", "c"]
            .into_iter()
            .map(|id| ChoiceOption {
                id: OptionId::parse(id).unwrap(),
                label: Localized::new("选项", id),
            })
            .collect()
    };
    prop_oneof![
        Just(QuestionKind::Rating {
            dimension: None,
            low_label: None,
            high_label: None
        }),
        Just(QuestionKind::Nps),
        Just(QuestionKind::SingleChoice { options: options() }),
        Just(QuestionKind::MultipleChoice {
            options: options(),
            max_selected: Some(2)
        }),
        Just(QuestionKind::OpenText { max_length: 500 }),
    ]
}

/// A condition that fits the kind of the question it looks at.
fn fitting_leaf(target: &Question, seed: u8, op: CompareOp) -> Condition {
    let question = target.id.clone();
    if seed.is_multiple_of(5) {
        return Condition::Answered { question };
    }
    if let Some(range) = target.kind.numeric_range() {
        let span = range.end() - range.start() + 1;
        let value = i64::from(range.start() + seed % span);
        Condition::Compare {
            question,
            op,
            value,
        }
    } else if let Some(options) = target.kind.options() {
        let option = options[usize::from(seed) % options.len()].id.clone();
        Condition::Is { question, option }
    } else {
        Condition::Answered { question }
    }
}

/// Definitions whose only possible flaw is a cycle: every condition fits its target and
/// none looks at its own question.
fn arb_well_formed_definition() -> impl Strategy<Value = SurveyDefinition> {
    prop::collection::vec(arb_well_formed_kind(), 1..7)
        .prop_flat_map(|kinds| {
            let n = kinds.len();
            let leaf = (0..n, any::<u8>(), arb_compare_op());
            let show_if =
                prop::option::weighted(0.7, (prop::collection::vec(leaf, 1..4), any::<bool>()));
            (Just(kinds), prop::collection::vec(show_if, n))
        })
        .prop_map(|(kinds, show_ifs)| {
            let mut questions: Vec<Question> = kinds
                .into_iter()
                .enumerate()
                .map(|(i, kind)| Question {
                    id: qid(POOL[i]),
                    label: Localized::new("问题", "Question"),
                    help: None,
                    required: true,
                    show_if: None,
                    kind,
                })
                .collect();
            for (i, show_if) in show_ifs.into_iter().enumerate() {
                let Some((leaves, any)) = show_if else {
                    continue;
                };
                let mut conditions: Vec<Condition> = leaves
                    .into_iter()
                    .filter(|&(j, _, _)| j != i)
                    .map(|(j, seed, op)| fitting_leaf(&questions[j], seed, op))
                    .collect();
                questions[i].show_if = match conditions.len() {
                    0 => None,
                    1 => conditions.pop(),
                    _ if any => Some(Condition::Any(conditions)),
                    _ => Some(Condition::All(conditions)),
                };
            }
            SurveyDefinition {
                title: Localized::new("调查", "Survey"),
                intro: None,
                outcome: None,
                dimensions: Vec::new(),
                questions,
                allow_long: false,
            }
        })
}

fn arb_answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        (0u8..12).prop_map(Answer::Number),
        any::<u8>().prop_map(Answer::Number),
        prop::sample::select(&OPTION_POOL[..]).prop_map(|s| Answer::Choice(s.into())),
        prop::collection::vec(prop::sample::select(&OPTION_POOL[..]), 0..3)
            .prop_map(|v| Answer::Choices(v.into_iter().map(String::from).collect())),
        "[ a-z]{0,4}".prop_map(Answer::Text),
    ]
}

fn arb_answers(ids: Vec<&'static str>) -> impl Strategy<Value = Answers> {
    prop::collection::btree_map(prop::sample::select(ids).prop_map(qid), arb_answer(), 0..12)
}

/// Edges to known, other questions, at any depth: an independent view of the dependencies.
fn dependency_edges(def: &SurveyDefinition) -> Vec<Vec<usize>> {
    fn walk<'c>(c: &'c Condition, out: &mut Vec<&'c QuestionId>) {
        match c {
            Condition::All(l) | Condition::Any(l) => l.iter().for_each(|c| walk(c, out)),
            other => out.extend(other.question()),
        }
    }
    def.questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut refs = Vec::new();
            if let Some(c) = &q.show_if {
                walk(c, &mut refs);
            }
            refs.into_iter()
                .filter_map(|r| def.questions.iter().position(|o| o.id == *r))
                .filter(|&j| j != i)
                .collect()
        })
        .collect()
}

/// Kahn's algorithm: acyclic when every node can be removed.
fn is_acyclic(edges: &[Vec<usize>]) -> bool {
    let mut removed = vec![false; edges.len()];
    loop {
        let ready: Vec<usize> = (0..edges.len())
            .filter(|&i| !removed[i] && edges[i].iter().all(|&d| removed[d]))
            .collect();
        if ready.is_empty() {
            return removed.iter().all(|&r| r);
        }
        for i in ready {
            removed[i] = true;
        }
    }
}

/// Skip logic by plain recursion on dependencies, as the oracle for `visible_questions`.
fn reference_visible(survey: &ValidSurvey, answers: &Answers) -> Vec<String> {
    fn shown(survey: &ValidSurvey, answers: &Answers, i: usize) -> bool {
        survey.questions()[i]
            .show_if
            .as_ref()
            .is_none_or(|c| holds(survey, answers, c))
    }
    fn given<'a>(survey: &ValidSurvey, answers: &'a Answers, q: &QuestionId) -> Option<&'a Answer> {
        let i = survey.questions().iter().position(|o| o.id == *q)?;
        if !shown(survey, answers, i) {
            return None;
        }
        answers.get(q).filter(|a| a.is_given())
    }
    fn holds(survey: &ValidSurvey, answers: &Answers, c: &Condition) -> bool {
        match c {
            Condition::All(l) => l.iter().all(|c| holds(survey, answers, c)),
            Condition::Any(l) => l.iter().any(|c| holds(survey, answers, c)),
            Condition::Compare {
                question,
                op,
                value,
            } => {
                matches!(given(survey, answers, question), Some(Answer::Number(n)) if op.holds(i64::from(*n), *value))
            }
            Condition::Is { question, option } => match given(survey, answers, question) {
                Some(Answer::Choice(c)) => c == option.as_str(),
                Some(Answer::Choices(cs)) => cs.iter().any(|c| c == option.as_str()),
                _ => false,
            },
            Condition::Answered { question } => given(survey, answers, question).is_some(),
        }
    }
    (0..survey.questions().len())
        .filter(|&i| shown(survey, answers, i))
        .map(|i| survey.questions()[i].id.to_string())
        .collect()
}

fn default_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = default_survey()
        .questions()
        .iter()
        .map(|q| &*Box::leak(q.id.to_string().into_boxed_str()))
        .collect();
    ids.push("unknown");
    ids
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_answers_never_panic_on_the_default_survey(answers in arb_answers(default_ids())) {
        let survey = default_survey();
        let shown = visible_questions(&survey, &answers);
        // Unconditional questions are always shown, in survey order.
        let always = survey.questions().iter().filter(|q| q.show_if.is_none()).count();
        prop_assert!(shown.len() >= always);
        let ids: Vec<String> = shown.iter().map(|q| q.id.to_string()).collect();
        prop_assert_eq!(ids, reference_visible(&survey, &answers));
    }

    #[test]
    fn random_definitions_validate_or_report_a_problem(
        def in arb_definition(),
        answers in arb_answers(POOL.to_vec()),
    ) {
        let acyclic = is_acyclic(&dependency_edges(&def));
        let problems = def.problems();
        match def.clone().validate() {
            Ok(survey) => {
                prop_assert!(acyclic, "a validated survey has acyclic show_if dependencies");
                prop_assert!(problems.is_empty());
                let ids: Vec<String> = visible_questions(&survey, &answers)
                    .iter()
                    .map(|q| q.id.to_string())
                    .collect();
                prop_assert_eq!(ids, reference_visible(&survey, &answers));
            }
            Err(problem) => {
                prop_assert!(!problem.field.is_empty() && !problem.reason.is_empty());
                prop_assert_eq!(problems.first(), Some(&problem));
            }
        }
    }

    #[test]
    fn cyclic_definitions_never_validate(def in arb_definition()) {
        if !is_acyclic(&dependency_edges(&def)) {
            prop_assert!(def.validate().is_err());
        }
    }

    #[test]
    fn well_formed_definitions_validate_exactly_when_acyclic(
        def in arb_well_formed_definition(),
        answers in arb_answers(POOL.to_vec()),
    ) {
        let acyclic = is_acyclic(&dependency_edges(&def));
        match def.validate() {
            Ok(survey) => {
                prop_assert!(acyclic);
                let ids: Vec<String> = visible_questions(&survey, &answers)
                    .iter()
                    .map(|q| q.id.to_string())
                    .collect();
                prop_assert_eq!(ids, reference_visible(&survey, &answers));
            }
            Err(problem) => {
                prop_assert!(!acyclic, "only a cycle can be wrong here, got {}", problem);
                prop_assert!(problem.reason.contains("cycle"));
            }
        }
    }

    #[test]
    fn definitions_round_trip_through_json(def in arb_definition()) {
        let json = serde_json::to_string(&def).unwrap();
        let again: SurveyDefinition = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(again, def);
    }
}

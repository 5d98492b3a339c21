//! The report formulas over exact running sums.
//! (Interface stand-ins until the formulas land.)
#![allow(unused_variables)]

use serde::Serialize;

use super::sums::{Moments, NpsCounts, Paired};

pub const MIN_SHOWN: i64 = 5;
pub const MIN_RELIABLE: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub n: i64,
}
pub fn mean(m: &Moments) -> Option<f64> {
    (m.n > 0).then(|| m.sum as f64 / m.n as f64 / 10_000.0)
}
pub fn mean_estimate(m: &Moments) -> Option<Estimate> {
    mean(m).map(|v| Estimate {
        value: v,
        low: v,
        high: v,
        n: m.n,
    })
}
pub fn csat(satisfied: i64, answered: i64) -> Option<Estimate> {
    (answered > 0).then(|| {
        let v = 100.0 * satisfied as f64 / answered as f64;
        Estimate {
            value: v,
            low: v,
            high: v,
            n: answered,
        }
    })
}
pub fn nps(c: &NpsCounts) -> Option<Estimate> {
    let n = c.n();
    (n > 0).then(|| {
        let v = 100.0 * (c.promoters - c.detractors) as f64 / n as f64;
        Estimate {
            value: v,
            low: v,
            high: v,
            n,
        }
    })
}
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Correlation {
    pub r: f64,
    pub n: i64,
    pub t: f64,
    pub p: f64,
    pub significant: bool,
}
pub fn pearson(p: &Paired) -> Option<Correlation> {
    None
}
pub fn weighted_index(dimensions: &[(f64, Option<f64>)]) -> Option<f64> {
    None
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    FixNow,
    Keep,
    LowPriority,
    NiceToHave,
}
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub importance: f64,
    pub satisfaction: f64,
}
pub fn quadrant_thresholds(points: &[(f64, f64)]) -> Option<Thresholds> {
    None
}
pub fn quadrant(point: (f64, f64), t: Thresholds) -> Quadrant {
    Quadrant::Keep
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    Hidden,
    Warn,
    Shown,
}
pub fn cell(n: i64) -> Cell {
    Cell::Shown
}
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    pub before: f64,
    pub after: f64,
    pub diff: f64,
    pub low: f64,
    pub high: f64,
    pub statistic: f64,
    pub df: Option<f64>,
    pub p: f64,
    pub significant: bool,
    pub test: &'static str,
}
pub fn compare_nps(before: &NpsCounts, after: &NpsCounts) -> Option<Difference> {
    None
}
pub fn compare_means(before: &Moments, after: &Moments) -> Option<Difference> {
    None
}
pub fn compare_proportions(before: (i64, i64), after: (i64, i64)) -> Option<Difference> {
    None
}
